// A terminal as processes see it: the line discipline (line_discipline.h)
// between a device and read()/write(), blocking reads, termios and window
// size, and job control. The console (console_tty.h) is one; each
// pseudo-terminal's slave side (pty.h) is another.
//
// Job control, as Linux models a terminal:
// - A terminal belongs to at most one session (the one whose leader made it
//   its controlling terminal: TIOCSCTTY, or opening a pty slave without
//   O_NOCTTY) and has a foreground process group. A process "has it as
//   controlling terminal" when it is in that session; the link ends when
//   the leader gives it up (TIOCNOTTY), is gone, or the terminal hangs up.
//   Which processes of the session dropped their own link (TIOCNOTTY by a
//   non-leader) is not tracked.
// - VINTR, VQUIT and VSUSP send SIGINT, SIGQUIT, SIGTSTP to the foreground
//   group, as TIOCSWINSZ sends SIGWINCH.
// - A background process of the session reading gets SIGTTIN (EIO if it
//   ignores or blocks it); changing the terminal (TCSETS*, TCFLSH,
//   TIOCSPGRP) or writing with TOSTOP set gets SIGTTOU (allowed if ignored
//   or blocked). Not modelled: Linux's EIO for orphaned process groups.
// - A hang-up (a pty's master closed) sends SIGHUP and SIGCONT to the
//   session leader and the foreground group; reads then see end of file and
//   writes EIO.
//
// Locking: the state is under the scheduler lock (the console's receive
// interrupt feeds it), so a reader checks for input and starts waiting
// without missing a wake-up. Signals are sent after it is let go.
#pragma once

#include <cstdint>
#include <span>

#include "kernel/drivers/line_discipline.h"
#include "kernel/fs/poll_queue.h"
#include "kernel/lib/error_or.h"
#include "kernel/lib/intrusive_list.h"
#include "kernel/sched/wait_queue.h"

namespace akuma::sched {
class SchedulerLockGuard;
}

namespace akuma::tty {

class Terminal {
public:
    // Where output goes (called with the scheduler lock held; must not
    // sleep): the bytes, and how many more it can take now (nullptr: any
    // number, never waits).
    struct Device {
        void (*write)(void* context, std::span<const char> bytes);
        size_t (*room)(void* context);
        // After output (and echo) went to `write`: whoever reads the device
        // may look (nullptr: nobody to tell).
        void (*written)(void* context, sched::SchedulerLockGuard& guard);
        void* context;
        uint32_t major, minor;  // its device number, for /proc/PID/stat's tty_nr
    };

    constexpr Terminal() = default;
    Terminal(const Terminal&) = delete;
    Terminal& operator=(const Terminal&) = delete;

    // Once, before use (and for the console, before its interrupt runs).
    void attach(const Device& device);
    void detach();

    // Input from the device (scheduler lock held); the caller lets the lock
    // go and then calls send_pending_signals().
    void receive_locked(sched::SchedulerLockGuard& guard, std::span<const char> bytes);
    // How many input bytes the line discipline can take now.
    size_t input_room_locked() const;
    void send_pending_signals();
    // The device took output (a pty master read): writers may go on.
    void output_drained_locked(sched::SchedulerLockGuard& guard);

    // Blocks until a line (canonical) or bytes per VMIN/VTIME (raw) are
    // there; 0 at end of file (^D, a hang-up, VTIME run out with VMIN 0).
    ErrorOr<size_t> read(std::span<char> out, bool nonblocking);
    // Output through the line discipline; waits while the device is full.
    ErrorOr<size_t> write(std::span<const char> bytes, bool nonblocking);
    bool poll_readable();
    bool poll_writable();
    bool hung_up();
    fs::PollQueue& poll_queue() { return m_poll; }

    Termios termios();
    ErrorOr<void> set_termios(const Termios& termios, bool flush_input);
    ErrorOr<void> flush(uint32_t queue);
    Winsize winsize();
    void set_winsize(const Winsize& winsize);
    size_t bytes_available();

    // The session it is the controlling terminal of (0: none, or its leader
    // is gone) and its foreground group.
    struct Ownership {
        int session;
        int foreground_pgid;
    };
    Ownership ownership();

    // ioctls for the calling process (errors as Linux's tty layer).
    ErrorOr<int> foreground_group();               // TIOCGPGRP. NotATty
    ErrorOr<void> set_foreground_group(int pgid);  // TIOCSPGRP. NotATty, Invalid, NoSuchProcess
    ErrorOr<int> session();                        // TIOCGSID. NotATty
    ErrorOr<void> make_controlling(bool steal);    // TIOCSCTTY. NotPermitted
    ErrorOr<void> give_up_controlling();           // TIOCNOTTY. NotATty
    // Opening without O_NOCTTY: a session leader without a terminal takes
    // this one if it is free (Linux's tty_open_proc_set_tty).
    void adopt_on_open();
    // The kernel's program runner: the group the signal characters go to
    // (0: none; the terminal is then also released from any session).
    void set_foreground(int pgid);
    // The device went away: SIGHUP and SIGCONT as described above.
    void hang_up();

    ListNode all_link;  // every attached terminal (scheduler lock)

private:
    friend bool session_has_terminal(int sid);
    friend struct StatTerminal stat_terminal_of(int sid);
    struct Caller;
    static Caller caller();
    int live_session();
    bool is_controlling_terminal(const Caller& self);
    ErrorOr<void> check_background(int signal);
    void wake_everyone_locked(sched::SchedulerLockGuard& guard);
    static void signal_sink(void* context, int signal);

    LineDiscipline m_line {};
    Device m_device {};
    sched::WaitQueue m_readers {};
    sched::WaitQueue m_writers {};  // waiting for room at the device
    fs::PollQueue m_poll {};
    int m_foreground_pgid { 0 };
    int m_session { 0 };
    bool m_hung_up { false };
    // Signals the line discipline raised (bit n-1 for signal n), sent to
    // the foreground group once the lock is dropped.
    uint64_t m_pending_signals { 0 };
};

// Whether a session has a controlling terminal (any terminal's session).
bool session_has_terminal(int sid);

// /proc/PID/stat's tty_nr and tpgid for a process of session `sid`: its
// controlling terminal's number in Linux's encoding and that terminal's
// foreground group; 0 and -1 without one.
struct StatTerminal {
    int tty_nr;
    int foreground_pgid;
};
StatTerminal stat_terminal_of(int sid);

}  // namespace akuma::tty
