// Signal-driven I/O (fcntl F_SETOWN/F_SETOWN_EX/F_SETSIG and O_ASYNC):
// whom a file signals when it becomes ready, and the signal it sends
// (Linux's fown_struct and send_sigio).
#pragma once

#include <cstdint>

#include "kernel/lib/error_or.h"

namespace akuma::sched {
class SchedulerLockGuard;
}

namespace akuma::proc {

enum class IoOwnerType : uint8_t { Thread, Process, ProcessGroup };  // F_OWNER_TID, _PID, _PGRP

struct IoSignalOwner {
    IoOwnerType type { IoOwnerType::Thread };  // Linux's PIDTYPE_PID until set
    int id { 0 };                              // tid, pid or pgid; 0: nobody
    // Who set it: Linux checks these against each receiver (sigio_perm).
    uint32_t uid { 0 };
    uint32_t euid { 0 };
};

// fcntl(F_SETOWN/F_SETOWN_EX): the owner as the caller names it, with the
// caller's IDs; an id that names nothing alive is NoSuchProcess (ESRCH),
// 0 means nobody.
ErrorOr<IoSignalOwner> io_signal_owner(IoOwnerType type, int id);

// The file became ready (scheduler lock held; never sleeps, IRQ-safe).
// `signal` 0 sends SIGIO (SI_KERNEL); another signal carries `reason`
// (POLL_IN, ...) as si_code, `band` as si_band and `fd` as si_fd, and
// falls back to SIGIO if it cannot be queued. Each receiver must share a
// user ID with the owner's setter, or the setter be root (its effective ID).
void send_io_signal_locked(sched::SchedulerLockGuard& guard, const IoSignalOwner& owner, int signal, int reason,
                           uint64_t band, int fd);

}  // namespace akuma::proc
