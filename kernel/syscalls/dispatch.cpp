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

}  // namespace

void dispatch_syscall(arch::TrapFrame& frame) {
    uint64_t number = frame.x[8];
    SyscallArgs args { { frame.x[0], frame.x[1], frame.x[2], frame.x[3], frame.x[4], frame.x[5] } };
    SyscallHandler handler = number < k_table_size ? k_table.handlers[number] : nullptr;
    if (!handler) {
        const char* name = linux_abi::syscall_name(number);
        kprintln("[Syscall] unimplemented {} ({}) from '{}'", number, name ? name : "?", current().name);
        frame.x[0] = static_cast<uint64_t>(error_result(Error::NotImplemented));
        return;
    }
    // System calls run with interrupts on: they may block or take long.
    arch::enable_interrupts();
    frame.x[0] = static_cast<uint64_t>(handler(args));
    arch::disable_interrupts();
}

}  // namespace akuma::sys
