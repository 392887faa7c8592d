// The mount table and file system calls: mount, umount2, statfs, fstatfs,
// and fallocate.
#include "kernel/fs/bounce.h"
#include "kernel/fs/vfs.h"
#include "kernel/proc/process_credentials.h"
#include "kernel/fs/notify.h"
#include "kernel/syscalls/file_helpers.h"
#include "kernel/syscalls/linux_abi.h"

namespace akuma::sys {

namespace abi = linux_abi;

namespace {

abi::Statfs to_linux_statfs(const fs::FileSystemStats& stats, uint64_t device) {
    abi::Statfs result {};
    result.type = static_cast<int64_t>(stats.magic);
    result.bsize = static_cast<int64_t>(stats.block_size);
    result.blocks = stats.blocks;
    result.bfree = stats.blocks_free;
    result.bavail = stats.blocks_available;
    result.files = stats.files;
    result.ffree = stats.files_free;
    // Linux: the file system's device number, split in two words.
    result.fsid[0] = static_cast<int32_t>(device & 0xffffffff);
    result.fsid[1] = static_cast<int32_t>(device >> 32);
    result.namelen = static_cast<int64_t>(stats.name_max);
    result.frsize = static_cast<int64_t>(stats.block_size);
    result.flags = static_cast<int64_t>(stats.flags);
    return result;
}

ErrorOr<void> statfs(const SyscallArgs& args) {
    auto path = TRY(UserPath::copy(args.ptr<const char>(0)));
    auto base = TRY(directory_for(abi::k_at_fdcwd, path.view()));
    auto inode = TRY(fs::resolve_path(base, path.view(), true));
    auto stats = fs::statfs(inode);
    return mm::write_user(args.ptr<abi::Statfs>(1), to_linux_statfs(stats, fs::stat(inode).dev));
}

ErrorOr<void> fstatfs(const SyscallArgs& args) {
    auto file = TRY(FileRef::from_fd(args.fd(0)));
    auto stats = TRY(file->statfs());
    auto stat = TRY(file->stat());
    return mm::write_user(args.ptr<abi::Statfs>(1), to_linux_statfs(stats, stat.dev));
}

// A string argument of mount(2) (the type, or options), NUL-terminated
// within a page as Linux copies them; empty for NULL.
ErrorOr<void> copy_option(mm::UserPtr<const char> user, char* buffer, size_t capacity, std::string_view& out) {
    if (user.is_null()) {
        out = {};
        return {};
    }
    size_t length = TRY(mm::copy_string_from_user(buffer, capacity, user));
    out = { buffer, length };
    return {};
}

ErrorOr<void> mount(const SyscallArgs& args) {
    uint64_t flags = args.a[3];
    if ((flags & abi::k_ms_mgc_mask) == abi::k_ms_mgc_val)
        flags &= ~abi::k_ms_mgc_mask;  // the old magic number, ignored as Linux does
    auto target = TRY(UserPath::copy(args.ptr<const char>(1)));
    auto base = TRY(directory_for(abi::k_at_fdcwd, target.view()));
    // Linux: the target is looked up first, then CAP_SYS_ADMIN (may_mount).
    TRY(fs::resolve_path(base, target.view(), true));
    if (!proc::current_capable(proc::Capability::SysAdmin))
        return Error::NotPermitted;
    constexpr uint64_t k_propagation = abi::k_ms_shared | abi::k_ms_private | abi::k_ms_slave | abi::k_ms_unbindable;
    if (flags & k_propagation) {
        // Every Akuma mount is private: making one private, a slave of
        // nothing, or unbindable (there are no bind mounts) changes nothing
        // that can be observed; shared propagation is not supported.
        if (flags & abi::k_ms_shared)
            return Error::Invalid;
        return fs::check_mount_root(base, target.view());
    }
    if (flags & (abi::k_ms_bind | abi::k_ms_move))
        return Error::Invalid;  // bind and move mounts are not supported
    uint32_t kept = static_cast<uint32_t>(flags & (abi::k_ms_rdonly | abi::k_ms_nosuid | abi::k_ms_nodev |
                                                   abi::k_ms_noexec));
    if (flags & abi::k_ms_remount)
        return fs::remount(base, target.view(), kept);
    // Type and options: Linux copies at most a page of each.
    fs::Bounce strings(2 * UserPath::k_max);
    if (!strings.data())
        return Error::NoMemory;
    auto* type_buffer = reinterpret_cast<char*>(strings.data());
    auto* data_buffer = type_buffer + UserPath::k_max;
    std::string_view type;
    std::string_view data;
    TRY(copy_option(args.ptr<const char>(2), type_buffer, UserPath::k_max, type));
    TRY(copy_option(args.ptr<const char>(4), data_buffer, UserPath::k_max, data));
    if (type.empty())
        return Error::NoDevice;
    // The source names nothing for these file systems, but a bad pointer
    // is still EFAULT, as on Linux.
    std::string_view source;
    auto source_path = args.a[0] ? UserPath::copy(args.ptr<const char>(0)) : ErrorOr<UserPath>(Error::NotFound);
    if (source_path.is_error() && source_path.error() != Error::NotFound)
        return source_path.error();
    if (!source_path.is_error())
        source = source_path.value().view();
    return fs::mount(base, source.empty() ? type : source, target.view(), type, kept, data);
}

ErrorOr<void> umount2(const SyscallArgs& args) {
    uint32_t flags = static_cast<uint32_t>(args.a[1]);
    if (flags & ~(abi::k_mnt_force | abi::k_mnt_detach | abi::k_mnt_expire | abi::k_umount_nofollow))
        return Error::Invalid;
    if ((flags & abi::k_mnt_expire) && (flags & (abi::k_mnt_force | abi::k_mnt_detach)))
        return Error::Invalid;
    if (flags & abi::k_mnt_expire)
        return Error::TryAgain;  // Linux's answer until a mount has been unused for one expiry period
    auto target = TRY(UserPath::copy(args.ptr<const char>(0)));
    auto base = TRY(directory_for(abi::k_at_fdcwd, target.view()));
    TRY(fs::resolve_path(base, target.view(), !(flags & abi::k_umount_nofollow)));
    if (!proc::current_capable(proc::Capability::SysAdmin))
        return Error::NotPermitted;
    return fs::unmount(base, target.view(), flags & abi::k_mnt_detach, !(flags & abi::k_umount_nofollow));
}

constexpr int k_falloc_keep_size = 1;

ErrorOr<void> fallocate(const SyscallArgs& args) {
    int mode = static_cast<int>(args.a[1]);
    auto offset = static_cast<int64_t>(args.a[2]);
    auto length = static_cast<int64_t>(args.a[3]);
    if (offset < 0 || length <= 0)
        return Error::Invalid;
    auto file = TRY(FileRef::from_fd(args.fd(0)));
    if (file->is_path() || !file->is_writable())
        return Error::BadFd;
    if (mode & ~k_falloc_keep_size)
        return Error::NotSupported;  // punching holes, zeroing and collapsing ranges are not supported
    if (!file->is_seekable())
        return Error::IllegalSeek;
    auto inode = file->mappable_inode();  // regular files only, as Linux's vfs_fallocate
    if (inode.is_error())
        return file->inode() && file->inode()->is_directory() ? Error::IsADirectory : Error::NoDevice;
    TRY(fs::allocate(inode.value(), static_cast<uint64_t>(offset), static_cast<uint64_t>(length),
                     mode & k_falloc_keep_size));
    fs::notify::modified(*file);  // as Linux's vfs_fallocate
    return {};
}

}  // namespace

int64_t sys_statfs(const SyscallArgs& args) { return to_result(statfs(args)); }
int64_t sys_fstatfs(const SyscallArgs& args) { return to_result(fstatfs(args)); }
int64_t sys_mount(const SyscallArgs& args) { return to_result(mount(args)); }
int64_t sys_umount2(const SyscallArgs& args) { return to_result(umount2(args)); }
int64_t sys_fallocate(const SyscallArgs& args) { return to_result(fallocate(args)); }

}  // namespace akuma::sys
