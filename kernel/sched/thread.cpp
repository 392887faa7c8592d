#include "kernel/sched/thread.h"

#include <new>

#include "kernel/debug/panic.h"
#include "kernel/sched/scheduler_internal.h"

namespace akuma::sched {

namespace {

constinit IntrusiveList<Thread, &Thread::all_link> g_all_threads {};
// Exited detached threads; they are in no other queue once dead.
constinit IntrusiveList<Thread, &Thread::queue_link> g_zombies {};
constinit uint64_t g_next_id = 0;

void free_thread(Thread* thread) {
    if (thread->owns_stack)
        mm::free_kernel_stack(thread->stack);
    {
        SchedulerLockGuard guard;
        g_all_threads.remove(*thread);
        --stats_locked().threads_alive;
    }
    delete thread->fp_state;
    delete thread;
}

}  // namespace

const char* thread_state_name(ThreadState state) {
    switch (state) {
    case ThreadState::Runnable: return "runnable";
    case ThreadState::Running: return "running";
    case ThreadState::Blocked: return "blocked";
    case ThreadState::Dead: return "dead";
    }
    return "?";
}

ErrorOr<Thread*> allocate_thread_record(const char* name) {
    auto* thread = new (std::nothrow) Thread {};
    if (!thread)
        return Error::NoMemory;
    size_t i = 0;
    for (; name && name[i] && i + 1 < Thread::k_name_size; ++i)
        thread->name[i] = name[i];
    thread->name[i] = '\0';
    SchedulerLockGuard guard;
    thread->id = g_next_id++;
    g_all_threads.push_back(*thread);
    ++stats_locked().threads_alive;
    ++stats_locked().threads_created;
    return thread;
}

ErrorOr<Thread*> spawn(const char* name, ThreadEntry entry, void* argument) {
    auto* thread = TRY(allocate_thread_record(name));
    auto stack = mm::allocate_kernel_stack();
    if (stack.is_error()) {
        free_thread(thread);
        return stack.error();
    }
    thread->stack = stack.value();
    thread->owns_stack = true;
    // switch_context "returns" into thread_trampoline with x19/x20 set.
    thread->context.x19_to_x28[0] = reinterpret_cast<uint64_t>(entry);
    thread->context.x19_to_x28[1] = reinterpret_cast<uint64_t>(argument);
    thread->context.lr = reinterpret_cast<uint64_t>(&thread_trampoline);
    thread->context.sp = thread->stack.top;
    SchedulerLockGuard guard;
    make_runnable_locked(thread);
    return thread;
}

ErrorOr<uint64_t> join(Thread* thread) {
    if (!thread || thread == current_thread())
        return Error::Invalid;
    {
        SchedulerLockGuard guard;
        if (thread->detached || thread->joined)
            return Error::Invalid;
        thread->joined = true;
        while (thread->state != ThreadState::Dead)
            thread->joiners.wait(guard);
    }
    uint64_t value = thread->exit_value;
    free_thread(thread);
    return value;
}

void detach(Thread* thread) {
    SchedulerLockGuard guard;
    if (thread->joined || thread->detached)
        return;
    thread->detached = true;
    if (thread->state == ThreadState::Dead)
        g_zombies.push_back(*thread);
}

void exit_thread(uint64_t exit_value) {
    Thread* self = current_thread();
    if (self->owns_stack == false)
        panic("the boot thread '{}' cannot exit", self->name);
    SchedulerLockGuard guard;
    self->exit_value = exit_value;
    self->state = ThreadState::Dead;
    self->joiners.wake_all(guard);
    if (self->detached)
        g_zombies.push_back(*self);
    switch_away_locked();
    panic("dead thread '{}' was scheduled again", self->name);
}

void reap_dead_threads() { reap_detached_threads(); }

void reap_detached_threads() {
    for (;;) {
        Thread* zombie;
        {
            SchedulerLockGuard guard;
            zombie = g_zombies.pop_front();
        }
        if (!zombie)
            return;
        free_thread(zombie);
    }
}

ErrorOr<void> enable_fp_state(Thread* thread) {
    if (thread->fp_state)
        return {};
    auto* state = new (std::nothrow) FpState {};
    if (!state)
        return Error::NoMemory;
    thread->fp_state = state;
    return {};
}

}  // namespace akuma::sched

// First C++ code of a new thread (context_switch.S). The switch that started
// it happened with the scheduler lock held; release it with IRQs enabled.
extern "C" [[noreturn]] void thread_start(akuma::sched::ThreadEntry entry, void* argument) {
    akuma::sched::release_scheduler_lock_in_new_thread();
    akuma::sched::exit_thread(entry(argument));
}
