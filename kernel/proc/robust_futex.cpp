#include "kernel/proc/robust_futex.h"

#include "kernel/mm/user_access.h"
#include "kernel/proc/futex.h"
#include "kernel/proc/process.h"

namespace akuma::proc {

namespace {

constexpr uint32_t k_futex_waiters = 0x80000000u;     // FUTEX_WAITERS
constexpr uint32_t k_futex_owner_died = 0x40000000u;  // FUTEX_OWNER_DIED
constexpr uint32_t k_futex_tid_mask = 0x3fffffffu;    // FUTEX_TID_MASK

// The futex word at `address` of a lock `task` held when it ended (Linux's
// handle_futex_death). `pending`: the entry the thread was adding or
// removing (list_op_pending), whose lock it may already have let go.
// False when the list cannot be trusted any further (a fault).
bool release_futex(const Task& task, AddressSpace* space, uint64_t address, bool priority_inheritance, bool pending) {
    if (address % alignof(uint32_t))
        return false;
    mm::UserPtr<uint32_t> word(address);
    auto value = mm::read_user(word);
    if (value.is_error())
        return false;
    for (uint32_t seen = value.value();;) {
        // An unlock that ended before it woke its waiter: wake one now.
        if (pending && !priority_inheritance && seen == 0) {
            futex_wake(space, address, 1);
            return true;
        }
        if ((seen & k_futex_tid_mask) != static_cast<uint32_t>(task.tid))
            return true;  // not this thread's
        // The waiters bit stays, so the next unlocker knows to wake.
        uint32_t dead = (seen & k_futex_waiters) | k_futex_owner_died;
        auto found = mm::compare_exchange_user(word, seen, dead);
        if (found.is_error())
            return false;
        if (found.value() != seen) {
            seen = found.value();  // another thread changed it: look again
            continue;
        }
        // A priority-inheritance futex's waiters are handed the lock when
        // the owner's thread ends (futex_pi_owner_exited), as Linux's
        // exit_pi_state_list: none is woken here.
        if (!priority_inheritance && (seen & k_futex_waiters))
            futex_wake(space, address, 1);
        return true;
    }
}

// A list pointer: the entry's address, bit 0 the PI flag.
struct RobustLink {
    uint64_t entry;
    bool priority_inheritance;
};

RobustLink read_link(uint64_t raw) { return { raw & ~uint64_t { 1 }, (raw & 1) != 0 }; }

}  // namespace

void release_robust_futexes(const Task& task, AddressSpace* space) {
    uint64_t head = task.robust_list;
    if (!head || !space)
        return;
    auto first = mm::read_user(mm::UserPtr<const uint64_t>(head));
    auto offset = mm::read_user(mm::UserPtr<const int64_t>(head + 8));
    auto pending_raw = mm::read_user(mm::UserPtr<const uint64_t>(head + 16));
    if (first.is_error() || offset.is_error() || pending_raw.is_error())
        return;
    RobustLink pending = read_link(pending_raw.value());
    RobustLink link = read_link(first.value());
    for (unsigned count = 0; link.entry != head; ++count) {
        if (count == k_robust_list_limit)
            return;  // a cycle, or a list nobody could hold
        // The next link before this lock is released: a waiter woken may
        // free the entry's memory.
        auto next = mm::read_user(mm::UserPtr<const uint64_t>(link.entry));
        if (next.is_error())
            return;
        // The pending entry comes last, whatever the list says.
        if (link.entry != pending.entry &&
            !release_futex(task, space, link.entry + static_cast<uint64_t>(offset.value()), link.priority_inheritance,
                           false))
            return;
        link = read_link(next.value());
    }
    if (pending.entry)
        (void)release_futex(task, space, pending.entry + static_cast<uint64_t>(offset.value()),
                            pending.priority_inheritance, true);
}

}  // namespace akuma::proc
