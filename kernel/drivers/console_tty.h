// The console as a terminal for processes: serial input through the line
// discipline (kernel/drivers/line_discipline.h) fed by the PL011 receive
// interrupt, blocking reads, and output with termios output processing.
// Kernel log output (kprint) bypasses all this and goes straight out.
#pragma once

#include <cstdint>
#include <span>

#include "kernel/drivers/line_discipline.h"
#include "kernel/lib/error_or.h"

namespace akuma::console {

// Enables the receive interrupt; without it reads see no input.
ErrorOr<void> tty_init(uint32_t uart_intid);
bool tty_has_input();

// Blocks until a line (canonical) or a byte (raw) is there, or the calling
// process has a fatal signal pending (Interrupted). Returns 0 at end of file
// (^D). Nonblocking: TryAgain instead of blocking.
ErrorOr<size_t> tty_read(std::span<char> out, bool nonblocking);
void tty_write(std::span<const char> bytes);

tty::Termios tty_termios();
void tty_set_termios(const tty::Termios& termios);
tty::Winsize tty_winsize();
void tty_set_winsize(const tty::Winsize& winsize);
size_t tty_bytes_available();

// The process that ^C / ^\ are sent to (job control arrives in issue 6).
void tty_set_foreground(int pid);

}  // namespace akuma::console
