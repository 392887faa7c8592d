// Sockets as open file descriptions (Linux's struct socket behind a struct
// file): the operations every address family implements, and the pieces a
// message carries between the system calls (kernel/syscalls/socket_syscalls.cpp)
// and a family (unix_socket.h; AF_INET comes with the TCP/IP stack).
//
// A family's default for an operation it lacks is Linux's sock_no_*
// answer: EOPNOTSUPP. read(2) and write(2) on a socket are recv and send
// without flags.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "kernel/fs/file.h"
#include "kernel/lib/error_or.h"

namespace akuma::net {

// A socket address as the user gave it or gets it (sockaddr_storage).
struct SocketAddress {
    static constexpr size_t k_capacity = 128;
    uint32_t length { 0 };
    uint8_t bytes[k_capacity] {};
    uint16_t family() const { return length >= 2 ? static_cast<uint16_t>(bytes[0] | bytes[1] << 8) : 0; }
};

// struct ucred: who sent a message or is at the other end.
struct Credentials {
    int32_t pid;
    uint32_t uid;
    uint32_t gid;
};

// MSG_* flags.
constexpr int k_msg_oob = 0x1;
constexpr int k_msg_peek = 0x2;
constexpr int k_msg_ctrunc = 0x8;
constexpr int k_msg_trunc = 0x20;
constexpr int k_msg_dontwait = 0x40;
constexpr int k_msg_eor = 0x80;
constexpr int k_msg_waitall = 0x100;
constexpr int k_msg_nosignal = 0x4000;
constexpr int k_msg_cmsg_cloexec = 0x40000000;

constexpr size_t k_max_rights = 253;  // SCM_MAX_FD

// What send/sendto/sendmsg hand a socket.
struct OutgoingMessage {
    fs::WriteSource& data;
    const SocketAddress* to { nullptr };  // sendto/sendmsg with a name
    // SCM_RIGHTS: references the socket takes over when the first byte (or
    // an empty message) goes; the caller releases them otherwise.
    fs::File** rights { nullptr };
    size_t right_count { 0 };
    std::optional<Credentials> credentials {};  // SCM_CREDENTIALS as given
    int flags { 0 };
};

// What recv/recvfrom/recvmsg ask of a socket, and what they get.
struct IncomingMessage {
    std::span<uint8_t> buffer;   // kernel memory; the caller copies it out
    int flags { 0 };             // MSG_PEEK, MSG_WAITALL, MSG_TRUNC, MSG_DONTWAIT
    size_t size { 0 };           // bytes placed in `buffer`
    size_t full_size { 0 };      // the message's size (datagrams: MSG_TRUNC)
    int result_flags { 0 };      // MSG_TRUNC, MSG_EOR
    SocketAddress from;          // datagrams: the sender (length 0: none)
    // SCM_RIGHTS received: references for the caller to install or release
    // (kmalloc'd array, freed by the caller).
    fs::File** rights { nullptr };
    size_t right_count { 0 };
    std::optional<Credentials> credentials;  // with SO_PASSCRED
};

class Socket : public fs::File {
public:
    bool signals_readiness() const override { return true; }  // O_ASYNC: SIGIO
    Socket* socket() override { return this; }
    bool is_seekable() const override { return false; }

    virtual int domain() const = 0;
    virtual int type() const = 0;
    virtual ErrorOr<void> bind(const SocketAddress& address);
    virtual ErrorOr<void> listen(int backlog);
    // A connection from the backlog; `file_flags`: O_NONBLOCK for the new one.
    virtual ErrorOr<Socket*> accept(bool nonblocking, uint32_t file_flags);
    virtual ErrorOr<void> connect(const SocketAddress& address, bool nonblocking);
    virtual ErrorOr<size_t> send(OutgoingMessage& message, bool nonblocking);
    virtual ErrorOr<void> receive(IncomingMessage& message, bool nonblocking);
    virtual ErrorOr<void> shutdown(int how);
    virtual SocketAddress local_address();
    virtual ErrorOr<SocketAddress> peer_address();
    virtual ErrorOr<void> set_option(int level, int name, std::span<const uint8_t> value);
    // Writes the option into `value`; returns its full length.
    virtual ErrorOr<size_t> get_option(int level, int name, std::span<uint8_t> value);

    // read(2)/write(2): recv/send without flags.
    ErrorOr<size_t> read_at(std::span<uint8_t> buffer, uint64_t offset, bool nonblocking) override;
    ErrorOr<size_t> write_at(std::span<const uint8_t> data, uint64_t& offset) override;
    ErrorOr<size_t> write_from(fs::WriteSource& source, uint64_t& offset) override;
    ErrorOr<fs::InodeStat> stat() override;
    ErrorOr<size_t> anonymous_name(std::span<char> buffer) override;
    // The interface requests (SIOCGIFCONF, SIOCGIFFLAGS, ...) every socket
    // takes, as Linux's sock_ioctl.
    ErrorOr<void> ioctl(uint32_t request, uint64_t argument) override;

protected:
    explicit Socket(uint32_t flags);

private:
    uint64_t m_ino;
};

// send() and Linux's SIGPIPE for a broken connection (unless MSG_NOSIGNAL).
ErrorOr<size_t> send_signalling(Socket& socket, OutgoingMessage& message, bool nonblocking);

// SOL_SOCKET and its options (asm-generic/socket.h).
constexpr int k_sol_socket = 1;
constexpr int k_so_reuseaddr = 2, k_so_type = 3, k_so_error = 4, k_so_dontroute = 5, k_so_broadcast = 6,
              k_so_sndbuf = 7, k_so_rcvbuf = 8, k_so_keepalive = 9, k_so_linger = 13, k_so_reuseport = 15,
              k_so_passcred = 16, k_so_peercred = 17, k_so_rcvlowat = 18, k_so_sndlowat = 19,
              k_so_rcvtimeo = 20, k_so_sndtimeo = 21, k_so_acceptconn = 30, k_so_protocol = 38,
              k_so_domain = 39, k_so_rcvtimeo_new = 66, k_so_sndtimeo_new = 67;

// SO_RCVTIMEO/SO_SNDTIMEO (a struct timeval) as nanoseconds: 0 for none,
// k_timeout_immediately for a negative one (the wait ends at once).
constexpr uint64_t k_timeout_immediately = 1;
ErrorOr<uint64_t> socket_timeout_from(std::span<const uint8_t> value);
size_t put_socket_timeout(std::span<uint8_t> value, uint64_t ns);
// The monotonic deadline of a wait with such a timeout (0: none).
uint64_t socket_deadline(uint64_t timeout_ns);

// SO_SNDBUF/SO_RCVBUF as Linux stores them: doubled (for its bookkeeping),
// within [4,608 or 2,304, 2 * net.core.[rw]mem_max].
int socket_buffer_size(int name, int requested);

// An int option's value (getsockopt/setsockopt): EINVAL if shorter than an int.
ErrorOr<int> option_int(std::span<const uint8_t> value);
size_t put_option_int(std::span<uint8_t> value, int number);

}  // namespace akuma::net
