// AF_INET and AF_INET6 sockets (Linux's net/ipv4 and net/ipv6 socket
// layer) over lwIP's raw API: SOCK_STREAM (TCP) and SOCK_DGRAM (UDP).
//
// Each socket owns one lwIP protocol control block. lwIP's callbacks (data,
// acknowledgement, a new connection, a reset) run under the stack lock
// (stack.h) and record what happened in the socket; system calls take the
// stack lock, look, and if they must wait, sleep on the socket's wait
// queue until a callback changes the socket (a generation count under the
// scheduler lock, so no wake-up is lost between the look and the sleep).
// Received TCP data stays in lwIP's pbufs until read; the receive window
// opens as the reader takes it (tcp_recved), as Linux's receive buffer.
//
// An AF_INET6 socket is dual-stack unless IPV6_V6ONLY: IPv4 peers appear
// as v4-mapped addresses (::ffff:a.b.c.d), as on Linux.
//
// Not done: MSG_OOB (urgent data; EOPNOTSUPP... as Linux without it would
// not say: EINVAL for a send), IP options, multicast, SO_BINDTODEVICE,
// TCP_INFO, ICMP errors for UDP other than on the loopback interface.
#pragma once

#include "kernel/net/socket.h"

namespace akuma::net {

constexpr int k_af_inet = 2;
constexpr int k_af_inet6 = 10;

// socket(2) for AF_INET/AF_INET6: `type` SOCK_STREAM or SOCK_DGRAM,
// `protocol` 0 or the matching IPPROTO_TCP/IPPROTO_UDP.
ErrorOr<Socket*> create_inet_socket(int family, int type, int protocol, uint32_t file_flags);
// Frees the received-segment queue nodes kept for reuse (a cache, not a
// leak: the program runner lets it go before it counts memory).
void release_datagram_cache();

}  // namespace akuma::net
