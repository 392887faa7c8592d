// Robust futex lists (set_robust_list): a thread registers the head of a
// user-space list of the robust mutexes it holds (glibc keeps it). When the
// thread ends, the kernel walks the list, as Linux's exit_robust_list does,
// and marks each futex word the thread still owns FUTEX_OWNER_DIED, waking
// one waiter, so the next locker gets EOWNERDEAD instead of waiting for
// ever. The list is the thread's own, in its own memory, and may be
// corrupt: the walk stops at a fault, a misaligned word, or after
// k_robust_list_limit entries (a cycle).
#pragma once

#include <cstdint>

namespace akuma::proc {

struct Task;
class AddressSpace;

// Linux's ROBUST_LIST_LIMIT.
constexpr unsigned k_robust_list_limit = 2048;

// The user-space layout (struct robust_list_head, 64-bit): the list's
// first link, the offset from an entry to its futex word, and the entry
// being added or removed when the thread stopped.
constexpr uint64_t k_robust_list_head_size = 24;

// Walks `task`'s robust list in `space` (the task's, the active one) and
// releases every futex it owns. Called when the thread ends, and by execve
// for the image it leaves.
void release_robust_futexes(const Task& task, AddressSpace* space);

}  // namespace akuma::proc
