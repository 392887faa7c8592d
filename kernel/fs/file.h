// Open file descriptions (Linux's struct file): what a descriptor refers
// to, shared by dup'ed descriptors and across fork. File is the interface;
// each kind of file is one class that overrides what it supports
// (regular_file.h, directory_file.h, pipe_file.h, the console and the memory
// devices in kernel/drivers, later sockets, ptys, eventfd, epoll). Nothing
// in the file layer switches over kinds: adding a kind is adding a class
// (and, for a device, registering it: char_devices.h).
//
// Defaults are Linux's for a file_operations without the method: no read or
// write is EINVAL, no ioctl is ENOTTY, no poll is "always ready", no fsync
// is EINVAL.
//
// Offsets: a seekable file's position is guarded by its position lock
// (Linux's f_pos_lock), so threads sharing a description never lose an
// update; streams (pipes, terminals) have no position.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "kernel/fs/file_system.h"
#include "kernel/fs/inode.h"
#include "kernel/lib/error_or.h"
#include "kernel/lib/intrusive_list.h"
#include "kernel/lib/string.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/proc/io_signals.h"
#include "kernel/sched/mutex.h"

namespace akuma::events {
class AnonymousFile;
}
namespace akuma::net {
class Socket;
}

namespace akuma::fs {

class AsyncIo;
class File;
class Pipe;
class PollQueue;

// Something that must learn when an open file description goes away: an
// epoll interest item (Linux takes a file out of every epoll set when its
// last reference goes, whatever descriptors named it). Watches are added,
// removed and told under file_watch_lock(), a sleeping lock; no file is
// released while it is held.
class FileWatch {
public:
    // `file` lost its last reference: the watch must let go of it (and
    // unlink itself, File::remove_watch). Watch lock held.
    virtual void file_released(File& file) = 0;
    ListNode file_link;

protected:
    ~FileWatch() = default;
};

sched::Mutex& file_watch_lock();

// The bytes of one write(2) as a file takes them: a user buffer (or iovec
// array) the system call layer wraps (kernel/syscalls/transfer.cpp).
class WriteSource {
public:
    virtual size_t total() const = 0;
    // How many bytes from the start can be read: up to the first byte in
    // unmapped (or PROT_NONE) memory.
    virtual size_t readable() const = 0;
    // The next `size` bytes; Fault if any of them cannot be read.
    virtual ErrorOr<void> copy_next(uint8_t* to, size_t size) = 0;

protected:
    ~WriteSource() = default;
};

// How a read(2) goes on once some bytes arrived.
enum class ReadContinuation : uint8_t {
    FillRequest,   // files and memory devices: until the buffer is full or the end
    TakeBuffered,  // pipes: only what is there without waiting (Linux's pipe_read)
    OneCall,       // terminals: one line (or what VMIN/VTIME gave) per read
};

class File {
public:
    File(const File&) = delete;
    File& operator=(const File&) = delete;

    // Status flags: the access mode, O_APPEND, O_NONBLOCK, O_PATH, ...
    uint32_t flags() const { return __atomic_load_n(&m_flags, __ATOMIC_RELAXED); }
    // fcntl(F_SETFL), FIONBIO: replaces the bits of `mask` with `value`'s.
    void change_flags(uint32_t mask, uint32_t value);
    bool is_path() const;  // O_PATH: only a place in the tree, no I/O
    bool is_readable() const;
    bool is_writable() const;
    bool is_nonblocking() const;
    const InodeRef& inode() const { return m_inode; }

