// sleep_ns: block the current thread until a one-shot timer event
// (kernel/time/timer_queue.h) wakes it; it fires on the first tick at or
// after the deadline, so a sleep is never shorter than asked.
#include "kernel/arch/aarch64/timer.h"
#include "kernel/sched/scheduler.h"
#include "kernel/time/duration.h"
#include "kernel/time/timer_queue.h"

namespace akuma::sched {

namespace {

struct Sleeper {
    Thread* thread;
    bool woken;
};

void wake_sleeper(void* context) {  // IRQ context (timer tick)
    auto* sleeper = static_cast<Sleeper*>(context);
    SchedulerLockGuard guard;
    sleeper->woken = true;
    if (sleeper->thread->state == ThreadState::Blocked)
        make_runnable_locked(sleeper->thread);
}

}  // namespace

void sleep_ns(uint64_t nanoseconds) {
    Sleeper sleeper { current_thread(), false };
    time::TimerEvent event {};
    event.deadline_ns = time::deadline_after(arch::monotonic_ns(), nanoseconds);
    event.callback = wake_sleeper;
    event.context = &sleeper;
    SchedulerLockGuard guard;
    time::timer_queue_add(event);
    while (!sleeper.woken) {
        sleeper.thread->state = ThreadState::Blocked;
        switch_away_locked();
    }
}

}  // namespace akuma::sched
