// /proc/sys/kernel's System V IPC limits (read-only: Akuma's are fixed at
// Linux's defaults) and /proc/sysvipc's tables, in Linux 6.1's formats.
#pragma once

#include "kernel/fs/procfs/text_buffer.h"
#include "kernel/ipc/msg_queue.h"
#include "kernel/ipc/semaphores.h"
#include "kernel/ipc/shared_memory.h"
#include "kernel/lib/error_or.h"

namespace akuma::ipc {

ErrorOr<void> write_sysctl_shmmax(procfs::TextBuffer& out);
ErrorOr<void> write_sysctl_shmall(procfs::TextBuffer& out);
ErrorOr<void> write_sysctl_shmmni(procfs::TextBuffer& out);
ErrorOr<void> write_sysctl_msgmax(procfs::TextBuffer& out);
ErrorOr<void> write_sysctl_msgmnb(procfs::TextBuffer& out);
ErrorOr<void> write_sysctl_msgmni(procfs::TextBuffer& out);
ErrorOr<void> write_sysctl_sem(procfs::TextBuffer& out);  // SEMMSL SEMMNS SEMOPM SEMMNI

}  // namespace akuma::ipc
