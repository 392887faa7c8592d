// Signal generation with default actions. Handlers can be installed
// (rt_sigaction records them) but delivering a signal to a handler needs
// signal frames, which come with the lifecycle work (issue 6): until then
// such a signal stays pending and a line in the log says so.
#include <iterator>

#include "kernel/lib/kprint.h"
#include "kernel/proc/process.h"
#include "kernel/syscalls/linux_abi.h"

namespace akuma::proc {

namespace {

enum class DefaultAction : uint8_t { Terminate, Ignore, Stop, Continue };

DefaultAction default_action(int signal) {
    switch (signal) {
    case linux_abi::k_sigchld:
    case linux_abi::k_sigurg:
    case linux_abi::k_sigwinch: return DefaultAction::Ignore;
    case linux_abi::k_sigcont: return DefaultAction::Continue;
    case linux_abi::k_sigstop:
    case linux_abi::k_sigtstp:
    case linux_abi::k_sigttin:
    case linux_abi::k_sigttou: return DefaultAction::Stop;
    default: return DefaultAction::Terminate;
    }
}

constexpr uint64_t bit(int signal) { return 1ull << (signal - 1); }

}  // namespace

const char* signal_name(int signal) {
    static constexpr const char* names[] = {
        "SIG0",    "SIGHUP",  "SIGINT",    "SIGQUIT", "SIGILL",  "SIGTRAP", "SIGABRT", "SIGBUS",
        "SIGFPE",  "SIGKILL", "SIGUSR1",   "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM",
        "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG",
        "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR",  "SIGSYS",
    };
    if (signal >= 0 && static_cast<size_t>(signal) < std::size(names))
        return names[signal];
    return signal > 0 && signal <= static_cast<int>(k_signal_count) ? "SIGRT" : "SIG?";
}

ErrorOr<void> deliver_signal(Process& target, int signal) {
    if (signal < 1 || signal > static_cast<int>(k_signal_count))
        return Error::Invalid;
    bool unstoppable = signal == linux_abi::k_sigkill || signal == linux_abi::k_sigstop;
    const SignalAction& action = target.actions[signal - 1];
    if (!unstoppable && action.handler == linux_abi::k_sig_ign)
        return {};
    if (!unstoppable && (target.signal_mask & bit(signal))) {
        target.pending_signals |= bit(signal);
        return {};
    }
    if (!unstoppable && action.handler != linux_abi::k_sig_dfl) {
        target.pending_signals |= bit(signal);
        kprintln("[Signal] {} for '{}' (PID {}) has a handler; handler delivery is not implemented yet, left pending",
                 signal_name(signal), target.name, target.pid);
        return {};
    }
    switch (default_action(signal)) {
    case DefaultAction::Ignore:
    case DefaultAction::Continue:
        return {};
    case DefaultAction::Stop:
        kprintln("[Signal] {} for '{}' (PID {}): job control stops are not implemented yet, ignored",
                 signal_name(signal), target.name, target.pid);
        return {};
    case DefaultAction::Terminate:
        break;
    }
    // Acted on when the target next returns to EL0 (for the caller itself:
    // at the end of this system call), never from inside an IRQ handler.
    target.fatal_signal = signal;
    return {};
}

void act_on_pending_signals() {
    Process* process = current_process();
    if (!process)
        return;
    // Signals that were blocked and are now unblocked with the default action.
    uint64_t deliverable = process->pending_signals & ~process->signal_mask;
    for (int signal = 1; deliverable && signal <= static_cast<int>(k_signal_count); ++signal) {
        if (!(deliverable & bit(signal)) || process->actions[signal - 1].handler != linux_abi::k_sig_dfl)
            continue;
        process->pending_signals &= ~bit(signal);
        deliverable &= ~bit(signal);
        (void)deliver_signal(*process, signal);
    }
    if (process->fatal_signal)
        exit_current(process->fatal_signal);
}

}  // namespace akuma::proc
