// Tests that need the timer: preemption, sleeping, allocation from IRQ
// context, and the monotonic clock as seen from many threads.
#include "kernel/arch/aarch64/interrupts.h"
#include "kernel/arch/aarch64/irq.h"
#include "kernel/arch/aarch64/timer.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/sched/cpu_time.h"
#include "kernel/sched/scheduler.h"
#include "kernel/tests/ktest.h"
#include "kernel/time/timer_queue.h"

using namespace akuma;
using namespace akuma::sched;

namespace {

constexpr uint64_t k_ms = 1'000'000;

struct Spinner {
    volatile bool stop = false;
    volatile uint64_t iterations = 0;
};

uint64_t spin_without_yielding(void* argument) {
    auto* spinner = static_cast<Spinner*>(argument);
    while (!spinner->stop)
        spinner->iterations = spinner->iterations + 1;  // volatile: no ++ (C++20)
    return 0;
}

}  // namespace

KTEST(sched_preemption, "Scheduler: threads that never yield are preempted and share the CPU") {
    auto before = scheduler_stats();
    Spinner a, b;
    auto thread_a = spawn("spin-a", spin_without_yielding, &a);
    auto thread_b = spawn("spin-b", spin_without_yielding, &b);
    KEXPECT(!thread_a.is_error() && !thread_b.is_error());
    // Only preemption can bring this thread back: both spinners run forever.
    sleep_ns(100 * k_ms);
    uint64_t a_seen = a.iterations, b_seen = b.iterations;
    a.stop = true;
    b.stop = true;
    KEXPECT(!join(thread_a.value()).is_error());
    KEXPECT(!join(thread_b.value()).is_error());
    KEXPECT(a_seen > 0);
    KEXPECT(b_seen > 0);  // round robin: the second spinner got slices too
    KEXPECT(scheduler_stats().preemptions > before.preemptions);
}

KTEST(sched_cpu_time, "Scheduler: a thread's CPU time grows while it runs, not while it sleeps") {
    auto cpu_ns = [](Thread* thread) {
        SchedulerLockGuard guard;
        return arch::counts_to_ns(thread_cpu_time(*thread).total());
    };
    Thread* self = current_thread();
    uint64_t self_before = cpu_ns(self);
    uint64_t wall_before = arch::monotonic_ns();
    Spinner a, b;
    auto thread_a = spawn("cpu-a", spin_without_yielding, &a);
    auto thread_b = spawn("cpu-b", spin_without_yielding, &b);
    KEXPECT(!thread_a.is_error() && !thread_b.is_error());
    sleep_ns(100 * k_ms);
    uint64_t a_ran = cpu_ns(thread_a.value()), b_ran = cpu_ns(thread_b.value());
    uint64_t self_ran = cpu_ns(self) - self_before;
    uint64_t wall = arch::monotonic_ns() - wall_before;
    CpuTime a_time;
    {
        SchedulerLockGuard guard;
        a_time = thread_cpu_time(*thread_a.value());
    }
    a.stop = true;
    b.stop = true;
    KEXPECT(!join(thread_a.value()).is_error());
    KEXPECT(!join(thread_b.value()).is_error());
    // The spinners had the CPU while this thread slept: most of the time
    // is theirs, none of it is this thread's, and no one ran in EL0.
    if (a_ran + b_ran < wall / 2 || a_ran + b_ran > wall || a_ran == 0 || b_ran == 0)
        KFAIL("spinners ran {} + {} ns in {} ns", a_ran, b_ran, wall);
    if (self_ran > wall / 4)
        KFAIL("the sleeping thread ran {} ns in {} ns", self_ran, wall);
    KEXPECT(a_time.user == 0);
}

KTEST(sched_sleep_duration, "Scheduler: sleep never wakes earlier than asked") {
    for (uint64_t duration : { 1 * k_ms, 10 * k_ms, 25 * k_ms, 3 * k_ms }) {
        uint64_t start = arch::monotonic_ns();
        sleep_ns(duration);
        uint64_t slept = arch::monotonic_ns() - start;
        if (slept < duration)
            KFAIL("slept {} ns, asked for {} ns", slept, duration);
    }
}

namespace {

struct SleeperResult {
    uint64_t asked;
    uint64_t slept;
};

uint64_t sleep_and_measure(void* argument) {
    auto* result = static_cast<SleeperResult*>(argument);
    uint64_t start = arch::monotonic_ns();
    sleep_ns(result->asked);
    result->slept = arch::monotonic_ns() - start;
    return 0;
}

}  // namespace

KTEST(sched_sleepers_wake_in_order, "Scheduler: concurrent sleepers each sleep at least their time") {
    SleeperResult results[4] = { { 30 * k_ms, 0 }, { 5 * k_ms, 0 }, { 15 * k_ms, 0 }, { 1 * k_ms, 0 } };
    Thread* threads[4];
    for (int i = 0; i < 4; ++i) {
        auto thread = spawn("sleeper", sleep_and_measure, &results[i]);
        KEXPECT(!thread.is_error());
        threads[i] = thread.value();
    }
    for (auto* thread : threads)
        KEXPECT(!join(thread).is_error());
    for (auto& result : results)
        KEXPECT(result.slept >= result.asked);
}

