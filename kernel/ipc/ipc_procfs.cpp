#include "kernel/ipc/ipc_procfs.h"

#include "kernel/ipc/ipc_abi.h"

namespace akuma::ipc {

namespace {

ErrorOr<void> write_number(procfs::TextBuffer& out, uint64_t value) {
    out.format("{}\n", value);
    return out.status();
}

}  // namespace

ErrorOr<void> write_sysctl_shmmax(procfs::TextBuffer& out) { return write_number(out, k_shmmax); }
ErrorOr<void> write_sysctl_shmall(procfs::TextBuffer& out) { return write_number(out, k_shmall); }
ErrorOr<void> write_sysctl_shmmni(procfs::TextBuffer& out) { return write_number(out, k_shmmni); }
ErrorOr<void> write_sysctl_msgmax(procfs::TextBuffer& out) { return write_number(out, k_msgmax); }
ErrorOr<void> write_sysctl_msgmnb(procfs::TextBuffer& out) { return write_number(out, k_msgmnb); }
ErrorOr<void> write_sysctl_msgmni(procfs::TextBuffer& out) { return write_number(out, k_msgmni); }

ErrorOr<void> write_sysctl_sem(procfs::TextBuffer& out) {
    out.format("{}\t{}\t{}\t{}\n", k_semmsl, k_semmns, k_semopm, k_semmni);
    return out.status();
}

}  // namespace akuma::ipc
