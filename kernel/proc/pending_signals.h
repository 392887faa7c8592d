// The signals waiting for one thread, or for a whole process, with the
// siginfo of each instance.
//
// Standard signals (1..31) do not queue: while one is pending, another of
// the same number is merged into it, as on Linux. Real-time signals
// (SIGRTMIN..SIGRTMAX, 32..64) queue: every instance is kept and delivered
// in the order sent. The first instance of each signal lives in a fixed
// slot, so the common case needs no memory; further real-time instances go
// to a list of heap nodes (the kernel heap may be used with the scheduler
// lock held and from IRQ context).
//
// Not locked itself: the owner's lock (the scheduler lock) covers it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel/lib/error_or.h"
#include "kernel/proc/signal_frame.h"

namespace akuma::proc {

class PendingSignals {
public:
    static constexpr int k_count = 64;
    static constexpr int k_first_realtime = 32;

    PendingSignals() = default;
    ~PendingSignals() { clear(); }
    PendingSignals(const PendingSignals&) = delete;
    PendingSignals& operator=(const PendingSignals&) = delete;

    // One bit per signal with at least one instance (bit signal-1).
    uint64_t mask() const { return m_mask; }
    bool contains(int signal) const { return m_mask & bit(signal); }
    // Instances beyond the first of each signal (all real-time).
    size_t queued_extra() const { return m_extra; }
    // All instances.
    size_t size() const { return static_cast<size_t>(__builtin_popcountll(m_mask)) + m_extra; }

    // Adds an instance of `signal` (1..64). A standard signal already
    // pending is merged (its first siginfo stays, as Linux keeps the
    // first), and `limit` does not apply to it. A real-time one is refused
    // with TryAgain if size() has reached `limit`, or if it needs a node
    // (not the first instance) and no memory is left.
    ErrorOr<void> add(int signal, const SignalInfo& info, size_t limit = SIZE_MAX);

    // Takes the oldest instance of `signal` out; false if none.
    bool take(int signal, SignalInfo& info);

    // Every instance of `signal` goes (the signal became ignored, SIGCONT
    // cancels the stop signals...).
    void discard(int signal);
    void discard_mask(uint64_t signals);
    void clear() { discard_mask(~0ull); }

    // Calls visit(signal, info) for every instance, oldest first within
    // each signal (for a look without taking, e.g. a timer's own).
    template <typename Visit> void for_each(Visit visit) const {
        for (int signal = 1; signal <= k_count; ++signal)
            if (contains(signal))
                visit(signal, m_first[signal - 1]);
        for (const Node* node = m_head; node; node = node->next)
            visit(node->signal, node->info);
    }

    static constexpr uint64_t bit(int signal) { return 1ull << (signal - 1); }

private:
    struct Node {
        Node* next;
        int signal;
        SignalInfo info;
    };

    uint64_t m_mask { 0 };
    SignalInfo m_first[k_count] {};
    Node* m_head { nullptr };  // arrival order
    Node* m_tail { nullptr };
    size_t m_extra { 0 };
};

}  // namespace akuma::proc
