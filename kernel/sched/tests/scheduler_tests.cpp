// In-kernel tests of threads, the scheduler and the sleeping locks.
#include "kernel/arch/aarch64/interrupts.h"
#include "kernel/arch/aarch64/timer.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/pmm.h"
#include "kernel/sched/mutex.h"
#include "kernel/sched/scheduler.h"
#include "kernel/tests/ktest.h"

using namespace akuma;
using namespace akuma::sched;

KTEST(sched_init, "Scheduler: running as thread 'main' with an idle thread") {
    KEXPECT(scheduler_running());
    Thread* self = current_thread();
    KEXPECT(self != nullptr);
    KEXPECT(std::string_view(self->name) == "main");
    KEXPECT(self->state == ThreadState::Running);
    auto stats = scheduler_stats();
    KEXPECT(stats.threads_alive >= 2);  // main + idle
    KEXPECT(stats.slice_ticks >= 1);
}

namespace {
uint64_t return_argument_times_two(void* argument) { return reinterpret_cast<uint64_t>(argument) * 2; }
}  // namespace

KTEST(sched_join_value, "Scheduler: join returns the exit value; join errors") {
    auto thread = spawn("doubler", return_argument_times_two, reinterpret_cast<void*>(21));
    KEXPECT(!thread.is_error());
    KEXPECT(std::string_view(thread.value()->name) == "doubler");
    auto value = join(thread.value());
    KEXPECT(!value.is_error());
    KEXPECT_EQ(value.value(), 42u);
    KEXPECT(join(current_thread()).is_error());  // joining oneself
    KEXPECT(join(nullptr).is_error());
}

namespace {
struct PingPong {
    bool started = false;
    int log[8] {};
    int length = 0;
};

uint64_t ping_pong_worker(void* argument) {
    // A new thread can be preempted before its first statement (a tick that
    // arrived during the switch is taken as soon as it runs): only from here
    // on do the yields alone decide who runs.
    PreemptionDisabled no_preemption;
    auto* state = static_cast<PingPong*>(argument);
    state->started = true;
    for (int i = 0; i < 4; ++i) {
        state->log[state->length++] = 1;
        yield();
    }
    return 0;
}

// Main and a worker take turns through yield(): 1 0 1 0 ... With
// tick_pending_at_start, a tick is made pending while interrupts are masked,
// so the worker is taken by it the moment it starts.
void check_ping_pong(ktest::TestContext& ktest_context, bool tick_pending_at_start) {
    PreemptionDisabled no_preemption;
    PingPong state;
    auto thread = spawn("pong", ping_pong_worker, &state);
    KEXPECT(!thread.is_error());
    uint64_t saved_daif = arch::save_and_mask_interrupts();
    if (tick_pending_at_start) {
        uint64_t start = arch::read_counter();
        uint64_t tick_counts = arch::counter_frequency() / scheduler_stats().tick_hz;
        while (arch::read_counter() - start <= 2 * tick_counts) {}
    }
    do
        yield();  // until the worker has logged once (its first stretch)
    while (!state.started);
    arch::restore_interrupts(saved_daif);
    state.log[state.length++] = 0;
    for (int i = 1; i < 4; ++i) {
        yield();  // lets the worker log once
        state.log[state.length++] = 0;
    }
    KEXPECT(!join(thread.value()).is_error());
    KEXPECT_EQ(state.length, 8);
    for (int i = 0; i < 8; ++i)
        KEXPECT_EQ(state.log[i], i % 2 == 0 ? 1 : 0);
}
}  // namespace

KTEST(sched_yield, "Scheduler: yield alternates between runnable threads") { check_ping_pong(ktest_context, false); }

KTEST(sched_yield_preempted_start,
      "Scheduler: yield alternates with a worker preempted before its first statement") {
    check_ping_pong(ktest_context, true);
}

namespace {
struct Counter {
    Mutex mutex;
    uint64_t value = 0;
    uint64_t iterations = 0;
};

uint64_t count_under_mutex(void* argument) {
    auto* counter = static_cast<Counter*>(argument);
    for (uint64_t i = 0; i < counter->iterations; ++i) {
        MutexGuard guard(counter->mutex);
        uint64_t seen = counter->value;
        if (i % 7 == 0)
            yield();  // hold the mutex across a switch: others must wait
        counter->value = seen + 1;
    }
    return 0;
}
}  // namespace

KTEST(sched_mutex_counter, "Sync: N threads x M increments under a mutex = N*M") {
    constexpr int k_threads = 8;
    Counter counter;
    counter.iterations = 2000;
    Thread* threads[k_threads];
    for (auto& thread : threads) {
        auto spawned = spawn("counter", count_under_mutex, &counter);
        KEXPECT(!spawned.is_error());
        thread = spawned.value();
    }
    for (auto* thread : threads)
        KEXPECT(!join(thread).is_error());
    KEXPECT_EQ(counter.value, k_threads * counter.iterations);
}

namespace {
struct Channel {
    Mutex mutex;
    ConditionVariable changed;
    static constexpr int k_capacity = 4;
    uint64_t items[k_capacity] {};
    int count = 0;
    int head = 0;
    bool done = false;
};

uint64_t producer(void* argument) {
    auto* channel = static_cast<Channel*>(argument);
    for (uint64_t item = 1; item <= 500; ++item) {
        MutexGuard guard(channel->mutex);
        while (channel->count == Channel::k_capacity)
            channel->changed.wait(channel->mutex);
        channel->items[(channel->head + channel->count) % Channel::k_capacity] = item;
        ++channel->count;
        channel->changed.notify_all();
    }
    MutexGuard guard(channel->mutex);
    channel->done = true;
    channel->changed.notify_all();
    return 0;
}

uint64_t consumer(void* argument) {
    auto* channel = static_cast<Channel*>(argument);
    uint64_t sum = 0;
    for (;;) {
        MutexGuard guard(channel->mutex);
        while (channel->count == 0 && !channel->done)
            channel->changed.wait(channel->mutex);
        if (channel->count == 0)
            return sum;
        sum += channel->items[channel->head];
        channel->head = (channel->head + 1) % Channel::k_capacity;
        --channel->count;
        channel->changed.notify_all();
    }
}
}  // namespace

