// Syscall number -> Linux name, for logs. The table is built at compile time
// from AKUMA_LINUX_SYSCALLS, so it cannot drift from the k_sys_* constants and
// needs no constructor at boot.
#include "kernel/syscalls/linux_abi.h"

#include <array>

namespace akuma::linux_abi {

namespace {

struct NamedSyscall {
    uint64_t number;
    const char* name;
};

#define AKUMA_NAMED_SYSCALL(name, number) NamedSyscall { number, #name },
constexpr NamedSyscall k_syscalls[] = { AKUMA_LINUX_SYSCALLS(AKUMA_NAMED_SYSCALL) };
#undef AKUMA_NAMED_SYSCALL

using NameTable = std::array<const char*, k_syscall_name_limit>;

consteval NameTable build_name_table() {
    NameTable table {};
    for (const NamedSyscall& syscall : k_syscalls)
        table[syscall.number] = syscall.name;
    return table;
}

consteval bool numbers_are_unique() {
    NameTable table {};
    for (const NamedSyscall& syscall : k_syscalls) {
        if (table[syscall.number] != nullptr)
            return false;
        table[syscall.number] = syscall.name;
    }
    return true;
}
static_assert(numbers_are_unique(), "two syscalls share a number");

constinit const NameTable k_names = build_name_table();

} // namespace

const char* syscall_name(uint64_t number) {
    return number < k_names.size() ? k_names[number] : nullptr;
}

} // namespace akuma::linux_abi
