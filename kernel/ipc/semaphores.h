// System V semaphore sets (semget, semop/semtimedop, semctl) with Linux
// 6.1's semantics: an operation list applies all at once or not at all,
// waits (interruptibly, with semtimedop's timeout: EAGAIN) until it can, and
// SEM_UNDO adjustments are kept per process and applied when it exits
// (threads share them, fork starts afresh, execve keeps them). SETVAL and
// SETALL clear the adjustments for what they set, as Linux.
//
// Locking: one mutex for the table, every set and every undo record
// (semaphores.cpp).
#pragma once

#include <cstdint>
#include <optional>

#include "kernel/lib/error_or.h"

namespace akuma::procfs {
class TextBuffer;
}
namespace akuma::proc {
struct Process;
}

namespace akuma::ipc {

ErrorOr<int32_t> sem_get(int32_t key, int32_t count, uint32_t flags);
// `timeout_ns`: semtimedop's relative timeout, if any.
ErrorOr<void> sem_operate(int32_t id, uint64_t operations, uint64_t count, std::optional<uint64_t> timeout_ns);
ErrorOr<int64_t> sem_control(int32_t id, int32_t number, int command, uint64_t argument);
// The process's last task leaves: its SEM_UNDO adjustments are applied
// (Linux's exit_sem), values clamped to [0, SEMVMX].
void sem_exit(const proc::Process& process);

ErrorOr<void> write_proc_sysvipc_sem(procfs::TextBuffer& out);

}  // namespace akuma::ipc
