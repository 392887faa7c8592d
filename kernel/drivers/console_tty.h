// The console as a terminal for processes: a tty::Terminal (terminal.h:
// line discipline, blocking reads, termios, job control) whose input is
// the PL011 receive interrupt and whose output goes straight to the UART.
// Kernel log output (kprint) bypasses all this and goes straight out.
#pragma once

#include <cstdint>

#include "kernel/lib/error_or.h"

namespace akuma::tty {
class Terminal;
}

namespace akuma::console {

// The console's terminal (terminal.h), for its open files.
tty::Terminal& console_terminal();

// Enables the receive interrupt; without it reads see no input.
ErrorOr<void> tty_init(uint32_t uart_intid);

// The kernel's program runner: the group ^C / ^\ / ^Z go to (0: none; the
// console is then also released from any session).
void tty_set_foreground(int pgid);

}  // namespace akuma::console
