#include "kernel/fs/vfs.h"

#include "kernel/drivers/pty.h"

#include "kernel/fs/seals.h"
#include "kernel/fs/fifo.h"
#include "kernel/fs/memfd.h"
#include "kernel/proc/resource_limits.h"

#include <new>

#include "kernel/arch/aarch64/timer.h"
#include "kernel/drivers/pl031.h"
#include "kernel/fs/block_devices.h"
#include "kernel/fs/char_devices.h"
#include "kernel/fs/ext2/ext2_file_system.h"
#include "kernel/fs/initrd_loader.h"
#include "kernel/fs/inode_files.h"
#include "kernel/fs/inotify_queue.h"
#include "kernel/fs/lookup_cache.h"
#include "kernel/fs/mount_table.h"
#include "kernel/fs/notify.h"
#include "kernel/fs/permission.h"
#include "kernel/fs/pipe_file.h"
#include "kernel/fs/pseudo_file_systems.h"
#include "kernel/fs/ramfs.h"
#include "kernel/fs/tmpfs_options.h"
#include "kernel/fs/vfs_lock.h"
#include "kernel/lib/kprint.h"
#include "kernel/mm/pmm.h"
#include "kernel/proc/address_space.h"
#include "kernel/proc/process.h"
#include "kernel/proc/process_credentials.h"
#include "kernel/sched/mutex.h"
#include "kernel/sched/scheduler.h"
#include "kernel/syscalls/linux_abi.h"
#include "kernel/time/realtime.h"

