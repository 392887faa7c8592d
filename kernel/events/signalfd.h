// signalfd(2): the signals of a mask read as records (struct
// signalfd_siginfo, 128 bytes each) instead of handled. A read takes
// pending signals of the mask from the reading thread (its own first, then
// its process's), as many as fit, blocking for the first while none is
// pending (EAGAIN with O_NONBLOCK); a buffer shorter than one record is
// EINVAL. poll: POLLIN while one is pending for the polling thread (as on
// Linux, whoever polls). SIGKILL and SIGSTOP are never in the mask.
//
// Readers and pollers of all signalfds wait on one queue, notified whenever
// any signal is queued anywhere (Linux keeps one per process; one for all
// costs spurious wake-ups only while signalfds are waited on, and has no
// lifetime to manage when a process exits under an epoll watching it).
#pragma once

#include <cstdint>

#include "kernel/fs/file.h"

namespace akuma::sched {
class SchedulerLockGuard;
}

namespace akuma::events {

class SignalFile;

// `mask`: bit n-1 for signal n. `file_flags`: O_RDWR and O_NONBLOCK.
ErrorOr<fs::File*> create_signalfd(uint64_t mask, uint32_t file_flags);
SignalFile* as_signalfd(fs::File& file);
void signalfd_set_mask(SignalFile& file, uint64_t mask);

// A signal was queued (scheduler lock held; from IRQ context too).
void signalfd_signal_queued_locked(sched::SchedulerLockGuard& guard);

}  // namespace akuma::events