namespace {

// Allocation from interrupt context: a self-re-arming timer event and an
// SGI handler both allocate, fill, check and free, while threads do the same.
struct IrqAllocator {
    time::TimerEvent event;
    volatile bool stop = false;
    uint64_t timer_allocations = 0;
    uint64_t sgi_allocations = 0;
    uint64_t corruptions = 0;
};

bool allocate_fill_check_free(size_t size, uint8_t seed) {
    auto* bytes = static_cast<uint8_t*>(mm::kmalloc(size));
    if (!bytes)
        return true;  // exhaustion is not corruption
    for (size_t i = 0; i < size; ++i)
        bytes[i] = static_cast<uint8_t>(seed + i);
    bool intact = true;
    for (size_t i = 0; i < size; ++i)
        intact &= bytes[i] == static_cast<uint8_t>(seed + i);
    mm::kfree(bytes);
    return intact;
}

void timer_allocation(void* context) {
    auto* state = static_cast<IrqAllocator*>(context);
    uint64_t n = ++state->timer_allocations;
    if (!allocate_fill_check_free(16 + (n * 37) % 3000, static_cast<uint8_t>(n)))
        ++state->corruptions;
    if (!state->stop) {
        state->event.deadline_ns = arch::monotonic_ns();  // next tick
        time::timer_queue_add(state->event);
    }
}

void sgi_allocation(uint32_t, void* context) {
    auto* state = static_cast<IrqAllocator*>(context);
    uint64_t n = ++state->sgi_allocations;
    if (!allocate_fill_check_free(8 + (n * 13) % 700, static_cast<uint8_t>(n * 3)))
        ++state->corruptions;
}

constexpr uint32_t k_allocation_sgi = 13;

struct Worker {
    IrqAllocator* state;
    uint64_t failures;
};

uint64_t allocate_in_thread(void* argument) {
    auto* worker = static_cast<Worker*>(argument);
    for (uint64_t i = 0; i < 3000; ++i) {
        if (!allocate_fill_check_free(1 + (i * 101) % 5000, static_cast<uint8_t>(i)))
            ++worker->failures;
        if (i % 16 == 0)
            arch::irq_send_sgi_to_self(k_allocation_sgi);
    }
    return 0;
}

}  // namespace

KTEST(heap_under_interrupts, "Allocator: allocation in IRQ handlers while threads allocate") {
    static IrqAllocator state;  // the timer event must outlive any late tick
    state = {};
    KEXPECT(!arch::irq_register(k_allocation_sgi, sgi_allocation, &state, "heap test").is_error());
    state.event.callback = timer_allocation;
    state.event.context = &state;
    state.event.deadline_ns = arch::monotonic_ns();
    time::timer_queue_add(state.event);

    Worker workers[3] = { { &state, 0 }, { &state, 0 }, { &state, 0 } };
    Thread* threads[3];
    for (int i = 0; i < 3; ++i) {
        auto thread = spawn("heap-worker", allocate_in_thread, &workers[i]);
        KEXPECT(!thread.is_error());
        threads[i] = thread.value();
    }
    for (auto* thread : threads)
        KEXPECT(!join(thread).is_error());
    // Let the timer side allocate at least a few times even on a fast host.
    while (state.timer_allocations < 3)
        sleep_ns(10 * k_ms);
    {
        arch::InterruptsMasked masked;
        state.stop = true;
        time::timer_queue_cancel(state.event);
    }
    arch::irq_unregister(k_allocation_sgi);
    for (auto& worker : workers)
        KEXPECT_EQ(worker.failures, 0u);
    KEXPECT_EQ(state.corruptions, 0u);
    KEXPECT(state.sgi_allocations > 0);
    KEXPECT(state.timer_allocations >= 3);
}

namespace {

struct ClockShared {
    uint64_t last;
    uint64_t backwards;
};

uint64_t read_clock_many_times(void* argument) {
    auto* shared = static_cast<ClockShared*>(argument);
    uint64_t own_last = 0;
    for (int i = 0; i < 25000; ++i) {
        // Masking IRQs makes read-and-compare atomic with respect to the
        // other threads on this CPU, so "last" is a global order.
        arch::InterruptsMasked masked;
        uint64_t now = arch::monotonic_ns();
        if (now < shared->last || now < own_last)
            ++shared->backwards;
        shared->last = own_last = now;
    }
    return 0;
}

}  // namespace

KTEST(time_monotonic_threads, "Time: monotonic clock never goes backwards across 10^5 reads over 4 threads") {
    ClockShared shared { 0, 0 };
    Thread* threads[4];
    for (auto& thread : threads) {
        auto spawned = spawn("clock-reader", read_clock_many_times, &shared);
        KEXPECT(!spawned.is_error());
        thread = spawned.value();
    }
    for (auto* thread : threads)
        KEXPECT(!join(thread).is_error());
    KEXPECT_EQ(shared.backwards, 0u);
    KEXPECT(shared.last > 0);
}
