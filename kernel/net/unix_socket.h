// AF_UNIX sockets (Linux's net/unix): SOCK_STREAM, SOCK_SEQPACKET and
// SOCK_DGRAM, bound to a path (an S_IFSOCK node in the file system, made by
// bind and left behind by close, as on Linux) or to a name in the abstract
// namespace (sun_path starting with a NUL byte; bind with only the family
// picks one: "\0" and five hex digits), socketpair, listen/accept/connect,
// SCM_RIGHTS (open descriptions in flight), SCM_CREDENTIALS and
// SO_PASSCRED, SO_PEERCRED.
//
// Each send queues one message (bytes, the rights and credentials that
// came with them, and for datagrams the sender's address) on the
// receiver. A stream read runs across messages but stops after one that
// carried rights, and does not go on into one that carries rights once it
// has bytes, as Linux's unix_stream_read_generic. Limits: a stream
// receiver holds up to SO_RCVBUF (212,992) bytes before senders wait; a
// datagram is at most SO_SNDBUF - 32 bytes (EMSGSIZE), and a datagram
// socket not connected back to its sender holds 10 of them
// (net.unix.max_dgram_qlen) before senders wait.
//
// Locking: every socket's state, the queues and the table of bound names
// are under the scheduler lock, so waiters check and sleep without losing a
// wake-up; bytes are copied under it (bounded pieces, kernel to kernel),
// memory is allocated and freed, and descriptions released, outside it.
//
// Not done: garbage collection of sockets that are only in flight in each
// other's queues (a socket sent over itself and closed stays until the
// machine stops; Linux collects such cycles), SO_PEEK_OFF, MSG_OOB
// (EOPNOTSUPP, as Linux's unix sockets), the autobind on send that
// SO_PASSCRED asks of Linux, permission checks on socket nodes (no users
// yet).
#pragma once

#include "kernel/net/socket.h"

namespace akuma::net {

constexpr int k_af_unix = 1;
constexpr int k_sock_stream = 1;
constexpr int k_sock_dgram = 2;
constexpr int k_sock_seqpacket = 5;

// `file_flags`: O_RDWR plus O_NONBLOCK if asked.
ErrorOr<Socket*> create_unix_socket(int type, uint32_t file_flags);
// socketpair(2): two connected sockets.
ErrorOr<void> create_unix_pair(int type, uint32_t file_flags, Socket*& first, Socket*& second);

}  // namespace akuma::net
