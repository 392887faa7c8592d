// The console as an open file: /dev/console and /dev/tty (both the one
// terminal Akuma has), and the descriptors 0-2 every process starts with.
// Reads and writes go through the terminal (console_tty.h).
#pragma once

#include "kernel/fs/file.h"
#include "kernel/lib/error_or.h"

namespace akuma::console {

class ConsoleFile final : public fs::File {
public:
    ConsoleFile(uint32_t flags, fs::InodeRef node) : File(flags, std::move(node)) {}

    bool is_seekable() const override { return false; }
    fs::ReadContinuation read_continuation() const override { return fs::ReadContinuation::OneCall; }
    ErrorOr<size_t> read_at(std::span<uint8_t> buffer, uint64_t offset, bool nonblocking) override;
    ErrorOr<size_t> write_at(std::span<const uint8_t> data, uint64_t& offset) override;
    // Linux's tty_write: 2048-byte chunks, each copied whole; a chunk that
    // runs into unmapped memory ends the write (EFAULT if it is the first).
    ErrorOr<size_t> write_from(fs::WriteSource& source, uint64_t& offset) override;
    // Without a node (the inherited descriptors): described as /dev/console.
    ErrorOr<fs::InodeStat> stat() override;
    uint16_t poll_events() override;
    fs::PollQueue* poll_queue() override;
    ErrorOr<void> ioctl(uint32_t request, uint64_t argument) override;
};

// Registers /dev/console (5,1) and /dev/tty (5,0) with the character
// device table. Boot, before the VFS.
ErrorOr<void> register_console_devices();

// A new description of the console, read-write, for a process's stdio.
ErrorOr<fs::File*> open_console();

}  // namespace akuma::console
