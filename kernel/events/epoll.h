// epoll(7): an interest list of (file, descriptor) pairs and a ready list.
//
// Each watched pair is an item hooked on its file's poll queue
// (fs/poll_queue.h): a notification whose events concern the item puts it
// on the ready list and wakes the waiters. epoll_wait takes items off the
// ready list, asks each file for its events now (File::poll_events), reports
// the ones that are ready and puts level-triggered ones back at the tail
// (so they are looked at again next time, as Linux's ep_send_events does).
// Edge-triggered items come back only with the next notification;
// EPOLLONESHOT items are disabled until EPOLL_CTL_MOD re-arms them.
//
// As on Linux: EPOLLERR and EPOLLHUP are always watched; a file without a
// poll method (a regular file, a directory) cannot be added (EPERM); an
// item goes when its open file description goes (not when one of several
// descriptors naming it is closed); an epoll can watch epolls, 4 levels
// deep at most and never in a cycle (ELOOP); EPOLLEXCLUSIVE items of
// several epolls watching one file are woken one at a time.
//
// Locking: the interest lists of all epolls and the items' lifetimes are
// under file_watch_lock() (one sleeping lock: it also orders an epoll's
// close against its files' last releases); ready lists, the items' event
// masks and the waiters are under the scheduler lock, which notifications
// hold. The item list is searched linearly: fine for the hundreds of
// descriptors a server watches, not for hundreds of thousands.
#pragma once

#include <cstdint>

#include "kernel/fs/file.h"

namespace akuma::events {

// struct epoll_event as arm64 lays it out (not packed: 16 bytes).
struct EpollEvent {
    uint32_t events;
    uint64_t data;
};
static_assert(sizeof(EpollEvent) == 16);

constexpr uint32_t k_epoll_exclusive = 1u << 28;
constexpr uint32_t k_epoll_wakeup = 1u << 29;
constexpr uint32_t k_epoll_oneshot = 1u << 30;
constexpr uint32_t k_epoll_edge_triggered = 1u << 31;

enum class EpollOp : int { Add = 1, Remove = 2, Modify = 3 };

class EpollFile;

// epoll_create1 (O_RDWR; close-on-exec is the descriptor's).
ErrorOr<fs::File*> create_epoll();
EpollFile* as_epoll(fs::File& file);  // nullptr if it is not an epoll

// epoll_ctl on `epoll` for the description `target` named by `fd`
// (`event` is ignored for Remove). Errors as Linux's: Exists, NotFound,
// NotPermitted (no poll), Invalid, SymlinkLoop (ELOOP), NoMemory.
ErrorOr<void> epoll_control(EpollFile& epoll, EpollOp op, fs::File& target, int fd, const EpollEvent& event);

// epoll_wait: up to `max_events` ready events written to the user array at
// `user_events`; waits until one is ready, a signal is pending
// (Interrupted) or the monotonic clock reaches `deadline_ns` (then 0;
// `no_wait`: do not wait at all; deadline 0: no deadline). Fault if the
// array cannot take the first event.
ErrorOr<size_t> epoll_wait(EpollFile& epoll, uint64_t user_events, int max_events, bool no_wait,
                           uint64_t deadline_ns);

}  // namespace akuma::events
