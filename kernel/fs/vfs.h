// The kernel's one file system: the ramfs root unpacked from the initrd,
// device nodes for the console and the memory devices, and the open-file
// objects that file descriptors refer to. All ramfs access goes through
// here, under one lock.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "kernel/fs/pipe.h"
#include "kernel/fs/ramfs.h"
#include "kernel/lib/error_or.h"
#include "kernel/sched/wait_queue.h"

namespace akuma::sched {
class SchedulerLockGuard;
}

namespace akuma::fs {

// Mounts an empty ramfs, creates /dev with its nodes, /tmp, and unpacks the
// initrd (if any) on top. Errors from a malformed archive are reported
// (with the reason) but what was unpacked stays usable. The ramfs's size
// limit is tmpfs's: half of RAM unless initramfs_options (the boot
// argument, Linux's rootfs mount options) has a size=; bad options are
// reported and the default kept.
ErrorOr<void> vfs_init(std::span<const uint8_t> initrd, std::string_view initramfs_options);

Ramfs& root_fs();
InodeRef root_directory();

ErrorOr<InodeRef> resolve_path(const InodeRef& base, std::string_view path, bool follow_final_symlink);

// Copies a regular file's bytes at `offset` into `buffer` under the lock;
// returns how many (short only at the end of the file). For the ELF loader,
// which makes sure nobody can write the file first
// (AddressSpace::set_executable).
ErrorOr<size_t> read_file(const InodeRef& file, uint64_t offset, std::span<uint8_t> buffer);

// execve of a script: copies the first bytes of `file` into `buffer` under
// the lock; returns how many. TextBusy (ETXTBSY) if the file is open for
// writing: Linux refuses to execute any such file.
ErrorOr<size_t> read_for_exec(const InodeRef& file, std::span<uint8_t> buffer);

enum class FileKind : uint8_t {
    Inode,    // regular file, directory, or an O_PATH handle
    Console,  // /dev/console, /dev/tty (and the inherited stdio)
    Null,     // /dev/null
    Zero,     // /dev/zero
    Random,   // /dev/random, /dev/urandom
    Pipe,     // one end of a pipe (O_RDONLY: read end, O_WRONLY: write end)
};

// An open file description (shared by dup'ed descriptors, and after fork).
struct OpenFile {
    uint32_t ref_count;
    FileKind kind;
    uint32_t flags;  // O_ACCMODE | O_APPEND | O_NONBLOCK | O_PATH | ...
    uint64_t offset; // bytes for files, entry index for directories
    InodeRef inode;  // null for the inherited console and pipes
    Pipe* pipe { nullptr };  // FileKind::Pipe: its end is closed with the last reference
    // Opened for writing a regular file: holds its write access
    // (Ramfs::get_write_access) until the last reference goes.
    bool holds_write_access { false };
};

ErrorOr<OpenFile*> open_file_object(FileKind kind, uint32_t flags, InodeRef inode);
void retain(OpenFile* file);
void release(OpenFile* file);

// pipe2(2): the read end and the write end of a new pipe. `flags` may hold
// O_NONBLOCK (for both). NoMemory.
struct PipeEnds {
    OpenFile* read;
    OpenFile* write;
};
ErrorOr<PipeEnds> open_pipe(uint32_t flags);

// Streams (pipes, the console) that cannot seek: pread/pwrite/lseek fail
// with IllegalSeek.
bool is_stream(const OpenFile& file);

// openat(2) on a resolved base directory: O_CREAT/O_EXCL/O_TRUNC/
// O_DIRECTORY/O_NOFOLLOW/O_PATH handled. Errors as Linux.
ErrorOr<OpenFile*> open_path(const InodeRef& base, std::string_view path, uint32_t flags, uint32_t mode,
                             uint32_t umask);

bool is_readable(const OpenFile& file);
bool is_writable(const OpenFile& file);

// Read/write through a kernel buffer at the file's offset (advancing it).
// Reads and writes of pipes and the console block unless the description is
// O_NONBLOCK (TryAgain); a signal ends a blocking wait (Interrupted).
ErrorOr<size_t> read(OpenFile& file, std::span<uint8_t> buffer);
// A read that never blocks (TryAgain when nothing is there): a read(2) that
// got some bytes from a pipe takes what else is buffered with it.
ErrorOr<size_t> read_nonblocking(OpenFile& file, std::span<uint8_t> buffer);
// For a pipe, `cursor` (pipe.h) ties the chunks of one write(2) together;
// without it `data` is the whole write. Other files ignore it.
ErrorOr<size_t> write(OpenFile& file, std::span<const uint8_t> data, Pipe::WriteCursor* cursor = nullptr);
ErrorOr<size_t> pread(OpenFile& file, std::span<uint8_t> buffer, uint64_t offset);
ErrorOr<size_t> pwrite(OpenFile& file, std::span<const uint8_t> data, uint64_t offset);
ErrorOr<uint64_t> seek(OpenFile& file, int64_t offset, int whence);
// Fills `buffer` with linux_dirent64 records; returns bytes used (0 at end).
ErrorOr<size_t> read_directory(OpenFile& file, std::span<uint8_t> buffer);
ErrorOr<InodeStat> stat(const OpenFile& file);
ErrorOr<void> truncate(OpenFile& file, uint64_t size);
// truncate(2) by path (symlinks followed): IsADirectory, Invalid for other
// non-regular files, TextBusy for a running program's file.
ErrorOr<void> truncate_path(const InodeRef& base, std::string_view path, uint64_t size);

// poll(2) readiness of a description (POLLIN/POLLOUT/POLLHUP/POLLERR and the
// RDNORM/WRNORM twins, unfiltered). Files, directories and the memory
// devices are always ready, as on Linux (no poll method: DEFAULT_POLLMASK).
uint16_t poll_events(OpenFile& file);
// FIONREAD for pipes: bytes buffered.
ErrorOr<size_t> bytes_available(OpenFile& file);

// Waiting for readiness. poll/ppoll/pselect6 watch several objects but a
// thread sleeps in one queue, so there is one queue for all of them: every
// change of a pipe or the console (data, space, an end closed, input)
// bumps a generation count and wakes all pollers, which check again.
uint64_t poll_generation();
void wake_pollers(sched::SchedulerLockGuard& guard);  // scheduler lock held
// Sleeps until the generation moves past `seen` (Woken, at once if it
// already has), a signal is pending for the thread (Interrupted) or the
// monotonic clock reaches deadline_ns (TimedOut; 0: no deadline).
sched::WaitResult wait_for_poll_change(uint64_t seen, uint64_t deadline_ns);

// File operations on paths (the *at syscalls).
ErrorOr<void> make_directory(const InodeRef& base, std::string_view path, uint32_t mode);
ErrorOr<void> remove(const InodeRef& base, std::string_view path, bool directory);
ErrorOr<void> make_symlink(const InodeRef& base, std::string_view path, std::string_view target);
ErrorOr<void> make_link(const InodeRef& old_base, std::string_view old_path, const InodeRef& new_base,
                        std::string_view new_path, bool follow);
ErrorOr<void> rename(const InodeRef& old_base, std::string_view old_path, const InodeRef& new_base,
                     std::string_view new_path);
// readlink(2): copies the target (not NUL-terminated); returns its length.
ErrorOr<size_t> read_link(const InodeRef& base, std::string_view path, std::span<char> buffer);
InodeStat stat(const InodeRef& inode);
// chmod (permission bits only), chown, utimensat: under the VFS lock.
// set_owner also clears set-user-ID (and set-group-ID if group-executable)
// of a non-directory, as chown(2) does on Linux.
void set_mode(const InodeRef& inode, uint32_t mode);
void set_owner(const InodeRef& inode, uint32_t uid, uint32_t gid);
void set_times(const InodeRef& inode, std::optional<Timestamp> atime, std::optional<Timestamp> mtime);
Timestamp current_time();
ErrorOr<size_t> directory_path(const InodeRef& directory, std::span<char> buffer);

}  // namespace akuma::fs