KTEST(sched_condvar, "Sync: condition-variable producer/consumer delivers every item") {
    Channel channel;
    auto consumer_thread = spawn("consumer", consumer, &channel);
    auto producer_thread = spawn("producer", producer, &channel);
    KEXPECT(!consumer_thread.is_error() && !producer_thread.is_error());
    KEXPECT(!join(producer_thread.value()).is_error());
    auto sum = join(consumer_thread.value());
    KEXPECT(!sum.is_error());
    KEXPECT_EQ(sum.value(), 500u * 501u / 2);
}

namespace {
struct SemaphorePair {
    Semaphore ready { 0 };
    Semaphore done { 0 };
    int stage = 0;
};

uint64_t semaphore_worker(void* argument) {
    auto* pair = static_cast<SemaphorePair*>(argument);
    pair->ready.down();
    pair->stage = 2;
    pair->done.up();
    return 0;
}
}  // namespace

KTEST(sched_semaphore, "Sync: semaphore blocks until signalled") {
    SemaphorePair pair;
    auto thread = spawn("sem", semaphore_worker, &pair);
    KEXPECT(!thread.is_error());
    yield();
    yield();
    KEXPECT_EQ(pair.stage, 0);  // still waiting for ready
    pair.stage = 1;
    pair.ready.up();
    pair.done.down();
    KEXPECT_EQ(pair.stage, 2);
    KEXPECT(!pair.done.try_down());
    KEXPECT(!join(thread.value()).is_error());
}

namespace {
uint64_t nothing(void*) { return 7; }
}  // namespace

KTEST(sched_cleanup, "Scheduler: 1,000 create/join cycles leave PMM pages and heap bytes unchanged") {
    // The runner's per-test leak check compares PMM free pages and heap bytes
    // in use before and after; here we also check the thread count.
    uint64_t alive = scheduler_stats().threads_alive;
    for (int i = 0; i < 1000; ++i) {
        auto thread = spawn("short", nothing, nullptr);
        KEXPECT(!thread.is_error());
        auto value = join(thread.value());
        KEXPECT(!value.is_error() && value.value() == 7);
    }
    KEXPECT_EQ(scheduler_stats().threads_alive, alive);
}

namespace {
// Fills v0-v31 with a pattern derived from `seed`, yields, and checks them.
extern "C" uint64_t fp_pattern_roundtrip(uint64_t seed);

uint64_t fp_worker(void* argument) {
    auto seed = reinterpret_cast<uint64_t>(argument);
    uint64_t failures = 0;
    for (int i = 0; i < 20; ++i)
        failures += fp_pattern_roundtrip(seed + i);
    return failures;
}
}  // namespace

KTEST(sched_fp_state, "Scheduler: FP/SIMD state is saved and restored per thread") {
    Thread* threads[3];
    {
        // Each thread must have its FP state before it first runs: a tick
        // between spawn() and enable_fp_state() would let it start without.
        PreemptionDisabled no_preemption;
        for (uint64_t i = 0; i < 3; ++i) {
            auto thread = spawn("fp", fp_worker, reinterpret_cast<void*>(0x1000 * (i + 1)));
            KEXPECT(!thread.is_error());
            KEXPECT(!enable_fp_state(thread.value()).is_error());
            threads[i] = thread.value();
        }
    }
    for (auto* thread : threads) {
        auto failures = join(thread);
        KEXPECT(!failures.is_error());
        KEXPECT_EQ(failures.value(), 0u);
    }
}

namespace {
struct Gate {
    Semaphore open { 0 };
    uint64_t arrived = 0;
};

uint64_t wait_at_gate(void* argument) {
    auto* gate = static_cast<Gate*>(argument);
    __atomic_fetch_add(&gate->arrived, 1, __ATOMIC_RELAXED);  // threads may be preempted mid-update
    gate->open.down();
    return 1;
}
}  // namespace

KTEST(sched_many_threads, "Scheduler: 200 threads alive at once (no fixed thread pool)") {
    constexpr int k_threads = 200;
    Gate gate;
    auto* threads = static_cast<Thread**>(mm::kmalloc(k_threads * sizeof(Thread*)));
    KEXPECT(threads != nullptr);
    int spawned = 0;
    for (; spawned < k_threads; ++spawned) {
        auto thread = spawn("gate", wait_at_gate, &gate);
        if (thread.is_error())
            break;
        threads[spawned] = thread.value();
    }
    while (__atomic_load_n(&gate.arrived, __ATOMIC_RELAXED) < static_cast<uint64_t>(spawned))
        yield();
    uint64_t alive = scheduler_stats().threads_alive;
    for (int i = 0; i < spawned; ++i)
        gate.open.up();
    uint64_t sum = 0;
    for (int i = 0; i < spawned; ++i) {
        auto value = join(threads[i]);
        sum += value.is_error() ? 0 : value.value();
    }
    mm::kfree(threads);
    KEXPECT_EQ(spawned, k_threads);
    KEXPECT(alive >= static_cast<uint64_t>(k_threads) + 2);
    KEXPECT_EQ(sum, static_cast<uint64_t>(k_threads));
}
