#include <iterator>

#include "kernel/arch/aarch64/interrupts.h"
#include "kernel/lib/kprint.h"
#include "kernel/syscalls/linux_abi.h"
#include "kernel/syscalls/syscall.h"

namespace akuma::sys {

namespace {

constexpr size_t k_table_size = 512;

struct SyscallTable {
    SyscallHandler handlers[k_table_size];
};

constexpr SyscallTable make_table() {
    SyscallTable table {};
#define AKUMA_REGISTER_SYSCALL(name) table.handlers[linux_abi::k_sys_##name] = sys_##name;
    AKUMA_SYSCALL_HANDLERS(AKUMA_REGISTER_SYSCALL)
#undef AKUMA_REGISTER_SYSCALL
    return table;
}

constexpr SyscallTable k_table = make_table();

// Calls that may be restarted after a signal interrupted them (Linux's
// ERESTARTSYS group): transparently if no handler ran or the handler has
// SA_RESTART. Sleeps are restarted (toward their old deadline) only if no
// handler ran, as Linux's restart_block; poll, select and sigsuspend always
// fail with EINTR.
// FUTEX_LOCK_PI and FUTEX_LOCK_PI2 are restarted whatever the handler
// (Linux's ERESTARTNOINTR).
enum class Restart : uint8_t { Never, UnlessHandlerRefuses, OnlyWithoutHandler, Always };

Restart restart_policy(uint64_t number, uint64_t second_argument) {
    namespace abi = linux_abi;
    constexpr uint64_t k_futex_command_mask = 0x7f, k_futex_lock_pi = 6, k_futex_lock_pi2 = 13;
    if (number == abi::k_sys_futex) {
        uint64_t command = second_argument & k_futex_command_mask;
        if (command == k_futex_lock_pi || command == k_futex_lock_pi2)
            return Restart::Always;
    }
    switch (number) {
    case abi::k_sys_nanosleep:
    case abi::k_sys_clock_nanosleep: return Restart::OnlyWithoutHandler;
    case abi::k_sys_read:
    case abi::k_sys_write:
    case abi::k_sys_readv:
    case abi::k_sys_writev:
    case abi::k_sys_pread64:
    case abi::k_sys_preadv:
    case abi::k_sys_pwritev:
    case abi::k_sys_preadv2:
    case abi::k_sys_pwritev2:
    case abi::k_sys_pwrite64:
    case abi::k_sys_openat:
    case abi::k_sys_ioctl:
    case abi::k_sys_wait4:
    case abi::k_sys_waitid:
    case abi::k_sys_futex:
    case abi::k_sys_futex_waitv:
    case abi::k_sys_fcntl:  // F_SETLKW
    case abi::k_sys_flock:
    case abi::k_sys_accept:
    case abi::k_sys_accept4:
    case abi::k_sys_connect:
    case abi::k_sys_sendto:
    case abi::k_sys_recvfrom:
    case abi::k_sys_sendmsg:
    case abi::k_sys_recvmsg:
    case abi::k_sys_mq_timedsend:
    case abi::k_sys_mq_timedreceive: return Restart::UnlessHandlerRefuses;
    default: return Restart::Never;
    }
}

// Kept out of line so the common path of dispatch_syscall saves no more
// registers than it needs.
[[gnu::noinline, gnu::cold]] void report_unimplemented(arch::TrapFrame& frame, uint64_t number) {
    // Logged once per number: programs probe (and fall back) often, and the
    // console may be someone's shell session.
    static constinit uint64_t reported[k_table_size / 64] {};
    bool first = number >= k_table_size || !(reported[number / 64] & (1ull << (number % 64)));
    if (number < k_table_size)
        reported[number / 64] |= 1ull << (number % 64);
    const char* name = linux_abi::syscall_name(number);
    if (first)
        kprintln("[Syscall] unimplemented {} ({}) from '{}' (further calls not logged)", number,
                 name ? name : "?", current().name);
    frame.x[0] = static_cast<uint64_t>(error_result(Error::NotImplemented));
}

[[gnu::noinline]] void note_interrupted(uint64_t number, const SyscallArgs& args) {
    if (Restart policy = restart_policy(number, args.a[1]); policy != Restart::Never) {
        proc::Task& task = *proc::current_task();
        task.syscall_interrupted = true;
        task.syscall_orig_x0 = args.a[0];
        task.restart_only_without_handler = policy == Restart::OnlyWithoutHandler;
        task.restart_always = policy == Restart::Always;
    }
}

}  // namespace

void dispatch_syscall(arch::TrapFrame& frame) {
    uint64_t number = frame.x[8];
    SyscallHandler handler = number < k_table_size ? k_table.handlers[number] : nullptr;
    if (!handler) [[unlikely]]
        return report_unimplemented(frame, number);
    SyscallArgs args { { frame.x[0], frame.x[1], frame.x[2], frame.x[3], frame.x[4], frame.x[5] }, &frame };
    // System calls run with interrupts on: they may block or take long.
    arch::enable_interrupts();
    int64_t result = handler(args);
    frame.x[0] = static_cast<uint64_t>(result);
    if (result == error_result(Error::Interrupted)) [[unlikely]]
        note_interrupted(number, args);
    arch::disable_interrupts();
}

}  // namespace akuma::sys
