#include "kernel/fs/vfs.h"

#include <new>

#include "kernel/arch/aarch64/timer.h"
#include "kernel/drivers/console_tty.h"
#include "kernel/drivers/pl031.h"
#include "kernel/fs/initrd_loader.h"
#include "kernel/fs/pipe.h"
#include "kernel/fs/tmpfs_options.h"
#include "kernel/lib/kprint.h"
#include "kernel/lib/random.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/pmm.h"
#include "kernel/proc/address_space.h"
#include "kernel/sched/mutex.h"
#include "kernel/sched/scheduler.h"
#include "kernel/syscalls/linux_abi.h"

namespace akuma::fs {

namespace abi = linux_abi;

namespace {

constinit Ramfs* g_fs = nullptr;
constinit OwnPtr<Ramfs, mm::HeapAllocator>* g_fs_owner = nullptr;
// One lock for the whole tree: every ramfs call and inode reference-count
// change happens under it (threads are preemptible).
constinit sched::Mutex g_lock {};

// Pollers (scheduler lock).
constinit sched::WaitQueue g_pollers {};
constinit uint64_t g_poll_generation = 0;

struct DeviceNode {
    const char* name;
    DeviceNumber number;
    FileKind kind;
};
constexpr DeviceNode k_devices[] = {
    { "console", { 5, 1 }, FileKind::Console }, { "tty", { 5, 0 }, FileKind::Console },
    { "null", { 1, 3 }, FileKind::Null },       { "zero", { 1, 5 }, FileKind::Zero },
    { "random", { 1, 8 }, FileKind::Random },   { "urandom", { 1, 9 }, FileKind::Random },
};

std::optional<FileKind> device_kind(DeviceNumber number) {
    for (const auto& device : k_devices) {
        if (device.number == number)
            return device.kind;
    }
    return std::nullopt;
}

// Wall-clock time: the RTC's reading at boot plus the monotonic clock.
Timestamp now() {
    uint64_t since_boot = arch::monotonic_ns();
    return { static_cast<int64_t>(drivers::wall_clock_seconds_at_boot() + since_boot / 1'000'000'000),
             static_cast<uint32_t>(since_boot % 1'000'000'000) };
}

ErrorOr<void> create_base_tree(Ramfs& fs) {
    auto root = fs.root();
    auto dev = TRY(fs.mkdir(root, "dev", 0755));
    for (const auto& device : k_devices)
        TRY(fs.mknod(dev, device.name, abi::k_s_ifchr | 0666, device.number));
    auto tmp = TRY(fs.mkdir(root, "tmp", 01777));
    (void)tmp;
    return {};
}

ErrorOr<size_t> read_mapped_file(const void* file, uint64_t offset, std::span<uint8_t> out) {
    sched::MutexGuard guard(g_lock);
    InodeRef inode(const_cast<Inode*>(static_cast<const Inode*>(file)));
    return g_fs->read(inode, offset, out);
}

void* pin_mapped_file(const void* file) {
    sched::MutexGuard guard(g_lock);
    return new (std::nothrow) InodeRef(const_cast<Inode*>(static_cast<const Inode*>(file)));
}

void unpin_mapped_file(void* pin) {
    sched::MutexGuard guard(g_lock);
    delete static_cast<InodeRef*>(pin);
}

bool deny_write_to_mapped_file(const void* file) {
    sched::MutexGuard guard(g_lock);
    return !g_fs->deny_write_access(InodeRef(const_cast<Inode*>(static_cast<const Inode*>(file)))).is_error();
}

void allow_write_to_mapped_file(const void* file) {
    sched::MutexGuard guard(g_lock);
    g_fs->allow_write_access(InodeRef(const_cast<Inode*>(static_cast<const Inode*>(file))));
}

uint8_t dirent_type(InodeType type) {
    switch (type) {
    case InodeType::Regular: return abi::k_dt_reg;
    case InodeType::Directory: return abi::k_dt_dir;
    case InodeType::Symlink: return abi::k_dt_lnk;
    case InodeType::CharDevice: return abi::k_dt_chr;
    }
    return abi::k_dt_unknown;
}

}  // namespace

namespace {

uint64_t root_size_limit(std::string_view options) {
    uint64_t ram = mm::pmm_stats().total_pages * mm::k_page_size;
    uint64_t limit = ram / 2;  // tmpfs's default size=
    const char* reason = nullptr;
    auto parsed = parse_tmpfs_options(options, ram, &reason);
    if (parsed.is_error()) {
        kprintln("[VFS] initramfs_options=\"{}\" ignored: {}", options, reason);
        return limit;
    }
    if (!parsed.value().unsupported.empty())
        kprintln("[VFS] initramfs_options: \"{}\" not supported (only size=), ignored", parsed.value().unsupported);
    if (parsed.value().size)
        limit = *parsed.value().size;
    return limit;
}

}  // namespace

ErrorOr<void> vfs_init(std::span<const uint8_t> initrd, std::string_view initramfs_options) {
    auto fs = TRY(Ramfs::create(root_size_limit(initramfs_options)));
    g_fs_owner = new (std::nothrow) OwnPtr<Ramfs, mm::HeapAllocator>(std::move(fs));
    if (!g_fs_owner)
        return Error::NoMemory;
    g_fs = g_fs_owner->get();
    g_fs->set_clock(now);
    if (uint64_t limit = g_fs->size_limit())
        kprintln("[VFS] root file system: file data limited to {} KiB (tmpfs size=)", limit >> 10);
    else
        kprintln("[VFS] root file system: file data unlimited (tmpfs size=0)");
    TRY(create_base_tree(*g_fs));
    // Mapped files (AddressSpace): read a page's worth, pin and unpin, and
    // keep a running program's file from being written.
    proc::set_mapped_file_ops({ read_mapped_file, pin_mapped_file, unpin_mapped_file, deny_write_to_mapped_file,
                                allow_write_to_mapped_file });
    if (initrd.empty()) {
        kprintln("[VFS] no initrd: the root file system holds only /dev and /tmp");
        return {};
    }
    const char* reason = nullptr;
    auto loaded = load_initrd(*g_fs, initrd, &reason);
    if (loaded.is_error()) {
        kprintln("[VFS] initrd is malformed ({}): {}; keeping what was unpacked", error_name(loaded.error()),
                 reason ? reason : "?");
        return loaded.error();
    }
    auto& counts = loaded.value();
    kprintln("[VFS] initrd unpacked: {} files, {} directories, {} symlinks, {} devices ({} skipped), {} KiB",
             counts.files + counts.hard_links, counts.directories, counts.symlinks, counts.devices, counts.skipped,
             initrd.size() >> 10);
    return {};
}

Ramfs& root_fs() { return *g_fs; }

InodeRef root_directory() {
    sched::MutexGuard guard(g_lock);
    return g_fs->root();
}

ErrorOr<InodeRef> resolve_path(const InodeRef& base, std::string_view path, bool follow_final_symlink) {
    sched::MutexGuard guard(g_lock);
    return g_fs->resolve(base, path, follow_final_symlink);
}

ErrorOr<size_t> read_file(const InodeRef& file, uint64_t offset, std::span<uint8_t> buffer) {
    sched::MutexGuard guard(g_lock);
    return g_fs->read(file, offset, buffer);
}

ErrorOr<size_t> read_for_exec(const InodeRef& file, std::span<uint8_t> buffer) {
    sched::MutexGuard guard(g_lock);
    TRY(g_fs->deny_write_access(file));
    auto read = g_fs->read(file, 0, buffer);
    g_fs->allow_write_access(file);
    return read;
}

ErrorOr<OpenFile*> open_file_object(FileKind kind, uint32_t flags, InodeRef inode) {
    auto* file = new (std::nothrow) OpenFile { 1, kind, flags, 0, std::move(inode) };
    if (!file)
        return Error::NoMemory;
    return file;
}

void retain(OpenFile* file) {
    sched::MutexGuard guard(g_lock);
    ++file->ref_count;
}

void release(OpenFile* file) {
    Pipe* pipe = nullptr;
    bool write_end = false;
    {
        sched::MutexGuard guard(g_lock);
        if (--file->ref_count != 0)
            return;
        pipe = file->pipe;
        write_end = is_writable(*file);
        if (file->holds_write_access)
            g_fs->put_write_access(file->inode);
        delete file;  // drops the inode reference: under the lock
    }
    if (pipe)
        pipe->close_end(write_end);
}

ErrorOr<PipeEnds> open_pipe(uint32_t flags) {
    Pipe* pipe = TRY(Pipe::create());
    uint32_t nonblock = flags & abi::k_o_nonblock;
    auto* read_end = new (std::nothrow) OpenFile { 1, FileKind::Pipe, abi::k_o_rdonly | nonblock, 0, {}, pipe };
    auto* write_end = new (std::nothrow) OpenFile { 1, FileKind::Pipe, abi::k_o_wronly | nonblock, 0, {}, pipe };
    if (!read_end || !write_end) {
        delete read_end;
        delete write_end;
        pipe->close_end(false);
        pipe->close_end(true);
        return Error::NoMemory;
    }
    return PipeEnds { read_end, write_end };
}

bool is_stream(const OpenFile& file) { return file.kind == FileKind::Console || file.kind == FileKind::Pipe; }

ErrorOr<OpenFile*> open_path(const InodeRef& base, std::string_view path, uint32_t flags, uint32_t mode,
                             uint32_t umask) {
    sched::MutexGuard guard(g_lock);
    bool follow = !(flags & abi::k_o_nofollow);
    InodeRef inode;
    if (flags & abi::k_o_creat) {
        if (flags & abi::k_o_directory)
            return Error::Invalid;
        auto parent = TRY(g_fs->resolve_parent(base, path));
        if (parent.trailing_slash)
            return Error::IsADirectory;
        auto existing = g_fs->lookup(parent.directory, parent.name);
        if (!existing.is_error()) {
            if (flags & abi::k_o_excl)
                return Error::Exists;
            // An existing name is opened like without O_CREAT (symlinks followed).
            inode = TRY(g_fs->resolve(base, path, follow));
        } else if (existing.error() == Error::NotFound) {
            inode = TRY(g_fs->create_file(parent.directory, parent.name, mode & ~umask & 07777));
        } else {
            return existing.error();
        }
    } else {
        inode = TRY(g_fs->resolve(base, path, follow));
    }
    if (flags & abi::k_o_path)
        return open_file_object(FileKind::Inode, flags & (abi::k_o_path | abi::k_o_cloexec), std::move(inode));
    if (inode->type() == InodeType::Symlink)
        return Error::SymlinkLoop;  // O_NOFOLLOW on a symlink
    uint32_t access = flags & abi::k_o_accmode;
    if (access == 3)
        return Error::Invalid;
    bool writes = access != abi::k_o_rdonly;
    if ((flags & abi::k_o_directory) && !inode->is_directory())
        return Error::NotADirectory;
    if (inode->is_directory() && (writes || (flags & abi::k_o_creat)))
        return Error::IsADirectory;
    FileKind kind = FileKind::Inode;
    if (inode->type() == InodeType::CharDevice) {
        auto device = device_kind(inode->rdev());
        if (!device)
            return Error::NoDeviceOrAddress;  // a node with no driver, as Linux's chrdev_open
        kind = *device;
    }
    // A running program's file cannot be written (ETXTBSY), truncated
    // included: take write access first.
    bool write_access = writes && inode->type() == InodeType::Regular;
    if (write_access)
        TRY(g_fs->get_write_access(inode));
    auto give_back = [&] {
        if (write_access)
            g_fs->put_write_access(inode);
    };
    if ((flags & abi::k_o_trunc) && write_access) {
        if (auto truncated = g_fs->truncate(inode, 0); truncated.is_error()) {
            give_back();
            return truncated.error();
        }
    }
    uint32_t kept = abi::k_o_accmode | abi::k_o_append | abi::k_o_nonblock | abi::k_o_directory | abi::k_o_largefile;
    auto file = open_file_object(kind, flags & kept, inode);
    if (file.is_error()) {
        give_back();
        return file.error();
    }
    file.value()->holds_write_access = write_access;
    return file.value();
}

bool is_readable(const OpenFile& file) {
    uint32_t access = file.flags & abi::k_o_accmode;
    return !(file.flags & abi::k_o_path) && (access == abi::k_o_rdonly || access == abi::k_o_rdwr);
}

bool is_writable(const OpenFile& file) {
    uint32_t access = file.flags & abi::k_o_accmode;
    return !(file.flags & abi::k_o_path) && (access == abi::k_o_wronly || access == abi::k_o_rdwr);
}

namespace {

ErrorOr<size_t> read_at(OpenFile& file, std::span<uint8_t> buffer, uint64_t offset, bool nonblocking) {
    if (!is_readable(file))
        return Error::BadFd;
    switch (file.kind) {
    case FileKind::Console:
        return console::tty_read({ reinterpret_cast<char*>(buffer.data()), buffer.size() }, nonblocking);
    case FileKind::Pipe: return file.pipe->read(buffer, nonblocking);
    case FileKind::Null: return size_t { 0 };
    case FileKind::Zero:
        __builtin_memset(buffer.data(), 0, buffer.size());
        return buffer.size();
    case FileKind::Random:
        random_fill(buffer);
        return buffer.size();
    case FileKind::Inode: break;
    }
    sched::MutexGuard guard(g_lock);
    if (file.inode->is_directory())
        return Error::IsADirectory;
    return g_fs->read(file.inode, offset, buffer);
}

}  // namespace

ErrorOr<size_t> pread(OpenFile& file, std::span<uint8_t> buffer, uint64_t offset) {
    if (is_stream(file))
        return Error::IllegalSeek;
    return read_at(file, buffer, offset, false);
}

namespace {

ErrorOr<size_t> write_at(OpenFile& file, std::span<const uint8_t> data, uint64_t offset,
                         Pipe::WriteCursor* cursor = nullptr) {
    if (!is_writable(file))
        return Error::BadFd;
    switch (file.kind) {
    case FileKind::Console:
        return console::tty_write({ reinterpret_cast<const char*>(data.data()), data.size() });
    case FileKind::Pipe:
        return cursor ? file.pipe->write(data, file.flags & abi::k_o_nonblock, *cursor)
                      : file.pipe->write(data, file.flags & abi::k_o_nonblock);
    case FileKind::Null:
    case FileKind::Zero:
    case FileKind::Random: return data.size();
    case FileKind::Inode: break;
    }
    sched::MutexGuard guard(g_lock);
    if (file.flags & abi::k_o_append)
        offset = file.inode->size();
    return g_fs->write(file.inode, offset, data);
}

}  // namespace

ErrorOr<size_t> pwrite(OpenFile& file, std::span<const uint8_t> data, uint64_t offset) {
    if (is_stream(file))
        return Error::IllegalSeek;
    return write_at(file, data, offset);
}

ErrorOr<size_t> read(OpenFile& file, std::span<uint8_t> buffer) {
    size_t count = TRY(read_at(file, buffer, file.offset, file.flags & abi::k_o_nonblock));
    if (file.kind == FileKind::Inode)
        file.offset += count;
    return count;
}

ErrorOr<size_t> read_nonblocking(OpenFile& file, std::span<uint8_t> buffer) {
    size_t count = TRY(read_at(file, buffer, file.offset, true));
    if (file.kind == FileKind::Inode)
        file.offset += count;
    return count;
}

ErrorOr<size_t> write(OpenFile& file, std::span<const uint8_t> data, Pipe::WriteCursor* cursor) {
    if (file.kind == FileKind::Inode && (file.flags & abi::k_o_append)) {
        sched::MutexGuard guard(g_lock);
        file.offset = file.inode->size();
    }
    size_t count = TRY(write_at(file, data, file.offset, cursor));
    if (file.kind == FileKind::Inode)
        file.offset += count;
    return count;
}

ErrorOr<uint64_t> seek(OpenFile& file, int64_t offset, int whence) {
    if (is_stream(file))
        return Error::IllegalSeek;
    if (file.kind != FileKind::Inode) {
        file.offset = 0;  // Linux: seeking /dev/null and friends always gives 0
        return uint64_t { 0 };
    }
    sched::MutexGuard guard(g_lock);
    int64_t base;
    switch (whence) {
    case abi::k_seek_set: base = 0; break;
    case abi::k_seek_cur: base = static_cast<int64_t>(file.offset); break;
    case abi::k_seek_end: base = static_cast<int64_t>(file.inode->size()); break;
    default: return Error::Invalid;
    }
    if (file.inode->is_directory() && whence != abi::k_seek_set)
        return Error::Invalid;
    int64_t target;
    if (__builtin_add_overflow(base, offset, &target))
        return Error::Overflow;
    if (target < 0)
        return Error::Invalid;
    file.offset = static_cast<uint64_t>(target);
    return file.offset;
}

ErrorOr<size_t> read_directory(OpenFile& file, std::span<uint8_t> buffer) {
    if (file.flags & abi::k_o_path)
        return Error::BadFd;
    if (file.kind != FileKind::Inode)
        return Error::NotADirectory;
    sched::MutexGuard guard(g_lock);
    if (!file.inode->is_directory())
        return Error::NotADirectory;
    size_t used = 0;
    for (;;) {
        auto entry = TRY(g_fs->directory_entry(file.inode, file.offset));
        if (!entry)
            break;
        size_t written = abi::write_dirent64(buffer.subspan(used), entry->ino, static_cast<int64_t>(file.offset + 1),
                                             dirent_type(entry->type), entry->name);
        if (written == 0) {
            if (used == 0)
                return Error::Invalid;  // the buffer cannot hold even one record
            break;
        }
        used += written;
        ++file.offset;
    }
    return used;
}

InodeStat stat(const InodeRef& inode) {
    sched::MutexGuard guard(g_lock);
    return g_fs->stat(inode);
}

void set_mode(const InodeRef& inode, uint32_t mode) {
    sched::MutexGuard guard(g_lock);
    g_fs->set_mode(inode, mode);
}

void set_owner(const InodeRef& inode, uint32_t uid, uint32_t gid) {
    sched::MutexGuard guard(g_lock);
    g_fs->set_owner(inode, uid, gid);
}

void set_times(const InodeRef& inode, std::optional<Timestamp> atime, std::optional<Timestamp> mtime) {
    sched::MutexGuard guard(g_lock);
    g_fs->set_times(inode, atime, mtime);
}

Timestamp current_time() { return now(); }

ErrorOr<InodeStat> stat(const OpenFile& file) {
    if (file.kind == FileKind::Pipe)
        return file.pipe->stat();
    if (!file.inode) {
        // The console inherited at process start has no inode: describe it
        // as /dev/console does.
        InodeStat result {};
        result.mode = abi::k_s_ifchr | 0620;
        result.nlink = 1;
        result.rdev = encode_device({ 5, 1 });
        result.blksize = 1024;
        return result;
    }
    return stat(file.inode);
}

ErrorOr<void> truncate(OpenFile& file, uint64_t size) {
    if (file.kind != FileKind::Inode || !is_writable(file))
        return Error::Invalid;
    sched::MutexGuard guard(g_lock);
    if (file.inode->is_directory())
        return Error::IsADirectory;
    return g_fs->truncate(file.inode, size);
}

ErrorOr<void> truncate_path(const InodeRef& base, std::string_view path, uint64_t size) {
    sched::MutexGuard guard(g_lock);
    auto inode = TRY(g_fs->resolve(base, path, true));
    if (inode->is_directory())
        return Error::IsADirectory;
    if (inode->type() != InodeType::Regular)
        return Error::Invalid;
    TRY(g_fs->get_write_access(inode));
    auto truncated = g_fs->truncate(inode, size);
    g_fs->put_write_access(inode);
    return truncated;
}

uint16_t poll_events(OpenFile& file) {
    constexpr uint16_t k_always = abi::k_pollin | abi::k_pollrdnorm | abi::k_pollout | abi::k_pollwrnorm;
    switch (file.kind) {
    case FileKind::Pipe: return file.pipe->poll_events(is_readable(file), is_writable(file));
    case FileKind::Console:
        return static_cast<uint16_t>(abi::k_pollout | abi::k_pollwrnorm |
                                     (console::tty_poll_readable() ? abi::k_pollin | abi::k_pollrdnorm : 0));
    case FileKind::Inode:
    case FileKind::Null:
    case FileKind::Zero:
    case FileKind::Random: break;
    }
    return k_always;
}

ErrorOr<size_t> bytes_available(OpenFile& file) {
    if (file.kind == FileKind::Pipe)
        return file.pipe->bytes_available();
    if (file.kind == FileKind::Console)
        return console::tty_bytes_available();
    return Error::NotATty;
}

uint64_t poll_generation() {
    sched::SchedulerLockGuard guard;
    return g_poll_generation;
}

void wake_pollers(sched::SchedulerLockGuard& guard) {
    ++g_poll_generation;
    g_pollers.wake_all(guard);
}

sched::WaitResult wait_for_poll_change(uint64_t seen, uint64_t deadline_ns) {
    sched::SchedulerLockGuard guard;
    if (g_poll_generation != seen)
        return sched::WaitResult::Woken;
    return g_pollers.wait_interruptible(guard, deadline_ns);
}

ErrorOr<void> make_directory(const InodeRef& base, std::string_view path, uint32_t mode) {
    sched::MutexGuard guard(g_lock);
    auto parent = g_fs->resolve_parent(base, path);
    if (parent.is_error())
        return parent.error() == Error::Invalid ? Error::Exists : parent.error();
    TRY(g_fs->mkdir(parent.value().directory, parent.value().name, mode & 07777));
    return {};
}

ErrorOr<void> remove(const InodeRef& base, std::string_view path, bool directory) {
    sched::MutexGuard guard(g_lock);
    auto parent = g_fs->resolve_parent(base, path);
    if (parent.is_error())
        return parent.error() == Error::Invalid ? (directory ? Error::Invalid : Error::IsADirectory) : parent.error();
    if (directory)
        return g_fs->rmdir(parent.value().directory, parent.value().name);
    if (parent.value().trailing_slash) {
        auto target = TRY(g_fs->lookup(parent.value().directory, parent.value().name));
        return target->is_directory() ? Error::IsADirectory : Error::NotADirectory;
    }
    return g_fs->unlink(parent.value().directory, parent.value().name);
}

ErrorOr<void> make_symlink(const InodeRef& base, std::string_view path, std::string_view target) {
    sched::MutexGuard guard(g_lock);
    auto parent = g_fs->resolve_parent(base, path);
    if (parent.is_error())
        return parent.error() == Error::Invalid ? Error::Exists : parent.error();
    TRY(g_fs->symlink(parent.value().directory, parent.value().name, target));
    return {};
}

ErrorOr<void> make_link(const InodeRef& old_base, std::string_view old_path, const InodeRef& new_base,
                        std::string_view new_path, bool follow) {
    sched::MutexGuard guard(g_lock);
    auto inode = TRY(g_fs->resolve(old_base, old_path, follow));
    auto parent = g_fs->resolve_parent(new_base, new_path);
    if (parent.is_error())
        return parent.error() == Error::Invalid ? Error::Exists : parent.error();
    return g_fs->link(parent.value().directory, parent.value().name, inode);
}

ErrorOr<void> rename(const InodeRef& old_base, std::string_view old_path, const InodeRef& new_base,
                     std::string_view new_path) {
    sched::MutexGuard guard(g_lock);
    auto from = g_fs->resolve_parent(old_base, old_path);
    auto to = g_fs->resolve_parent(new_base, new_path);
    if (from.is_error())
        return from.error() == Error::Invalid ? Error::Busy : from.error();
    if (to.is_error())
        return to.error() == Error::Invalid ? Error::Busy : to.error();
    return g_fs->rename(from.value().directory, from.value().name, to.value().directory, to.value().name);
}

ErrorOr<size_t> read_link(const InodeRef& base, std::string_view path, std::span<char> buffer) {
    sched::MutexGuard guard(g_lock);
    auto inode = TRY(g_fs->resolve(base, path, false));
    auto target = TRY(g_fs->readlink(inode));
    size_t count = target.size() < buffer.size() ? target.size() : buffer.size();
    __builtin_memcpy(buffer.data(), target.data(), count);
    return count;
}

ErrorOr<size_t> directory_path(const InodeRef& directory, std::span<char> buffer) {
    sched::MutexGuard guard(g_lock);
    return g_fs->path_of(directory, buffer);
}


}  // namespace akuma::fs
