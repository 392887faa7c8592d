#include "kernel/ipc/ipc_procfs.h"

#include "kernel/ipc/ipc_abi.h"

namespace akuma::ipc {

ErrorOr<void> write_sysctl_shmmax(procfs::TextBuffer& out) { return out.number_line(k_shmmax); }
ErrorOr<void> write_sysctl_shmall(procfs::TextBuffer& out) { return out.number_line(k_shmall); }
ErrorOr<void> write_sysctl_shmmni(procfs::TextBuffer& out) { return out.number_line(k_shmmni); }
ErrorOr<void> write_sysctl_msgmax(procfs::TextBuffer& out) { return out.number_line(k_msgmax); }
ErrorOr<void> write_sysctl_msgmnb(procfs::TextBuffer& out) { return out.number_line(k_msgmnb); }
ErrorOr<void> write_sysctl_msgmni(procfs::TextBuffer& out) { return out.number_line(k_msgmni); }

ErrorOr<void> write_sysctl_sem(procfs::TextBuffer& out) {
    out.format("{}\t{}\t{}\t{}\n", k_semmsl, k_semmns, k_semopm, k_semmni);
    return out.status();
}

}  // namespace akuma::ipc
