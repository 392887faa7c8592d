// The console as a terminal for processes: serial input through the line
// discipline (kernel/drivers/line_discipline.h) fed by the PL011 receive
// interrupt, blocking reads, output with termios output processing, and job
// control. Kernel log output (kprint) bypasses all this and goes straight out.
//
// Job control, as Linux models a terminal with one console:
// - The console belongs to at most one session (the one whose leader made
//   it its controlling terminal with TIOCSCTTY) and has a foreground process
//   group. A process "has the console as controlling terminal" when it is in
//   that session; the console's link to a session ends when the leader gives
//   it up (TIOCNOTTY) or is gone. Which processes of the session dropped
//   their own link (TIOCNOTTY by a non-leader) is not tracked.
// - ^C, ^\ and ^Z send SIGINT, SIGQUIT, SIGTSTP to the foreground group, as
//   TIOCSWINSZ sends SIGWINCH.
// - A background process of the session reading the console gets SIGTTIN
//   (EIO if it ignores or blocks it); changing the terminal (TCSETS*,
//   TCFLSH, TIOCSPGRP) or writing with TOSTOP set gets SIGTTOU (allowed if
//   ignored or blocked). Not modelled: Linux's EIO for orphaned process
//   groups.
// - The kernel's program runner, which starts programs outside any
//   session, names the group ^C goes to with tty_set_foreground.
#pragma once

#include <cstdint>
#include <span>

#include "kernel/drivers/line_discipline.h"
#include "kernel/fs/poll_queue.h"
#include "kernel/lib/error_or.h"

namespace akuma::tty {
class Terminal;
}

namespace akuma::console {

// The console's terminal (terminal.h), for its open files.
tty::Terminal& console_terminal();

// Enables the receive interrupt; without it reads see no input.
ErrorOr<void> tty_init(uint32_t uart_intid);

// Blocks until a line (canonical) or bytes per VMIN/VTIME (raw) are there.
// Returns 0 at end of file (^D), or when VTIME runs out with VMIN 0.
// Nonblocking: TryAgain instead of blocking. A signal for the thread ends
// the wait: Interrupted. Background processes: see above.
ErrorOr<size_t> tty_read(std::span<char> out, bool nonblocking);
ErrorOr<size_t> tty_write(std::span<const char> bytes);
// poll(2): whether POLLIN holds (output never blocks), and the queue
// notified when input arrives or the mode changes.
bool tty_poll_readable();
fs::PollQueue& tty_poll_queue();

tty::Termios tty_termios();
// TCSETS/TCSETSW/TCSETSF (flush_input: TCSETSF drops pending input first).
ErrorOr<void> tty_set_termios(const tty::Termios& termios, bool flush_input);
// TCFLSH: TCIFLUSH/TCIOFLUSH drop pending input; output is never queued.
ErrorOr<void> tty_flush(uint32_t queue);
tty::Winsize tty_winsize();
void tty_set_winsize(const tty::Winsize& winsize);
size_t tty_bytes_available();

// For /proc/<pid>/stat's tty_nr and tpgid: the session the console is the
// controlling terminal of (0: none) and its foreground group (0: none).
struct ConsoleOwnership {
    int session;
    int foreground_pgid;
};
ConsoleOwnership console_ownership();

// ioctls for the calling process (errors as Linux's tty layer).
ErrorOr<int> tty_foreground_group();                // TIOCGPGRP. NotATty
ErrorOr<void> tty_set_foreground_group(int pgid);   // TIOCSPGRP. NotATty, Invalid, NoSuchProcess
ErrorOr<int> tty_session();                         // TIOCGSID. NotATty
ErrorOr<void> tty_make_controlling(bool steal);     // TIOCSCTTY. NotPermitted
ErrorOr<void> tty_give_up_controlling();            // TIOCNOTTY. NotATty

// The kernel's program runner: the group ^C / ^\ / ^Z go to (0: none; the
// console is then also released from any session).
void tty_set_foreground(int pgid);

}  // namespace akuma::console
