// Resource limits (getrlimit/setrlimit/prlimit64): each process's soft and
// hard limits, inherited over fork and execve, and where Akuma enforces them:
//   RLIMIT_NOFILE  the descriptor table (open, dup, pipe...: EMFILE; dup2
//                  beyond it: EBADF); at most 1024, Akuma's table size
//                  (Linux's fs.nr_open: a larger value is EPERM)
//   RLIMIT_FSIZE   writes and truncation of regular files past it: SIGXFSZ
//                  and EFBIG (a write that crosses it is cut short)
//   RLIMIT_AS      mmap, mremap and brk: ENOMEM past the address space size
//   RLIMIT_DATA    brk and private writable mappings: ENOMEM past it
//   RLIMIT_STACK   the main thread's stack reserve, set at execve (clamped
//                  to 128 KiB .. 1 GiB: the layout keeps 1 GiB for it)
//   RLIMIT_NICE, RLIMIT_RTPRIO  how far a process without CAP_SYS_NICE may
//                  lower its nice value or raise a real-time priority
//                  (setpriority, sched_setscheduler: priority_syscalls.cpp)
// Others hold nothing Akuma could exceed, so any value is honoured as it
// stands: RLIMIT_CORE (no core dumps),
// RLIMIT_MSGQUEUE (no POSIX message queues), RLIMIT_RTTIME (real-time
// policies are recorded but not scheduled as such), RLIMIT_LOCKS and
// RLIMIT_RSS (Linux enforces neither).
// RLIMIT_MEMLOCK bounds mlock/mlockall without CAP_IPC_LOCK
// (memory_syscalls.cpp).
// RLIMIT_SIGPENDING bounds the queued real-time signals of each pending set
// and a process's POSIX timers (signals.cpp, posix_timers.cpp).
// RLIMIT_NPROC is enforced per real user at clone (check_user_task_limit
// in process.h), root exempt as on Linux.
// RLIMIT_CPU is enforced by sampling the process's CPU time every tick
// (cpu_itimers.h), which moves the soft limit up after each SIGXCPU.
#pragma once

#include <cstdint>
#include <optional>

#include "kernel/lib/error_or.h"
#include "kernel/syscalls/linux_abi.h"

namespace akuma::proc {

struct Process;

struct ResourceLimits {
    linux_abi::Rlimit values[linux_abi::k_rlim_nlimits];
    // Linux's defaults for init (and what Akuma always reported).
    static ResourceLimits defaults();
};

// The limit `resource` of `process` (a copy, taken under the limits lock).
linux_abi::Rlimit resource_limit(const Process& process, unsigned resource);
inline uint64_t soft_limit(const Process& process, unsigned resource) {
    return resource_limit(process, resource).cur;
}

// prlimit64's core: returns the old limit, and sets `replacement` if given
// (Invalid: unknown resource, soft above hard;
// NotPermitted: RLIMIT_NOFILE above 1024), applying it to the process's
// descriptor table and address space at once.
ErrorOr<linux_abi::Rlimit> exchange_resource_limit(Process& process, unsigned resource,
                                                   std::optional<linux_abi::Rlimit> replacement);

// After a SIGXCPU: RLIMIT_CPU's soft limit one second further, while it is
// below the hard one (Linux's check_process_timers). IRQ-safe.
void raise_cpu_soft_limit(Process& process);

// RLIMIT_FSIZE for a write or truncation of a regular file by the current
// process to end at `end`: how many bytes from `start` it may write. If
// none, the process gets SIGXFSZ and the answer is FileTooBig.
ErrorOr<uint64_t> check_file_size_limit(uint64_t start, uint64_t end);

// The main thread's stack reserve for a new program (RLIMIT_STACK).
uint64_t stack_reserve_for(const Process& process);

}  // namespace akuma::proc
