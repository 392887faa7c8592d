#include "kernel/fs/pipe_file.h"

#include <new>

#include "kernel/fs/bounce.h"
#include "kernel/lib/format.h"
#include "kernel/mm/user_access.h"
#include "kernel/syscalls/linux_abi.h"

namespace akuma::fs {

namespace abi = linux_abi;

// A FIFO opened O_RDWR holds both ends; the last close frees the pipe.
PipeFile::~PipeFile() {
    if (is_readable())
        m_pipe.close_end(false);
    if (is_writable())
        m_pipe.close_end(true);
}

ErrorOr<size_t> PipeFile::read_at(std::span<uint8_t> buffer, uint64_t, bool nonblocking) {
    return m_pipe.read(buffer, nonblocking);
}

ErrorOr<size_t> PipeFile::write_at(std::span<const uint8_t> data, uint64_t&) {
    return m_pipe.write(data, is_nonblocking());
}

ErrorOr<size_t> PipeFile::write_from(WriteSource& source, uint64_t&) {
    Pipe::WriteCursor cursor { source.total(), source.readable() };
    Bounce bounce(cursor.readable);
    if (!bounce.data())
        return Error::NoMemory;
    for (;;) {
        // An empty step still goes to the pipe: it reports EPIPE or EFAULT.
        size_t done = cursor.position;
        size_t step = cursor.readable - done < bounce.size() ? cursor.readable - done : bounce.size();
        if (source.copy_next(bounce.data(), step).is_error())
            return partial(done, Error::Fault);
        auto moved = m_pipe.write({ bounce.data(), step }, is_nonblocking(), cursor);
        if (moved.is_error())
            return partial(done, moved.error());
        if (moved.value() < step || cursor.position == cursor.total)
            return cursor.position;
    }
}

ErrorOr<InodeStat> PipeFile::stat() {
    if (inode())
        return File::stat();  // a FIFO: its own node
    return m_pipe.stat();
}

ErrorOr<FileSystemStats> PipeFile::statfs() {
    if (inode())
        return File::statfs();  // a FIFO: the file system it is in
    constexpr uint64_t k_pipefs_magic = 0x50495045;
    return FileSystemStats { .magic = k_pipefs_magic, .block_size = k_block_size, .name_max = k_max_name,
                             .flags = 0x20 /* ST_VALID */ };
}

ErrorOr<size_t> PipeFile::anonymous_name(std::span<char> buffer) {
    if (inode())
        return Error::NotFound;  // a FIFO has a place in the tree
    BufferSink sink(buffer.data(), buffer.size());
    format_to(sink, "pipe:[{}]", m_pipe.stat().ino);
    if (sink.truncated())
        return Error::OutOfRange;
    return sink.view().size();
}

ErrorOr<void> PipeFile::ioctl(uint32_t request, uint64_t argument) {
    if (request == abi::k_fionread)
        return mm::write_user(mm::UserPtr<int32_t>(argument), static_cast<int32_t>(m_pipe.bytes_available()));
    return Error::NotATty;
}

ErrorOr<PipeEnds> open_pipe(uint32_t flags) {
    Pipe* pipe = TRY(Pipe::create());
    uint32_t nonblock = flags & abi::k_o_nonblock;
    auto* read_end = new (std::nothrow) PipeFile(*pipe, abi::k_o_rdonly | nonblock);
    auto* write_end = new (std::nothrow) PipeFile(*pipe, abi::k_o_wronly | nonblock);
    if (!read_end || !write_end) {
        // Each end closes its side of the pipe; a missing one is closed here.
        if (read_end)
            release(read_end);
        else
            pipe->close_end(false);
        if (write_end)
            release(write_end);
        else
            pipe->close_end(true);
        return Error::NoMemory;
    }
    return PipeEnds { read_end, write_end };
}

}  // namespace akuma::fs
