// read/write and friends, open/close, descriptors, directories, stat,
// paths, ioctl.
#include "kernel/drivers/console_tty.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/syscalls/file_helpers.h"
#include "kernel/syscalls/linux_abi.h"

namespace akuma::sys {

namespace abi = linux_abi;

namespace {

// Transfers go through a kernel bounce buffer of at most this many bytes
// per step.
constexpr size_t k_chunk = 16384;

// Linux caps a single transfer at 0x7ffff000 bytes.
constexpr size_t k_max_transfer = 0x7ffff000;

class Bounce {
public:
    explicit Bounce(size_t wanted) {
        m_size = wanted < k_chunk ? (wanted ? wanted : 1) : k_chunk;
        m_data = static_cast<uint8_t*>(mm::kmalloc(m_size));
    }
    ~Bounce() { mm::kfree(m_data); }
    uint8_t* data() const { return m_data; }
    size_t size() const { return m_size; }

private:
    uint8_t* m_data;
    size_t m_size;
};

// read(2) into user memory; `offset` set means pread.
// The accessible part of [address, address + count); 0 if none.
size_t clamp_to_accessible(uint64_t address, size_t count, bool write) {
    return static_cast<size_t>(current().space->accessible_prefix(address, count, write));
}

ErrorOr<size_t> read_to_user(fs::OpenFile& file, mm::UserPtr<void> buffer, size_t count,
                             std::optional<uint64_t> offset) {
    bool buffer_requested = count > 0;
    if (count > k_max_transfer)
        count = k_max_transfer;
    // Like Linux, a buffer that runs into an unmapped page gets what fits.
    count = clamp_to_accessible(buffer.address(), count, true);
    if (count == 0 && buffer_requested)
        return Error::Fault;
    Bounce bounce(count);
    if (!bounce.data())
        return Error::NoMemory;
    size_t done = 0;
    while (done < count) {
        size_t step = count - done < bounce.size() ? count - done : bounce.size();
        auto got = offset ? fs::pread(file, { bounce.data(), step }, *offset + done)
                          : fs::read(file, { bounce.data(), step });
        if (got.is_error())
            return done ? ErrorOr<size_t>(done) : got;
        if (got.value() == 0)
            break;
        if (auto copied = mm::copy_to_user(buffer.offset(done), bounce.data(), got.value()); copied.is_error())
            return done ? ErrorOr<size_t>(done) : Error::Fault;
        done += got.value();
        // Devices deliver what they have (a console line); only files loop.
        if (got.value() < step || file.kind != fs::FileKind::Inode)
            break;
    }
    return done;
}

ErrorOr<size_t> write_from_user(fs::OpenFile& file, mm::UserPtr<const void> buffer, size_t count,
                                std::optional<uint64_t> offset) {
    bool buffer_requested = count > 0;
    if (count > k_max_transfer)
        count = k_max_transfer;
    count = clamp_to_accessible(buffer.address(), count, false);
    if (count == 0 && buffer_requested)
        return Error::Fault;
    Bounce bounce(count);
    if (!bounce.data())
        return Error::NoMemory;
    size_t done = 0;
    while (done < count) {
        size_t step = count - done < bounce.size() ? count - done : bounce.size();
        if (auto copied = mm::copy_from_user(bounce.data(), buffer.offset(done), step); copied.is_error())
            return done ? ErrorOr<size_t>(done) : Error::Fault;
        auto put = offset ? fs::pwrite(file, { bounce.data(), step }, *offset + done)
                          : fs::write(file, { bounce.data(), step });
        if (put.is_error())
            return done ? ErrorOr<size_t>(done) : put;
        done += put.value();
        if (put.value() < step)
            break;
    }
    return done;
}

template <bool Write>
int64_t vectored(const SyscallArgs& args) {
    auto file = FileRef::from_fd(args.fd(0));
    if (file.is_error())
        return error_result(file.error());
    uint64_t count = args.a[2];
    if (count > 1024)  // IOV_MAX
        return error_result(Error::Invalid);
    size_t total = 0;
    for (uint64_t i = 0; i < count; ++i) {
        auto vector = mm::read_user(args.ptr<const abi::Iovec>(1).offset(i));
        if (vector.is_error())
            return total ? static_cast<int64_t>(total) : error_result(Error::Fault);
        if (vector.value().len == 0)
            continue;
        auto done = Write ? write_from_user(*file.value(), mm::UserPtr<const void>(vector.value().base),
                                            vector.value().len, std::nullopt)
                          : read_to_user(*file.value(), mm::UserPtr<void>(vector.value().base), vector.value().len,
                                         std::nullopt);
        if (done.is_error())
            return total ? static_cast<int64_t>(total) : error_result(done.error());
        total += done.value();
        if (done.value() < vector.value().len)
            break;
    }
    return static_cast<int64_t>(total);
}

int64_t stat_to_user(const fs::InodeStat& stat, mm::UserPtr<abi::Stat> out) {
    return to_result(mm::write_user(out, to_linux_stat(stat)));
}

}  // namespace

ErrorOr<FileRef> FileRef::from_fd(int fd) { return FileRef(TRY(current().files->get(fd))); }

ErrorOr<UserPath> UserPath::copy(mm::UserPtr<const char> user) {
    auto* buffer = static_cast<char*>(mm::kmalloc(k_max));
    if (!buffer)
        return Error::NoMemory;
    auto length = mm::copy_string_from_user(buffer, k_max, user);
    if (length.is_error()) {
        mm::kfree(buffer);
        return length.error();
    }
    return UserPath(buffer, length.value());
}

UserPath::~UserPath() { mm::kfree(m_buffer); }

ErrorOr<fs::InodeRef> directory_for(int dirfd, std::string_view path) {
    if (!path.empty() && path[0] == '/')
        return fs::root_directory();
    if (dirfd == abi::k_at_fdcwd)
        return current().cwd;
    auto file = TRY(FileRef::from_fd(dirfd));
    if (!file->inode)
        return Error::NotADirectory;
    if (!file->inode->is_directory())
        return Error::NotADirectory;
    return file->inode;
}

abi::Stat to_linux_stat(const fs::InodeStat& stat) {
    abi::Stat result {};
    result.dev = 1;
    result.ino = stat.ino;
    result.mode = stat.mode;
    result.nlink = stat.nlink;
    result.uid = stat.uid;
    result.gid = stat.gid;
    result.rdev = stat.rdev;
    result.size = static_cast<int64_t>(stat.size);
    result.blksize = static_cast<int32_t>(stat.blksize);
    result.blocks = static_cast<int64_t>(stat.blocks);
    result.atime_sec = stat.atime.seconds;
    result.atime_nsec = stat.atime.nanoseconds;
    result.mtime_sec = stat.mtime.seconds;
    result.mtime_nsec = stat.mtime.nanoseconds;
    result.ctime_sec = stat.ctime.seconds;
    result.ctime_nsec = stat.ctime.nanoseconds;
    return result;
}

int64_t sys_read(const SyscallArgs& args) {
    auto file = FileRef::from_fd(args.fd(0));
    if (file.is_error())
        return error_result(file.error());
    return to_result(read_to_user(*file.value(), args.ptr<void>(1), args.a[2], std::nullopt));
}

int64_t sys_write(const SyscallArgs& args) {
    auto file = FileRef::from_fd(args.fd(0));
    if (file.is_error())
        return error_result(file.error());
    return to_result(write_from_user(*file.value(), args.ptr<const void>(1), args.a[2], std::nullopt));
}

int64_t sys_pread64(const SyscallArgs& args) {
    auto file = FileRef::from_fd(args.fd(0));
    if (file.is_error())
        return error_result(file.error());
    if (file.value()->kind == fs::FileKind::Console)
        return error_result(Error::IllegalSeek);
    if (static_cast<int64_t>(args.a[3]) < 0)
        return error_result(Error::Invalid);
    return to_result(read_to_user(*file.value(), args.ptr<void>(1), args.a[2], args.a[3]));
}

int64_t sys_pwrite64(const SyscallArgs& args) {
    auto file = FileRef::from_fd(args.fd(0));
    if (file.is_error())
        return error_result(file.error());
    if (file.value()->kind == fs::FileKind::Console)
        return error_result(Error::IllegalSeek);
    if (static_cast<int64_t>(args.a[3]) < 0)
        return error_result(Error::Invalid);
    return to_result(write_from_user(*file.value(), args.ptr<const void>(1), args.a[2], args.a[3]));
}

int64_t sys_readv(const SyscallArgs& args) { return vectored<false>(args); }
int64_t sys_writev(const SyscallArgs& args) { return vectored<true>(args); }

int64_t sys_openat(const SyscallArgs& args) {
    auto path = UserPath::copy(args.ptr<const char>(1));
    if (path.is_error())
        return error_result(path.error());
    auto base = directory_for(args.fd(0), path.value().view());
    if (base.is_error())
        return error_result(base.error());
    uint32_t flags = static_cast<uint32_t>(args.a[2]);
    auto file = fs::open_path(base.value(), path.value().view(), flags, static_cast<uint32_t>(args.a[3]),
                              current().umask);
    if (file.is_error())
        return error_result(file.error());
    auto fd = current().files->install(file.value(), flags & abi::k_o_cloexec);
    if (fd.is_error())
        fs::release(file.value());
    return to_result(std::move(fd));
}

int64_t sys_close(const SyscallArgs& args) { return to_result(current().files->close(args.fd(0))); }

int64_t sys_lseek(const SyscallArgs& args) {
    auto file = FileRef::from_fd(args.fd(0));
    if (file.is_error())
        return error_result(file.error());
    return to_result(fs::seek(*file.value(), static_cast<int64_t>(args.a[1]), static_cast<int>(args.a[2])));
}

int64_t sys_fstat(const SyscallArgs& args) {
    auto file = FileRef::from_fd(args.fd(0));
    if (file.is_error())
        return error_result(file.error());
    auto stat = fs::stat(*file.value());
    if (stat.is_error())
        return error_result(stat.error());
    return stat_to_user(stat.value(), args.ptr<abi::Stat>(1));
}

int64_t sys_newfstatat(const SyscallArgs& args) {
    auto path = UserPath::copy(args.ptr<const char>(1));
    if (path.is_error())
        return error_result(path.error());
    uint32_t flags = static_cast<uint32_t>(args.a[3]);
    if (flags & ~(abi::k_at_symlink_nofollow | abi::k_at_empty_path | abi::k_at_no_automount))
        return error_result(Error::Invalid);
    if (path.value().view().empty()) {
        if (!(flags & abi::k_at_empty_path))
            return error_result(Error::NotFound);
        SyscallArgs fstat_args { { args.a[0], args.a[2], 0, 0, 0, 0 } };
        if (args.fd(0) == abi::k_at_fdcwd)
            return stat_to_user(fs::stat(current().cwd), args.ptr<abi::Stat>(2));
        return sys_fstat(fstat_args);
    }
    auto base = directory_for(args.fd(0), path.value().view());
    if (base.is_error())
        return error_result(base.error());
    auto inode = fs::resolve_path(base.value(), path.value().view(), !(flags & abi::k_at_symlink_nofollow));
    if (inode.is_error())
        return error_result(inode.error());
    return stat_to_user(fs::stat(inode.value()), args.ptr<abi::Stat>(2));
}

int64_t sys_getdents64(const SyscallArgs& args) {
    auto file = FileRef::from_fd(args.fd(0));
    if (file.is_error())
        return error_result(file.error());
    size_t count = args.a[2] < k_chunk ? args.a[2] : k_chunk;
    if (!mm::is_user_range(args.a[1], count) || !current().space->allows(args.a[1], count, true))
        return error_result(Error::Fault);
    Bounce bounce(count);
    if (!bounce.data())
        return error_result(Error::NoMemory);
    uint64_t saved_offset = file.value()->offset;
    auto used = fs::read_directory(*file.value(), { bounce.data(), count });
    if (used.is_error())
        return error_result(used.error());
    if (mm::copy_to_user(args.ptr<void>(1), bounce.data(), used.value()).is_error()) {
        file.value()->offset = saved_offset;
        return error_result(Error::Fault);
    }
    return static_cast<int64_t>(used.value());
}

int64_t sys_readlinkat(const SyscallArgs& args) {
    auto path = UserPath::copy(args.ptr<const char>(1));
    if (path.is_error())
        return error_result(path.error());
    if (static_cast<int64_t>(args.a[3]) <= 0)
        return error_result(Error::Invalid);
    auto base = directory_for(args.fd(0), path.value().view());
    if (base.is_error())
        return error_result(base.error());
    char target[UserPath::k_max];
    size_t capacity = args.a[3] < sizeof(target) ? args.a[3] : sizeof(target);
    auto length = fs::read_link(base.value(), path.value().view(), { target, capacity });
    if (length.is_error())
        return error_result(length.error());
    return to_result(mm::copy_to_user(args.ptr<void>(2), target, length.value()).is_error()
                         ? ErrorOr<size_t>(Error::Fault)
                         : ErrorOr<size_t>(length.value()));
}

int64_t sys_faccessat2(const SyscallArgs& args) {
    auto path = UserPath::copy(args.ptr<const char>(1));
    if (path.is_error())
        return error_result(path.error());
    uint32_t mode = static_cast<uint32_t>(args.a[2]);
    uint32_t flags = static_cast<uint32_t>(args.a[3]);
    if (mode & ~7u)
        return error_result(Error::Invalid);
    if (flags & ~(abi::k_at_eaccess | abi::k_at_symlink_nofollow | abi::k_at_empty_path))
        return error_result(Error::Invalid);
    auto base = directory_for(args.fd(0), path.value().view());
    if (base.is_error())
        return error_result(base.error());
    auto inode = fs::resolve_path(base.value(), path.value().view(), !(flags & abi::k_at_symlink_nofollow));
    if (inode.is_error())
        return error_result(inode.error());
    // Everything runs as root: read and write are always allowed, execute
    // needs some x bit (or a directory), as for root on Linux.
    if ((mode & 1) && !inode.value()->is_directory() && !(inode.value()->mode() & 0111))
        return error_result(Error::AccessDenied);
    return 0;
}

int64_t sys_faccessat(const SyscallArgs& args) {
    SyscallArgs forwarded = args;
    forwarded.a[3] = 0;
    return sys_faccessat2(forwarded);
}

int64_t sys_getcwd(const SyscallArgs& args) {
    char path[UserPath::k_max];
    size_t capacity = args.a[1] < sizeof(path) ? args.a[1] : sizeof(path);
    if (capacity == 0)
        return error_result(args.a[1] == 0 ? Error::Invalid : Error::OutOfRange);
    auto length = fs::directory_path(current().cwd, { path, capacity });
    if (length.is_error())
        return error_result(length.error());
    if (mm::copy_to_user(args.ptr<void>(0), path, length.value()).is_error())
        return error_result(Error::Fault);
    return static_cast<int64_t>(length.value());
}

int64_t sys_chdir(const SyscallArgs& args) {
    auto path = UserPath::copy(args.ptr<const char>(0));
    if (path.is_error())
        return error_result(path.error());
    auto base = directory_for(abi::k_at_fdcwd, path.value().view());
    if (base.is_error())
        return error_result(base.error());
    auto inode = fs::resolve_path(base.value(), path.value().view(), true);
    if (inode.is_error())
        return error_result(inode.error());
    if (!inode.value()->is_directory())
        return error_result(Error::NotADirectory);
    current().cwd = inode.value();
    return 0;
}

int64_t sys_fchdir(const SyscallArgs& args) {
    auto file = FileRef::from_fd(args.fd(0));
    if (file.is_error())
        return error_result(file.error());
    if (!file.value()->inode || !file.value()->inode->is_directory())
        return error_result(Error::NotADirectory);
    current().cwd = file.value()->inode;
    return 0;
}

int64_t sys_dup(const SyscallArgs& args) {
    auto file = current().files->get(args.fd(0));
    if (file.is_error())
        return error_result(file.error());
    auto fd = current().files->install(file.value(), false);
    if (fd.is_error())
        fs::release(file.value());
    return to_result(std::move(fd));
}

int64_t sys_dup3(const SyscallArgs& args) {
    uint32_t flags = static_cast<uint32_t>(args.a[2]);
    if ((flags & ~abi::k_o_cloexec) || args.a[0] == args.a[1])
        return error_result(Error::Invalid);
    return to_result(current().files->duplicate_to(args.fd(0), args.fd(1), flags & abi::k_o_cloexec));
}

int64_t sys_fcntl(const SyscallArgs& args) {
    auto& files = *current().files;
    int fd = args.fd(0);
    switch (static_cast<int>(args.a[1])) {
    case abi::k_f_dupfd:
    case abi::k_f_dupfd_cloexec: {
        if (args.a[2] >= static_cast<uint64_t>(fs::FdTable::k_max_fds))
            return error_result(Error::Invalid);
        auto file = files.get(fd);
        if (file.is_error())
            return error_result(file.error());
        auto new_fd = files.install(file.value(), static_cast<int>(args.a[1]) == abi::k_f_dupfd_cloexec,
                                    static_cast<int>(args.a[2]));
        if (new_fd.is_error())
            fs::release(file.value());
        return to_result(std::move(new_fd));
    }
    case abi::k_f_getfd: {
        auto cloexec = files.close_on_exec(fd);
        if (cloexec.is_error())
            return error_result(cloexec.error());
        return cloexec.value() ? abi::k_fd_cloexec : 0;
    }
    case abi::k_f_setfd: return to_result(files.set_close_on_exec(fd, args.a[2] & abi::k_fd_cloexec));
    case abi::k_f_getfl: {
        auto file = FileRef::from_fd(fd);
        if (file.is_error())
            return error_result(file.error());
        return file.value()->flags;
    }
    case abi::k_f_setfl: {
        auto file = FileRef::from_fd(fd);
        if (file.is_error())
            return error_result(file.error());
        // Only O_APPEND and O_NONBLOCK can change (O_ASYNC/O_DIRECT/O_NOATIME are not supported).
        constexpr uint32_t changeable = abi::k_o_append | abi::k_o_nonblock;
        file.value()->flags = (file.value()->flags & ~changeable) | (static_cast<uint32_t>(args.a[2]) & changeable);
        return 0;
    }
    default: return error_result(Error::Invalid);
    }
}

int64_t sys_ioctl(const SyscallArgs& args) {
    auto file = FileRef::from_fd(args.fd(0));
    if (file.is_error())
        return error_result(file.error());
    if (file.value()->kind != fs::FileKind::Console)
        return error_result(Error::NotATty);
    uint32_t request = static_cast<uint32_t>(args.a[1]);
    switch (request) {
    case abi::k_tcgets: return to_result(mm::write_user(args.ptr<tty::Termios>(2), console::tty_termios()));
    case abi::k_tcsets:
    case abi::k_tcsetsw:
    case abi::k_tcsetsf: {
        auto termios = mm::read_user(args.ptr<const tty::Termios>(2));
        if (termios.is_error())
            return error_result(termios.error());
        console::tty_set_termios(termios.value());
        return 0;
    }
    case abi::k_tiocgwinsz: return to_result(mm::write_user(args.ptr<tty::Winsize>(2), console::tty_winsize()));
    case abi::k_tiocswinsz: {
        auto size = mm::read_user(args.ptr<const tty::Winsize>(2));
        if (size.is_error())
            return error_result(size.error());
        console::tty_set_winsize(size.value());
        return 0;
    }
    case abi::k_fionread:
        return to_result(mm::write_user(args.ptr<int32_t>(2), static_cast<int32_t>(console::tty_bytes_available())));
    default: return error_result(Error::NotATty);
    }
}

int64_t sys_mkdirat(const SyscallArgs& args) {
    auto path = UserPath::copy(args.ptr<const char>(1));
    if (path.is_error())
        return error_result(path.error());
    auto base = directory_for(args.fd(0), path.value().view());
    if (base.is_error())
        return error_result(base.error());
    return to_result(fs::make_directory(base.value(), path.value().view(),
                                        static_cast<uint32_t>(args.a[2]) & ~current().umask));
}

int64_t sys_unlinkat(const SyscallArgs& args) {
    auto path = UserPath::copy(args.ptr<const char>(1));
    if (path.is_error())
        return error_result(path.error());
    uint32_t flags = static_cast<uint32_t>(args.a[2]);
    if (flags & ~abi::k_at_removedir)
        return error_result(Error::Invalid);
    auto base = directory_for(args.fd(0), path.value().view());
    if (base.is_error())
        return error_result(base.error());
    return to_result(fs::remove(base.value(), path.value().view(), flags & abi::k_at_removedir));
}

int64_t sys_symlinkat(const SyscallArgs& args) {
    auto target = UserPath::copy(args.ptr<const char>(0));
    if (target.is_error())
        return error_result(target.error());
    auto path = UserPath::copy(args.ptr<const char>(2));
    if (path.is_error())
        return error_result(path.error());
    auto base = directory_for(args.fd(1), path.value().view());
    if (base.is_error())
        return error_result(base.error());
    return to_result(fs::make_symlink(base.value(), path.value().view(), target.value().view()));
}

int64_t sys_linkat(const SyscallArgs& args) {
    auto old_path = UserPath::copy(args.ptr<const char>(1));
    if (old_path.is_error())
        return error_result(old_path.error());
    auto new_path = UserPath::copy(args.ptr<const char>(3));
    if (new_path.is_error())
        return error_result(new_path.error());
    uint32_t flags = static_cast<uint32_t>(args.a[4]);
    if (flags & ~abi::k_at_symlink_follow)
        return error_result(Error::Invalid);
    auto old_base = directory_for(args.fd(0), old_path.value().view());
    if (old_base.is_error())
        return error_result(old_base.error());
    auto new_base = directory_for(args.fd(2), new_path.value().view());
    if (new_base.is_error())
        return error_result(new_base.error());
    return to_result(fs::make_link(old_base.value(), old_path.value().view(), new_base.value(),
                                   new_path.value().view(), flags & abi::k_at_symlink_follow));
}

int64_t sys_renameat2(const SyscallArgs& args) {
    if (args.a[4] != 0)
        return error_result(Error::Invalid);  // RENAME_NOREPLACE/EXCHANGE/WHITEOUT not supported
    auto old_path = UserPath::copy(args.ptr<const char>(1));
    if (old_path.is_error())
        return error_result(old_path.error());
    auto new_path = UserPath::copy(args.ptr<const char>(3));
    if (new_path.is_error())
        return error_result(new_path.error());
    auto old_base = directory_for(args.fd(0), old_path.value().view());
    if (old_base.is_error())
        return error_result(old_base.error());
    auto new_base = directory_for(args.fd(2), new_path.value().view());
    if (new_base.is_error())
        return error_result(new_base.error());
    return to_result(fs::rename(old_base.value(), old_path.value().view(), new_base.value(), new_path.value().view()));
}

int64_t sys_renameat(const SyscallArgs& args) {
    SyscallArgs forwarded = args;
    forwarded.a[4] = 0;
    return sys_renameat2(forwarded);
}

int64_t sys_ftruncate(const SyscallArgs& args) {
    if (static_cast<int64_t>(args.a[1]) < 0)
        return error_result(Error::Invalid);
    auto file = FileRef::from_fd(args.fd(0));
    if (file.is_error())
        return error_result(file.error());
    return to_result(fs::truncate(*file.value(), args.a[1]));
}

int64_t sys_umask(const SyscallArgs& args) {
    uint32_t previous = current().umask;
    current().umask = static_cast<uint32_t>(args.a[0]) & 0777;
    return previous;
}

}  // namespace akuma::sys