    // ---- Bytes, on kernel buffers ----
    // Streams ignore offsets and cannot seek (ESPIPE for pread/pwrite/lseek).
    virtual bool is_seekable() const { return true; }
    // A stream whose lseek returns 0 and does nothing (Linux's
    // noop_llseek) instead of ESPIPE.
    virtual bool ignores_seek() const { return false; }
    virtual ReadContinuation read_continuation() const { return ReadContinuation::FillRequest; }
    // Reads at `offset` (streams: from the front; `nonblocking` instead of
    // the description's flag when a read(2) goes on with what is buffered).
    virtual ErrorOr<size_t> read_at(std::span<uint8_t> buffer, uint64_t offset, bool nonblocking);
    // Reads at `offset` straight into user memory at `address`, no bounce
    // buffer: for kinds whose bytes sit in pages the kernel can pin (regular
    // files: the page cache). Fault after a prefix: that count. NotSupported
    // (the default): the caller goes through read_at and a buffer.
    virtual ErrorOr<size_t> read_to_user(uint64_t address, size_t count, uint64_t offset);
    // Writes at `offset`, which a file may move first (O_APPEND: to the end)
    // and leaves at where the bytes went; the caller advances it by the count.
    virtual ErrorOr<size_t> write_at(std::span<const uint8_t> data, uint64_t& offset);
    // A write(2) from user memory: by default the readable part of the
    // buffer in bounce chunks through write_at (a short count where it runs
    // into unmapped memory, EFAULT if none of it is readable). Kinds with
    // their own rule for a faulting buffer override it.
    virtual ErrorOr<size_t> write_from(WriteSource& source, uint64_t& offset);
    // SEEK_SET/CUR/END against the position; the default needs the inode's size.
    virtual ErrorOr<uint64_t> seek(int64_t offset, int whence);

    // ---- Everything else ----
    // getdents64: linux_dirent64 records; bytes used, 0 at the end.
    virtual ErrorOr<size_t> read_directory(std::span<uint8_t> buffer);
    virtual ErrorOr<InodeStat> stat();
    // fstatfs(2): the file system the file is on (with its mount's flags).
    virtual ErrorOr<FileSystemStats> statfs();
    virtual ErrorOr<void> truncate(uint64_t size);
    virtual ErrorOr<void> sync();
    // poll(2) events, unfiltered; the queue notified when they may change
    // (nullptr: they never do).
    virtual uint16_t poll_events();
    virtual PollQueue* poll_queue() { return nullptr; }
    // The file's own ioctls (the generic ones, FIOCLEX and friends, are the
    // system call's). `argument` is the raw third argument (often a user pointer).
    virtual ErrorOr<void> ioctl(uint32_t request, uint64_t argument);
    // fcntl F_GETPIPE_SZ/F_SETPIPE_SZ (EBADF for anything but a pipe).
    virtual Pipe* pipe() { return nullptr; }
    // eventfd, epoll, timerfd, signalfd (kernel/events): the calls that
    // want one kind check it (EINVAL for any other file).
    virtual events::AnonymousFile* anonymous() { return nullptr; }
    // The socket this is (ENOTSOCK for the socket calls otherwise).
    virtual net::Socket* socket() { return nullptr; }
    // TIOCGPTPEER: a new description of the other side (pty masters; ENOTTY
    // for the others). `flags`: as open(2)'s.
    virtual ErrorOr<File*> open_peer(uint32_t flags);
    // The regular file mmap(2) maps (ENODEV for the others: Linux's answer
    // for a file without an mmap method).
    virtual ErrorOr<InodeRef> mappable_inode();
    // The name of a file that has no place in the tree, as /proc/<pid>/fd
    // shows it ("pipe:[ino]"); NotFound for files that have one.
    virtual ErrorOr<size_t> anonymous_name(std::span<char> buffer);

    // Where a non-directory was opened: the directory and the name in it
    // (Akuma keeps no dentries, so a later rename is not seen; directories
    // know their own path). For /proc/<pid>/fd.
    ErrorOr<void> set_opened_as(InodeRef directory, std::string_view name);
    const InodeRef& opened_in() const { return m_opened_in; }
    std::string_view opened_name() const { return m_opened_name.view(); }

