// pidfds (pidfd_open(2)): a file that names a process. It polls readable
// (POLLIN) once the process has exited, whether or not it was reaped, as
// Linux's pidfd_poll; pidfd_send_signal signals it and waitid(P_PIDFD)
// waits for it. Akuma's PIDs are never reused (a counter), so the file
// keeps the number, not the process.
#pragma once

#include "kernel/fs/file.h"

namespace akuma::sched {
class SchedulerLockGuard;
}

namespace akuma::events {

// `file_flags`: O_RDWR plus O_NONBLOCK (PIDFD_NONBLOCK) if asked.
ErrorOr<fs::File*> create_pidfd(int pid, uint32_t file_flags);
// clone(CLONE_PIDFD) installs the descriptor before the child exists (so
// EMFILE comes first, as on Linux), naming a PID no process ever has
// (every call meanwhile sees ESRCH), then names the child.
constexpr int k_pidfd_unborn = 0x7fffffff;
void set_pidfd_pid(fs::File& file, int pid);
// The process a pidfd names, or nullopt for any other file.
std::optional<int> pidfd_pid(fs::File& file);
// A process exited (scheduler lock held): pidfd pollers look again.
void pidfd_process_exited_locked(sched::SchedulerLockGuard& guard);

}  // namespace akuma::events
