// The two ends of a pipe as open file descriptions: pipe2(2) makes a read
// end (O_RDONLY) and a write end (O_WRONLY) over one Pipe (pipe.h); the
// pipe's end closes with the last reference to its description.
#pragma once

#include "kernel/fs/file.h"
#include "kernel/fs/pipe.h"

namespace akuma::fs {

class PipeFile final : public File {
public:
    bool signals_readiness() const override { return true; }  // O_ASYNC: SIGIO
    PipeFile(Pipe& pipe, uint32_t flags) : File(flags, {}), m_pipe(pipe) {}
    // A FIFO's open description: `fifo` is its node (fstat, /proc/PID/fd).
    PipeFile(Pipe& pipe, uint32_t flags, InodeRef fifo) : File(flags, std::move(fifo)), m_pipe(pipe) {}
    ~PipeFile() override;

    bool is_seekable() const override { return false; }
    ReadContinuation read_continuation() const override { return ReadContinuation::TakeBuffered; }
    ErrorOr<size_t> read_at(std::span<uint8_t> buffer, uint64_t offset, bool nonblocking) override;
    // Bytes from the kernel (sendfile): the whole span is the write.
    ErrorOr<size_t> write_at(std::span<const uint8_t> data, uint64_t& offset) override;
    // Bytes from user memory: bounce chunks tied together by a cursor, so
    // the pipe places the bytes as Linux would place the whole write and
    // copies each of its pieces whole (pipe.h).
    ErrorOr<size_t> write_from(WriteSource& source, uint64_t& offset) override;
    ErrorOr<InodeStat> stat() override;
    // pipefs, as Linux reports it: its magic and nothing else.
    ErrorOr<FileSystemStats> statfs() override;
    uint16_t poll_events() override { return m_pipe.poll_events(is_readable(), is_writable()); }
    PollQueue* poll_queue() override { return &m_pipe.poll_queue(); }
    ErrorOr<void> ioctl(uint32_t request, uint64_t argument) override;
    Pipe* pipe() override { return &m_pipe; }
    ErrorOr<size_t> anonymous_name(std::span<char> buffer) override;

private:
    Pipe& m_pipe;
};

// pipe2(2): the read end and the write end of a new pipe. `flags` may hold
// O_NONBLOCK (for both). NoMemory.
struct PipeEnds {
    File* read;
    File* write;
};
ErrorOr<PipeEnds> open_pipe(uint32_t flags);

}  // namespace akuma::fs
