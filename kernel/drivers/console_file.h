// The console as an open file: /dev/console and /dev/tty (both the one
// terminal Akuma has), and the descriptors 0-2 every process starts with.
// Reads and writes go through the terminal (console_tty.h).
#pragma once

#include "kernel/drivers/terminal_file.h"
#include "kernel/lib/error_or.h"

namespace akuma::console {

class ConsoleFile final : public tty::TerminalFile {
public:
    ConsoleFile(uint32_t flags, fs::InodeRef node);
    // Without a node (the inherited descriptors): described as /dev/console.
    ErrorOr<fs::InodeStat> stat() override;
};

// Registers /dev/console (5,1) and /dev/tty (5,0: the caller's controlling
// terminal, a pty's slave or the console) with the character device table.
// Boot, before the VFS.
ErrorOr<void> register_console_devices();

// A new description of the console, read-write, for a process's stdio.
ErrorOr<fs::File*> open_console();

}  // namespace akuma::console
