#include "kernel/proc/io_signals.h"

#include "kernel/proc/process.h"
#include "kernel/proc/process_credentials.h"
#include "kernel/sched/scheduler.h"
#include "kernel/syscalls/linux_abi.h"

namespace akuma::proc {

namespace abi = linux_abi;

namespace {

// Linux's sigio_perm.
bool may_signal(const IoSignalOwner& owner, const Process& target) {
    const Credentials& credentials = target.credentials;
    return owner.euid == 0 || owner.euid == credentials.suid || owner.euid == credentials.uid ||
           owner.uid == credentials.suid || owner.uid == credentials.uid;
}

SignalInfo io_info(int signal, int reason, uint64_t band, int fd) {
    SignalInfo info {};
    if (signal == 0) {
        info.signo = abi::k_sigio;
        info.code = abi::k_si_kernel;
        return info;
    }
    info.signo = signal;
    info.code = reason;
    info.address = band;  // si_band (sigframe::fill_siginfo lays it out)
    info.status = fd;     // si_fd
    return info;
}

void signal_process(sched::SchedulerLockGuard& guard, Process& process, const IoSignalOwner& owner, int signal,
                    const SignalInfo& info) {
    if (process.state == ProcessState::Zombie || !may_signal(owner, process))
        return;
    if (queue_signal_locked(guard, process, info.signo, info).is_error() && signal != 0)
        (void)queue_signal_locked(guard, process, abi::k_sigio, io_info(0, 0, 0, 0));
}

}  // namespace

ErrorOr<IoSignalOwner> io_signal_owner(IoOwnerType type, int id) {
    Credentials credentials = current_credentials();
    IoSignalOwner owner { type, id, credentials.uid, credentials.euid };
    if (id == 0)
        return owner;
    sched::SchedulerLockGuard guard;
    bool found = false;
    switch (type) {
    case IoOwnerType::Thread: found = find_task_locked(id) != nullptr; break;
    case IoOwnerType::Process: found = find_process_locked(id) != nullptr; break;
    case IoOwnerType::ProcessGroup:
        all_processes_locked().for_each([&](Process& process) { found |= process.pgid == id; });
        break;
    }
    if (!found)
        return Error::NoSuchProcess;
    return owner;
}

void send_io_signal_locked(sched::SchedulerLockGuard& guard, const IoSignalOwner& owner, int signal, int reason,
                           uint64_t band, int fd) {
    if (owner.id == 0)
        return;
    SignalInfo info = io_info(signal, reason, band, fd);
    switch (owner.type) {
    case IoOwnerType::Thread: {
        Task* task = find_task_locked(owner.id);
        if (!task || !may_signal(owner, *task->process))
            return;
        if (queue_thread_signal_locked(guard, *task, info.signo, info).is_error() && signal != 0)
            (void)queue_thread_signal_locked(guard, *task, abi::k_sigio, io_info(0, 0, 0, 0));
        return;
    }
    case IoOwnerType::Process:
        if (Process* process = find_process_locked(owner.id))
            signal_process(guard, *process, owner, signal, info);
        return;
    case IoOwnerType::ProcessGroup:
        all_processes_locked().for_each([&](Process& process) {
            if (process.pgid == owner.id)
                signal_process(guard, process, owner, signal, info);
        });
        return;
    }
}

}  // namespace akuma::proc
