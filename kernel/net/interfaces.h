// The network interfaces as Linux shows them to programs: the SIOCGIF*
// ioctls every socket takes (ifconfig, glibc's if_nametoindex, busybox),
// and the address checks of bind(2).
#pragma once

#include <cstdint>

#include "kernel/lib/error_or.h"
#include "lwip/ip_addr.h"

namespace akuma::net {

// SIOCGIFCONF, SIOCGIFNAME, SIOCGIFINDEX, SIOCGIFFLAGS, SIOCSIFFLAGS,
// SIOCGIFADDR, SIOCGIFNETMASK, SIOCGIFBRDADDR, SIOCGIFMTU, SIOCGIFHWADDR,
// SIOCGIFTXQLEN;
// NotATty for others (Linux's ENOTTY).
ErrorOr<void> interface_ioctl(uint32_t request, uint64_t argument);

// Whether `address` is one of this machine's (stack lock held): what
// bind(2) accepts besides the any-address. 127.0.0.0/8 is all loopback.
bool interface_has_address(const ip_addr_t& address);

}  // namespace akuma::net
