// wait4(2)/waitid(2): a parent collects its children's deaths (reaping the
// zombies), stops and continues.
#include "kernel/proc/process.h"
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

// What `child` has to report under `request`, if anything.
std::optional<WaitResult> report_of(Process& child, const WaitRequest& request) {
    if (child.state == ProcessState::Zombie) {
        if (!request.exited)
            return std::nullopt;
        int status = child.wait_status;
        bool killed = status & 0x7f;
        return WaitResult { child.pid, status, killed ? abi::k_cld_killed : abi::k_cld_exited,
                            killed ? (status & 0x7f) : (status >> 8) & 0xff };
    }
    if (request.stopped && child.stopped && child.job_event == JobEvent::Stopped) {
        if (!request.no_reap)
            child.job_event = JobEvent::None;
        return WaitResult { child.pid, (child.stop_signal << 8) | 0x7f, abi::k_cld_stopped, child.stop_signal };
    }
    if (request.continued && child.job_event == JobEvent::Continued) {
        if (!request.no_reap)
            child.job_event = JobEvent::None;
        return WaitResult { child.pid, 0xffff, abi::k_cld_continued, abi::k_sigcont };
    }
    return std::nullopt;
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
                any = true;
                result = report_of(child, request);
                if (result && child.state == ProcessState::Zombie && !request.no_reap) {
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
