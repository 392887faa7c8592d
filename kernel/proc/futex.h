// Futexes: threads wait on a 32-bit user word until another thread wakes
// them (FUTEX_WAIT / FUTEX_WAKE). A word is keyed by address space and
// address, or, in MAP_SHARED memory, by its physical address, so waiters
// and wakers in different processes (process-shared pthread objects) meet.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "kernel/lib/error_or.h"

namespace akuma::proc {

class AddressSpace;

constexpr uint32_t k_futex_any_bits = 0xffffffff;  // FUTEX_BITSET_MATCH_ANY

// Blocks while *address == expected (checked atomically with respect to
// wakers), until woken or until the monotonic clock reaches deadline_ns
// (0 or time::k_never: no deadline). `bits`: FUTEX_WAIT_BITSET's mask (a
// wake must share a bit with it). Errors: TryAgain (value differs),
// Fault, TimedOut, Interrupted (a signal is pending).
ErrorOr<void> futex_wait(AddressSpace* space, uint64_t address, uint32_t expected, uint64_t deadline_ns,
                         uint32_t bits = k_futex_any_bits);

// Wakes up to `count` waiters whose mask shares a bit with `bits`; returns
// how many were woken.
uint64_t futex_wake(AddressSpace* space, uint64_t address, uint64_t count, uint32_t bits = k_futex_any_bits);

// FUTEX_REQUEUE / FUTEX_CMP_REQUEUE: wakes up to `wake_count` waiters on
// `address` and moves up to `requeue_count` others to wait on `target`;
// with `expected`, only if *address still holds it (else TryAgain).
// Returns how many were woken and moved. Errors: TryAgain, Fault.
ErrorOr<uint64_t> futex_requeue(AddressSpace* space, uint64_t address, uint64_t wake_count, uint64_t target,
                                uint64_t requeue_count, const uint32_t* expected);

// FUTEX_WAKE_OP: changes *target by the operation encoded in `operation`
// (atomically), wakes up to `wake_count` waiters on `address`, and, if the
// old value of *target passes the encoded comparison, up to
// `target_wake_count` on `target`. Returns how many were woken. Errors:
// Fault, NotImplemented (an unknown operation or comparison, as Linux).
ErrorOr<uint64_t> futex_wake_op(AddressSpace* space, uint64_t address, uint64_t wake_count, uint64_t target,
                                uint64_t target_wake_count, uint32_t operation);

// FUTEX_LOCK_PI / FUTEX_LOCK_PI2 / FUTEX_TRYLOCK_PI (`try_only`) for the
// thread `tid`: its TID into the word when free (FUTEX_OWNER_DIED kept),
// else sleeps until the owner unlocks or ends, or the deadline (monotonic;
// 0: none). Errors: DeadlockAvoided (we own it), NoSuchProcess (the owner
// TID names no thread), TryAgain (try_only, taken), TimedOut, Interrupted,
// Fault.
ErrorOr<void> futex_lock_pi(AddressSpace* space, uint64_t address, int tid, uint64_t deadline_ns, bool try_only);
// FUTEX_UNLOCK_PI: NotPermitted unless the word names `tid`; clears it and
// wakes a waiter.
ErrorOr<void> futex_unlock_pi(AddressSpace* space, uint64_t address, int tid);
// Thread `tid` ended: PI waiters for a lock it held try again and may take
// the lock over (Linux's exit_pi_state_list).
void futex_pi_owner_exited(int tid);

// futex_waitv: sleeps until a wake on any of the words (returns its
// index), as futex_wait for each; TryAgain if one does not hold its value.
struct FutexWaitEntry {
    uint64_t address;
    uint64_t expected;  // compared with the 32-bit word whole, as Linux
};
ErrorOr<int> futex_wait_many(AddressSpace* space, std::span<const FutexWaitEntry> entries, uint64_t deadline_ns);

// Tests only: called by futex_wait after it has read the word and before it
// sleeps, where a waker on another thread may run (preemption).
extern void (*futex_wait_window_hook)();

}  // namespace akuma::proc
