#include "kernel/sched/scheduler.h"

#include <new>

#include "kernel/arch/aarch64/interrupts.h"
#include "kernel/arch/aarch64/user_mode.h"
#include "kernel/debug/panic.h"
#include "kernel/lib/intrusive_list.h"
#include "kernel/lib/kprint.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/sched/cpu_time.h"
#include "kernel/sched/scheduler_internal.h"

extern "C" char boot_stack_bottom[], boot_stack_top[];

namespace akuma::sched {

constinit Thread* g_current_thread = nullptr;

namespace {

constexpr unsigned k_slice_ms = 10;

constinit IrqSpinLock g_lock {};
constinit IntrusiveList<Thread, &Thread::queue_link> g_run_queue {};
constinit Thread* g_idle = nullptr;
constinit bool g_need_resched = false;
constinit SchedulerStats g_stats {};
constinit LoadAverage g_load {};

uint64_t runnable_threads_locked() {
    return g_run_queue.size() + (g_current_thread && g_current_thread != g_idle ? 1 : 0);
}

uint64_t idle_loop(void*) {
    for (;;) {
        reap_detached_threads();
        // WFI with IRQs enabled: the next interrupt (the tick at the latest)
        // wakes us; then let whatever became runnable run.
        asm volatile("dsb sy\n wfi");
        yield();
    }
}

// Picks the next thread and switches to it. Lock held; the current thread's
// state has been set by the caller (Runnable ones are already queued).
void schedule_locked() {
    // A pending request to switch was about the thread leaving now: the next
    // one starts a fresh slice and must not be taken at its first interrupt.
    g_need_resched = false;
    Thread* previous = g_current_thread;
    Thread* next = g_run_queue.pop_front();
    if (!next)
        next = g_idle;
    if (next == previous) {
        previous->state = ThreadState::Running;
        return;
    }
    // CPU time (cpu_time.h): the previous thread's stretch on this CPU ends.
    // Setting user_start too keeps time off the CPU out of user time
    // whatever the way back to EL0.
    uint64_t now = arch::read_counter();
    previous->run_counts += now - previous->run_start;
    next->run_start = now;
    next->user_start = now;
    next->state = ThreadState::Running;
    next->slice_remaining = g_stats.slice_ticks;
    ++next->switches_in;
    ++g_stats.context_switches;
    g_current_thread = next;
    if (previous->fp_state)
        fp_state_save(previous->fp_state);
    if (next->fp_state)
        fp_state_restore(next->fp_state);
    if (previous->process)
        previous->tpidr_el0 = arch::read_tpidr_el0();
    if (next->process)
        arch::write_tpidr_el0(next->tpidr_el0);
    arch::switch_user_translation(next->user_ttbr0);
    switch_context(&previous->context, &next->context);
    // Running again (possibly on another thread's behalf of the lock: every
    // thread that switches away holds the lock, so it is still held here).
}

}  // namespace

SchedulerLockGuard::SchedulerLockGuard() : m_saved(g_lock.lock()) {}
SchedulerLockGuard::~SchedulerLockGuard() { g_lock.unlock(m_saved); }

void make_runnable_locked(Thread* thread) {
    thread->state = ThreadState::Runnable;
    if (thread != g_idle)
        g_run_queue.push_back(*thread);
}

void switch_away_locked() {
    // Blocking with any other spinlock held would deadlock or run with IRQs
    // masked for an unbounded time: report it.
    if (spinlocks_held() != 1)
        panic("thread '{}' would sleep while holding {} spinlock(s) besides the scheduler lock",
              g_current_thread->name, spinlocks_held() - 1);
    schedule_locked();
}

ErrorOr<void> scheduler_init(unsigned tick_hz) {
    g_stats.tick_hz = tick_hz;
    g_stats.slice_ticks = (k_slice_ms * tick_hz + 999) / 1000;
    if (g_stats.slice_ticks == 0)
        g_stats.slice_ticks = 1;
    // The boot flow becomes the thread "main".
    auto* main = TRY(allocate_thread_record("main"));
    main->stack = { reinterpret_cast<uintptr_t>(boot_stack_bottom), reinterpret_cast<uintptr_t>(boot_stack_top) };
    main->owns_stack = false;
    main->state = ThreadState::Running;
    main->slice_remaining = g_stats.slice_ticks;
    g_current_thread = main;
    auto* idle = TRY(spawn("idle", idle_loop, nullptr));
    {
        SchedulerLockGuard guard;
        g_run_queue.remove(*idle);  // the idle thread only runs when nothing else can
        idle->state = ThreadState::Runnable;
        g_idle = idle;
    }
    detach(idle);
    return {};
}

bool scheduler_running() { return g_current_thread != nullptr; }

const char* current_thread_name() { return g_current_thread ? g_current_thread->name : "boot"; }

void yield() {
    if (!g_current_thread)
        return;
    SchedulerLockGuard guard;
    if (g_current_thread != g_idle)
        make_runnable_locked(g_current_thread);
    else
        g_current_thread->state = ThreadState::Runnable;
    switch_away_locked();
}

void on_tick() {
    ++g_stats.ticks;
    // IRQs are masked here, so this is as good as the scheduler lock.
    if (g_stats.tick_hz && g_stats.ticks % (uint64_t(LoadAverage::k_interval_seconds) * g_stats.tick_hz) == 0)
        g_load.sample(runnable_threads_locked());
    if (!g_current_thread)
        return;
    if (g_current_thread == g_idle) {
        g_need_resched = !g_run_queue.is_empty();
        return;
    }
    if (g_current_thread->slice_remaining > 0)
        --g_current_thread->slice_remaining;
    if (g_current_thread->slice_remaining == 0)
        g_need_resched = true;
}

PreemptionDisabled::PreemptionDisabled() {
    if (g_current_thread)
        ++g_current_thread->preempt_disabled;
}

PreemptionDisabled::~PreemptionDisabled() {
    if (g_current_thread)
        --g_current_thread->preempt_disabled;
}

void preempt_if_needed() {
    if (!g_need_resched || !g_current_thread || g_current_thread->preempt_disabled > 0)
        return;
    g_need_resched = false;
    SchedulerLockGuard guard;
    if (g_run_queue.is_empty()) {
        g_current_thread->slice_remaining = g_stats.slice_ticks;  // nobody else wants the CPU
        return;
    }
    ++g_stats.preemptions;
    if (g_current_thread != g_idle)
        make_runnable_locked(g_current_thread);
    else
        g_current_thread->state = ThreadState::Runnable;
    schedule_locked();
}

void release_scheduler_lock_in_new_thread() { g_lock.unlock(0); }  // DAIF 0: interrupts enabled

namespace {

CpuTime cpu_time_at(const Thread& thread, uint64_t now) {
    uint64_t run = thread.run_counts;
    if (&thread == g_current_thread || thread.state == ThreadState::Running)
        run += now - thread.run_start;
    uint64_t user = __atomic_load_n(&thread.user_counts, __ATOMIC_RELAXED);
    if (user > run)  // counter reads without a barrier may be a few counts off
        user = run;
    return { user, run - user };
}

}  // namespace

CpuTime thread_cpu_time(const Thread& thread) { return cpu_time_at(thread, arch::read_counter()); }

CpuTime take_cpu_time() {
    Thread& self = *g_current_thread;
    uint64_t now = arch::read_counter();
    CpuTime time = cpu_time_at(self, now);
    self.run_counts = 0;
    self.run_start = now;
    __atomic_store_n(&self.user_counts, 0, __ATOMIC_RELAXED);
    return time;
}

SchedulerStats scheduler_stats() {
    SchedulerLockGuard guard;
    return g_stats;
}

SchedulerStats& stats_locked() { return g_stats; }

SchedulerLoad scheduler_load() {
    SchedulerLockGuard guard;
    return { g_load, runnable_threads_locked(), g_idle ? thread_cpu_time(*g_idle) : CpuTime {} };
}

}  // namespace akuma::sched
