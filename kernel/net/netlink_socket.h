// AF_NETLINK sockets, NETLINK_ROUTE only: what glibc's getifaddrs and
// if_nameindex, busybox `ip addr`/`ip link`/`ip route` and iproute2 ask of
// the kernel — dumps of the interfaces (RTM_GETLINK), their addresses
// (RTM_GETADDR) and the main routing table (RTM_GETROUTE), and single
// RTM_GETLINK queries. Each request is answered at once, in the sender's
// receive queue, as datagrams of at most one page of messages (a dump ends
// with NLMSG_DONE), with the request's sequence number. Requests that would
// change the configuration (RTM_NEWADDR, RTM_NEWROUTE, RTM_SETLINK, ...)
// are answered with an NLMSG_ERROR of EOPNOTSUPP: the stack is configured
// by the kernel (DHCP) only. No multicast groups: nothing is announced.
#pragma once

#include "kernel/net/socket.h"

namespace akuma::net {

constexpr int k_af_netlink = 16;

// socket(AF_NETLINK, SOCK_RAW or SOCK_DGRAM, protocol).
ErrorOr<Socket*> create_netlink_socket(int type, int protocol, uint32_t file_flags);

}  // namespace akuma::net
