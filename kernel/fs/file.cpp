#include "kernel/fs/file.h"

#include "kernel/fs/file_locks.h"

#include "kernel/fs/bounce.h"
#include "kernel/fs/file_system.h"
#include "kernel/fs/notify.h"
#include "kernel/fs/vfs.h"
#include "kernel/fs/vfs_lock.h"
#include "kernel/syscalls/linux_abi.h"

namespace akuma::fs {

namespace abi = linux_abi;

// O_NOCTTY reaches terminal opens (char_devices.h) but is no description flag.
File::File(uint32_t flags, InodeRef inode) : m_flags(flags & ~abi::k_o_noctty), m_inode(std::move(inode)) {
    if (m_inode)
        m_inode->add_open_file();
}

File::~File() {
    if (m_inode && m_inode->remove_open_file() == 0)
        notify::last_description_gone(*m_inode);
}

void File::change_flags(uint32_t mask, uint32_t value) {
    uint32_t old = flags();
    while (!__atomic_compare_exchange_n(&m_flags, &old, (old & ~mask) | (value & mask), true, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED)) {
    }
}

bool File::is_path() const { return flags() & abi::k_o_path; }

bool File::is_readable() const {
    uint32_t access = flags() & abi::k_o_accmode;
    return !is_path() && (access == abi::k_o_rdonly || access == abi::k_o_rdwr);
}

bool File::is_writable() const {
    uint32_t access = flags() & abi::k_o_accmode;
    return !is_path() && (access == abi::k_o_wronly || access == abi::k_o_rdwr);
}

bool File::is_nonblocking() const { return flags() & abi::k_o_nonblock; }

ErrorOr<size_t> File::read_at(std::span<uint8_t>, uint64_t, bool) { return Error::Invalid; }

ErrorOr<size_t> File::write_at(std::span<const uint8_t>, uint64_t&) { return Error::Invalid; }

ErrorOr<size_t> File::write_from(WriteSource& source, uint64_t& offset) {
    return write_readable_prefix(*this, source, offset);
}

ErrorOr<uint64_t> File::seek(int64_t offset, int whence) {
    int64_t base;
    switch (whence) {
    case abi::k_seek_set: base = 0; break;
    case abi::k_seek_cur: base = static_cast<int64_t>(m_position); break;
    case abi::k_seek_end: {
        if (!m_inode)
            return Error::Invalid;
        VfsLockGuard guard;
        base = static_cast<int64_t>(m_inode->size());
        break;
    }
    case abi::k_seek_data:
    case abi::k_seek_hole: {
        // As Linux for a file system that does not track holes: all of a
        // regular file is data, with the one hole at its end; ENXIO at or
        // past the end.
        if (!m_inode || m_inode->type() != InodeType::Regular)
            return Error::Invalid;
        uint64_t size;
        {
            VfsLockGuard guard;
            size = m_inode->size();
        }
        if (static_cast<uint64_t>(offset) >= size)
            return Error::NoDeviceOrAddress;
        m_position = whence == abi::k_seek_data ? static_cast<uint64_t>(offset) : size;
        return m_position;
    }
    default: return Error::Invalid;
    }
    int64_t target;
    if (__builtin_add_overflow(base, offset, &target))
        return Error::Overflow;
    if (target < 0)
        return Error::Invalid;
    m_position = static_cast<uint64_t>(target);
    return m_position;
}

ErrorOr<size_t> File::read_directory(std::span<uint8_t>) { return Error::NotADirectory; }

ErrorOr<InodeStat> File::stat() {
    if (!m_inode)
        return Error::Invalid;
    VfsLockGuard guard;
    return m_inode->file_system().stat(m_inode);
}

ErrorOr<FileSystemStats> File::statfs() {
    if (!m_inode)
        return Error::Invalid;
    return fs::statfs(m_inode);
}

ErrorOr<void> File::truncate(uint64_t) { return Error::Invalid; }

ErrorOr<void> File::sync() { return Error::Invalid; }

uint16_t File::poll_events() {
    // Linux's DEFAULT_POLLMASK for files without a poll method.
    return abi::k_pollin | abi::k_pollrdnorm | abi::k_pollout | abi::k_pollwrnorm;
}

ErrorOr<void> File::ioctl(uint32_t, uint64_t) { return Error::NotATty; }

ErrorOr<InodeRef> File::mappable_inode() { return Error::NoDevice; }

ErrorOr<File*> File::open_peer(uint32_t) { return Error::NotATty; }

ErrorOr<size_t> File::read_to_user(uint64_t, size_t, uint64_t) { return Error::NotSupported; }

ErrorOr<size_t> File::anonymous_name(std::span<char>) { return Error::NotFound; }

ErrorOr<void> File::set_opened_as(InodeRef directory, std::string_view name) {
    m_opened_name = TRY(BasicString<mm::HeapAllocator>::try_from(name));
    m_opened_in = std::move(directory);
    return {};
}

void retain(File* file) { __atomic_add_fetch(&file->m_ref_count, 1, __ATOMIC_RELAXED); }

namespace {
constinit sched::Mutex g_watch_lock;
}

sched::Mutex& file_watch_lock() { return g_watch_lock; }

void File::add_watch(FileWatch& watch) {
    m_watches.push_back(watch);
    __atomic_add_fetch(&m_watch_count, 1, __ATOMIC_RELEASE);
}

void File::remove_watch(FileWatch& watch) {
    m_watches.remove(watch);
    __atomic_sub_fetch(&m_watch_count, 1, __ATOMIC_RELEASE);
}

void release(File* file) {
    if (__atomic_sub_fetch(&file->m_ref_count, 1, __ATOMIC_ACQ_REL) == 0) {
        // Watches are only added by someone holding a reference, so none
        // comes now; one may still go (an epoll closing) until we lock.
        if (__atomic_load_n(&file->m_watch_count, __ATOMIC_ACQUIRE) != 0) {
            sched::MutexGuard guard(g_watch_lock);
            file->m_watches.for_each([&](FileWatch& watch) { watch.file_released(*file); });
        }
        release_description_locks(*file);  // its OFD and flock locks
        file->end_async_io();  // while the kind's poll queue still exists
        if (!file->is_path())
            notify::closed(*file);
        notify::description_released(*file);
        delete file;
    }
}

// ---- Transfers ----

namespace {

size_t smaller(size_t a, size_t b) { return a < b ? a : b; }

ErrorOr<size_t> read_with(File& file, std::span<uint8_t> buffer, bool nonblocking) {
    if (!file.is_readable())
        return Error::BadFd;
    if (!file.is_seekable())
        return file.read_at(buffer, 0, nonblocking);
    sched::MutexGuard guard(file.position_lock());
    size_t count = TRY(file.read_at(buffer, file.position(), nonblocking));
    file.position() += count;
    return count;
}

}  // namespace

ErrorOr<size_t> read(File& file, std::span<uint8_t> buffer) { return read_with(file, buffer, file.is_nonblocking()); }

ErrorOr<size_t> read_direct(File& file, uint64_t address, size_t count, std::optional<uint64_t> offset) {
    if (!file.is_readable())
        return Error::BadFd;
    if (!file.is_seekable())
        return Error::NotSupported;  // streams have their own ways (read_continuation)
    if (offset)
        return file.read_to_user(address, count, *offset);
    sched::MutexGuard guard(file.position_lock());
    size_t done = TRY(file.read_to_user(address, count, file.position()));
    file.position() += done;
    return done;
}

ErrorOr<size_t> read_nonblocking(File& file, std::span<uint8_t> buffer) { return read_with(file, buffer, true); }

namespace {

// A write at the description's position (which then advances, under the
// position lock), at `offset` (pwrite: the position stays), or to a stream
// (no position: IllegalSeek with an offset). put(at) writes; the file may
// move `at` first (O_APPEND) and leaves it where the bytes went.
template <typename Put>
ErrorOr<size_t> write_through(File& file, std::optional<uint64_t> offset, Put&& put) {
    if (!file.is_writable())
        return Error::BadFd;
    if (!file.is_seekable()) {
        if (offset)
            return Error::IllegalSeek;
        uint64_t ignored = 0;
        return put(ignored);
    }
    if (offset) {
        uint64_t at = *offset;
        return put(at);
    }
    sched::MutexGuard guard(file.position_lock());
    uint64_t at = file.position();
    size_t count = TRY(put(at));
    file.position() = at + count;
    return count;
}

}  // namespace

ErrorOr<size_t> write(File& file, std::span<const uint8_t> data) {
    return write_through(file, std::nullopt, [&](uint64_t& at) { return file.write_at(data, at); });
}

ErrorOr<size_t> pread(File& file, std::span<uint8_t> buffer, uint64_t offset) {
    if (!file.is_readable())
        return Error::BadFd;
    if (!file.is_seekable())
        return Error::IllegalSeek;
    return file.read_at(buffer, offset, file.is_nonblocking());
}

ErrorOr<size_t> pwrite(File& file, std::span<const uint8_t> data, uint64_t offset) {
    return write_through(file, offset, [&](uint64_t& at) { return file.write_at(data, at); });
}

ErrorOr<size_t> write_from_source(File& file, WriteSource& source, std::optional<uint64_t> offset) {
    return write_through(file, offset, [&](uint64_t& at) { return file.write_from(source, at); });
}

ErrorOr<uint64_t> seek(File& file, int64_t offset, int whence) {
    if (file.is_path())
        return Error::BadFd;
    if (!file.is_seekable())
        return file.ignores_seek() ? ErrorOr<uint64_t>(uint64_t { 0 }) : ErrorOr<uint64_t>(Error::IllegalSeek);
    sched::MutexGuard guard(file.position_lock());
    return file.seek(offset, whence);
}

namespace {

// `count` bytes of the source in bounce chunks of at most `chunk`, each
// copied whole and handed to write_at; the file places the first (O_APPEND:
// at the end) and the rest follow it. A chunk that cannot be copied ends
// the write (EFAULT if it is the first), as does a short write_at.
ErrorOr<size_t> write_in_chunks(File& file, WriteSource& source, size_t count, size_t chunk, uint64_t& offset) {
    Bounce bounce(smaller(count, chunk));
    if (!bounce.data())
        return Error::NoMemory;
    size_t done = 0;
    uint64_t start = offset;
    while (done < count) {
        size_t step = smaller(bounce.size(), count - done);
        if (source.copy_next(bounce.data(), step).is_error())
            return partial(done, Error::Fault);
        uint64_t at = start + done;
        auto moved = file.write_at({ bounce.data(), step }, at);
        if (moved.is_error())
            return partial(done, moved.error());
        if (done == 0)
            offset = start = at;
        done += moved.value();
        if (moved.value() < step)
            break;
    }
    return done;
}

}  // namespace

ErrorOr<size_t> write_readable_prefix(File& file, WriteSource& source, uint64_t& offset) {
    size_t count = source.readable();
    if (count == 0)
        return Error::Fault;
    return write_in_chunks(file, source, count, k_bounce_chunk, offset);
}

ErrorOr<size_t> write_in_whole_chunks(File& file, WriteSource& source, size_t chunk, uint64_t& offset) {
    return write_in_chunks(file, source, source.total(), chunk, offset);
}

}  // namespace akuma::fs
