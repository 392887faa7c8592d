#include "kernel/drivers/console_tty.h"

#include "kernel/arch/aarch64/irq.h"
#include "kernel/arch/aarch64/timer.h"
#include "kernel/drivers/console.h"
#include "kernel/fs/vfs.h"
#include "kernel/proc/process.h"
#include "kernel/sched/scheduler.h"
#include "kernel/sched/spinlock.h"
#include "kernel/sched/wait_queue.h"
#include "kernel/syscalls/linux_abi.h"

namespace akuma::console {

namespace abi = linux_abi;

namespace {

// Line discipline and job-control state is touched by the receive IRQ and
// by system calls; the scheduler lock (which masks IRQs) guards it, so a
// reader can check for input and start waiting without missing a wake-up.
constinit tty::LineDiscipline g_line {};
constinit sched::WaitQueue g_readers {};
constinit int g_foreground_pgid = 0;  // 0: no foreground group
constinit fs::PollQueue g_poll_queue {};
constinit int g_session = 0;          // 0: no session has the console
// Signals the line discipline raised (bit n-1 for signal n), sent to the
// foreground group once the lock is dropped: signal delivery takes it.
constinit uint64_t g_pending_signals = 0;

constexpr uint64_t bit(int signal) { return uint64_t { 1 } << (signal - 1); }

void output_sink(void*, std::span<const char> bytes) { raw_write(bytes); }

void signal_sink(void*, int signal) { g_pending_signals |= bit(signal); }

// Input or a mode change: readers and pollers look again.
void wake_everyone(sched::SchedulerLockGuard& guard) {
    g_readers.wake_all(guard);
    g_poll_queue.notify(guard);
}

// Sends what the line discipline raised (scheduler lock not held).
void send_pending_signals() {
    uint64_t signals;
    int pgid;
    {
        sched::SchedulerLockGuard guard;
        signals = g_pending_signals;
        g_pending_signals = 0;
        pgid = g_foreground_pgid;
    }
    for (int signal = 1; signals; ++signal) {
        if (!(signals & bit(signal)))
            continue;
        signals &= ~bit(signal);
        if (pgid > 0)
            proc::signal_process_group_from_irq(pgid, signal);
    }
}

void receive_interrupt(uint32_t, void*) {
    {
        sched::SchedulerLockGuard guard;
        for (int c; (c = uart_try_get_char()) >= 0;)
            g_line.receive(static_cast<char>(c));
        wake_everyone(guard);
    }
    send_pending_signals();
}

// The session that has the console, once its leader is known to be alive:
// Linux detaches the terminal when the session leader exits; here that is
// noticed lazily, at the next job-control question.
int console_session() {
    int session;
    {
        sched::SchedulerLockGuard guard;
        session = g_session;
    }
    if (session == 0)
        return 0;
    auto leader_session = proc::session_of(session);
    if (!leader_session.is_error() && leader_session.value() == session)
        return session;
    sched::SchedulerLockGuard guard;
    if (g_session == session) {
        g_session = 0;
        g_foreground_pgid = 0;
    }
    return 0;
}

struct Caller {
    proc::Process* process;  // nullptr for kernel threads
    int pgid;
    int sid;
};

Caller caller() {
    proc::Process* process = proc::current_process();
    if (!process)
        return { nullptr, 0, 0 };
    sched::SchedulerLockGuard guard;
    return { process, process->pgid, process->sid };
}

// Whether the calling process has the console as controlling terminal.
bool is_controlling_terminal(const Caller& self) {
    int session = console_session();
    return self.process && session != 0 && self.sid == session;
}

// Linux's tty_check_change: a background process of the console's session
// touching the terminal gets `signal` (SIGTTIN for reads, SIGTTOU for
// changes) for its whole group and the call is interrupted (restarted once
// the group continues). If the signal is ignored or blocked the call goes
// ahead, except a read, which fails with EIO.
ErrorOr<void> check_background(int signal) {
    Caller self = caller();
    if (!is_controlling_terminal(self))
        return {};
    bool ignored;
    {
        sched::SchedulerLockGuard guard;
        if (g_foreground_pgid == 0 || g_foreground_pgid == self.pgid)
            return {};
        ignored = self.process->actions[signal - 1].handler == abi::k_sig_ign;
    }
    if (ignored || (proc::signal_mask() & bit(signal)))
        return signal == abi::k_sigttin ? ErrorOr<void>(Error::IoError) : ErrorOr<void>();
    (void)proc::send_signal_to_group(self.pgid, signal);
    return Error::Interrupted;
}

}  // namespace

ErrorOr<void> tty_init(uint32_t uart_intid) {
    g_line.set_output_sink(output_sink, nullptr);
    g_line.set_signal_sink(signal_sink, nullptr);
    TRY(arch::irq_register(uart_intid, receive_interrupt, nullptr, "uart"));
    uart_enable_receive_interrupts();
    receive_interrupt(uart_intid, nullptr);  // what arrived before, if the interrupt stays quiet
    return {};
}

fs::PollQueue& tty_poll_queue() { return g_poll_queue; }

bool tty_poll_readable() {
    sched::SchedulerLockGuard guard;
    return g_line.poll_readable();
}

ErrorOr<size_t> tty_read(std::span<char> out, bool nonblocking) {
    TRY(check_background(abi::k_sigttin));
    sched::SchedulerLockGuard guard;
    uint64_t deadline = 0;
    for (;;) {
        if (auto result = g_line.read(out))
            return *result;
        if (nonblocking)
            return Error::TryAgain;
        // VMIN 0 with VTIME: wait at most VTIME tenths of a second for a
        // byte, then return 0 (the line discipline leaves this timer to us).
        const tty::Termios& termios = g_line.termios();
        bool timed = !(termios.c_lflag & tty::ICANON) && termios.c_cc[tty::VMIN] == 0 && termios.c_cc[tty::VTIME] > 0;
        if (timed && deadline == 0)
            deadline = arch::monotonic_ns() + uint64_t { termios.c_cc[tty::VTIME] } * 100'000'000;
        switch (g_readers.wait_interruptible(guard, timed ? deadline : 0)) {
        case sched::WaitResult::Interrupted: return Error::Interrupted;
        case sched::WaitResult::TimedOut:
            if (auto result = g_line.read(out))
                return *result;
            return size_t { 0 };
        case sched::WaitResult::Woken: break;
        }
    }
}

ErrorOr<size_t> tty_write(std::span<const char> bytes) {
    bool tostop;
    {
        sched::SchedulerLockGuard guard;
        tostop = g_line.termios().c_lflag & abi::k_tostop;
    }
    if (tostop)
        TRY(check_background(abi::k_sigttou));
    // In pieces, so a long write does not keep interrupts masked throughout.
    constexpr size_t k_piece = 256;
    for (size_t done = 0; done < bytes.size(); done += k_piece) {
        sched::SchedulerLockGuard guard;
        g_line.write(bytes.subspan(done, bytes.size() - done < k_piece ? bytes.size() - done : k_piece));
    }
    return bytes.size();
}

tty::Termios tty_termios() {
    sched::SchedulerLockGuard guard;
    return g_line.termios();
}

ErrorOr<void> tty_set_termios(const tty::Termios& termios, bool flush_input) {
    TRY(check_background(abi::k_sigttou));
    sched::SchedulerLockGuard guard;
    if (flush_input)
        g_line.flush_input();
    g_line.set_termios(termios);
    wake_everyone(guard);  // switching to raw mode may make input readable
    return {};
}

ErrorOr<void> tty_flush(uint32_t queue) {
    if (queue != abi::k_tciflush && queue != abi::k_tcoflush && queue != abi::k_tcioflush)
        return Error::Invalid;
    TRY(check_background(abi::k_sigttou));
    if (queue != abi::k_tcoflush) {
        sched::SchedulerLockGuard guard;
        g_line.flush_input();
    }
    return {};
}

tty::Winsize tty_winsize() {
    sched::SchedulerLockGuard guard;
    return g_line.winsize();
}

void tty_set_winsize(const tty::Winsize& winsize) {
    {
        sched::SchedulerLockGuard guard;
        g_line.set_winsize(winsize);
    }
    send_pending_signals();  // SIGWINCH for the foreground group
}

size_t tty_bytes_available() {
    sched::SchedulerLockGuard guard;
    return g_line.bytes_available();
}

ErrorOr<int> tty_foreground_group() {
    if (!is_controlling_terminal(caller()))
        return Error::NotATty;
    sched::SchedulerLockGuard guard;
    return g_foreground_pgid;
}

ErrorOr<void> tty_set_foreground_group(int pgid) {
    if (!is_controlling_terminal(caller()))
        return Error::NotATty;
    TRY(check_background(abi::k_sigttou));
    if (pgid < 0)
        return Error::Invalid;
    // Linux: ESRCH for no such group, EPERM for one in another session.
    TRY(proc::check_foreground_group(pgid));
    sched::SchedulerLockGuard guard;
    g_foreground_pgid = pgid;
    return {};
}

ConsoleOwnership console_ownership() {
    sched::SchedulerLockGuard guard;
    return { g_session, g_foreground_pgid };
}

ErrorOr<int> tty_session() {
    Caller self = caller();
    if (!is_controlling_terminal(self))
        return Error::NotATty;
    return self.sid;
}

// TIOCSCTTY: a session leader without a terminal takes the console, its
// group becoming the foreground. The console of another (live) session can
// only be stolen with argument 1 by root, which every process here is.
ErrorOr<void> tty_make_controlling(bool steal) {
    Caller self = caller();
    if (!self.process)
        return Error::NotPermitted;
    int session = console_session();
    bool leader = self.process->pid == self.sid;
    if (leader && session == self.sid)
        return {};  // already ours
    if (!leader)
        return Error::NotPermitted;
    if (session != 0 && !steal)
        return Error::NotPermitted;
    sched::SchedulerLockGuard guard;
    g_session = self.sid;
    g_foreground_pgid = self.pgid;
    return {};
}

// TIOCNOTTY: the session leader gives the console up, and its foreground
// group gets SIGHUP and SIGCONT, as on Linux. For any other process of the
// session Linux only drops that process's own link to the terminal, which
// is not tracked here (see the top of console_tty.h): it succeeds without
// effect.
ErrorOr<void> tty_give_up_controlling() {
    Caller self = caller();
    if (!is_controlling_terminal(self))
        return Error::NotATty;
    if (self.process->pid != self.sid)
        return {};
    int foreground;
    {
        sched::SchedulerLockGuard guard;
        foreground = g_foreground_pgid;
        g_session = 0;
        g_foreground_pgid = 0;
    }
    if (foreground > 0) {
        (void)proc::send_signal_to_group(foreground, abi::k_sighup);
        (void)proc::send_signal_to_group(foreground, abi::k_sigcont);
    }
    return {};
}

void tty_set_foreground(int pgid) {
    sched::SchedulerLockGuard guard;
    g_foreground_pgid = pgid;
    if (pgid == 0)
        g_session = 0;
}

}  // namespace akuma::console
