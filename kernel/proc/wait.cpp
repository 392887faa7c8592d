// wait4(2)/waitid(2): a parent collects its children's deaths (reaping the
// zombies), stops and continues.
#include "kernel/proc/process.h"
#include "kernel/proc/process_credentials.h"
#include "kernel/sched/scheduler.h"
#include "kernel/syscalls/linux_abi.h"

namespace akuma::proc {

namespace abi = linux_abi;

namespace {

bool selected(const Process& child, const WaitRequest& request) {
    switch (request.selector) {
    case WaitSelector::Any: return true;
    case WaitSelector::Pid: return child.pid == request.id;
    case WaitSelector::ProcessGroup: return child.pgid == request.id;
    }
    return false;
}

// What `child` has to report under `request`, if anything (the usage is
// added by add_usage).
std::optional<WaitResult> report_of(Process& child, const WaitRequest& request) {
    if (child.state == ProcessState::Zombie) {
        if (!request.exited)
            return std::nullopt;
        int status = child.wait_status;
        bool killed = status & 0x7f;
        return WaitResult { child.pid, status, killed ? abi::k_cld_killed : abi::k_cld_exited,
                            killed ? (status & 0x7f) : (status >> 8) & 0xff, credentials_of(child).uid, {}, 0 };
    }
    if (request.stopped && child.stopped && child.job_event == JobEvent::Stopped) {
        if (!request.no_reap)
            child.job_event = JobEvent::None;
        return WaitResult { child.pid, (child.stop_signal << 8) | 0x7f, abi::k_cld_stopped, child.stop_signal,
                            credentials_of(child).uid, {}, 0 };
    }
    if (request.continued && child.job_event == JobEvent::Continued) {
        if (!request.no_reap)
            child.job_event = JobEvent::None;
        return WaitResult { child.pid, 0xffff, abi::k_cld_continued, abi::k_sigcont, credentials_of(child).uid, {}, 0 };
    }
    return std::nullopt;
}

// Linux fills wait4/waitid's rusage with the child's RUSAGE_BOTH: its own
// time and what it collected from its reaped children. A live child's
// peak RSS is not read (its address space may be going away meanwhile).
void add_usage(WaitResult& result, Process& child) {
    result.usage = process_cpu_time_locked(child);
    result.usage += child.reaped_children_time;
    if (child.state == ProcessState::Zombie)
        result.maxrss_kb = child.exit_maxrss_kb;
    if (result.maxrss_kb < child.reaped_children_maxrss_kb)
        result.maxrss_kb = child.reaped_children_maxrss_kb;
}

// A parent that reaps a child collects its time (and its children's) and
// its peak RSS, as Linux's wait_task_zombie.
void collect_usage(Process& parent, const WaitResult& reaped) {
    parent.reaped_children_time += reaped.usage;
    if (reaped.maxrss_kb > parent.reaped_children_maxrss_kb)
        parent.reaped_children_maxrss_kb = reaped.maxrss_kb;
}

}  // namespace

ErrorOr<WaitResult> wait_child(const WaitRequest& request) {
    Process& self = *current_process();
    for (;;) {
        Process* zombie = nullptr;
        std::optional<WaitResult> result;
        {
            sched::SchedulerLockGuard guard;
            bool any = false;
            for_each_child(self, [&](Process& child) {
                if (result || !selected(child, request))
                    return;
                // A zombie can only ever report its exit: without WEXITED
                // it is no child to wait for (Linux: ECHILD, not a wait
                // for ever).
                if (child.state == ProcessState::Zombie && !request.exited)
                    return;
                any = true;
                result = report_of(child, request);
                if (result)
                    add_usage(*result, child);
                if (result && child.state == ProcessState::Zombie && !request.no_reap) {
                    collect_usage(self, *result);
                    self.children.remove(child.sibling_link);
                    unregister_process_locked(child);
                    zombie = &child;
                }
            });
            if (!any)
                return Error::NoChild;
            if (!result) {
                if (request.no_hang)
                    return WaitResult {};
                if (self.child_events.wait_interruptible(guard) == sched::WaitResult::Interrupted)
                    return Error::Interrupted;
                continue;
            }
        }
        if (zombie)
            free_reaped_process(zombie);
        return *result;
    }
}

}  // namespace akuma::proc
