// An open terminal (terminal.h) as a file: the console's descriptions and a
// pty's slave side. Reads and writes go through the terminal; the ioctls
// are the tty layer's (termios, window size, job control, FIONREAD).
#pragma once

#include "kernel/drivers/terminal.h"
#include "kernel/fs/file.h"
#include "kernel/lib/error_or.h"

namespace akuma::tty {

// The tty layer's ioctls on `terminal` (ENOTTY for other requests): a
// terminal's files, and a pty master for the requests that act on its slave.
ErrorOr<void> terminal_ioctl(Terminal& terminal, uint32_t request, uint64_t argument);

class TerminalFile : public fs::File {
public:
    bool signals_readiness() const override { return true; }  // O_ASYNC: SIGIO
    bool is_seekable() const override { return false; }
    fs::ReadContinuation read_continuation() const override { return fs::ReadContinuation::OneCall; }
    ErrorOr<size_t> read_at(std::span<uint8_t> buffer, uint64_t offset, bool nonblocking) override;
    ErrorOr<size_t> write_at(std::span<const uint8_t> data, uint64_t& offset) override;
    // Linux's tty_write: 2048-byte chunks, each copied whole; a chunk that
    // runs into unmapped memory ends the write (EFAULT if it is the first).
    ErrorOr<size_t> write_from(fs::WriteSource& source, uint64_t& offset) override;
    uint16_t poll_events() override;
    fs::PollQueue* poll_queue() override { return &m_terminal.poll_queue(); }
    ErrorOr<void> ioctl(uint32_t request, uint64_t argument) override {
        return terminal_ioctl(m_terminal, request, argument);
    }

    Terminal& terminal() { return m_terminal; }

protected:
    TerminalFile(Terminal& terminal, uint32_t flags, fs::InodeRef node)
        : File(flags, std::move(node)), m_terminal(terminal) {}

private:
    Terminal& m_terminal;
};

}  // namespace akuma::tty