namespace akuma::fs {

namespace abi = linux_abi;

namespace {

constinit sched::Mutex g_lock {};
constinit MountTable* g_mounts = nullptr;
constinit LookupCache* g_lookups = nullptr;  // the mount table's walks use it

// Wall-clock time (time/realtime.h).
Timestamp now() {
    uint64_t realtime = time::realtime_now_ns();
    return { static_cast<int64_t>(realtime / 1'000'000'000), static_cast<uint32_t>(realtime % 1'000'000'000) };
}

// The namespace as the caller sees it (VFS lock held: chroot changes a
// process's root under it): its root directory, and its credentials for
// the permission checks; the kernel's own threads have neither.
Namespace name_space() {
    Namespace ns = g_mounts->name_space();
    if (proc::Process* process = proc::current_process()) {
        if (process->root)
            ns.root = process->root;
        ns.credentials = proc::credentials_of(*process);
    }
    return ns;
}

FileSystem& fs_of(const InodeRef& inode) { return inode->file_system(); }

// Whose permissions a namespace operation checks: the caller's, or root's
// for the kernel's own threads.
proc::Credentials who(const Namespace& ns) {
    return ns.credentials ? *ns.credentials : proc::root_credentials();
}


// A name in `directory` was created, removed or replaced: the lookup cache's
// entry for it (negative or not) is stale.
void name_changed(const InodeRef& directory, std::string_view name) {
    if (g_lookups)
        g_lookups->forget(directory, name);
}

// inotify's event of a change to a file a path named.
void tell_changed(const PlacedInode& target, uint32_t event) {
    notify::changed(*target.inode, target.directory.get(), target.name, event);
}

bool read_only(const InodeRef& inode) {
    const Mount* mount = g_mounts->mount_of(*inode);
    return mount && (mount->flags & k_mount_read_only);
}

// ---- Mapped files (AddressSpace): read a page's worth, pin and unpin, and
// keep a running program's file from being written. ----

InodeRef mapped_inode(const void* file) { return InodeRef(const_cast<Inode*>(static_cast<const Inode*>(file))); }

ErrorOr<size_t> read_mapped_file(const void* file, uint64_t offset, std::span<uint8_t> out) {
    VfsLockGuard guard;
    InodeRef inode = mapped_inode(file);
    return fs_of(inode).read(inode, offset, out);
}

ErrorOr<void> with_mapped_page(const void* file, uint64_t index, bool writable_share,
                               ErrorOr<void> (*use)(void* context, mm::PhysAddr frame), void* context) {
    VfsLockGuard guard;
    InodeRef inode = mapped_inode(file);
    uint8_t* page = TRY(fs_of(inode).cache_page(inode, index, writable_share));
    inode->set_ever_mapped();
    return use(context, mm::linear_virt_to_phys(page));
}

void with_cached_mapped_pages(const void* file, uint64_t first, uint64_t count,
                              void (*use)(void* context, const mm::PhysAddr* frames), void* context) {
    VERIFY(count <= proc::MappedFileOps::k_max_cached_run);
    uint8_t* pages[proc::MappedFileOps::k_max_cached_run] {};
    mm::PhysAddr frames[proc::MappedFileOps::k_max_cached_run];
    VfsLockGuard guard;
    InodeRef inode = mapped_inode(file);
    fs_of(inode).cached_pages(inode, first, count, pages);
    for (uint64_t i = 0; i < count; ++i)
        frames[i] = pages[i] ? mm::linear_virt_to_phys(pages[i]) : 0;
    use(context, frames);
}

// Pins, unpins and write denials need no VFS lock (inode references and
// write counts are atomic): address spaces are torn down under the process
// resources lock, which comes after the VFS lock in the lock order.
void* pin_mapped_file(const void* file) {
    auto* pin = new (std::nothrow) InodeRef(mapped_inode(file));
    if (pin) {
        if (auto observer = (*pin)->file_system().mapping_observer())
            observer(**pin, true);
    }
    return pin;
}

void unpin_mapped_file(void* pin) {
    auto* inode = static_cast<InodeRef*>(pin);
    if (auto observer = (*inode)->file_system().mapping_observer())
        observer(**inode, false);
    delete inode;
}

// Shared mappings that may write, counted for F_SEAL_WRITE (fs/seals.h).
Inode& mapped_inode_of(const void* file) { return *const_cast<Inode*>(static_cast<const Inode*>(file)); }
bool add_writable_mapping(const void* file) { return Seals::add_writable_mapping(mapped_inode_of(file)); }
void fork_writable_mapping(const void* file) { Seals::fork_writable_mapping(mapped_inode_of(file)); }
void remove_writable_mapping(const void* file) { Seals::remove_writable_mapping(mapped_inode_of(file)); }

bool deny_write_to_mapped_file(const void* file) {
    InodeRef inode = mapped_inode(file);
    return !fs_of(inode).deny_write_access(inode).is_error();
}

void allow_write_to_mapped_file(const void* file) {
    InodeRef inode = mapped_inode(file);
    fs_of(inode).allow_write_access(inode);
}

// ---- File system types ----

uint64_t ram_bytes() { return mm::pmm_stats().total_pages * mm::k_page_size; }

// A tmpfs's options: bad ones are Invalid, with *reason. An option other
// than size= and mode= is refused too (mount(2) must not pretend to apply
// it), except for the boot argument initramfs_options, which reports and
// ignores it (README).
ErrorOr<TmpfsOptions> tmpfs_options(std::string_view options, bool ignore_unsupported, const char** reason) {
    auto parsed = TRY(parse_tmpfs_options(options, ram_bytes(), reason));
    if (!parsed.unsupported.empty()) {
        if (!ignore_unsupported) {
            *reason = "only size= and mode= are supported";
            return Error::Invalid;
        }
        kprintln("[VFS] tmpfs option \"{}\" not supported (only size= and mode=), ignored", parsed.unsupported);
    }
    return parsed;
}

// A tmpfs: half of RAM at most unless size= says otherwise; its root has
// `root_mode` unless mode= says otherwise.
ErrorOr<FileSystem*> make_tmpfs(std::string_view options, uint32_t root_mode) {
    const char* reason = nullptr;
    auto parsed = tmpfs_options(options, false, &reason);
    if (parsed.is_error()) {
        kprintln("[VFS] tmpfs: bad options \"{}\": {}", options, reason ? reason : "?");
        return parsed.error();
    }
    auto fs = TRY(Ramfs::create(parsed.value().size.value_or(ram_bytes() / 2)));
    fs->set_clock(now);
    fs->set_mode(fs->root(), parsed.value().mode.value_or(root_mode));
    return fs.release();
}

// devtmpfs: a tmpfs holding a node for every registered character device,
// the /proc/self/fd links and the directories other mounts go on.
ErrorOr<FileSystem*> make_devtmpfs() {
    auto fs = TRY(Ramfs::create(ram_bytes() / 2));
    fs->set_clock(now);
    fs->set_type_name("devtmpfs");
    auto root = fs->root();
    Error failure = Error::NoMemory;
    bool failed = false;
    for_each_char_device([&](const CharDevice& device) {
        if (!device.name)
            return;
        auto made = fs->mknod(root, device.name, abi::k_s_ifchr | device.mode, device.number);
        if (made.is_error() && !failed) {
            failed = true;
            failure = made.error();
        }
    });
    for (size_t i = 0; i < block_device_count() && !failed; ++i) {
        auto disk = block_device_at(i);
        auto made = fs->mknod(root, disk.device->name(), abi::k_s_ifblk | 0660, disk.number);
        if (made.is_error()) {
            failed = true;
            failure = made.error();
        }
    }
    if (failed)
        return failure;
    TRY(fs->symlink(root, "fd", "/proc/self/fd"));
    TRY(fs->symlink(root, "stdin", "/proc/self/fd/0"));
    TRY(fs->symlink(root, "stdout", "/proc/self/fd/1"));
    TRY(fs->symlink(root, "stderr", "/proc/self/fd/2"));
    TRY(fs->mkdir(root, "shm", 01777));
    TRY(fs->mkdir(root, "pts", 0755));
    return fs.release();
}

// The types mount(2) knows: the memory and pseudo file systems, then the
// disk file systems registered at boot (written at boot only, read freely).
constexpr size_t k_max_types = 12;
constinit FileSystemType g_types[k_max_types] = {
    { "sysfs", false }, { "tmpfs", false }, { "proc", false }, { "devtmpfs", false }, { "ramfs", false },
    { "devpts", false },
};
constinit size_t g_type_count = 6;
constinit DiskFileSystemFactory g_disk_factories[k_max_types] {};  // by index in g_types

DiskFileSystemFactory disk_factory(std::string_view type) {
    for (size_t i = 0; i < __atomic_load_n(&g_type_count, __ATOMIC_ACQUIRE); ++i) {
        if (g_disk_factories[i] && type == g_types[i].name)
            return g_disk_factories[i];
    }
    return nullptr;
}

// Whether a mounted (or detached, not yet freed) file system lives on it.
bool disk_in_use(const drivers::BlockDevice* device) {
    bool in_use = false;
    g_mounts->for_each([&](const Mount& mount) { in_use |= mount.fs->block_device() == device; });
    return in_use || g_mounts->detached_on(device);
}

// The disk mount(2)'s source names (VFS lock held).
ErrorOr<drivers::BlockDevice*> disk_for_mount(const InodeRef& base, std::string_view source) {
    if (source.empty())
        return Error::NotFound;
    auto node = TRY(walk_path(name_space(), base, source, true));
    if (node->type() != InodeType::BlockDevice)
        return Error::NotABlockDevice;
    const Mount* mount = g_mounts->mount_of(*node);
    if (mount && (mount->flags & k_mount_no_dev))
        return Error::AccessDenied;
    drivers::BlockDevice* device = block_device(node->rdev());
    if (!device)
        return Error::NoDeviceOrAddress;
    return device;
}

ErrorOr<FileSystem*> make_file_system(std::string_view type, std::string_view options) {
    // Only tmpfs takes options (size=, mode=); the others have none Akuma honours,
    // so any is refused rather than ignored (Linux: EINVAL for unknown ones).
    if (!options.empty() && type != "tmpfs")
        return Error::Invalid;
    if (type == "tmpfs")
        return make_tmpfs(options, 01777);
    if (type == "ramfs") {
        auto* fs = TRY(make_tmpfs("size=0", 0755));  // ramfs has no size limit
        static_cast<Ramfs*>(fs)->set_type_name("ramfs");
        return fs;
    }
    if (type == "devtmpfs")
        return make_devtmpfs();
    if (type == "proc")
        return make_procfs(now);
    if (type == "sysfs")
        return make_sysfs(now);
    if (type == "devpts")
        return tty::make_devpts();
    return Error::NoDevice;  // Linux: an unknown type is ENODEV
}

// mount -t ext2: the disk's file system (no mount options: any is EINVAL,
// as for the other types, rather than ignored).
ErrorOr<FileSystem*> make_ext2(drivers::BlockDevice& device, bool read_only, std::string_view options) {
    if (!options.empty())
        return Error::Invalid;
    auto fs = TRY(Ext2FileSystem::mount(device, read_only, now));
    return fs.release();
}

// Mounts a new instance at an absolute path during boot.
void mount_at_boot(std::string_view type, std::string_view path, std::optional<uint32_t> root_mode = {}) {
    auto mounted = mount(root_directory(), type, path, type, 0, "");
    if (mounted.is_error()) {
        kprintln("[VFS] cannot mount {} on {}: {}", type, path, error_name(mounted.error()));
        return;
    }
    if (root_mode) {
        VfsLockGuard guard;
        auto root = walk_path(name_space(), g_mounts->root(), path, true);
        if (!root.is_error())
            fs_of(root.value()).set_mode(root.value(), *root_mode);
    }
}

// The directories the boot mounts cover, made where missing (a read-only
// root must have them already: a failure is reported, not fatal).
ErrorOr<void> make_mount_points(FileSystem& fs) {
    auto root = fs.root();
    for (const char* name : { "dev", "proc", "sys", "run", "tmp" }) {
        uint32_t mode = name[0] == 'p' ? 0555 : name[0] == 't' ? 01777 : 0755;
        if (!fs.lookup(root, name).is_error())
            continue;
        if (auto made = fs.mkdir(root, name, mode, 0, 0); made.is_error())
            return made.error();
    }
    return {};
}

// /dev, /proc, /sys and the tmpfs instances, over whatever the root is. A
// disk root keeps its own /tmp (as Debian's default), so what programs put
// there is on the disk.
void mount_boot_file_systems(bool disk_root) {
    mount_at_boot("devtmpfs", "/dev");
    mount_at_boot("tmpfs", "/dev/shm");
    mount_at_boot("devpts", "/dev/pts");
    mount_at_boot("proc", "/proc");
    mount_at_boot("sysfs", "/sys");
    if (!disk_root)
        mount_at_boot("tmpfs", "/tmp");
    mount_at_boot("tmpfs", "/run", 0755);
}

// root=/dev/vda: the root file system is the disk's (ext2).
ErrorOr<void> mount_root_disk(const RootDisk& disk) {
    drivers::BlockDevice* device = block_device_named(disk.device);
    if (!device) {
        kprintln("[VFS] root={}: no such disk", disk.device);
        return Error::NoDeviceOrAddress;
    }
    auto made = make_ext2(*device, disk.read_only, "");
    if (made.is_error()) {
        kprintln("[VFS] root={}: cannot mount it as ext2: {}", disk.device, error_name(made.error()));
        return made.error();
    }
    FileSystem& fs = *made.value();
    VfsLockGuard guard;
    TRY(g_mounts->mount_root(made.value(), disk.device, disk.read_only ? k_mount_read_only : 0));
    kprintln("[VFS] root file system: ext2 on {} ({})", disk.device, disk.read_only ? "read-only" : "read-write");
    if (auto points = make_mount_points(fs); points.is_error())
        kprintln("[VFS] root={}: mount points missing and not made: {}", disk.device, error_name(points.error()));
    return {};
}

uint64_t root_size_limit(std::string_view options) {
    const char* reason = nullptr;
    auto parsed = tmpfs_options(options, true, &reason);
    if (parsed.is_error()) {
        kprintln("[VFS] initramfs_options=\"{}\" ignored: {}", options, reason ? reason : "?");
        return ram_bytes() / 2;
    }
    if (parsed.value().mode)
        kprintln("[VFS] initramfs_options: mode= not supported for the root, ignored");
    return parsed.value().size.value_or(ram_bytes() / 2);
}

}  // namespace

void drop_set_id_bits_locked(const proc::Credentials& credentials, const InodeRef& inode) {
    if (!(inode->mode() & (k_mode_set_uid | k_mode_set_gid)))
        return;  // the common case: no credentials to look at
    if (auto mode = mode_after_unprivileged_write(credentials, *inode))
        fs_of(inode).set_mode(inode, *mode);
}

void drop_set_id_bits_of_written_locked(const InodeRef& inode) {
    if (inode->mode() & (k_mode_set_uid | k_mode_set_gid))
        drop_set_id_bits_locked(proc::current_credentials(), inode);
}

sched::Mutex& vfs_lock() { return g_lock; }

ErrorOr<void> vfs_init(std::span<const uint8_t> initrd, std::string_view initramfs_options,
                       std::optional<RootDisk> root_disk) {
    g_mounts = new (std::nothrow) MountTable();
    g_lookups = new (std::nothrow) LookupCache();
    if (!g_mounts || !g_lookups)
        return Error::NoMemory;
    g_mounts->set_lookup_cache(g_lookups);
    g_mounts->set_retire_observer([](FileSystem& fs) { notify::unmounting(fs); });
    TRY(memfd_init());
    TRY(register_disk_file_system("ext2", make_ext2));
    proc::set_mapped_file_ops({ read_mapped_file, pin_mapped_file, unpin_mapped_file, deny_write_to_mapped_file,
                                allow_write_to_mapped_file, with_mapped_page, with_cached_mapped_pages,
                                add_writable_mapping, fork_writable_mapping, remove_writable_mapping });
    if (root_disk) {
        TRY(mount_root_disk(*root_disk));
        if (!initrd.empty())
            kprintln("[VFS] the initrd is not used: the root is {}", root_disk->device);
        mount_boot_file_systems(true);
        return {};
    }
    auto root = TRY(Ramfs::create(root_size_limit(initramfs_options)));
    Ramfs& fs = *root;
    fs.set_clock(now);
    if (uint64_t limit = fs.size_limit())
        kprintln("[VFS] root file system: file data limited to {} KiB (tmpfs size=)", limit >> 10);
    else
        kprintln("[VFS] root file system: file data unlimited (tmpfs size=0)");
    {
        VfsLockGuard guard;
        TRY(g_mounts->mount_root(root.release(), "rootfs"));
        TRY(make_mount_points(fs));
    }
    ErrorOr<void> result {};
    if (initrd.empty()) {
        kprintln("[VFS] no initrd: the root file system holds only the mount points");
    } else {
        const char* reason = nullptr;
        VfsLockGuard guard;
        auto loaded = load_initrd(fs, initrd, &reason);
        if (loaded.is_error()) {
            kprintln("[VFS] initrd is malformed ({}): {}; keeping what was unpacked", error_name(loaded.error()),
                     reason ? reason : "?");
            result = loaded.error();
        } else {
            auto& counts = loaded.value();
            kprintln("[VFS] initrd unpacked: {} files, {} directories, {} symlinks, {} devices ({} skipped), {} KiB",
                     counts.files + counts.hard_links, counts.directories, counts.symlinks, counts.devices,
                     counts.skipped, initrd.size() >> 10);
        }
        (void)make_mount_points(fs);  // the archive may have replaced or lacked them
    }
    mount_boot_file_systems(false);
    return result;
}

InodeRef root_directory() {
    VfsLockGuard guard;
    return g_mounts->root();
}

const MountTable& mount_table() { return *g_mounts; }

std::span<const FileSystemType> file_system_types() {
    return { g_types, __atomic_load_n(&g_type_count, __ATOMIC_ACQUIRE) };
}

ErrorOr<void> register_disk_file_system(const char* name, DiskFileSystemFactory make) {
    VfsLockGuard guard;
    for (size_t i = 0; i < g_type_count; ++i) {
        if (std::string_view(g_types[i].name) == name)
            return Error::Exists;
    }
    if (g_type_count == k_max_types)
        return Error::OutOfRange;
    g_types[g_type_count] = { name, true };
    g_disk_factories[g_type_count] = make;
    __atomic_store_n(&g_type_count, g_type_count + 1, __ATOMIC_RELEASE);
    return {};
}

void shut_down_file_systems() {
    if (!g_mounts)
        return;
    VfsLockGuard guard;
    g_mounts->for_each([](const Mount& mount) {
        if (auto done = mount.fs->shut_down(); done.is_error())
            kprintln("[VFS] {} on {}: not shut down cleanly: {}", mount.fs->type_name(), mount.source.view(),
                     error_name(done.error()));
        else if (auto* disk = mount.fs->block_device())
            kprintln("[VFS] /dev/{} ({}): written back{}", disk->name(), mount.fs->type_name(),
                     mount.fs->left_clean() ? " and marked clean"
                                            : "; left not clean (it was not clean at mount: run e2fsck)");
    });
}

void sync_all() {
    VfsLockGuard guard;
    g_mounts->for_each([](const Mount& mount) {
        if (auto synced = mount.fs->sync_file_system(); synced.is_error())
            kprintln("[VFS] sync of a {} file system failed: {}", mount.fs->type_name(), error_name(synced.error()));
    });
}

ErrorOr<void> sync_file_system_of(const InodeRef& inode) {
    VfsLockGuard guard;
    return inode->file_system().sync_file_system();
}

void write_back_file_systems() {
    VfsLockGuard guard;
    g_mounts->for_each([](const Mount& mount) {
        if (!mount.fs->needs_write_back())
            return;
        if (auto synced = mount.fs->sync_file_system(); synced.is_error())
            kprintln("[VFS] write-back of {} ({}) failed: {}", mount.source.view(), mount.fs->type_name(),
                     error_name(synced.error()));
    });
}

ErrorOr<InodeRef> resolve_path(const InodeRef& base, std::string_view path, bool follow_final_symlink) {
    VfsLockGuard guard;
    return walk_path(name_space(), base, path, follow_final_symlink);
}

namespace {

// Linux's faccessat: writing to a read-only mount is EROFS for files,
// directories and symlinks, whatever the bits say; then the bits.
ErrorOr<void> check_access_locked(const proc::Credentials& credentials, const InodeRef& inode, unsigned mask) {
    if ((mask & k_may_write) && read_only(inode) &&
        (inode->type() == InodeType::Regular || inode->is_directory() || inode->type() == InodeType::Symlink))
        return Error::ReadOnlyFs;
    return check_access(credentials, *inode, mask);
}

}  // namespace

ErrorOr<void> check_path_access(const proc::Credentials& credentials, const InodeRef& base, std::string_view path,
                                bool follow_final_symlink, unsigned mask) {
    VfsLockGuard guard;
    Namespace ns = name_space();
    ns.credentials = credentials;
    auto inode = TRY(walk_path(ns, base, path, follow_final_symlink));
    return check_access_locked(credentials, inode, mask);
}

ErrorOr<void> check_inode_access(const proc::Credentials& credentials, const InodeRef& inode, unsigned mask) {
    VfsLockGuard guard;
    return check_access_locked(credentials, inode, mask);
}

ErrorOr<void> check_current_access(const InodeRef& inode, unsigned mask) {
    VfsLockGuard guard;
    return check_access(proc::current_credentials(), *inode, mask);
}

ErrorOr<void> change_root(const InodeRef& directory) {
    VfsLockGuard guard;
    if (!directory->is_directory())
        return Error::NotADirectory;
    TRY(check_access(proc::current_credentials(), *directory, k_may_exec));
    proc::Process* process = proc::current_process();
    VERIFY(process);
    process->root = directory;
    return {};
}

ErrorOr<size_t> read_file(const InodeRef& file, uint64_t offset, std::span<uint8_t> buffer) {
    VfsLockGuard guard;
    return fs_of(file).read(file, offset, buffer);
}

ErrorOr<size_t> read_for_exec(const InodeRef& file, std::span<uint8_t> buffer) {
    VfsLockGuard guard;
    FileSystem& fs = fs_of(file);
    TRY(fs.deny_write_access(file));
    auto read = fs.read(file, 0, buffer);
    fs.allow_write_access(file);
    return read;
}

void unmap_truncated_pages(const InodeRef& inode, uint64_t size) {
    // Mapped pages past the new end go from every mapping (Linux's
    // truncate_pagecache): outside the VFS lock, since the process
    // resources lock and address spaces' locks come before it.
    if (inode->ever_mapped())
        proc::unmap_file_pages_everywhere(inode.get(), (size + mm::k_page_size - 1) & ~(mm::k_page_size - 1));
}


namespace {

// Linux's do_sys_truncate order: the type, the mount, then the caller's
// write permission; a caller without CAP_FSETID loses set-ID bits.
ErrorOr<void> truncate_locked(const InodeRef& inode, uint64_t size, const proc::Credentials& caller) {
    if (inode->is_directory())
        return Error::IsADirectory;
    if (inode->type() != InodeType::Regular)
        return Error::Invalid;
    if (read_only(inode))
        return Error::ReadOnlyFs;
    TRY(check_access(caller, *inode, k_may_write));
    if (size > inode->size())
        TRY(proc::check_file_size_limit(size - 1, size));  // RLIMIT_FSIZE when growing, as Linux
    FileSystem& fs = fs_of(inode);
    TRY(fs.get_write_access(inode));
    auto result = fs.truncate(inode, size);
    fs.put_write_access(inode);
    TRY(result);
    drop_set_id_bits_locked(caller, inode);
    return {};
}

}  // namespace

namespace {

// What open(2) names: the inode (created if O_CREAT asks and it is missing)
// and, for a non-directory, the directory and name it was found under (for
// /proc/<pid>/fd). `name` points into the path, or into the target of
// `link`, the last symlink followed, which the result keeps alive.
struct OpenTarget {
    InodeRef inode;
    InodeRef directory;
    std::string_view name;
    InodeRef link;
    bool created = false;  // by this open: no permission check (Linux's FMODE_CREATED)
    Pipe* pipe = nullptr;  // a pipe's /proc/<pid>/fd link: another end of it
};

// The final component is looked up here rather than in walk_path so the
// directory and name are known; symlinks in that position are followed
// one by one (at most 40, as the walk), and O_CREAT through a dangling one
// creates its target, as on Linux.
ErrorOr<OpenTarget> resolve_for_open(const Namespace& ns, const InodeRef& base, std::string_view path,
                                     uint32_t flags, uint32_t mode, uint32_t umask) {
    bool follow = !(flags & abi::k_o_nofollow);
    bool create = flags & abi::k_o_creat;
    bool exclusive = create && (flags & abi::k_o_excl);
    if (create && (flags & abi::k_o_directory))
        return Error::Invalid;
    OpenTarget target;
    // What is left to resolve: the path, then each symlink's target from
    // the link's directory.
    InodeRef start = base;
    std::string_view text = path;
    bool must_be_directory = false;
    for (size_t links = 0;;) {
        auto parent = walk_to_parent(ns, start, text);
        if (parent.is_error()) {
            // "/", ".", "..", "dir/..": a directory the walk itself names.
            if (parent.error() != Error::Invalid)
                return parent.error();
            if (create)
                return exclusive ? Error::Exists : Error::IsADirectory;
            target.inode = TRY(walk_path(ns, start, text, true));
            target.directory.reset();
            return target;
        }
        auto& entry = parent.value();
        must_be_directory |= entry.trailing_slash;
        auto child = lookup_child(ns, entry.directory, entry.name);
        if (child.is_error()) {
            if (child.error() != Error::NotFound || !create)
                return child.error();
            if (must_be_directory)
                return Error::IsADirectory;
            TRY(check_may_create(who(ns), *entry.directory));
            if (read_only(entry.directory))
                return Error::ReadOnlyFs;
            auto owner = owner_for_new_inode(who(ns), *entry.directory, k_mode_regular | (mode & ~umask & 07777));
            target.inode = TRY(fs_of(entry.directory).create_file(entry.directory, entry.name,
                                                                  owner.mode & 07777, owner.uid, owner.gid));
            name_changed(entry.directory, entry.name);
            notify::created(*entry.directory, entry.name, *target.inode);
            target.directory = entry.directory;
            target.name = entry.name;
            target.created = true;
            return target;
        }
        InodeRef inode = child.release_value();
        if (exclusive)
            return Error::Exists;  // O_CREAT|O_EXCL never follows a symlink
        if (inode->type() == InodeType::Symlink && (follow || must_be_directory)) {
            if (++links > k_max_symlinks)
                return Error::SymlinkLoop;
            if (File* jump = fs_of(inode).magic_target(inode)) {
                // /proc/<pid>/fd/N: the description's inode, under the name
                // it was opened as; a pipe's (no inode) opens another end.
                target.link = std::move(inode);  // keeps `jump` alive
                if (!jump->inode()) {
                    if (!jump->pipe())
                        return Error::NoDeviceOrAddress;  // a socket or an anonymous file
                    target.pipe = jump->pipe();
                    return target;
                }
                if (must_be_directory && !jump->inode()->is_directory())
                    return Error::NotADirectory;
                target.inode = jump->inode()->is_directory() ? top_of_mounts(ns, jump->inode()) : jump->inode();
                target.directory = jump->opened_in();
                target.name = jump->opened_name();
                return target;
            }
            std::string_view link_target = TRY(fs_of(inode).readlink(inode));
            if (link_target.empty())
                return Error::NotFound;
            start = entry.directory;
            text = link_target;
            target.link = std::move(inode);  // keeps link_target alive
            continue;
        }
        target.directory = entry.directory;
        target.name = entry.name;
        if (inode->is_directory()) {
            target.inode = top_of_mounts(ns, std::move(inode));
            return target;
        }
        if (must_be_directory)
            return Error::NotADirectory;
        target.inode = std::move(inode);
        return target;
    }
}

}  // namespace

namespace {

// open(2) of a pipe through /proc/<pid>/fd/N: another end of the same pipe,
// of the access mode asked for (Linux opens the pipe's inode as a FIFO).
ErrorOr<File*> open_pipe_end(Pipe& pipe, uint32_t flags) {
    uint32_t access = flags & abi::k_o_accmode;
    if (access == 3)
        return Error::Invalid;
    bool reads = access != abi::k_o_wronly;
    bool writes = access != abi::k_o_rdonly;
    {
        sched::SchedulerLockGuard guard;
        pipe.open_named_locked(reads, writes);
    }
    auto* file = new (std::nothrow) PipeFile(pipe, flags);
    if (!file) {
        if (reads)
            pipe.close_end(false);
        if (writes)
            pipe.close_end(true);
        return Error::NoMemory;
    }
    return static_cast<File*>(file);
}

}  // namespace

ErrorOr<File*> open_path(const InodeRef& base, std::string_view path, uint32_t flags, uint32_t mode,
                         uint32_t umask) {
    OpenTarget target;
    bool write_access = false;
    // O_ASYNC is kept as a flag only: open() starts no signal-driven I/O (as Linux).
    uint32_t kept = abi::k_o_accmode | abi::k_o_append | abi::k_o_nonblock | abi::k_o_directory | abi::k_o_largefile |
                    abi::k_o_fasync;
    {
        VfsLockGuard guard;
        Namespace ns = name_space();
        const proc::Credentials& credentials = who(ns);
        target = TRY(resolve_for_open(ns, base, path, flags, mode, umask));
        if (target.pipe)  // (O_PATH of one: ENXIO; Linux has a pipe inode for it)
            return (flags & abi::k_o_path) ? ErrorOr<File*>(Error::NoDeviceOrAddress)
                                           : open_pipe_end(*target.pipe, flags & kept);
        InodeRef& inode = target.inode;
        if (flags & abi::k_o_path) {
            if ((flags & abi::k_o_directory) && !inode->is_directory())
                return Error::NotADirectory;
            auto* file = new (std::nothrow) PathFile(flags & (abi::k_o_path | abi::k_o_cloexec), std::move(inode));
            if (!file)
                return Error::NoMemory;
            return static_cast<File*>(file);
        }
        if (inode->type() == InodeType::Symlink)
            return Error::SymlinkLoop;  // O_NOFOLLOW on a symlink
        uint32_t access = flags & abi::k_o_accmode;
        if (access == 3)
            return Error::Invalid;
        bool writes = access != abi::k_o_rdonly;
        if ((flags & abi::k_o_directory) && !inode->is_directory())
            return Error::NotADirectory;
        bool truncates = flags & abi::k_o_trunc;
        if (inode->is_directory() && (writes || truncates || (flags & abi::k_o_creat)))
            return Error::IsADirectory;
        if ((writes || truncates) && inode->type() == InodeType::Regular && read_only(inode))
            return Error::ReadOnlyFs;
        if (!target.created) {
            // Linux's may_open: what the access mode asks (O_TRUNC asks write).
            unsigned mask = (access != abi::k_o_wronly ? k_may_read : 0) | (writes || truncates ? k_may_write : 0);
            TRY(check_access(credentials, *inode, mask));
        }
        if (inode->type() == InodeType::Socket)
            return Error::NoDeviceOrAddress;  // as Linux: a socket's node does not open
        if (inode->type() == InodeType::CharDevice || inode->type() == InodeType::BlockDevice) {
            const Mount* mount = g_mounts->mount_of(*inode);
            if (mount && (mount->flags & k_mount_no_dev))
                return Error::AccessDenied;  // a nodev mount, as Linux's may_open_dev
        }
        if (inode->type() == InodeType::Regular) {
            // A running program's file cannot be written (ETXTBSY),
            // truncated included: take write access first.
            // O_TRUNC truncates whatever the access mode (O_RDONLY too, as
            // Linux), holding write access meanwhile; the description keeps
            // it only if it writes.
            write_access = writes;
            if (writes || truncates)
                TRY(fs_of(inode).get_write_access(inode));
            if (truncates) {
                auto truncated = fs_of(inode).truncate(inode, 0);
                if (truncated.is_error() || !writes)
                    fs_of(inode).put_write_access(inode);
                TRY(truncated);
                if (!target.created) {
                    drop_set_id_bits_locked(credentials, inode);
                    notify::changed(*inode, target.directory.get(), target.name, inotify::k_modify);
                }
            }
        }
    }
    // Descriptions are made outside the VFS lock: drivers may sleep or
    // allocate freely, and procfs generates a whole file from process state
    // at open, which need not hold up every path walk meanwhile.
    const InodeRef& inode = target.inode;
    // (A FIFO's open may wait for the other side: never under the lock.)
    auto file = inode->type() == InodeType::CharDevice    ? open_char_device(inode, flags & (kept | abi::k_o_noctty))
                : inode->type() == InodeType::BlockDevice ? open_block_device(inode, flags & kept)
                : inode->type() == InodeType::Fifo        ? open_fifo(inode, flags & kept)
                                                          : open_inode_file(inode, flags & kept, write_access);
    if ((flags & abi::k_o_trunc) && inode->type() == InodeType::Regular)
        unmap_truncated_pages(inode, 0);
    if (file.is_error()) {
        if (write_access)
            fs_of(inode).put_write_access(inode);
        return file;
    }
    if (target.directory) {
        if (auto named = file.value()->set_opened_as(target.directory, target.name); named.is_error()) {
            release(file.value());
            return named.error();
        }
    }
    notify::opened(*file.value());
    return file;
}

ErrorOr<PlacedInode> resolve_placed(const InodeRef& base, std::string_view path, bool follow_final_symlink) {
    VfsLockGuard guard;
    auto target = TRY(resolve_for_open(name_space(), base, path, follow_final_symlink ? 0 : abi::k_o_nofollow, 0, 0));
    if (!target.inode)
        return Error::NotFound;  // a pipe's /proc/<pid>/fd link: no inode to change
    return PlacedInode { std::move(target.inode), std::move(target.directory), target.name, std::move(target.link) };
}

PlacedInode place_of(const File& file) { return PlacedInode { file.inode(), file.opened_in(), file.opened_name(), {} }; }

ErrorOr<size_t> describe_file_locked(File& file, std::span<char> buffer) {
    if (auto name = file.anonymous_name(buffer); !name.is_error())
        return name;
    const InodeRef& inode = file.inode();
    if (!inode)
        return Error::NotFound;
    Namespace ns = name_space();
    if (inode->is_directory())
        return TRY(fs::directory_path(ns, inode, buffer)) - 1;  // without the NUL
    if (!file.opened_in())
        return Error::NotFound;
    size_t length = TRY(fs::directory_path(ns, file.opened_in(), buffer)) - 1;
    auto append = [&](std::string_view text) -> ErrorOr<void> {
        if (length + text.size() > buffer.size())
            return Error::OutOfRange;
        __builtin_memcpy(buffer.data() + length, text.data(), text.size());
        length += text.size();
        return {};
    };
    if (length != 1)  // not the root's "/"
        TRY(append("/"));
    TRY(append(file.opened_name()));
    if (inode->nlink() == 0)
        TRY(append(" (deleted)"));  // as Linux's d_path for an unlinked file
    return length;
}

ErrorOr<void> truncate_path(const InodeRef& base, std::string_view path, uint64_t size) {
    auto target = TRY(resolve_placed(base, path, true));
    {
        VfsLockGuard guard;
        TRY(truncate_locked(target.inode, size, proc::current_credentials()));
        tell_changed(target, inotify::k_modify);
    }
    unmap_truncated_pages(target.inode, size);
    return {};
}



InodeStat stat(const InodeRef& inode) {
    VfsLockGuard guard;
    return fs_of(inode).stat(inode);
}

uint32_t mount_flags(const InodeRef& inode) {
    VfsLockGuard guard;
    const Mount* mount = g_mounts->mount_of(*inode);
    return mount ? mount->flags : 0;
}

FileSystemStats statfs(const InodeRef& inode) {
    VfsLockGuard guard;
    FileSystemStats stats = fs_of(inode).statfs();
    constexpr uint64_t k_st_valid = 0x20;  // ST_VALID: f_flags is meaningful
    stats.flags = k_st_valid;
    if (const Mount* mount = g_mounts->mount_of(*inode))
        stats.flags |= mount->flags;  // ST_RDONLY.. ST_NOEXEC are MS_RDONLY.. MS_NOEXEC
    return stats;
}

ErrorOr<void> allocate(const InodeRef& inode, uint64_t offset, uint64_t length, bool keep_size) {
    VfsLockGuard guard;
    if (read_only(inode))
        return Error::ReadOnlyFs;
    return fs_of(inode).allocate(inode, offset, length, keep_size);
}

ErrorOr<void> change_mode(const PlacedInode& target, uint32_t mode) {
    const InodeRef& inode = target.inode;
    VfsLockGuard guard;
    if (read_only(inode))
        return Error::ReadOnlyFs;
    uint32_t allowed = TRY(mode_for_chmod(proc::current_credentials(), *inode, mode));
    fs_of(inode).set_mode(inode, allowed);
    tell_changed(target, inotify::k_attrib);
    return {};
}

ErrorOr<void> change_owner(const PlacedInode& target, uint32_t uid, uint32_t gid) {
    const InodeRef& inode = target.inode;
    VfsLockGuard guard;
    if (read_only(inode))
        return Error::ReadOnlyFs;
    TRY(check_chown(proc::current_credentials(), *inode, uid, gid));
    fs_of(inode).set_owner(inode, uid == proc::k_id_unchanged ? inode->uid() : uid,
                           gid == proc::k_id_unchanged ? inode->gid() : gid);
    tell_changed(target, inotify::k_attrib);
    return {};
}

ErrorOr<void> change_times(const PlacedInode& target, std::optional<Timestamp> atime, std::optional<Timestamp> mtime,
                           bool touch) {
    const InodeRef& inode = target.inode;
    VfsLockGuard guard;
    if (read_only(inode))
        return Error::ReadOnlyFs;
    const proc::Credentials& credentials = proc::current_credentials();
    if (!owns_or_capable(credentials, *inode)) {
        if (!touch)
            return Error::NotPermitted;
        TRY(check_access(credentials, *inode, k_may_write));
    }
    fs_of(inode).set_times(inode, atime, mtime);
    tell_changed(target, notify::time_change_event(atime.has_value(), mtime.has_value()));
    return {};
}

void set_owner_by_kernel(const InodeRef& inode, uint32_t uid, uint32_t gid) {
    VfsLockGuard guard;
    fs_of(inode).set_owner(inode, uid, gid);
}

Timestamp current_time() { return now(); }

namespace {

// The parent directory and name a namespace change works on; `invalid`
// replaces Invalid (a path ending in "." or "..", or "/").
ErrorOr<ParentAndName> parent_for_change(const Namespace& ns, const InodeRef& base, std::string_view path,
                                         Error invalid) {
    auto parent = walk_to_parent(ns, base, path);
    if (parent.is_error())
        return parent.error() == Error::Invalid ? invalid : parent.error();
    if (read_only(parent.value().directory))
        return Error::ReadOnlyFs;
    return parent.release_value();
}

// Creating the name: Exists if it is there (before any permission error,
// as Linux's filename_create), else write and search on the directory.
ErrorOr<void> check_may_create_name(const Namespace& ns, const ParentAndName& entry) {
    auto existing = lookup_child(ns, entry.directory, entry.name);
    if (!existing.is_error())
        return Error::Exists;
    if (existing.error() != Error::NotFound)
        return existing.error();
    return check_may_create(who(ns), *entry.directory);
}

// A name in `directory` that something is mounted on cannot go away or move.
ErrorOr<void> check_not_mounted_on(const Namespace& ns, const ParentAndName& entry) {
    auto child = lookup_child(ns, entry.directory, entry.name);
    if (!child.is_error() && child.value()->is_mount_point())
        return Error::Busy;
    return {};
}

// What a name change has to tell the lookup cache: the name's entry (a
// negative one after a create, the old inode after an unlink or rename)
// is gone, and so is everything cached in a directory the change removed.
// Called whether or not the change succeeded: forgetting is always safe.
void forget_removed_directory(const InodeRef& directory) {
    if (g_lookups && directory && directory->is_directory())
        g_lookups->forget_directory(directory.get());
}

// The inode a name held before a change that may remove or replace it.
InodeRef current_inode(const ParentAndName& entry) {
    auto child = fs_of(entry.directory).lookup(entry.directory, entry.name);
    return child.is_error() ? InodeRef() : child.release_value();
}

}  // namespace

ErrorOr<void> make_directory(const InodeRef& base, std::string_view path, uint32_t mode) {
    VfsLockGuard guard;
    Namespace ns = name_space();
    auto parent = TRY(parent_for_change(ns, base, path, Error::Exists));
    TRY(check_may_create_name(ns, parent));
    auto owner = owner_for_new_inode(who(ns), *parent.directory, k_mode_directory | (mode & 07777));
    auto made = fs_of(parent.directory).mkdir(parent.directory, parent.name, owner.mode & 07777, owner.uid, owner.gid);
    name_changed(parent.directory, parent.name);
    notify::created(*parent.directory, parent.name, *TRY(made));
    return {};
}

namespace {

ErrorOr<InodeRef> make_node_in(const Namespace& ns, const InodeRef& base, std::string_view path, uint32_t mode,
                               DeviceNumber device) {
    auto parent = TRY(parent_for_change(ns, base, path, Error::Exists));
    if (parent.trailing_slash)
        return Error::NotFound;  // as Linux: a trailing slash names a directory that is not there
    TRY(check_may_create_name(ns, parent));
    FileSystem& fs = fs_of(parent.directory);
    uint32_t type = mode & k_mode_type_mask;
    // Device nodes need CAP_MKNOD (Linux's vfs_mknod, after may_create).
    if ((type == k_mode_char_device || type == k_mode_block_device) && !who(ns).capable(proc::Capability::Mknod))
        return Error::NotPermitted;
    bool special = type == k_mode_char_device || type == k_mode_block_device || type == k_mode_fifo ||
                   type == k_mode_socket;
    auto owner = owner_for_new_inode(who(ns), *parent.directory, mode);
    auto made = special ? fs.mknod(parent.directory, parent.name, type | (owner.mode & k_mode_permission_mask), device,
                                   owner.uid, owner.gid)
                        : fs.create_file(parent.directory, parent.name, owner.mode & k_mode_permission_mask,
                                         owner.uid, owner.gid);
    name_changed(parent.directory, parent.name);
    if (!made.is_error())
        notify::created(*parent.directory, parent.name, *made.value());
    return made;
}

}  // namespace

ErrorOr<InodeRef> make_node(const InodeRef& base, std::string_view path, uint32_t mode, DeviceNumber device) {
    VfsLockGuard guard;
    return make_node_in(name_space(), base, path, mode, device);
}

ErrorOr<InodeRef> make_kernel_node(const InodeRef& directory, std::string_view name, uint32_t mode,
                                   DeviceNumber device) {
    VfsLockGuard guard;
    return make_node_in(g_mounts->name_space(), directory, name, mode, device);
}

ErrorOr<void> remove(const InodeRef& base, std::string_view path, bool directory) {
    VfsLockGuard guard;
    Namespace ns = name_space();
    auto parent = TRY(parent_for_change(ns, base, path, directory ? Error::Invalid : Error::IsADirectory));
    FileSystem& fs = fs_of(parent.directory);
    auto victim = TRY(lookup_child(ns, parent.directory, parent.name));
    if (!directory && parent.trailing_slash)
        return victim->is_directory() ? Error::IsADirectory : Error::NotADirectory;
    TRY(check_may_delete(who(ns), *parent.directory, *victim));
    if (directory) {
        TRY(check_not_mounted_on(ns, parent));
        InodeRef removed = current_inode(parent);
        auto result = fs.rmdir(parent.directory, parent.name);
        name_changed(parent.directory, parent.name);
        if (!result.is_error()) {
            forget_removed_directory(removed);
            notify::removed(*parent.directory, parent.name, *victim);
        }
        return result;
    }
    auto result = fs.unlink(parent.directory, parent.name);
    name_changed(parent.directory, parent.name);
    if (!result.is_error())
        notify::removed(*parent.directory, parent.name, *victim);
    return result;
}

ErrorOr<void> make_symlink(const InodeRef& base, std::string_view path, std::string_view target) {
    VfsLockGuard guard;
    Namespace ns = name_space();
    auto parent = TRY(parent_for_change(ns, base, path, Error::Exists));
    TRY(check_may_create_name(ns, parent));
    auto owner = owner_for_new_inode(who(ns), *parent.directory, k_mode_symlink | 0777);
    auto made = fs_of(parent.directory).symlink(parent.directory, parent.name, target, owner.uid, owner.gid);
    name_changed(parent.directory, parent.name);
    notify::created(*parent.directory, parent.name, *TRY(made));
    return {};
}

ErrorOr<void> make_link(const InodeRef& old_base, std::string_view old_path, const InodeRef& new_base,
                        std::string_view new_path, bool follow) {
    VfsLockGuard guard;
    Namespace ns = name_space();
    auto inode = TRY(walk_path(ns, old_base, old_path, follow));
    auto parent = TRY(parent_for_change(ns, new_base, new_path, Error::Exists));
    TRY(check_may_create_name(ns, parent));
    if (&fs_of(inode) != &fs_of(parent.directory))
        return Error::CrossDevice;
    auto result = fs_of(parent.directory).link(parent.directory, parent.name, inode);
    name_changed(parent.directory, parent.name);
    if (!result.is_error())
        notify::linked(*parent.directory, parent.name, *inode);
    return result;
}

ErrorOr<void> rename(const InodeRef& old_base, std::string_view old_path, const InodeRef& new_base,
                     std::string_view new_path) {
    VfsLockGuard guard;
    Namespace ns = name_space();
    auto from = TRY(parent_for_change(ns, old_base, old_path, Error::Busy));
    auto to = TRY(parent_for_change(ns, new_base, new_path, Error::Busy));
    if (&fs_of(from.directory) != &fs_of(to.directory))
        return Error::CrossDevice;
    // Linux's vfs_rename: the source must exist and may leave its
    // directory; the target's directory takes a new name or replaces one;
    // a directory moving to another parent must be writable itself (its
    // ".." changes).
    auto source = TRY(lookup_child(ns, from.directory, from.name));
    const proc::Credentials& credentials = who(ns);
    TRY(check_may_delete(credentials, *from.directory, *source));
    if (auto existing = lookup_child(ns, to.directory, to.name); !existing.is_error()) {
        if (existing.value() != source)
            TRY(check_may_delete(credentials, *to.directory, *existing.value()));
    } else if (existing.error() == Error::NotFound) {
        TRY(check_may_create(credentials, *to.directory));
    } else {
        return existing.error();
    }
    if (source->is_directory() && from.directory != to.directory)
        TRY(check_access(credentials, *source, k_may_write));
    TRY(check_not_mounted_on(ns, from));
    TRY(check_not_mounted_on(ns, to));
    InodeRef moved = current_inode(from);
    InodeRef replaced = current_inode(to);
    auto result = fs_of(from.directory).rename(from.directory, from.name, to.directory, to.name);
    name_changed(from.directory, from.name);
    name_changed(to.directory, to.name);
    // A directory replaced by the rename is removed (an empty one).
    if (!result.is_error() && replaced && replaced != moved)
        forget_removed_directory(replaced);
    // Two names of one inode: nothing happened (as Linux).
    if (!result.is_error() && moved && replaced != moved)
        notify::renamed(*from.directory, from.name, *to.directory, to.name, *moved, replaced.get());
    return result;
}

ErrorOr<size_t> read_link(const InodeRef& base, std::string_view path, std::span<char> buffer) {
    VfsLockGuard guard;
    auto inode = TRY(walk_path(name_space(), base, path, false));
    auto target = TRY(fs_of(inode).readlink(inode));
    size_t count = target.size() < buffer.size() ? target.size() : buffer.size();
    __builtin_memcpy(buffer.data(), target.data(), count);
    return count;
}

ErrorOr<size_t> directory_path(const InodeRef& directory, std::span<char> buffer) {
    VfsLockGuard guard;
    return fs::directory_path(name_space(), directory, buffer);
}

ErrorOr<void> mount(const InodeRef& base, std::string_view source, std::string_view target, std::string_view type,
                    uint32_t flags, std::string_view data) {
    // Make the instance first, outside the lock (a tmpfs, a procfs, a disk's
    // file system reading its disk).
    FileSystem* fs = nullptr;
    if (DiskFileSystemFactory make = disk_factory(type)) {
        drivers::BlockDevice* device;
        {
            VfsLockGuard guard;
            device = TRY(disk_for_mount(base, source));
            if (disk_in_use(device))
                return Error::Busy;
        }
        bool read_only = flags & k_mount_read_only;
        if (device->read_only() && !read_only)
            return Error::AccessDenied;  // as Linux: a read-only disk mounts only read-only
        fs = TRY(make(*device, read_only, data));
    } else {
        fs = TRY(make_file_system(type, data));
    }
    VfsLockGuard guard;
    auto covered = walk_path(name_space(), base, target, true);
    if (covered.is_error()) {
        delete fs;
        return covered.error();
    }
    // Two mounts of one disk racing: the second loses.
    if (fs->block_device() && disk_in_use(fs->block_device())) {
        delete fs;
        return Error::Busy;
    }
    uint32_t kept = flags & (k_mount_read_only | k_mount_no_suid | k_mount_no_dev | k_mount_no_exec);
    return g_mounts->mount(fs, covered.value(), source, kept);
}

ErrorOr<void> unmount(const InodeRef& base, std::string_view target, bool detach, bool follow) {
    VfsLockGuard guard;
    auto root = TRY(walk_path(name_space(), base, target, follow));
    TRY(g_mounts->unmount(std::move(root), detach));
    g_mounts->free_idle_detached();
    return {};
}

void drop_lookup_cache() {
    VfsLockGuard guard;
    if (g_lookups)
        g_lookups->clear();
}

size_t reclaim_page_cache() {
    VfsLockGuard guard;
    size_t freed = 0;
    g_mounts->for_each([&](const Mount& mount) { freed += mount.fs->reclaim_clean_pages(); });
    return freed;
}

FileSystem::CachePages page_cache_pages() {
    VfsLockGuard guard;
    FileSystem::CachePages total {};
    g_mounts->for_each([&](const Mount& mount) {
        auto pages = mount.fs->cache_pages();
        total.data += pages.data;
        total.clean += pages.clean;
        total.dirty += pages.dirty;
    });
    return total;
}

void free_idle_detached_file_systems() {
    VfsLockGuard guard;
    g_mounts->free_idle_detached();
}

namespace {

Mount* mount_rooted_at(const InodeRef& base, std::string_view target) {
    auto root = walk_path(name_space(), base, target, true);
    if (root.is_error())
        return nullptr;
    return g_mounts->mount_rooted_at(root.value());
}

}  // namespace

ErrorOr<void> remount(const InodeRef& base, std::string_view target, uint32_t flags) {
    VfsLockGuard guard;
    Mount* mount = mount_rooted_at(base, target);
    if (!mount)
        return Error::Invalid;
    mount->flags = flags;
    return {};
}

ErrorOr<void> check_mount_root(const InodeRef& base, std::string_view target) {
    VfsLockGuard guard;
    return mount_rooted_at(base, target) ? ErrorOr<void>() : ErrorOr<void>(Error::Invalid);
}

}  // namespace akuma::fs
