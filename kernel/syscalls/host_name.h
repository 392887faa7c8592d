// The host and domain names: set by sethostname(2)/setdomainname(2) (init
// sets the host name from /etc/hostname), read by uname(2) and
// /proc/sys/kernel/hostname. Any CPU may set or read them: a spinlock
// guards both, and readers get a copy.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "kernel/lib/error_or.h"

namespace akuma::sys {

constexpr size_t k_host_name_max = 64;  // Linux's __NEW_UTS_LEN

struct HostName {
    char bytes[k_host_name_max + 1] {};
    size_t length { 0 };
    std::string_view view() const { return { bytes, length }; }
};

enum class NameKind : uint8_t { Host, Domain };

HostName current_name(NameKind kind);
// Invalid if longer than k_host_name_max, as Linux.
ErrorOr<void> set_name(NameKind kind, std::span<const char> name);

}  // namespace akuma::sys
