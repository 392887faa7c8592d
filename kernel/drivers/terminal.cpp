#include "kernel/drivers/terminal.h"

#include "kernel/arch/aarch64/timer.h"
#include "kernel/fs/file.h"
#include "kernel/proc/process.h"
#include "kernel/sched/scheduler.h"
#include "kernel/syscalls/linux_abi.h"

namespace akuma::tty {

namespace abi = linux_abi;

namespace {

constexpr uint64_t bit(int signal) { return uint64_t { 1 } << (signal - 1); }

// Every attached terminal (scheduler lock): the console and the ptys.
constinit IntrusiveList<Terminal, &Terminal::all_link> g_terminals;

void sink_output(void* context, std::span<const char> bytes) {
    auto& device = *static_cast<Terminal::Device*>(context);
    device.write(device.context, bytes);
}

}  // namespace

struct Terminal::Caller {
    proc::Process* process;  // nullptr for kernel threads
    int pgid;
    int sid;
};

Terminal::Caller Terminal::caller() {
    proc::Process* process = proc::current_process();
    if (!process)
        return { nullptr, 0, 0 };
    sched::SchedulerLockGuard guard;
    return { process, process->pgid, process->sid };
}

void Terminal::attach(const Device& device) {
    sched::SchedulerLockGuard guard;
    m_device = device;
    m_line.set_output_sink(sink_output, &m_device);
    m_line.set_signal_sink(signal_sink, this);
    if (!all_link.linked)
        g_terminals.push_back(*this);
}

void Terminal::detach() {
    sched::SchedulerLockGuard guard;
    if (all_link.linked)
        g_terminals.remove(*this);
}

void Terminal::signal_sink(void* context, int signal) {
    static_cast<Terminal*>(context)->m_pending_signals |= bit(signal);
}

void Terminal::wake_everyone_locked(sched::SchedulerLockGuard& guard) {
    m_readers.wake_all(guard);
    m_writers.wake_all(guard);
    m_poll.notify(guard);
}

void Terminal::receive_locked(sched::SchedulerLockGuard& guard, std::span<const char> bytes) {
    for (char c : bytes)
        m_line.receive(c);
    if (m_device.written)
        m_device.written(m_device.context, guard);  // echo
    wake_everyone_locked(guard);
}

size_t Terminal::input_room_locked() const {
    size_t pending = m_line.bytes_available();
    return pending < LineDiscipline::k_buffer_size - 1 ? LineDiscipline::k_buffer_size - 1 - pending : 0;
}

void Terminal::output_drained_locked(sched::SchedulerLockGuard& guard) {
    m_writers.wake_all(guard);
    m_poll.notify(guard, abi::k_pollout | abi::k_pollwrnorm);
}

void Terminal::send_pending_signals() {
    uint64_t signals;
    int pgid;
    {
        sched::SchedulerLockGuard guard;
        signals = m_pending_signals;
        m_pending_signals = 0;
        pgid = m_foreground_pgid;
    }
    for (int signal = 1; signals; ++signal) {
        if (!(signals & bit(signal)))
            continue;
        signals &= ~bit(signal);
        if (pgid > 0)
            proc::signal_process_group_from_irq(pgid, signal);
    }
}

// The session that has the terminal, once its leader is known to be alive:
// Linux detaches the terminal when the session leader exits; here that is
// noticed lazily, at the next job-control question.
int Terminal::live_session() {
    int session;
    {
        sched::SchedulerLockGuard guard;
        session = m_session;
    }
    if (session == 0)
        return 0;
    auto leader_session = proc::session_of(session);
    if (!leader_session.is_error() && leader_session.value() == session)
        return session;
    sched::SchedulerLockGuard guard;
    if (m_session == session) {
        m_session = 0;
        m_foreground_pgid = 0;
    }
    return 0;
}

bool Terminal::is_controlling_terminal(const Caller& self) {
    int session = live_session();
    return self.process && session != 0 && self.sid == session;
}

// Linux's tty_check_change: a background process of the terminal's session
// touching the terminal gets `signal` (SIGTTIN for reads, SIGTTOU for
// changes) for its whole group and the call is interrupted (restarted once
// the group continues). If the signal is ignored or blocked the call goes
// ahead, except a read, which fails with EIO.
ErrorOr<void> Terminal::check_background(int signal) {
    Caller self = caller();
    if (!is_controlling_terminal(self))
        return {};
    bool ignored;
    {
        sched::SchedulerLockGuard guard;
        if (m_foreground_pgid == 0 || m_foreground_pgid == self.pgid)
            return {};
        ignored = self.process->actions[signal - 1].handler == abi::k_sig_ign;
    }
    if (ignored || (proc::signal_mask() & bit(signal)))
        return signal == abi::k_sigttin ? ErrorOr<void>(Error::IoError) : ErrorOr<void>();
    (void)proc::send_signal_to_group(self.pgid, signal, proc::SignalSender::Kernel);
    return Error::Interrupted;
}

bool Terminal::poll_readable() {
    sched::SchedulerLockGuard guard;
    return m_line.poll_readable() || m_hung_up;
}

bool Terminal::poll_writable() {
    sched::SchedulerLockGuard guard;
    return m_hung_up || !m_device.room || m_device.room(m_device.context) > 0;
}

bool Terminal::hung_up() {
    sched::SchedulerLockGuard guard;
    return m_hung_up;
}

ErrorOr<size_t> Terminal::read(std::span<char> out, bool nonblocking) {
    TRY(check_background(abi::k_sigttin));
    sched::SchedulerLockGuard guard;
    uint64_t deadline = 0;
    for (;;) {
        if (auto result = m_line.read(out))
            return *result;
        if (m_hung_up)
            return size_t { 0 };
        if (nonblocking)
            return Error::TryAgain;
        // VMIN 0 with VTIME: wait at most VTIME tenths of a second for a
        // byte, then return 0 (the line discipline leaves this timer to us).
        const Termios& termios = m_line.termios();
        bool timed = !(termios.c_lflag & ICANON) && termios.c_cc[VMIN] == 0 && termios.c_cc[VTIME] > 0;
        if (timed && deadline == 0)
            deadline = arch::monotonic_ns() + uint64_t { termios.c_cc[VTIME] } * 100'000'000;
        switch (m_readers.wait_interruptible(guard, timed ? deadline : 0)) {
        case sched::WaitResult::Interrupted: return Error::Interrupted;
        case sched::WaitResult::TimedOut:
            if (auto result = m_line.read(out))
                return *result;
            return size_t { 0 };
        case sched::WaitResult::Woken: break;
        }
    }
}

ErrorOr<size_t> Terminal::write(std::span<const char> bytes, bool nonblocking) {
    bool tostop;
    {
        sched::SchedulerLockGuard guard;
        tostop = m_line.termios().c_lflag & abi::k_tostop;
    }
    if (tostop)
        TRY(check_background(abi::k_sigttou));
    // In pieces, so a long write does not keep interrupts masked throughout;
    // a device that is full (a pty nobody reads) makes the writer wait. Each
    // piece leaves room for output processing to double it (ONLCR).
    constexpr size_t k_piece = 256;
    size_t done = 0;
    while (done < bytes.size()) {
        sched::SchedulerLockGuard guard;
        if (m_hung_up)
            return fs::partial(done, Error::IoError);
        size_t piece = bytes.size() - done < k_piece ? bytes.size() - done : k_piece;
        if (m_device.room) {
            size_t room = m_device.room(m_device.context) / 2;
            if (room == 0) {
                if (nonblocking)
                    return fs::partial(done, Error::TryAgain);
                if (m_writers.wait_interruptible(guard) == sched::WaitResult::Interrupted)
                    return fs::partial(done, Error::Interrupted);
                continue;
            }
            piece = piece < room ? piece : room;
        }
        m_line.write(bytes.subspan(done, piece));
        if (m_device.written)
            m_device.written(m_device.context, guard);
        done += piece;
    }
    return done;
}

Termios Terminal::termios() {
    sched::SchedulerLockGuard guard;
    return m_line.termios();
}

ErrorOr<void> Terminal::set_termios(const Termios& termios, bool flush_input) {
    TRY(check_background(abi::k_sigttou));
    sched::SchedulerLockGuard guard;
    if (flush_input)
        m_line.flush_input();
    m_line.set_termios(termios);
    wake_everyone_locked(guard);  // switching to raw mode may make input readable
    return {};
}

ErrorOr<void> Terminal::flush(uint32_t queue) {
    if (queue != abi::k_tciflush && queue != abi::k_tcoflush && queue != abi::k_tcioflush)
        return Error::Invalid;
    TRY(check_background(abi::k_sigttou));
    if (queue != abi::k_tcoflush) {
        sched::SchedulerLockGuard guard;
        m_line.flush_input();
        wake_everyone_locked(guard);  // room for a pty master's writer
    }
    return {};
}

Winsize Terminal::winsize() {
    sched::SchedulerLockGuard guard;
    return m_line.winsize();
}

void Terminal::set_winsize(const Winsize& winsize) {
    {
        sched::SchedulerLockGuard guard;
        m_line.set_winsize(winsize);
    }
    send_pending_signals();  // SIGWINCH for the foreground group
}

size_t Terminal::bytes_available() {
    sched::SchedulerLockGuard guard;
    return m_line.bytes_available();
}

Terminal::Ownership Terminal::ownership() {
    sched::SchedulerLockGuard guard;
    return { m_session, m_foreground_pgid };
}

ErrorOr<int> Terminal::foreground_group() {
    if (!is_controlling_terminal(caller()))
        return Error::NotATty;
    sched::SchedulerLockGuard guard;
    return m_foreground_pgid;
}

ErrorOr<void> Terminal::set_foreground_group(int pgid) {
    if (!is_controlling_terminal(caller()))
        return Error::NotATty;
    TRY(check_background(abi::k_sigttou));
    if (pgid < 0)
        return Error::Invalid;
    // Linux: ESRCH for no such group, EPERM for one in another session.
    TRY(proc::check_foreground_group(pgid));
    sched::SchedulerLockGuard guard;
    m_foreground_pgid = pgid;
    return {};
}

ErrorOr<int> Terminal::session() {
    Caller self = caller();
    if (!is_controlling_terminal(self))
        return Error::NotATty;
    return self.sid;
}

// TIOCSCTTY: a session leader without a terminal takes this one, its group
// becoming the foreground. The terminal of another (live) session can only
// be stolen with argument 1 by root, which every process here is.
ErrorOr<void> Terminal::make_controlling(bool steal) {
    Caller self = caller();
    if (!self.process)
        return Error::NotPermitted;
    int session = live_session();
    bool leader = self.process->pid == self.sid;
    if (leader && session == self.sid)
        return {};  // already ours
    if (!leader || session_has_terminal(self.sid))
        return Error::NotPermitted;
    if (session != 0 && !steal)
        return Error::NotPermitted;
    sched::SchedulerLockGuard guard;
    m_session = self.sid;
    m_foreground_pgid = self.pgid;
    return {};
}

void Terminal::adopt_on_open() {
    Caller self = caller();
    if (!self.process || self.process->pid != self.sid || live_session() != 0 || session_has_terminal(self.sid))
        return;
    sched::SchedulerLockGuard guard;
    if (m_session == 0 && !m_hung_up) {
        m_session = self.sid;
        m_foreground_pgid = self.pgid;
    }
}

// TIOCNOTTY: the session leader gives the terminal up, and its foreground
// group gets SIGHUP and SIGCONT, as on Linux. For any other process of the
// session Linux only drops that process's own link to the terminal, which
// is not tracked here (see terminal.h): it succeeds without effect.
ErrorOr<void> Terminal::give_up_controlling() {
    Caller self = caller();
    if (!is_controlling_terminal(self))
        return Error::NotATty;
    if (self.process->pid != self.sid)
        return {};
    int foreground;
    {
        sched::SchedulerLockGuard guard;
        foreground = m_foreground_pgid;
        m_session = 0;
        m_foreground_pgid = 0;
    }
    if (foreground > 0) {
        (void)proc::send_signal_to_group(foreground, abi::k_sighup, proc::SignalSender::Kernel);
        (void)proc::send_signal_to_group(foreground, abi::k_sigcont, proc::SignalSender::Kernel);
    }
    return {};
}

void Terminal::set_foreground(int pgid) {
    sched::SchedulerLockGuard guard;
    m_foreground_pgid = pgid;
    if (pgid == 0)
        m_session = 0;
}

void Terminal::hang_up() {
    int session = live_session();
    int foreground;
    {
        sched::SchedulerLockGuard guard;
        m_hung_up = true;
        foreground = m_foreground_pgid;
        m_session = 0;
        m_foreground_pgid = 0;
        wake_everyone_locked(guard);
    }
    // Linux's tty_signal_session_leader: the leader and the foreground group.
    for (int signal : { abi::k_sighup, abi::k_sigcont }) {
        if (session > 0)
            (void)proc::send_signal(session, signal, nullptr, proc::SignalSender::Kernel);
        if (foreground > 0)
            (void)proc::send_signal_to_group(foreground, signal, proc::SignalSender::Kernel);
    }
}

StatTerminal stat_terminal_of(int sid) {
    StatTerminal result { 0, -1 };
    if (sid == 0)
        return result;
    sched::SchedulerLockGuard guard;
    g_terminals.for_each([&](Terminal& terminal) {
        if (terminal.m_session != sid)
            return;
        uint32_t major = terminal.m_device.major, minor = terminal.m_device.minor;
        result.tty_nr = static_cast<int>((minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12));
        result.foreground_pgid = terminal.m_foreground_pgid ? terminal.m_foreground_pgid : -1;
    });
    return result;
}

bool session_has_terminal(int sid) {
    sched::SchedulerLockGuard guard;
    bool found = false;
    g_terminals.for_each([&](Terminal& terminal) { found |= terminal.m_session == sid; });
    return found;
}

}  // namespace akuma::tty
