// Who the kernel says it is: uname(2) and the /proc files that repeat it
// (/proc/version, /proc/sys/kernel/hostname and osrelease) read the same
// constants, so they cannot disagree. The node and domain names here are
// only the initial ones: sethostname(2) and setdomainname(2) change them
// (host_name.h).
#pragma once

#include <string_view>

namespace akuma::sys {

constexpr std::string_view k_system_name = "Akuma";
constexpr std::string_view k_node_name = "akuma";
constexpr std::string_view k_release = "0.5.0";
constexpr std::string_view k_version = "#1 SMP-less Akuma";
constexpr std::string_view k_machine = "aarch64";
constexpr std::string_view k_domain_name = "(none)";

}  // namespace akuma::sys
