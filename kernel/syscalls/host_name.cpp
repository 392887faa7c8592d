#include "kernel/syscalls/host_name.h"

#include "kernel/sched/spinlock.h"
#include "kernel/syscalls/system_identity.h"

namespace akuma::sys {

namespace {

constinit IrqSpinLock g_lock;

constexpr HostName make(std::string_view text) {
    HostName name;
    for (size_t i = 0; i < text.size(); ++i)
        name.bytes[i] = text[i];
    name.length = text.size();
    return name;
}

// Until set, the names uname(2) always gave.
constinit HostName g_names[2] = { make(k_node_name), make(k_domain_name) };

}  // namespace

HostName current_name(NameKind kind) {
    SpinLockGuard guard(g_lock);
    return g_names[static_cast<size_t>(kind)];
}

ErrorOr<void> set_name(NameKind kind, std::span<const char> name) {
    if (name.size() > k_host_name_max)
        return Error::Invalid;
    HostName updated;
    __builtin_memcpy(updated.bytes, name.data(), name.size());
    updated.length = name.size();
    SpinLockGuard guard(g_lock);
    g_names[static_cast<size_t>(kind)] = updated;
    return {};
}

}  // namespace akuma::sys
