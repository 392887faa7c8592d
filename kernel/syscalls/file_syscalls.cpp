// read/write and friends, open/close, descriptors, directories, stat,
// paths, ioctl.
#include "kernel/drivers/console_tty.h"
#include "kernel/events/dnotify.h"
#include "kernel/fs/file_locks.h"
#include "kernel/fs/permission.h"
#include "kernel/fs/memfd.h"
#include "kernel/fs/notify.h"
#include "kernel/fs/seals.h"
#include "kernel/fs/vfs_lock.h"
#include "kernel/fs/pipe.h"
#include "kernel/fs/pipe_file.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/net/unix_socket.h"
#include "kernel/proc/process_credentials.h"
#include "kernel/proc/process_inspection.h"
#include "kernel/syscalls/file_helpers.h"
#include "kernel/syscalls/linux_abi.h"
#include "kernel/syscalls/transfer.h"

namespace akuma::sys {

namespace abi = linux_abi;

ErrorOr<FileRef> FileRef::from_fd(int fd) { return FileRef(TRY(current().files->get(fd))); }

ErrorOr<UserPath> UserPath::copy(mm::UserPtr<const char> user) {
    UserPath path;
    size_t length = TRY(mm::user_string_size(user, k_max));
    if (length >= k_inline) {
        path.m_buffer = static_cast<char*>(mm::kmalloc(k_max));
        if (!path.m_buffer)
            return Error::NoMemory;
    }
    TRY(mm::copy_from_user(path.m_buffer, mm::UserPtr<const void>(user.address()), length));
    path.m_buffer[length] = '\0';
    path.m_length = length;
    return path;
}

UserPath::UserPath(UserPath&& other) : m_length(other.m_length) {
    if (other.m_buffer == other.m_inline) {
        __builtin_memcpy(m_inline, other.m_inline, m_length + 1);
    } else {
        m_buffer = other.m_buffer;
        other.m_buffer = other.m_inline;
    }
}

UserPath::~UserPath() {
    if (m_buffer != m_inline)
        mm::kfree(m_buffer);
}

ErrorOr<fs::InodeRef> directory_for(int dirfd, std::string_view path) {
    if (!path.empty() && path[0] == '/')
        return fs::root_directory();
    if (dirfd == abi::k_at_fdcwd)
        return current().cwd;
    auto file = TRY(FileRef::from_fd(dirfd));
    if (!file->inode() || !file->inode()->is_directory())
        return Error::NotADirectory;
    return file->inode();
}

abi::Stat to_linux_stat(const fs::InodeStat& stat) {
    abi::Stat result {};
    result.dev = stat.dev;
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

// Each handler is an ErrorOr function (TRY for every failure) wrapped by
// to_result(), which turns an error into -errno.

namespace {

// A transfer that moved bytes is an event for inotify (IN_ACCESS,
// IN_MODIFY), as Linux's vfs_read and vfs_write tell fsnotify.
ErrorOr<size_t> read_told(fs::File& file, ErrorOr<size_t> moved) {
    if (!moved.is_error() && moved.value() > 0)
        fs::notify::accessed(file);
    return moved;
}

ErrorOr<size_t> write_told(fs::File& file, ErrorOr<size_t> moved) {
    if (!moved.is_error() && moved.value() > 0)
        fs::notify::modified(file);
    return moved;
}

// sendfile and copy_file_range once bytes moved, as Linux 6.1: its
// splice machinery's write tells of the output (IN_MODIFY), then the call
// of the input (IN_ACCESS) and the output again. Pipes have no inode to
// tell of.
void tell_transferred(fs::File& in, fs::File& out, size_t moved) {
    if (moved == 0)
        return;
    fs::notify::modified(out);
    fs::notify::accessed(in);
    fs::notify::modified(out);
}

ErrorOr<size_t> read(const SyscallArgs& args) {
    auto file = TRY(FileRef::from_fd(args.fd(0)));
    return read_told(*file, read_to_user(*file, args.a[1], args.a[2], std::nullopt));
}

ErrorOr<size_t> write(const SyscallArgs& args) {
    auto file = TRY(FileRef::from_fd(args.fd(0)));
    return write_told(*file, write_from_user(*file, args.a[1], args.a[2], std::nullopt));
}

ErrorOr<size_t> readv(const SyscallArgs& args) {
    auto file = TRY(FileRef::from_fd(args.fd(0)));
    return read_told(*file, read_vectors(*file, args.ptr<const abi::Iovec>(1), args.a[2]));
}

ErrorOr<size_t> writev(const SyscallArgs& args) {
    auto file = TRY(FileRef::from_fd(args.fd(0)));
    return write_told(*file, write_vectors(*file, args.ptr<const abi::Iovec>(1), args.a[2]));
}

// pread64/pwrite64: a file position instead of the file's offset. Checked
// in Linux's order: the position, the descriptor, then seekability.
ErrorOr<FileRef> seekable_file(const SyscallArgs& args) {
    if (static_cast<int64_t>(args.a[3]) < 0)
        return Error::Invalid;
    auto file = TRY(FileRef::from_fd(args.fd(0)));
    if (!file->is_seekable())
        return Error::IllegalSeek;
    return file;
}

ErrorOr<size_t> pread64(const SyscallArgs& args) {
    auto file = TRY(seekable_file(args));
    return read_told(*file, read_to_user(*file, args.a[1], args.a[2], args.a[3]));
}

ErrorOr<size_t> pwrite64(const SyscallArgs& args) {
    auto file = TRY(seekable_file(args));
    return write_told(*file, write_from_user(*file, args.a[1], args.a[2], args.a[3]));
}

// preadv/pwritev(fd, iov, iovcnt, pos_l, pos_h): on a 64-bit kernel the
// position is pos_l. preadv2/pwritev2 add a position of -1 for "the file's
// offset" and RWF_* flags: RWF_HIPRI is plain I/O (no polled devices, as
// Linux for such files), RWF_DSYNC and RWF_SYNC sync the file after a
// write, RWF_APPEND writes at the end; RWF_NOWAIT and unknown flags are
// EOPNOTSUPP (Akuma's files cannot promise not to wait).
ErrorOr<size_t> vectors_at(const SyscallArgs& args, bool write, bool with_flags) {
    constexpr uint64_t k_rwf_hipri = 0x1, k_rwf_dsync = 0x2, k_rwf_sync = 0x4, k_rwf_append = 0x10;
    auto position = static_cast<int64_t>(args.a[3]);
    uint64_t flags = with_flags ? args.a[5] : 0;
    if (flags & ~(k_rwf_hipri | k_rwf_dsync | k_rwf_sync | k_rwf_append))
        return Error::NotSupported;
    auto vectors = args.ptr<const abi::Iovec>(1);
    size_t done;
    if ((with_flags && position == -1) || (write && (flags & k_rwf_append))) {
        auto file = TRY(FileRef::from_fd(args.fd(0)));
        if (write && (flags & k_rwf_append) && file->is_seekable()) {
            auto end = TRY(file->stat()).size;  // at the end, the file's offset untouched
            done = TRY(write_vectors(*file, vectors, args.a[2], end));
        } else {
            done = TRY(write ? write_vectors(*file, vectors, args.a[2]) : read_vectors(*file, vectors, args.a[2]));
        }
        done = TRY(write ? write_told(*file, done) : read_told(*file, done));
        if (write && (flags & (k_rwf_dsync | k_rwf_sync)))
            TRY(file->sync());
        return done;
    }
    auto file = TRY(seekable_file(args));
    if (write ? !file->is_writable() : !file->is_readable())
        return Error::BadFd;
    done = TRY(write ? write_vectors(*file, vectors, args.a[2], static_cast<uint64_t>(position))
                     : read_vectors(*file, vectors, args.a[2], static_cast<uint64_t>(position)));
    done = TRY(write ? write_told(*file, done) : read_told(*file, done));
    if (write && (flags & (k_rwf_dsync | k_rwf_sync)))
        TRY(file->sync());
    return done;
}

ErrorOr<int> openat(const SyscallArgs& args) {
    auto path = TRY(UserPath::copy(args.ptr<const char>(1)));
    auto base = TRY(directory_for(args.fd(0), path.view()));
    uint32_t flags = static_cast<uint32_t>(args.a[2]);
    auto* file = TRY(fs::open_path(base, path.view(), flags, static_cast<uint32_t>(args.a[3]), current().umask));
    auto fd = current().files->install(file, flags & abi::k_o_cloexec);
    if (fd.is_error())
        fs::release(file);
    return fd;
}

ErrorOr<uint64_t> lseek(const SyscallArgs& args) {
    auto file = TRY(FileRef::from_fd(args.fd(0)));
    return fs::seek(*file, static_cast<int64_t>(args.a[1]), static_cast<int>(args.a[2]));
}

ErrorOr<void> fstat(const SyscallArgs& args) {
    auto file = TRY(FileRef::from_fd(args.fd(0)));
    auto stat = TRY(file->stat());
    return mm::write_user(args.ptr<abi::Stat>(1), to_linux_stat(stat));
}

ErrorOr<void> newfstatat(const SyscallArgs& args) {
    auto path = TRY(UserPath::copy(args.ptr<const char>(1)));
    uint32_t flags = static_cast<uint32_t>(args.a[3]);
    if (flags & ~(abi::k_at_symlink_nofollow | abi::k_at_empty_path | abi::k_at_no_automount))
        return Error::Invalid;
    auto out = args.ptr<abi::Stat>(2);
    if (path.view().empty()) {
        if (!(flags & abi::k_at_empty_path))
            return Error::NotFound;
        if (args.fd(0) == abi::k_at_fdcwd)
            return mm::write_user(out, to_linux_stat(fs::stat(current().cwd)));
        auto file = TRY(FileRef::from_fd(args.fd(0)));
        return mm::write_user(out, to_linux_stat(TRY(file->stat())));
    }
    auto base = TRY(directory_for(args.fd(0), path.view()));
    auto inode = TRY(fs::resolve_path(base, path.view(), !(flags & abi::k_at_symlink_nofollow)));
    return mm::write_user(out, to_linux_stat(fs::stat(inode)));
}

ErrorOr<size_t> getdents64(const SyscallArgs& args) {
    auto file = TRY(FileRef::from_fd(args.fd(0)));
    size_t count = args.a[2] < k_chunk ? args.a[2] : k_chunk;
    if (!current().space->allows(args.a[1], count, true))
        return Error::Fault;
    Bounce bounce(count);
    if (!bounce.data())
        return Error::NoMemory;
    if (file->is_path())
        return Error::BadFd;
    uint64_t saved_position = file->position();
    size_t used = TRY(file->read_directory({ bounce.data(), count }));
    if (mm::copy_to_user(args.ptr<void>(1), bounce.data(), used).is_error()) {
        sched::MutexGuard guard(file->position_lock());
        file->position() = saved_position;
        return Error::Fault;
    }
    fs::notify::accessed(*file);  // as Linux's iterate_dir, even at the end
    return used;
}

ErrorOr<size_t> readlinkat(const SyscallArgs& args) {
    auto path = TRY(UserPath::copy(args.ptr<const char>(1)));
    if (static_cast<int64_t>(args.a[3]) <= 0)
        return Error::Invalid;
    auto base = TRY(directory_for(args.fd(0), path.view()));
    Bounce target(UserPath::k_max);
    if (!target.data())
        return Error::NoMemory;
    size_t capacity = args.a[3] < target.size() ? args.a[3] : target.size();
    size_t length = TRY(fs::read_link(base, path.view(), { reinterpret_cast<char*>(target.data()), capacity }));
    TRY(mm::copy_to_user(args.ptr<void>(2), target.data(), length));
    return length;
}

ErrorOr<fs::InodeRef> inode_for(int dirfd, mm::UserPtr<const char> user_path, uint32_t flags, bool follow);

ErrorOr<void> faccessat2(const SyscallArgs& args) {
    auto path = TRY(UserPath::copy(args.ptr<const char>(1)));
    uint32_t mode = static_cast<uint32_t>(args.a[2]);
    uint32_t flags = static_cast<uint32_t>(args.a[3]);
    if ((mode & ~7u) || (flags & ~(abi::k_at_eaccess | abi::k_at_symlink_nofollow | abi::k_at_empty_path)))
        return Error::Invalid;
    // Linux's faccessat: the real IDs stand in for the effective ones
    // (unless AT_EACCESS), and only a real root keeps its capabilities.
    proc::Credentials credentials = proc::current_credentials();
    if (!(flags & abi::k_at_eaccess)) {
        credentials.fsuid = credentials.uid;
        credentials.fsgid = credentials.gid;
        credentials.capabilities.effective = credentials.uid == 0 ? credentials.capabilities.permitted : 0;
    }
    unsigned mask = (mode & 4 ? fs::k_may_read : 0) | (mode & 2 ? fs::k_may_write : 0) | (mode & 1 ? fs::k_may_exec : 0);
    if (path.view().empty() && (flags & abi::k_at_empty_path)) {  // dirfd itself
        auto inode = TRY(inode_for(args.fd(0), args.ptr<const char>(1), flags, true));
        return fs::check_inode_access(credentials, inode, mask);
    }
    auto base = TRY(directory_for(args.fd(0), path.view()));
    return fs::check_path_access(credentials, base, path.view(), !(flags & abi::k_at_symlink_nofollow), mask);
}

ErrorOr<size_t> getcwd(const SyscallArgs& args) {
    if (args.a[1] == 0)
        return Error::Invalid;
    Bounce path(UserPath::k_max);
    if (!path.data())
        return Error::NoMemory;
    size_t capacity = args.a[1] < path.size() ? args.a[1] : path.size();
    size_t length = TRY(fs::directory_path(current().cwd, { reinterpret_cast<char*>(path.data()), capacity }));
    TRY(mm::copy_to_user(args.ptr<void>(0), path.data(), length));
    return length;
}

ErrorOr<void> change_directory(const fs::InodeRef& directory) {
    if (!directory || !directory->is_directory())
        return Error::NotADirectory;
    TRY(fs::check_current_access(directory, fs::k_may_exec));
    // /proc readers copy another process's cwd under this lock.
    proc::ProcessResourcesGuard resources;
    current().cwd = directory;
    return {};
}

ErrorOr<void> chdir(const SyscallArgs& args) {
    auto path = TRY(UserPath::copy(args.ptr<const char>(0)));
    auto base = TRY(directory_for(abi::k_at_fdcwd, path.view()));
    return change_directory(TRY(fs::resolve_path(base, path.view(), true)));
}

ErrorOr<void> fchdir(const SyscallArgs& args) {
    auto file = TRY(FileRef::from_fd(args.fd(0)));
    return change_directory(file->inode());
}

// A new descriptor >= minimum for the description behind fd.
ErrorOr<int> duplicate(int fd, int minimum, bool close_on_exec) {
    auto* file = TRY(current().files->get(fd));
    auto new_fd = current().files->install(file, close_on_exec, minimum);
    if (new_fd.is_error())
        fs::release(file);
    return new_fd;
}

// dup3 (glibc's dup2 on arm64 too, which handles equal descriptors itself
// with F_GETFL). Descriptors are unsigned int in Linux's signature.
ErrorOr<int> dup3(const SyscallArgs& args) {
    uint32_t flags = static_cast<uint32_t>(args.a[2]);
    if ((flags & ~abi::k_o_cloexec) || args.fd(0) == args.fd(1))
        return Error::Invalid;
    return current().files->duplicate_to(args.fd(0), args.fd(1), flags & abi::k_o_cloexec);
}

// struct flock (asm-generic, 64-bit): l_type, l_whence, l_start, l_len, l_pid.
struct LinuxFlock {
    int16_t type;
    int16_t whence;
    int64_t start;
    int64_t len;
    int32_t pid;
    int32_t padding;
};
static_assert(sizeof(LinuxFlock) == 32);
constexpr int16_t k_f_rdlck = 0, k_f_wrlck = 1, k_f_unlck = 2;

// fcntl's record locks (F_GETLK, F_SETLK, F_SETLKW and the F_OFD_ forms):
// fs/file_locks.h. The range from l_whence, l_start and l_len as Linux
// reads it (l_len 0: to the end of any file; negative: the bytes before).
ErrorOr<int64_t> record_lock(fs::FdTable& files, int fd, int command, mm::UserPtr<LinuxFlock> user) {
    auto file = TRY(FileRef::from_fd(fd));
    if (file->is_path())
        return Error::BadFd;
    LinuxFlock request = TRY(mm::read_user(user));
    bool ofd = command == abi::k_f_ofd_getlk || command == abi::k_f_ofd_setlk || command == abi::k_f_ofd_setlkw;
    bool test = command == abi::k_f_getlk || command == abi::k_f_ofd_getlk;
    if (request.type != k_f_rdlck && request.type != k_f_wrlck && request.type != k_f_unlck)
        return Error::Invalid;
    if (ofd && request.pid != 0)
        return Error::Invalid;
    if (test && request.type == k_f_unlck)
        return Error::Invalid;
    if (!test && ((request.type == k_f_rdlck && !file->is_readable()) ||
                  (request.type == k_f_wrlck && !file->is_writable())))
        return Error::BadFd;
    int64_t base;
    switch (request.whence) {
    case abi::k_seek_set: base = 0; break;
    case abi::k_seek_cur: base = static_cast<int64_t>(file->position()); break;
    case abi::k_seek_end: base = static_cast<int64_t>(TRY(file->stat()).size); break;
    default: return Error::Invalid;
    }
    int64_t start, end;
    if (__builtin_add_overflow(base, request.start, &start))
        return Error::Overflow;
    if (request.len > 0) {
        if (__builtin_add_overflow(start, request.len, &end))
            return Error::Overflow;
    } else if (request.len < 0) {
        end = start;
        start += request.len;
    } else {
        end = -1;  // to the end of any file
    }
    if (start < 0)
        return Error::Invalid;
    fs::LockRequest lock {};
    lock.node = file->inode() ? static_cast<const void*>(file->inode().get()) : &*file;
    lock.owner = ofd ? static_cast<const void*>(&*file) : static_cast<const void*>(&files);
    lock.pid = ofd ? -1 : current().pid;
    lock.kind = fs::LockKind::Record;
    lock.type = request.type == k_f_rdlck ? fs::LockType::Read
                : request.type == k_f_wrlck ? fs::LockType::Write : fs::LockType::Unlock;
    lock.start = static_cast<uint64_t>(start);
    lock.end = end < 0 ? ~uint64_t { 0 } : static_cast<uint64_t>(end);
    lock.wait = command == abi::k_f_setlkw || command == abi::k_f_ofd_setlkw;
    if (lock.start == lock.end)
        return int64_t { 0 };  // an empty range (l_len < 0 reaching 0): nothing to do
    if (!test) {
        TRY(fs::set_lock(lock));
        return int64_t { 0 };
    }
    fs::LockConflict conflict {};
    if (TRY(fs::test_lock(lock, conflict))) {
        request.type = conflict.type == fs::LockType::Write ? k_f_wrlck : k_f_rdlck;
        request.whence = abi::k_seek_set;
        request.start = static_cast<int64_t>(conflict.start);
        request.len = conflict.end == ~uint64_t { 0 } ? 0 : static_cast<int64_t>(conflict.end - conflict.start);
        request.pid = conflict.pid;
    } else {
        request.type = k_f_unlck;
    }
    TRY(mm::write_user(user, request));
    return int64_t { 0 };
}

// Signal-driven I/O's owner and signal (fs/async_io.cpp), as Linux's
// f_setown: F_SETOWN takes a pid, or minus a process group; F_SETOWN_EX a
// struct f_owner_ex that may also name a thread.
ErrorOr<int64_t> io_owner_command(int fd, int command, uint64_t argument) {
    struct OwnerEx {
        int32_t type;
        int32_t pid;
    };
    auto file = TRY(FileRef::from_fd(fd));
    switch (command) {
    case abi::k_f_setown: {
        auto who = static_cast<int32_t>(argument);
        if (who == INT32_MIN)
            return Error::Invalid;
        auto type = who < 0 ? proc::IoOwnerType::ProcessGroup : proc::IoOwnerType::Process;
        TRY(file->set_io_owner(TRY(proc::io_signal_owner(type, who < 0 ? -who : who))));
        return 0;
    }
    case abi::k_f_getown: {
        proc::IoSignalOwner owner = file->io_owner();
        return owner.type == proc::IoOwnerType::ProcessGroup ? -owner.id : owner.id;
    }
    case abi::k_f_setown_ex: {
        auto wanted = TRY(mm::read_user(mm::UserPtr<const OwnerEx>(argument)));
        proc::IoOwnerType type;
        switch (wanted.type) {
        case abi::k_f_owner_tid: type = proc::IoOwnerType::Thread; break;
        case abi::k_f_owner_pid: type = proc::IoOwnerType::Process; break;
        case abi::k_f_owner_pgrp: type = proc::IoOwnerType::ProcessGroup; break;
        default: return Error::Invalid;
        }
        TRY(file->set_io_owner(TRY(proc::io_signal_owner(type, wanted.pid))));
        return 0;
    }
    case abi::k_f_getown_ex: {
        proc::IoSignalOwner owner = file->io_owner();
        int32_t type = owner.type == proc::IoOwnerType::Thread    ? abi::k_f_owner_tid
                       : owner.type == proc::IoOwnerType::Process ? abi::k_f_owner_pid
                                                                  : abi::k_f_owner_pgrp;
        TRY(mm::write_user(mm::UserPtr<OwnerEx>(argument), OwnerEx { type, owner.id }));
        return 0;
    }
    case abi::k_f_setsig:  // Linux's valid_signal() takes the argument as unsigned long
        if (argument > 64)
            return Error::Invalid;
        TRY(file->set_io_signal(static_cast<int>(argument)));
        return 0;
    default: return file->io_signal();  // F_GETSIG
    }
}

ErrorOr<int64_t> fcntl(const SyscallArgs& args) {
    auto& files = *current().files;
    int fd = args.fd(0);
    switch (static_cast<int>(args.a[1])) {
    case abi::k_f_dupfd:
    case abi::k_f_dupfd_cloexec: {
        // Linux: EBADF before looking at the minimum, taken as unsigned int.
        auto file = TRY(files.get(fd));
        uint32_t minimum = static_cast<uint32_t>(args.a[2]);
        auto new_fd = minimum >= static_cast<uint32_t>(files.limit())  // RLIMIT_NOFILE: EINVAL
                          ? ErrorOr<int>(Error::Invalid)
                          : files.install(file, static_cast<int>(args.a[1]) == abi::k_f_dupfd_cloexec,
                                          static_cast<int>(minimum));
        if (new_fd.is_error())
            fs::release(file);
        return TRY(new_fd);
    }
    case abi::k_f_getfd: return TRY(files.close_on_exec(fd)) ? abi::k_fd_cloexec : 0;
    case abi::k_f_setfd:
        TRY(files.set_close_on_exec(fd, args.a[2] & abi::k_fd_cloexec));
        return 0;
    case abi::k_f_getfl: return TRY(FileRef::from_fd(fd))->flags();
    case abi::k_f_setfl: {
        auto file = TRY(FileRef::from_fd(fd));
        // O_APPEND, O_NONBLOCK and O_ASYNC can change (O_DIRECT/O_NOATIME are not supported).
        constexpr uint32_t changeable = abi::k_o_append | abi::k_o_nonblock;
        auto wanted = static_cast<uint32_t>(args.a[2]);
        if ((wanted ^ file->flags()) & abi::k_o_fasync)
            TRY(file->set_async(wanted & abi::k_o_fasync, fd));
        file->change_flags(changeable, wanted);
        return 0;
    }
    case abi::k_f_setown:
    case abi::k_f_getown:
    case abi::k_f_setown_ex:
    case abi::k_f_getown_ex:
    case abi::k_f_setsig:
    case abi::k_f_getsig: return io_owner_command(fd, static_cast<int>(args.a[1]), args.a[2]);
    case abi::k_f_notify: {
        // dnotify (events/dnotify.h); the caller becomes the owner if there is none.
        auto file = TRY(FileRef::from_fd(fd));
        if (file->is_path())
            return Error::BadFd;
        auto arg = static_cast<uint32_t>(args.a[2]);
        TRY(events::set_dnotify(*file, fd, arg));
        constexpr uint32_t k_dn_events = 0x3f;  // DN_ACCESS .. DN_ATTRIB
        if ((arg & k_dn_events) && file->io_owner().id == 0)
            TRY(file->set_io_owner(TRY(proc::io_signal_owner(proc::IoOwnerType::Process, current().pid))));
        return 0;
    }
    case abi::k_f_getpipe_sz:
    case abi::k_f_setpipe_sz: {
        auto file = TRY(FileRef::from_fd(fd));
        fs::Pipe* pipe = file->pipe();
        if (!pipe)
            return Error::BadFd;
        if (static_cast<int>(args.a[1]) == abi::k_f_getpipe_sz)
            return static_cast<int64_t>(pipe->capacity());
        // Linux takes the size as an unsigned int.
        return static_cast<int64_t>(TRY(pipe->set_capacity(static_cast<uint32_t>(args.a[2]))));
    }
    case abi::k_f_add_seals: {
        auto file = TRY(FileRef::from_fd(fd));
        // Under the VFS lock, which writes and truncations check the seals
        // under: none that passed the check lands after F_SEAL_WRITE returns.
        fs::VfsLockGuard guard;
        TRY(fs::Seals::add(file->inode().get(), file->is_writable(), static_cast<uint32_t>(args.a[2])));
        return 0;
    }
    case abi::k_f_get_seals: {
        auto file = TRY(FileRef::from_fd(fd));
        return TRY(fs::Seals::get(file->inode().get()));
    }
    case abi::k_f_getlk:
    case abi::k_f_setlk:
    case abi::k_f_setlkw:
    case abi::k_f_ofd_getlk:
    case abi::k_f_ofd_setlk:
    case abi::k_f_ofd_setlkw:
        return record_lock(files, fd, static_cast<int>(args.a[1]), args.ptr<LinuxFlock>(2));
    default: return Error::Invalid;
    }
}

// flock(fd, operation): a whole-file lock of the open description
// (fs/file_locks.h): LOCK_SH, LOCK_EX or LOCK_UN, with LOCK_NB not to wait.
ErrorOr<void> flock(const SyscallArgs& args) {
    constexpr uint32_t k_lock_sh = 1, k_lock_ex = 2, k_lock_nb = 4, k_lock_un = 8;
    auto file = TRY(FileRef::from_fd(args.fd(0)));
    if (file->is_path())
        return Error::BadFd;
    uint32_t operation = static_cast<uint32_t>(args.a[1]);
    uint32_t what = operation & ~k_lock_nb;
    if (what != k_lock_sh && what != k_lock_ex && what != k_lock_un)
        return Error::Invalid;
    fs::LockRequest lock {};
    lock.node = file->inode() ? static_cast<const void*>(file->inode().get()) : &*file;
    lock.owner = &*file;
    lock.pid = current().pid;
    lock.kind = fs::LockKind::Flock;
    lock.type = what == k_lock_sh ? fs::LockType::Read : what == k_lock_ex ? fs::LockType::Write : fs::LockType::Unlock;
    lock.start = 0;
    lock.end = ~uint64_t { 0 };
    lock.wait = !(operation & k_lock_nb);
    return fs::set_lock(lock);
}

// Requests every descriptor takes (Linux handles them before the file's own
// ioctl); nullopt for the others.
std::optional<ErrorOr<void>> generic_ioctl(int fd, fs::OpenFile& file, uint32_t request, const SyscallArgs& args) {
    switch (request) {
    case abi::k_fioclex:
    case abi::k_fionclex: return current().files->set_close_on_exec(fd, request == abi::k_fioclex);
    case abi::k_fionbio: {
        auto on = mm::read_user(args.ptr<const int32_t>(2));
        if (on.is_error())
            return ErrorOr<void>(on.error());
        file.change_flags(abi::k_o_nonblock, on.value() ? abi::k_o_nonblock : 0);
        return ErrorOr<void>();
    }
    case abi::k_fioasync: {
        auto on = mm::read_user(args.ptr<const int32_t>(2));
        if (on.is_error())
            return ErrorOr<void>(on.error());
        return file.set_async(on.value() != 0, fd);
    }
    default: return std::nullopt;
    }
}

ErrorOr<int64_t> ioctl(const SyscallArgs& args) {
    auto file = TRY(FileRef::from_fd(args.fd(0)));
    if (file->is_path())
        return Error::BadFd;
    uint32_t request = static_cast<uint32_t>(args.a[1]);
    if (auto result = generic_ioctl(args.fd(0), *file, request, args))
        return result->is_error() ? ErrorOr<int64_t>(result->error()) : ErrorOr<int64_t>(int64_t { 0 });
    if (request == abi::k_tiocgptpeer) {
        // The one ioctl that returns a descriptor: the pty master's slave.
        uint32_t flags = static_cast<uint32_t>(args.a[2]);
        if (flags & ~(abi::k_o_accmode | abi::k_o_nonblock | abi::k_o_cloexec | abi::k_o_noctty))
            return Error::Invalid;
        fs::File* peer = TRY(file->open_peer(flags & ~abi::k_o_cloexec));
        auto fd = current().files->install(peer, flags & abi::k_o_cloexec);
        if (fd.is_error()) {
            fs::release(peer);
            return fd.error();
        }
        return int64_t { fd.value() };
    }
    TRY(file->ioctl(request, args.a[2]));
    return int64_t { 0 };
}

// pipe2: both descriptors or neither; int[2] written last, as Linux does
// (a bad pointer closes them again: EFAULT).
ErrorOr<void> pipe2(const SyscallArgs& args) {
    uint32_t flags = static_cast<uint32_t>(args.a[1]);
    // O_DIRECT (packet mode) and O_NOTIFICATION_PIPE are not supported.
    if (flags & ~(abi::k_o_cloexec | abi::k_o_nonblock))
        return Error::Invalid;
    auto ends = TRY(fs::open_pipe(flags));
    auto& files = *current().files;
    bool cloexec = flags & abi::k_o_cloexec;
    auto read_fd = files.install(ends.read, cloexec);
    if (read_fd.is_error()) {
        fs::release(ends.read);
        fs::release(ends.write);
        return read_fd.error();
    }
    auto write_fd = files.install(ends.write, cloexec);
    if (write_fd.is_error()) {
        (void)files.close(read_fd.value());
        fs::release(ends.write);
        return write_fd.error();
    }
    int32_t fds[2] = { read_fd.value(), write_fd.value() };
    if (mm::copy_to_user(args.ptr<void>(0), fds, sizeof(fds)).is_error()) {
        (void)files.close(fds[0]);
        (void)files.close(fds[1]);
        return Error::Fault;
    }
    return {};
}

ErrorOr<void> mkdirat(const SyscallArgs& args) {
    auto path = TRY(UserPath::copy(args.ptr<const char>(1)));
    auto base = TRY(directory_for(args.fd(0), path.view()));
    return fs::make_directory(base, path.view(), static_cast<uint32_t>(args.a[2]) & ~current().umask);
}

// mknodat(2): regular files, character and block devices (a device node
// opens whichever driver registered its number: ENXIO if none), FIFOs
// (fifo.h) and socket nodes (which do not open: ENXIO, as on Linux).
ErrorOr<void> mknodat(const SyscallArgs& args) {
    auto path = TRY(UserPath::copy(args.ptr<const char>(1)));
    auto base = TRY(directory_for(args.fd(0), path.view()));
    uint32_t mode = static_cast<uint32_t>(args.a[2]);
    // dev_t as glibc's makedev encodes it (Linux's new_decode_dev).
    uint32_t dev = static_cast<uint32_t>(args.a[3]);
    fs::DeviceNumber number { (dev & 0xfff00) >> 8, (dev & 0xff) | ((dev >> 12) & 0xfff00) };
    uint32_t permissions = mode & 07777 & ~current().umask;
    uint32_t type = mode & abi::k_s_ifmt;
    switch (type) {
    case 0: type = abi::k_s_ifreg; break;
    case abi::k_s_ifreg:
    case abi::k_s_ifchr:
    case abi::k_s_ifblk:
    case abi::k_s_ififo:
    case abi::k_s_ifsock: break;
    case abi::k_s_ifdir: return Error::NotPermitted;
    default: return Error::Invalid;
    }
    bool device = type == abi::k_s_ifchr || type == abi::k_s_ifblk;
    TRY(fs::make_node(base, path.view(), type | permissions, device ? number : fs::DeviceNumber {}));
    return {};
}

ErrorOr<void> unlinkat(const SyscallArgs& args) {
    auto path = TRY(UserPath::copy(args.ptr<const char>(1)));
    uint32_t flags = static_cast<uint32_t>(args.a[2]);
    if (flags & ~abi::k_at_removedir)
        return Error::Invalid;
    auto base = TRY(directory_for(args.fd(0), path.view()));
    return fs::remove(base, path.view(), flags & abi::k_at_removedir);
}

ErrorOr<void> symlinkat(const SyscallArgs& args) {
    auto target = TRY(UserPath::copy(args.ptr<const char>(0)));
    auto path = TRY(UserPath::copy(args.ptr<const char>(2)));
    auto base = TRY(directory_for(args.fd(1), path.view()));
    return fs::make_symlink(base, path.view(), target.view());
}

ErrorOr<void> linkat(const SyscallArgs& args) {
    auto old_path = TRY(UserPath::copy(args.ptr<const char>(1)));
    auto new_path = TRY(UserPath::copy(args.ptr<const char>(3)));
    uint32_t flags = static_cast<uint32_t>(args.a[4]);
    if (flags & ~abi::k_at_symlink_follow)
        return Error::Invalid;
    auto old_base = TRY(directory_for(args.fd(0), old_path.view()));
    auto new_base = TRY(directory_for(args.fd(2), new_path.view()));
    return fs::make_link(old_base, old_path.view(), new_base, new_path.view(), flags & abi::k_at_symlink_follow);
}

ErrorOr<void> renameat2(const SyscallArgs& args) {
    if (args.a[4] != 0)
        return Error::Invalid;  // RENAME_NOREPLACE/EXCHANGE/WHITEOUT are not supported
    auto old_path = TRY(UserPath::copy(args.ptr<const char>(1)));
    auto new_path = TRY(UserPath::copy(args.ptr<const char>(3)));
    auto old_base = TRY(directory_for(args.fd(0), old_path.view()));
    auto new_base = TRY(directory_for(args.fd(2), new_path.view()));
    return fs::rename(old_base, old_path.view(), new_base, new_path.view());
}

ErrorOr<void> ftruncate(const SyscallArgs& args) {
    if (static_cast<int64_t>(args.a[1]) < 0)
        return Error::Invalid;
    auto file = TRY(FileRef::from_fd(args.fd(0)));
    if (file->is_path())
        return Error::BadFd;
    TRY(file->truncate(args.a[1]));
    fs::notify::modified(*file);
    return {};
}

// truncate(2): the path form. Like opening the file for writing, it fails
// with ETXTBSY while the file is a running program.
ErrorOr<void> truncate_path(const SyscallArgs& args) {
    if (static_cast<int64_t>(args.a[1]) < 0)
        return Error::Invalid;
    auto path = TRY(UserPath::copy(args.ptr<const char>(0)));
    auto base = TRY(directory_for(abi::k_at_fdcwd, path.view()));
    return fs::truncate_path(base, path.view(), args.a[1]);
}

// The file a *at() call with AT_EMPTY_PATH / a NULL path means, or the path.
// What a *at() call that changes a file names, and the directory and name
// it was found under (for inotify). The name points into `path` (which
// may live inside the UserPath itself), so a target stays where it was
// filled in: it cannot be moved or copied.
struct ChangeTarget {
    ChangeTarget() = default;
    ChangeTarget(const ChangeTarget&) = delete;
    ChangeTarget& operator=(const ChangeTarget&) = delete;
    std::optional<UserPath> path;
    fs::PlacedInode placed;
};

ErrorOr<void> find_change_target(ChangeTarget& target, int dirfd, mm::UserPtr<const char> user_path, uint32_t flags,
                                 bool follow) {
    if (!user_path.is_null())
        target.path.emplace(TRY(UserPath::copy(user_path)));
    if (user_path.is_null() || ((flags & abi::k_at_empty_path) && target.path->view().empty())) {
        // An empty path with AT_EMPTY_PATH (or utimensat's NULL) names dirfd itself.
        if (dirfd == abi::k_at_fdcwd) {
            target.placed.inode = current().cwd;
            return {};
        }
        auto file = TRY(FileRef::from_fd(dirfd));
        if (!file->inode())
            return Error::NotSupported;  // the inherited console has no inode to change
        target.placed = fs::place_of(*file);
        return {};
    }
    auto base = TRY(directory_for(dirfd, target.path->view()));
    target.placed = TRY(fs::resolve_placed(base, target.path->view(), follow));
    return {};
}

ErrorOr<fs::InodeRef> inode_for(int dirfd, mm::UserPtr<const char> user_path, uint32_t flags, bool follow) {
    if (user_path.is_null() || (flags & abi::k_at_empty_path)) {
        ChangeTarget target;
        TRY(find_change_target(target, dirfd, user_path, flags, follow));
        return std::move(target.placed.inode);
    }
    auto path = TRY(UserPath::copy(user_path));
    auto base = TRY(directory_for(dirfd, path.view()));
    return fs::resolve_path(base, path.view(), follow);
}

// What statx describes: with AT_EMPTY_PATH and an empty path the open file
// itself, which may have no inode (a pipe, the inherited console).
ErrorOr<fs::InodeStat> stat_for(int dirfd, mm::UserPtr<const char> user_path, uint32_t flags) {
    if ((flags & abi::k_at_empty_path) && dirfd != abi::k_at_fdcwd) {
        auto path = TRY(UserPath::copy(user_path));
        if (path.view().empty()) {
            auto file = TRY(FileRef::from_fd(dirfd));
            return file->stat();
        }
    }
    return fs::stat(TRY(inode_for(dirfd, user_path, flags, !(flags & abi::k_at_symlink_nofollow))));
}

ErrorOr<void> statx(const SyscallArgs& args) {
    uint32_t flags = static_cast<uint32_t>(args.a[2]);
    constexpr uint32_t k_sync_type_mask = 0x6000;  // AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC
    if (flags & ~(abi::k_at_symlink_nofollow | abi::k_at_empty_path | abi::k_at_no_automount | k_sync_type_mask))
        return Error::Invalid;
    if (args.a[1] == 0)
        return Error::Fault;  // unlike utimensat, a NULL path is not "dirfd itself"
    auto stat = TRY(stat_for(args.fd(0), args.ptr<const char>(1), flags));
    abi::Statx result {};
    result.mask = abi::k_statx_basic_stats;
    result.blksize = stat.blksize;
    result.nlink = stat.nlink;
    result.uid = stat.uid;
    result.gid = stat.gid;
    result.mode = static_cast<uint16_t>(stat.mode);
    result.ino = stat.ino;
    result.size = stat.size;
    result.blocks = stat.blocks;
    result.atime = { stat.atime.seconds, stat.atime.nanoseconds, 0 };
    result.mtime = { stat.mtime.seconds, stat.mtime.nanoseconds, 0 };
    result.ctime = { stat.ctime.seconds, stat.ctime.nanoseconds, 0 };
    result.rdev_major = static_cast<uint32_t>(((stat.rdev >> 32) & 0xfffff000) | ((stat.rdev >> 8) & 0xfff));
    result.rdev_minor = static_cast<uint32_t>(((stat.rdev >> 12) & 0xffffff00) | (stat.rdev & 0xff));
    result.dev_minor = 1;  // matches st_dev of fstat
    return mm::write_user(args.ptr<abi::Statx>(4), result);
}

ErrorOr<void> fchmodat(const SyscallArgs& args) {
    ChangeTarget target;
    TRY(find_change_target(target, args.fd(0), args.ptr<const char>(1), 0, true));
    return fs::change_mode(target.placed, static_cast<uint32_t>(args.a[2]));
}

ErrorOr<void> fchmod(const SyscallArgs& args) {
    auto file = TRY(FileRef::from_fd(args.fd(0)));
    if (file->is_path())
        return Error::BadFd;  // as Linux's fdget(): O_PATH reaches the file only through *at(AT_EMPTY_PATH)
    if (!file->inode())
        return Error::NotSupported;
    return fs::change_mode(fs::place_of(*file), static_cast<uint32_t>(args.a[1]));
}

// chown: -1 (as unsigned) keeps that id (fs::change_owner has the rules).
ErrorOr<void> change_owner(const fs::PlacedInode& target, uint64_t uid, uint64_t gid) {
    return fs::change_owner(target, static_cast<uint32_t>(uid), static_cast<uint32_t>(gid));
}

ErrorOr<void> fchownat(const SyscallArgs& args) {
    uint32_t flags = static_cast<uint32_t>(args.a[4]);
    if (flags & ~(abi::k_at_symlink_nofollow | abi::k_at_empty_path))
        return Error::Invalid;
    ChangeTarget target;
    TRY(find_change_target(target, args.fd(0), args.ptr<const char>(1), flags, !(flags & abi::k_at_symlink_nofollow)));
    return change_owner(target.placed, args.a[2], args.a[3]);
}

ErrorOr<void> fchown(const SyscallArgs& args) {
    auto file = TRY(FileRef::from_fd(args.fd(0)));
    if (file->is_path())
        return Error::BadFd;
    if (!file->inode())
        return Error::NotSupported;
    return change_owner(fs::place_of(*file), args.a[1], args.a[2]);
}

ErrorOr<void> utimensat(const SyscallArgs& args) {
    constexpr int64_t k_utime_now = (1 << 30) - 1;
    constexpr int64_t k_utime_omit = (1 << 30) - 2;
    uint32_t flags = static_cast<uint32_t>(args.a[3]);
    if (flags & ~(abi::k_at_symlink_nofollow | abi::k_at_empty_path))
        return Error::Invalid;
    std::optional<fs::Timestamp> times[2] = { fs::current_time(), fs::current_time() };
    bool touch = true;  // times NULL or both UTIME_NOW: write permission is enough
    if (args.a[2] != 0) {
        abi::Timespec requested[2];
        TRY(mm::copy_from_user(requested, args.ptr<const void>(2), sizeof(requested)));
        for (int i = 0; i < 2; ++i) {
            if (requested[i].nsec == k_utime_omit)
                times[i] = std::nullopt;
            else if (requested[i].nsec != k_utime_now && (requested[i].nsec < 0 || requested[i].nsec >= 1'000'000'000))
                return Error::Invalid;
            else if (requested[i].nsec != k_utime_now)
                times[i] = fs::Timestamp { requested[i].sec, static_cast<uint32_t>(requested[i].nsec) };
        }
        touch = requested[0].nsec == k_utime_now && requested[1].nsec == k_utime_now;
        if (requested[0].nsec == k_utime_omit && requested[1].nsec == k_utime_omit)
            return {};  // nothing to change (Linux checks nothing either)
    }
    ChangeTarget target;
    TRY(find_change_target(target, args.fd(0), args.ptr<const char>(1), flags, !(flags & abi::k_at_symlink_nofollow)));
    return fs::change_times(target.placed, times[0], times[1], touch);
}

// fsync/fdatasync: the file's own (File::sync): tmpfs has nothing to write
// back; pipes and devices have no fsync on Linux: EINVAL.
ErrorOr<void> fsync(const SyscallArgs& args) {
    auto file = TRY(FileRef::from_fd(args.fd(0)));
    if (file->is_path())
        return Error::BadFd;
    return file->sync();
}

// syncfs(fd): the file system holding the file writes back what it holds;
// files of no file system (pipes, sockets, event files) have nothing to
// write, as Linux's pipefs and sockfs.
ErrorOr<void> syncfs(const SyscallArgs& args) {
    auto file = TRY(FileRef::from_fd(args.fd(0)));
    if (!file->inode())
        return {};
    return fs::sync_file_system_of(file->inode());
}

// sync_file_range(fd, offset, nbytes, flags): Linux's checks (EINVAL for
// unknown flags, a negative offset or length, or a range past 2^63; ESPIPE
// for what is not a regular file, directory, link or block device). With
// SYNC_FILE_RANGE_WRITE the file's data is written back (all of it: Akuma's
// write-back goes by file); the WAIT flags have nothing to wait for, since
// Akuma's write-back completes before it returns.
ErrorOr<void> sync_file_range(const SyscallArgs& args) {
    constexpr uint32_t k_wait_before = 1, k_write = 2, k_wait_after = 4;
    auto offset = static_cast<int64_t>(args.a[1]);
    auto length = static_cast<int64_t>(args.a[2]);
    auto flags = static_cast<uint32_t>(args.a[3]);
    if (flags & ~(k_wait_before | k_write | k_wait_after))
        return Error::Invalid;
    int64_t end;
    if (offset < 0 || length < 0 || __builtin_add_overflow(offset, length, &end))
        return Error::Invalid;
    auto file = TRY(FileRef::from_fd(args.fd(0)));
    auto stat = TRY(file->stat());
    uint32_t type = stat.mode & 0170000;
    if (type != 0100000 && type != 0040000 && type != 0120000 && type != 0060000)
        return Error::IllegalSeek;
    if (!(flags & k_write))
        return {};
    return file->sync();
}

// fadvise64(fd, offset, len, advice): Linux's checks (EBADF, ESPIPE for a
// pipe, EINVAL for a negative length or unknown advice). The advice itself
// may be ignored, as Linux allows: Akuma's page cache reads ahead on its own
// for sequential reads and keeps pages until memory is short, whatever the
// advice.
ErrorOr<void> fadvise64(const SyscallArgs& args) {
    auto file = TRY(FileRef::from_fd(args.fd(0)));
    if (file->is_path())
        return Error::BadFd;
    if (file->pipe())
        return Error::IllegalSeek;
    auto length = static_cast<int64_t>(args.a[2]);
    uint64_t advice = args.a[3];
    constexpr uint64_t k_posix_fadv_noreuse = 5;  // NORMAL, RANDOM, SEQUENTIAL, WILLNEED, DONTNEED, NOREUSE
    if (length < 0 || advice > k_posix_fadv_noreuse)
        return Error::Invalid;
    return {};
}

// The same call with one argument replaced (faccessat = faccessat2 without
// flags, renameat = renameat2 without flags).
SyscallArgs with_argument(const SyscallArgs& args, unsigned index, uint64_t value) {
    SyscallArgs changed = args;
    changed.a[index] = value;
    return changed;
}

}  // namespace

// sendfile(2): copies from in_fd to out_fd inside the kernel (busybox cat
// uses it). With an offset pointer the input is read at *offset, which is
// updated, and the input's own offset stays; without one, the input's
// offset advances by what was written.
namespace {

// Moves up to `count` bytes from `in` to `out` through a kernel buffer:
// reading at `in_at` (else at in's own offset) and writing at `out_at`
// (else at out's own offset, or to a stream). Stops early at the end of
// the input or a short write; an error after some bytes is a short count.
ErrorOr<size_t> copy_between(fs::OpenFile& in, std::optional<uint64_t> in_at, fs::OpenFile& out,
                             std::optional<uint64_t> out_at, size_t count) {
    count = count < k_max_transfer ? count : k_max_transfer;
    Bounce bounce(count);
    if (!bounce.data())
        return Error::NoMemory;
    size_t done = 0;
    while (done < count) {
        size_t step = count - done < bounce.size() ? count - done : bounce.size();
        std::span<uint8_t> chunk { bounce.data(), step };
        auto read = in_at ? fs::pread(in, chunk, *in_at + done) : fs::read(in, chunk);
        if (read.is_error()) {
            if (done)
                break;
            return read.error();
        }
        if (read.value() == 0)
            break;
        auto piece = chunk.first(read.value());
        auto written = out_at ? fs::pwrite(out, piece, *out_at + done) : fs::write(out, piece);
        if (written.is_error()) {
            if (done)
                break;
            return written.error();
        }
        done += written.value();
        if (written.value() < read.value() || read.value() < step)
            break;
    }
    return done;
}

}  // namespace

ErrorOr<size_t> sendfile(const SyscallArgs& args) {
    auto out = TRY(FileRef::from_fd(args.fd(0)));
    auto in = TRY(FileRef::from_fd(args.fd(1)));
    if (!in->is_readable() || !out->is_writable())
        return Error::BadFd;
    if (out->flags() & abi::k_o_append)
        return Error::Invalid;  // as Linux
    std::optional<uint64_t> position;
    if (args.a[2]) {
        auto value = TRY(mm::read_user(args.ptr<const int64_t>(2)));
        if (value < 0)
            return Error::Invalid;
        position = static_cast<uint64_t>(value);
    } else if (in->is_seekable()) {
        position = in->position();
    }
    size_t done = TRY(copy_between(*in, position, *out, std::nullopt, args.a[3]));
    tell_transferred(*in, *out, done);
    if (args.a[2]) {
        if (mm::write_user(args.ptr<int64_t>(2), static_cast<int64_t>(*position + done)).is_error())
            return Error::Fault;
    } else if (position) {
        (void)fs::seek(*in, static_cast<int64_t>(*position + done), 0);  // SEEK_SET
    }
    return done;
}

// copy_file_range(fd_in, off_in, fd_out, off_out, len, flags): between
// regular files, as Linux 6.1 (any two file systems): flags must be 0, the
// input readable and the output writable without O_APPEND (EBADF),
// directories EISDIR, other kinds EINVAL, overlapping ranges of one file
// EINVAL. A null offset pointer means the file's own offset, which moves.
ErrorOr<size_t> copy_file_range(const SyscallArgs& args) {
    if (args.a[5] != 0)
        return Error::Invalid;
    auto in = TRY(FileRef::from_fd(args.fd(0)));
    auto out = TRY(FileRef::from_fd(args.fd(2)));
    if (!in->is_readable() || !out->is_writable() || (out->flags() & abi::k_o_append))
        return Error::BadFd;
    auto in_stat = TRY(in->stat());
    auto out_stat = TRY(out->stat());
    constexpr uint32_t k_type = 0170000, k_regular = 0100000, k_directory = 0040000;
    if ((in_stat.mode & k_type) == k_directory || (out_stat.mode & k_type) == k_directory)
        return Error::IsADirectory;
    if ((in_stat.mode & k_type) != k_regular || (out_stat.mode & k_type) != k_regular)
        return Error::Invalid;
    auto read_offset = [&](unsigned index, fs::OpenFile& file) -> ErrorOr<uint64_t> {
        if (!args.a[index])
            return file.position();
        auto value = TRY(mm::read_user(args.ptr<const int64_t>(index)));
        if (value < 0)
            return Error::Invalid;
        return static_cast<uint64_t>(value);
    };
    uint64_t in_at = TRY(read_offset(1, *in));
    uint64_t out_at = TRY(read_offset(3, *out));
    size_t count = args.a[4];
    if (in_stat.ino == out_stat.ino && in_stat.dev == out_stat.dev && in_at < out_at + count && out_at < in_at + count)
        return Error::Invalid;  // overlapping ranges of one file
    size_t done = TRY(copy_between(*in, in_at, *out, out_at, count));
    tell_transferred(*in, *out, done);
    if (args.a[1])
        TRY(mm::write_user(args.ptr<int64_t>(1), static_cast<int64_t>(in_at + done)));
    else
        (void)fs::seek(*in, static_cast<int64_t>(in_at + done), 0);  // SEEK_SET
    if (args.a[3])
        TRY(mm::write_user(args.ptr<int64_t>(3), static_cast<int64_t>(out_at + done)));
    else
        (void)fs::seek(*out, static_cast<int64_t>(out_at + done), 0);
    return done;
}

// splice(fd_in, off_in, fd_out, off_out, len, flags): between a pipe and a
// regular file, a socket or another pipe, through a kernel buffer. From a
// pipe: what the pipe holds (waiting for data unless SPLICE_F_NONBLOCK or
// the pipe is O_NONBLOCK), up to `len`, written to the output in full. Into
// a pipe: as much as the pipe has room for (waiting for room the same way),
// up to `len`, so nothing read is lost; a socket's data waits as its reads
// do (a UNIX socket also heeds SPLICE_F_NONBLOCK, TCP only its O_NONBLOCK,
// as Linux 6.1). Terminals and devices have no splice support: EINVAL,
// Linux's answer for a file without splice_read/splice_write. An offset
// pointer is ESPIPE for a pipe, EINVAL for a socket; flags outside
// SPLICE_F_* are EINVAL.
ErrorOr<size_t> splice(const SyscallArgs& args) {
    constexpr uint64_t k_splice_f_nonblock = 2, k_splice_f_all = 0xf;
    if (args.a[5] & ~k_splice_f_all)
        return Error::Invalid;
    auto in = TRY(FileRef::from_fd(args.fd(0)));
    auto out = TRY(FileRef::from_fd(args.fd(2)));
    if (!in->is_readable() || !out->is_writable())
        return Error::BadFd;
    fs::Pipe* in_pipe = in->pipe();
    fs::Pipe* out_pipe = out->pipe();
    if (!in_pipe && !out_pipe)
        return Error::Invalid;
    if ((in_pipe && args.a[1]) || (out_pipe && args.a[3]))
        return Error::IllegalSeek;
    if ((in->socket() && args.a[1]) || (out->socket() && args.a[3]))
        return Error::Invalid;  // no positions (Linux: no FMODE_PREAD/PWRITE)
    auto regular = [](fs::OpenFile& file) -> ErrorOr<bool> {
        if (file.pipe() || file.socket())
            return true;
        auto stat = TRY(file.stat());
        return (stat.mode & 0170000) == 0100000;
    };
    if (!TRY(regular(*in)) || !TRY(regular(*out)))
        return Error::Invalid;
    if (!in_pipe && (out->flags() & abi::k_o_append))
        return Error::Invalid;
    auto offset_of = [&](unsigned index) -> ErrorOr<std::optional<uint64_t>> {
        if (!args.a[index])
            return std::optional<uint64_t> {};
        auto value = TRY(mm::read_user(args.ptr<const int64_t>(index)));
        if (value < 0)
            return Error::Invalid;
        return std::optional<uint64_t>(static_cast<uint64_t>(value));
    };
    std::optional<uint64_t> in_at = TRY(offset_of(1));
    std::optional<uint64_t> out_at = TRY(offset_of(3));
    size_t count = args.a[4] < k_max_transfer ? args.a[4] : k_max_transfer;
    if (count == 0)
        return size_t { 0 };
    bool nonblocking = args.a[5] & k_splice_f_nonblock;
    if (out_pipe) {
        // Only what fits: the pipe then takes all of it.
        size_t room = out_pipe->capacity() - out_pipe->bytes_available();
        if (room == 0) {
            if (nonblocking || out->is_nonblocking())
                return Error::TryAgain;
            room = mm::k_page_size;  // a blocking write waits for room: nothing is lost
        }
        count = count < room ? count : room;
    }
    Bounce bounce(count);
    if (!bounce.data())
        return Error::NoMemory;
    count = count < bounce.size() ? count : bounce.size();
    std::span<uint8_t> chunk { bounce.data(), count };
    size_t got;
    if (in_pipe)
        got = TRY(in_pipe->read(chunk, nonblocking || in->is_nonblocking()));
    else if (in->socket() && nonblocking && in->socket()->domain() == net::k_af_unix)
        got = TRY(fs::read_nonblocking(*in, chunk));
    else
        got = TRY(in_at ? fs::pread(*in, chunk, *in_at) : fs::read(*in, chunk));
    if (got == 0)
        return size_t { 0 };
    auto piece = chunk.first(got);
    size_t written = 0;
    while (written < got) {
        auto step = out_pipe ? out_pipe->write(piece.subspan(written), false)
                   : out_at  ? fs::pwrite(*out, piece.subspan(written), *out_at + written)
                             : fs::write(*out, piece.subspan(written));
        if (step.is_error()) {
            if (written)
                break;
            return step.error();
        }
        if (step.value() == 0)
            break;
        written += step.value();
    }
    if (written > 0)
        fs::notify::modified(*out);  // splice tells only of what it wrote (Linux 6.1)
    if (in_at)
        TRY(mm::write_user(args.ptr<int64_t>(1), static_cast<int64_t>(*in_at + got)));
    if (out_at)
        TRY(mm::write_user(args.ptr<int64_t>(3), static_cast<int64_t>(*out_at + written)));
    return written;
}

int64_t sys_read(const SyscallArgs& args) { return to_result(read(args)); }
int64_t sys_splice(const SyscallArgs& args) { return to_result(splice(args)); }
int64_t sys_sendfile(const SyscallArgs& args) { return to_result(sendfile(args)); }
int64_t sys_write(const SyscallArgs& args) { return to_result(write(args)); }
int64_t sys_pread64(const SyscallArgs& args) { return to_result(pread64(args)); }
int64_t sys_pwrite64(const SyscallArgs& args) { return to_result(pwrite64(args)); }
int64_t sys_readv(const SyscallArgs& args) { return to_result(readv(args)); }
int64_t sys_preadv(const SyscallArgs& args) { return to_result(vectors_at(args, false, false)); }
int64_t sys_pwritev(const SyscallArgs& args) { return to_result(vectors_at(args, true, false)); }
int64_t sys_preadv2(const SyscallArgs& args) { return to_result(vectors_at(args, false, true)); }
int64_t sys_pwritev2(const SyscallArgs& args) { return to_result(vectors_at(args, true, true)); }
int64_t sys_writev(const SyscallArgs& args) { return to_result(writev(args)); }
int64_t sys_openat(const SyscallArgs& args) { return to_result(openat(args)); }
int64_t sys_close(const SyscallArgs& args) { return to_result(current().files->close(args.fd(0))); }

// close_range(first, last, flags): Linux's EINVAL for unknown flags or
// first > last. CLOSE_RANGE_UNSHARE asks for a private descriptor table
// first: a process's threads share one table in Akuma, so it is done (a
// no-op) only when the caller is the process's only thread, and EINVAL
// otherwise rather than pretended.
int64_t sys_close_range(const SyscallArgs& args) {
    auto first = static_cast<unsigned>(args.a[0]);
    auto last = static_cast<unsigned>(args.a[1]);
    auto flags = static_cast<unsigned>(args.a[2]);
    constexpr unsigned k_unshare = 2, k_cloexec = 4;
    if ((flags & ~(k_unshare | k_cloexec)) || first > last)
        return error_result(Error::Invalid);
    if ((flags & k_unshare) && current().live_tasks > 1)
        return error_result(Error::Invalid);
    current().files->close_range(first, last, flags & k_cloexec);
    return 0;
}
int64_t sys_lseek(const SyscallArgs& args) { return to_result(lseek(args)); }
int64_t sys_fstat(const SyscallArgs& args) { return to_result(fstat(args)); }
int64_t sys_newfstatat(const SyscallArgs& args) { return to_result(newfstatat(args)); }
int64_t sys_getdents64(const SyscallArgs& args) { return to_result(getdents64(args)); }
int64_t sys_readlinkat(const SyscallArgs& args) { return to_result(readlinkat(args)); }
int64_t sys_faccessat2(const SyscallArgs& args) { return to_result(faccessat2(args)); }
int64_t sys_faccessat(const SyscallArgs& args) { return to_result(faccessat2(with_argument(args, 3, 0))); }
int64_t sys_getcwd(const SyscallArgs& args) { return to_result(getcwd(args)); }
int64_t sys_chdir(const SyscallArgs& args) { return to_result(chdir(args)); }
int64_t sys_fchdir(const SyscallArgs& args) { return to_result(fchdir(args)); }
int64_t sys_dup(const SyscallArgs& args) { return to_result(duplicate(args.fd(0), 0, false)); }
int64_t sys_dup3(const SyscallArgs& args) { return to_result(dup3(args)); }
int64_t sys_fcntl(const SyscallArgs& args) { return to_result(fcntl(args)); }
int64_t sys_ioctl(const SyscallArgs& args) { return to_result(ioctl(args)); }
int64_t sys_mknodat(const SyscallArgs& args) { return to_result(mknodat(args)); }
int64_t sys_mkdirat(const SyscallArgs& args) { return to_result(mkdirat(args)); }
int64_t sys_unlinkat(const SyscallArgs& args) { return to_result(unlinkat(args)); }
int64_t sys_symlinkat(const SyscallArgs& args) { return to_result(symlinkat(args)); }
int64_t sys_linkat(const SyscallArgs& args) { return to_result(linkat(args)); }
int64_t sys_renameat2(const SyscallArgs& args) { return to_result(renameat2(args)); }
int64_t sys_renameat(const SyscallArgs& args) { return to_result(renameat2(with_argument(args, 4, 0))); }
int64_t sys_truncate(const SyscallArgs& args) { return to_result(truncate_path(args)); }
int64_t sys_ftruncate(const SyscallArgs& args) { return to_result(ftruncate(args)); }

int64_t sys_statx(const SyscallArgs& args) { return to_result(statx(args)); }
int64_t sys_fchmodat(const SyscallArgs& args) { return to_result(fchmodat(args)); }
int64_t sys_fchmod(const SyscallArgs& args) { return to_result(fchmod(args)); }
int64_t sys_fchownat(const SyscallArgs& args) { return to_result(fchownat(args)); }
int64_t sys_fchown(const SyscallArgs& args) { return to_result(fchown(args)); }
int64_t sys_utimensat(const SyscallArgs& args) { return to_result(utimensat(args)); }
int64_t sys_fsync(const SyscallArgs& args) { return to_result(fsync(args)); }
int64_t sys_syncfs(const SyscallArgs& args) { return to_result(syncfs(args)); }
int64_t sys_sync_file_range(const SyscallArgs& args) { return to_result(sync_file_range(args)); }
int64_t sys_fadvise64(const SyscallArgs& args) { return to_result(fadvise64(args)); }
int64_t sys_copy_file_range(const SyscallArgs& args) { return to_result(copy_file_range(args)); }
int64_t sys_flock(const SyscallArgs& args) { return to_result(flock(args)); }

// memfd_create(name, flags): fs/memfd.h. MFD_CLOEXEC, MFD_ALLOW_SEALING
// (fs/seals.h); MFD_HUGETLB is refused (EINVAL: no hugetlbfs, as a Linux
// built without it), as are unknown flags.
int64_t sys_memfd_create(const SyscallArgs& args) {
    constexpr uint32_t k_mfd_cloexec = 1, k_mfd_allow_sealing = 2;
    auto flags = static_cast<uint32_t>(args.a[1]);
    if (flags & ~(k_mfd_cloexec | k_mfd_allow_sealing))
        return error_result(Error::Invalid);
    char name[fs::k_memfd_name_max + 1];
    auto length = mm::copy_string_from_user(name, sizeof(name), args.ptr<const char>(0));
    if (length.is_error())
        return error_result(length.error() == Error::NameTooLong ? Error::Invalid : length.error());
    auto file = fs::create_memfd({ name, length.value() }, abi::k_o_rdwr | abi::k_o_largefile,
                                 flags & k_mfd_allow_sealing);
    if (file.is_error())
        return error_result(file.error());
    auto fd = current().files->install(file.value(), flags & k_mfd_cloexec);
    if (fd.is_error())
        fs::release(file.value());
    return to_result(std::move(fd));
}
int64_t sys_fdatasync(const SyscallArgs& args) { return to_result(fsync(args)); }
int64_t sys_sync(const SyscallArgs&) {
    fs::sync_all();
    return 0;
}

int64_t sys_umask(const SyscallArgs& args) {
    uint32_t previous = current().umask;
    current().umask = static_cast<uint32_t>(args.a[0]) & 0777;
    return previous;
}

int64_t sys_pipe2(const SyscallArgs& args) { return to_result(pipe2(args)); }

}  // namespace akuma::sys