    // ---- Signal-driven I/O (fcntl F_SETOWN, F_SETSIG, O_ASYNC) ----
    // Whether O_ASYNC makes this kind signal its owner when it becomes
    // ready (pipes, terminals, sockets, inotify: Linux's files with a
    // fasync method); for the others O_ASYNC is only a flag, as on Linux.
    virtual bool signals_readiness() const { return false; }
    // The owner and signal (F_GETOWN, F_GETSIG): nobody and 0 (SIGIO) by default.
    proc::IoSignalOwner io_owner() const;
    int io_signal() const;
    ErrorOr<void> set_io_owner(const proc::IoSignalOwner& owner);
    ErrorOr<void> set_io_signal(int signal);  // 0..64
    // F_SETFL/FIOASYNC turning O_ASYNC on or off through descriptor `fd`
    // (the si_fd of the signals).
    ErrorOr<void> set_async(bool on, int fd);

    // Watches of this description (file_watch_lock() held).
    void add_watch(FileWatch& watch);
    void remove_watch(FileWatch& watch);

    // The reference counting of descriptors: retain(), release(). The
    // description goes away with its last reference.
    friend void retain(File* file);
    friend void release(File* file);

    // The position, under the position lock (Linux's f_pos_lock).
    sched::Mutex& position_lock() { return m_position_lock; }
    uint64_t& position() { return m_position; }

protected:
    File(uint32_t flags, InodeRef inode);
    virtual ~File();

private:
    uint32_t m_ref_count { 1 };
    uint32_t m_flags;
    InodeRef m_inode;  // the file's place in a file system (none for pipes)
    InodeRef m_opened_in;
    BasicString<mm::HeapAllocator> m_opened_name;
    sched::Mutex m_position_lock;
    uint64_t m_position { 0 };
    IntrusiveList<FileWatch, &FileWatch::file_link> m_watches;
    uint32_t m_watch_count { 0 };  // read without the lock at the last release
    // Made by the first F_SETOWN/F_SETSIG/O_ASYNC (fs/async_io.cpp).
    AsyncIo* m_async { nullptr };
    ErrorOr<AsyncIo*> async_io();
    void end_async_io();
};

// A new reference to a description / dropping one (the last one destroys
// it). Destruction takes no VFS lock, so any context that may sleep can
// release; a pipe end's close takes the scheduler lock.
void retain(File* file);
void release(File* file);

// The kernel's older name for an open file description.
using OpenFile = File;

// ---- Reading and writing a description (what read(2) and friends do) ----
// At the position (advancing it) for seekable files; streams block unless
// the description is O_NONBLOCK (TryAgain), a signal ends a blocking wait
// (Interrupted). EBADF unless open for reading / writing.
ErrorOr<size_t> read(File& file, std::span<uint8_t> buffer);
// A read that never blocks (TryAgain when nothing is there).
ErrorOr<size_t> read_nonblocking(File& file, std::span<uint8_t> buffer);
// read(2)/pread(2) (an `offset`) of `count` bytes into user memory without a
// buffer when the file can (File::read_to_user); NotSupported otherwise.
ErrorOr<size_t> read_direct(File& file, uint64_t address, size_t count, std::optional<uint64_t> offset);
ErrorOr<size_t> write(File& file, std::span<const uint8_t> data);
ErrorOr<size_t> pread(File& file, std::span<uint8_t> buffer, uint64_t offset);
ErrorOr<size_t> pwrite(File& file, std::span<const uint8_t> data, uint64_t offset);
// write(2)/pwrite(2) from user memory (`offset`: pwrite).
ErrorOr<size_t> write_from_source(File& file, WriteSource& source, std::optional<uint64_t> offset);
ErrorOr<uint64_t> seek(File& file, int64_t offset, int whence);

// Kernel helpers for write_from() overrides: the readable prefix through
// write_at (the default), and Linux's tty rule: chunks of `chunk` bytes each
// copied whole, a chunk that faults ends the write (EFAULT if the first).
ErrorOr<size_t> write_readable_prefix(File& file, WriteSource& source, uint64_t& offset);
ErrorOr<size_t> write_in_whole_chunks(File& file, WriteSource& source, size_t chunk, uint64_t& offset);

// A transfer that fails after some bytes moved reports those bytes, as Linux does.
inline ErrorOr<size_t> partial(size_t done, Error error) {
    return done ? ErrorOr<size_t>(done) : ErrorOr<size_t>(error);
}

}  // namespace akuma::fs
