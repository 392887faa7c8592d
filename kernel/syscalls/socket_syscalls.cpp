// The socket calls: socket, socketpair, bind, listen, accept, accept4,
// connect, getsockname, getpeername, sendto, recvfrom, sendmsg, recvmsg,
// sendmmsg, recvmmsg, shutdown, setsockopt, getsockopt. Addresses, iovecs
// and control messages (SCM_RIGHTS, SCM_CREDENTIALS) are moved between
// user memory and the kernel here; the families (kernel/net) see kernel
// copies. AF_UNIX (unix_socket.h), AF_INET and AF_INET6 (inet_socket.h),
// AF_NETLINK's NETLINK_ROUTE (netlink_socket.h);
// the other families are EAFNOSUPPORT, as on a Linux built without them.
#include "kernel/net/socket.h"
#include "kernel/net/inet_socket.h"
#include "kernel/net/netlink_socket.h"
#include "kernel/net/unix_socket.h"
#include "kernel/proc/process_credentials.h"
#include "kernel/syscalls/file_helpers.h"
#include "kernel/syscalls/transfer.h"
#include "kernel/syscalls/wait_helpers.h"

namespace akuma::sys {

namespace abi = linux_abi;

namespace {

constexpr int k_sock_type_mask = 0xf;
constexpr int k_sock_raw = 3;
constexpr int k_sol_socket = 1;
constexpr int k_scm_rights = 1;
constexpr int k_scm_credentials = 2;

// Linux's scm_check_creds: a sender may claim its own process ID (any with
// CAP_SYS_ADMIN) and one of its real, effective or saved IDs (any with
// CAP_SETUID / CAP_SETGID); -1 is no ID at all.
ErrorOr<void> check_sent_credentials(const net::Credentials& claimed) {
    if (claimed.uid == proc::k_id_unchanged || claimed.gid == proc::k_id_unchanged)
        return Error::Invalid;
    auto mine = proc::current_credentials();
    bool pid_ok = claimed.pid == current().pid || mine.capable(proc::Capability::SysAdmin);
    bool uid_ok = claimed.uid == mine.uid || claimed.uid == mine.euid || claimed.uid == mine.suid ||
                  mine.capable(proc::Capability::Setuid);
    bool gid_ok = claimed.gid == mine.gid || claimed.gid == mine.egid || claimed.gid == mine.sgid ||
                  mine.capable(proc::Capability::Setgid);
    if (pid_ok && uid_ok && gid_ok)
        return {};
    return Error::NotPermitted;
}
constexpr int k_msg_waitforone = 0x10000;
constexpr size_t k_max_control = 20480;  // net.core.optmem_max

// struct msghdr and struct mmsghdr as arm64 lays them out.
struct MessageHeader {
    uint64_t name;
    uint32_t name_length;
    uint32_t pad0;
    uint64_t iov;
    uint64_t iov_length;
    uint64_t control;
    uint64_t control_length;
    int32_t flags;
    uint32_t pad1;
};
static_assert(sizeof(MessageHeader) == 56);
struct MultiMessageHeader {
    MessageHeader header;
    uint32_t length;
    uint32_t pad;
};
static_assert(sizeof(MultiMessageHeader) == 64);

struct ControlHeader {
    uint64_t length;
    int32_t level;
    int32_t type;
};
constexpr size_t control_align(size_t length) { return (length + 7) & ~size_t { 7 }; }
constexpr size_t k_control_header = sizeof(ControlHeader);

// The socket behind a descriptor: EBADF, ENOTSOCK.
class SocketRef {
public:
    static ErrorOr<SocketRef> from_fd(int fd) {
        auto file = TRY(FileRef::from_fd(fd));
        if (!file->socket())
            return Error::NotASocket;
        return SocketRef(std::move(file));
    }
    net::Socket& operator*() const { return *m_file->socket(); }
    net::Socket* operator->() const { return m_file->socket(); }

private:
    explicit SocketRef(FileRef file) : m_file(std::move(file)) {}
    FileRef m_file;
};

// A user sockaddr (Linux's move_addr_to_kernel).
ErrorOr<net::SocketAddress> read_address(uint64_t address, uint64_t length) {
    if (static_cast<int64_t>(static_cast<int32_t>(length)) < 0 || length > net::SocketAddress::k_capacity)
        return Error::Invalid;
    net::SocketAddress result;
    result.length = static_cast<uint32_t>(length);
    if (length)
        TRY(mm::copy_from_user(result.bytes, mm::UserPtr<const void>(address), length));
    return result;
}

// Writes an address and its length back (Linux's move_addr_to_user): as
// much as fits in the caller's buffer, and the full length.
ErrorOr<void> write_address(uint64_t address, uint64_t length_pointer, const net::SocketAddress& value) {
    if (length_pointer == 0)
        return {};
    auto length = TRY(mm::read_user(mm::UserPtr<const int32_t>(length_pointer)));
    if (length < 0)
        return Error::Invalid;
    size_t copied = value.length < static_cast<uint32_t>(length) ? value.length : static_cast<uint32_t>(length);
    if (copied)
        TRY(mm::copy_to_user(mm::UserPtr<void>(address), value.bytes, copied));
    return mm::write_user(mm::UserPtr<int32_t>(length_pointer), static_cast<int32_t>(value.length));
}

uint32_t socket_file_flags(int type) { return abi::k_o_rdwr | (static_cast<uint32_t>(type) & abi::k_o_nonblock); }

ErrorOr<int> install(net::Socket* socket, int type) {
    auto fd = current().files->install(socket, static_cast<uint32_t>(type) & abi::k_o_cloexec);
    if (fd.is_error())
        fs::release(socket);
    return fd;
}

// socket(2)'s and socketpair(2)'s (domain, type, protocol): the AF_UNIX
// socket type, checked in Linux's order.
ErrorOr<int> unix_socket_type(const SyscallArgs& args) {
    int domain = static_cast<int>(args.a[0]);
    int type = static_cast<int>(args.a[1]);
    int protocol = static_cast<int>(args.a[2]);
    if (type & ~(k_sock_type_mask | static_cast<int>(abi::k_o_nonblock | abi::k_o_cloexec)))
        return Error::Invalid;
    if (domain != net::k_af_unix)
        return Error::FamilyNotSupported;
    if (protocol != 0 && protocol != net::k_af_unix)
        return Error::ProtocolNotSupported;
    int base = type & k_sock_type_mask;
    return base == k_sock_raw ? net::k_sock_dgram : base;  // Linux's unix_create does the same
}

ErrorOr<int> socket(const SyscallArgs& args) {
    int domain = static_cast<int>(args.a[0]);
    int type = static_cast<int>(args.a[1]);
    if (domain == net::k_af_inet || domain == net::k_af_inet6) {
        if (type & ~(k_sock_type_mask | static_cast<int>(abi::k_o_nonblock | abi::k_o_cloexec)))
            return Error::Invalid;
        int protocol = static_cast<int>(args.a[2]);
        return install(TRY(net::create_inet_socket(domain, type & k_sock_type_mask, protocol, socket_file_flags(type))),
                       type);
    }
    if (domain == net::k_af_netlink) {
        if (type & ~(k_sock_type_mask | static_cast<int>(abi::k_o_nonblock | abi::k_o_cloexec)))
            return Error::Invalid;
        return install(TRY(net::create_netlink_socket(type & k_sock_type_mask, static_cast<int>(args.a[2]),
                                                      socket_file_flags(type))),
                       type);
    }
    int base = TRY(unix_socket_type(args));
    return install(TRY(net::create_unix_socket(base, socket_file_flags(type))), type);
}

ErrorOr<void> socketpair(const SyscallArgs& args) {
    int type = static_cast<int>(args.a[1]);
    int domain = static_cast<int>(args.a[0]);
    if (domain == net::k_af_inet || domain == net::k_af_inet6)
        return Error::NotSupported;  // Linux: EOPNOTSUPP
    int base = TRY(unix_socket_type(args));
    net::Socket* first = nullptr;
    net::Socket* second = nullptr;
    TRY(net::create_unix_pair(base, socket_file_flags(type), first, second));
    auto& files = *current().files;
    bool cloexec = static_cast<uint32_t>(type) & abi::k_o_cloexec;
    auto first_fd = files.install(first, cloexec);
    if (first_fd.is_error()) {
        fs::release(first);
        fs::release(second);
        return first_fd.error();
    }
    auto second_fd = files.install(second, cloexec);
    if (second_fd.is_error()) {
        (void)files.close(first_fd.value());
        fs::release(second);
        return second_fd.error();
    }
    int32_t fds[2] = { first_fd.value(), second_fd.value() };
    if (mm::copy_to_user(args.ptr<void>(3), fds, sizeof fds).is_error()) {
        (void)files.close(fds[0]);
        (void)files.close(fds[1]);
        return Error::Fault;
    }
    return {};
}

ErrorOr<void> bind(const SyscallArgs& args) {
    auto socket = TRY(SocketRef::from_fd(static_cast<int>(args.a[0])));
    auto address = TRY(read_address(args.a[1], args.a[2]));
    return socket->bind(address);
}

ErrorOr<void> listen(const SyscallArgs& args) {
    auto socket = TRY(SocketRef::from_fd(static_cast<int>(args.a[0])));
    return socket->listen(static_cast<int>(args.a[1]));
}

ErrorOr<int> accept4(const SyscallArgs& args, int flags) {
    if (flags & ~static_cast<int>(abi::k_o_nonblock | abi::k_o_cloexec))
        return Error::Invalid;
    auto socket = TRY(SocketRef::from_fd(static_cast<int>(args.a[0])));
    net::Socket* accepted = TRY(socket->accept(socket->is_nonblocking(), socket_file_flags(flags)));
    if (args.a[1] != 0) {
        auto connected_to = accepted->peer_address();
        net::SocketAddress peer = connected_to.is_error() ? accepted->local_address() : connected_to.value();
        if (auto written = write_address(args.a[1], args.a[2], peer); written.is_error()) {
            fs::release(accepted);
            return written.error();
        }
    }
    return install(accepted, flags);
}

ErrorOr<void> connect(const SyscallArgs& args) {
    auto socket = TRY(SocketRef::from_fd(static_cast<int>(args.a[0])));
    auto address = TRY(read_address(args.a[1], args.a[2]));
    return socket->connect(address, socket->is_nonblocking());
}

ErrorOr<void> getsockname(const SyscallArgs& args) {
    auto socket = TRY(SocketRef::from_fd(static_cast<int>(args.a[0])));
    return write_address(args.a[1], args.a[2], socket->local_address());
}

ErrorOr<void> getpeername(const SyscallArgs& args) {
    auto socket = TRY(SocketRef::from_fd(static_cast<int>(args.a[0])));
    return write_address(args.a[1], args.a[2], TRY(socket->peer_address()));
}

ErrorOr<void> shutdown(const SyscallArgs& args) {
    auto socket = TRY(SocketRef::from_fd(static_cast<int>(args.a[0])));
    return socket->shutdown(static_cast<int>(args.a[1]));
}

ErrorOr<void> setsockopt(const SyscallArgs& args) {
    auto socket = TRY(SocketRef::from_fd(static_cast<int>(args.a[0])));
    auto length = static_cast<int32_t>(args.a[4]);
    if (length < 0)
        return Error::Invalid;
    uint8_t value[64] {};
    size_t copied = static_cast<size_t>(length) < sizeof value ? static_cast<size_t>(length) : sizeof value;
    if (copied)
        TRY(mm::copy_from_user(value, args.ptr<const void>(3), copied));
    return socket->set_option(static_cast<int>(args.a[1]), static_cast<int>(args.a[2]), { value, copied });
}

ErrorOr<void> getsockopt(const SyscallArgs& args) {
    auto socket = TRY(SocketRef::from_fd(static_cast<int>(args.a[0])));
    auto length = TRY(mm::read_user(mm::UserPtr<const int32_t>(args.a[4])));
    if (length < 0)
        return Error::Invalid;
    uint8_t value[64] {};
    size_t room = static_cast<size_t>(length) < sizeof value ? static_cast<size_t>(length) : sizeof value;
    size_t full = TRY(socket->get_option(static_cast<int>(args.a[1]), static_cast<int>(args.a[2]), { value, room }));
    size_t written = full < room ? full : room;
    if (written)
        TRY(mm::copy_to_user(args.ptr<void>(3), value, written));
    return mm::write_user(mm::UserPtr<int32_t>(args.a[4]), static_cast<int32_t>(written));
}

// ---- Messages ----

// SCM_RIGHTS and SCM_CREDENTIALS of a sendmsg, read into `message`
// (references taken on the descriptions: released by the socket or below).
ErrorOr<void> read_control(const MessageHeader& header, net::OutgoingMessage& message) {
    if (header.control_length > k_max_control)
        return Error::NoBufferSpace;
    if (header.control_length < k_control_header)
        return {};
    auto* control = static_cast<uint8_t*>(mm::kmalloc(header.control_length));
    if (!control)
        return Error::NoMemory;
    auto parsed = [&]() -> ErrorOr<void> {
        TRY(mm::copy_from_user(control, mm::UserPtr<const void>(header.control), header.control_length));
        for (size_t offset = 0; offset + k_control_header <= header.control_length;) {
            ControlHeader cmsg;
            __builtin_memcpy(&cmsg, control + offset, sizeof cmsg);
            if (cmsg.length < k_control_header || cmsg.length > header.control_length - offset)
                return Error::Invalid;
            size_t data_length = cmsg.length - k_control_header;
            const uint8_t* data = control + offset + k_control_header;
            if (cmsg.level == k_sol_socket && cmsg.type == k_scm_rights) {
                size_t count = data_length / sizeof(int32_t);
                if (message.right_count + count > net::k_max_rights)
                    return Error::Invalid;
                if (count) {
                    if (!message.rights) {
                        message.rights = static_cast<fs::File**>(mm::kmalloc(net::k_max_rights * sizeof(fs::File*)));
                        if (!message.rights)
                            return Error::NoMemory;
                    }
                    for (size_t i = 0; i < count; ++i) {
                        int32_t fd;
                        __builtin_memcpy(&fd, data + i * sizeof fd, sizeof fd);
                        message.rights[message.right_count] = TRY(current().files->get(fd));
                        ++message.right_count;
                    }
                }
            } else if (cmsg.level == k_sol_socket && cmsg.type == k_scm_credentials) {
                if (data_length != sizeof(net::Credentials))
                    return Error::Invalid;
                net::Credentials credentials;
                __builtin_memcpy(&credentials, data, sizeof credentials);
                TRY(check_sent_credentials(credentials));
                message.credentials = credentials;
            } else if (cmsg.level == k_sol_socket) {
                return Error::Invalid;
            }
            offset += control_align(cmsg.length);
        }
        return {};
    }();
    mm::kfree(control);
    return parsed;
}

void release_rights(net::OutgoingMessage& message) {
    for (size_t i = 0; i < message.right_count; ++i)
        fs::release(message.rights[i]);
    mm::kfree(message.rights);
    message.rights = nullptr;
    message.right_count = 0;
}

// sendmsg's bytes from `vectors`, with the name and control messages.
ErrorOr<size_t> send_vectors(net::Socket& socket, const MessageHeader& header, int flags, const abi::Iovec* vectors,
                             uint64_t count) {
    net::SocketAddress to;
    bool has_to = header.name != 0 && header.name_length != 0;
    if (has_to)
        to = TRY(read_address(header.name, header.name_length));
    UserWriteSource source(vectors, count);
    if (!source.in_user_range())
        return Error::Fault;
    net::OutgoingMessage message { source };
    message.to = has_to ? &to : nullptr;
    message.flags = flags;
    if (auto control = read_control(header, message); control.is_error()) {
        release_rights(message);
        return control.error();
    }
    return net::send_signalling(socket, message, socket.is_nonblocking());
}

ErrorOr<size_t> send_message(net::Socket& socket, const MessageHeader& header, int flags) {
    if (header.iov_length == 0)
        return send_vectors(socket, header, flags, nullptr, 0);  // an empty message (rights may ride on it)
    return import_vectors(mm::UserPtr<const abi::Iovec>(header.iov), header.iov_length,
                          [&](const abi::Iovec* vectors, uint64_t count) {
                              return send_vectors(socket, header, flags, vectors, count);
                          });
}

// Control messages of a received message, laid out as recvmsg gives them:
// SCM_CREDENTIALS first, then SCM_RIGHTS with the descriptors installed
// (as many as fit; the rest are closed and MSG_CTRUNC is set).
ErrorOr<void> write_control(MessageHeader& header, net::IncomingMessage& message, int flags) {
    size_t room = header.control_length < k_max_control ? header.control_length : k_max_control;
    size_t used = 0;
    uint8_t control[k_max_control > 512 ? 512 : k_max_control];
    uint8_t* buffer = room <= sizeof control ? control : static_cast<uint8_t*>(mm::kmalloc(room));
    if (!buffer)
        return Error::NoMemory;
    auto put = [&](int type, const void* data, size_t length) {
        size_t full = k_control_header + length;
        if (room - used < full) {
            header.flags |= net::k_msg_ctrunc;
            return false;
        }
        ControlHeader cmsg { full, k_sol_socket, type };
        __builtin_memcpy(buffer + used, &cmsg, sizeof cmsg);
        __builtin_memcpy(buffer + used + k_control_header, data, length);
        used += control_align(full) < room - used ? control_align(full) : room - used;
        return true;
    };
    if (message.credentials)
        put(k_scm_credentials, &*message.credentials, sizeof(net::Credentials));
    size_t installed = 0;
    if (message.right_count) {
        size_t fit = room - used > k_control_header ? (room - used - k_control_header) / sizeof(int32_t) : 0;
        int32_t fds[net::k_max_rights];
        for (; installed < message.right_count && installed < fit; ++installed) {
            auto fd = current().files->install(message.rights[installed], flags & net::k_msg_cmsg_cloexec);
            if (fd.is_error())
                break;
            fds[installed] = fd.value();
        }
        if (installed < message.right_count)
            header.flags |= net::k_msg_ctrunc;
        if (installed)
            put(k_scm_rights, fds, installed * sizeof(int32_t));
        for (size_t i = installed; i < message.right_count; ++i)
            fs::release(message.rights[i]);
        mm::kfree(message.rights);
        message.rights = nullptr;
        message.right_count = 0;
    }
    auto copied = used ? mm::copy_to_user(mm::UserPtr<void>(header.control), buffer, used) : ErrorOr<void> {};
    if (buffer != control)
        mm::kfree(buffer);
    header.control_length = used;
    return copied;
}

// Scatters `data` over the iovecs (EFAULT if a segment cannot take its part).
ErrorOr<void> scatter(const abi::Iovec* vectors, uint64_t count, const uint8_t* data, size_t size) {
    for (uint64_t i = 0; i < count && size > 0; ++i) {
        size_t step = vectors[i].len < size ? vectors[i].len : size;
        if (step)
            TRY(mm::copy_to_user(mm::UserPtr<void>(vectors[i].base), data, step));
        data += step;
        size -= step;
    }
    return {};
}

constexpr size_t k_max_receive_buffer = 256 * 1024;

ErrorOr<size_t> receive_vectors(net::Socket& socket, MessageHeader& header, int flags, bool nonblocking,
                                const abi::Iovec* vectors, uint64_t count) {
    size_t capacity = 0;
    for (uint64_t i = 0; i < count; ++i) {
        if (!mm::is_user_range(vectors[i].base, vectors[i].len))
            return Error::Fault;
        capacity += vectors[i].len < k_max_transfer - capacity ? vectors[i].len : k_max_transfer - capacity;
    }
    size_t size = capacity < k_max_receive_buffer ? capacity : k_max_receive_buffer;
    auto* buffer = static_cast<uint8_t*>(mm::kmalloc(size ? size : 1));
    if (!buffer)
        return Error::NoMemory;
    net::IncomingMessage message;
    message.buffer = { buffer, size };
    message.flags = flags;
    auto received = socket.receive(message, nonblocking);
    if (received.is_error()) {
        mm::kfree(buffer);
        return received.error();
    }
    auto scattered = scatter(vectors, count, buffer, message.size);
    mm::kfree(buffer);
    header.flags = message.result_flags;
    if (header.name) {
        size_t copied = message.from.length < header.name_length ? message.from.length : header.name_length;
        if (copied && mm::copy_to_user(mm::UserPtr<void>(header.name), message.from.bytes, copied).is_error())
            scattered = Error::Fault;
        header.name_length = message.from.length;
    }
    auto control = write_control(header, message, flags);
    if (scattered.is_error())
        return scattered.error();
    TRY(control);
    if ((flags & net::k_msg_trunc) && socket.type() != net::k_sock_stream)
        return message.full_size;
    return message.size;
}

ErrorOr<size_t> receive_message(net::Socket& socket, MessageHeader& header, int flags, bool nonblocking) {
    if (header.iov_length == 0)
        return receive_vectors(socket, header, flags, nonblocking, nullptr, 0);
    return import_vectors(mm::UserPtr<const abi::Iovec>(header.iov), header.iov_length,
                          [&](const abi::Iovec* vectors, uint64_t count) {
                              return receive_vectors(socket, header, flags, nonblocking, vectors, count);
                          });
}

ErrorOr<size_t> sendto(const SyscallArgs& args) {
    auto socket = TRY(SocketRef::from_fd(static_cast<int>(args.a[0])));
    abi::Iovec vector { mm::untag_user_address(args.a[1]), args.a[2] };
    MessageHeader header {};
    header.name = args.a[4];
    header.name_length = static_cast<uint32_t>(args.a[5]);
    return send_vectors(*socket, header, static_cast<int>(args.a[3]), &vector, 1);
}

ErrorOr<size_t> recvfrom(const SyscallArgs& args) {
    auto socket = TRY(SocketRef::from_fd(static_cast<int>(args.a[0])));
    int flags = static_cast<int>(args.a[3]);
    abi::Iovec vector { mm::untag_user_address(args.a[1]), args.a[2] };
    MessageHeader header {};
    header.name = args.a[4];
    if (args.a[4] && args.a[5]) {
        auto length = TRY(mm::read_user(mm::UserPtr<const int32_t>(args.a[5])));
        if (length < 0)
            return Error::Invalid;
        header.name_length = static_cast<uint32_t>(length);
    } else {
        header.name = 0;
    }
    size_t received = TRY(receive_vectors(*socket, header, flags, socket->is_nonblocking(), &vector, 1));
    if (header.name)
        TRY(mm::write_user(mm::UserPtr<int32_t>(args.a[5]), static_cast<int32_t>(header.name_length)));
    return received;
}

ErrorOr<size_t> sendmsg(const SyscallArgs& args) {
    auto socket = TRY(SocketRef::from_fd(static_cast<int>(args.a[0])));
    auto header = TRY(mm::read_user(mm::UserPtr<const MessageHeader>(args.a[1])));
    return send_message(*socket, header, static_cast<int>(args.a[2]));
}

ErrorOr<size_t> recvmsg(const SyscallArgs& args) {
    auto socket = TRY(SocketRef::from_fd(static_cast<int>(args.a[0])));
    auto header = TRY(mm::read_user(mm::UserPtr<const MessageHeader>(args.a[1])));
    int flags = static_cast<int>(args.a[2]);
    size_t received = TRY(receive_message(*socket, header, flags, socket->is_nonblocking()));
    TRY(mm::write_user(mm::UserPtr<MessageHeader>(args.a[1]), header));
    return received;
}

ErrorOr<size_t> sendmmsg(const SyscallArgs& args) {
    auto socket = TRY(SocketRef::from_fd(static_cast<int>(args.a[0])));
    uint64_t count = args.a[2] < 1024 ? args.a[2] : 1024;  // UIO_MAXIOV
    int flags = static_cast<int>(args.a[3]);
    size_t sent = 0;
    for (; sent < count; ++sent) {
        auto entry = mm::UserPtr<MultiMessageHeader>(args.a[1] + sent * sizeof(MultiMessageHeader));
        auto header = mm::read_user(mm::UserPtr<const MultiMessageHeader>(entry.address()));
        if (header.is_error())
            return partial(sent, header.error());
        auto moved = send_message(*socket, header.value().header, flags);
        if (moved.is_error())
            return partial(sent, moved.error());
        if (mm::write_user(mm::UserPtr<uint32_t>(entry.address() + offsetof(MultiMessageHeader, length)),
                           static_cast<uint32_t>(moved.value()))
                .is_error())
            return partial(sent, Error::Fault);
    }
    return sent;
}

ErrorOr<size_t> recvmmsg(const SyscallArgs& args) {
    auto socket = TRY(SocketRef::from_fd(static_cast<int>(args.a[0])));
    uint64_t count = args.a[2] < 1024 ? args.a[2] : 1024;
    int flags = static_cast<int>(args.a[3]);
    Timeout timeout = TRY(read_timeout(args.ptr<const abi::Timespec>(4)));
    size_t received = 0;
    for (; received < count; ++received) {
        auto entry = args.a[1] + received * sizeof(MultiMessageHeader);
        auto header = mm::read_user(mm::UserPtr<const MultiMessageHeader>(entry));
        if (header.is_error())
            return partial(received, header.error());
        MessageHeader message = header.value().header;
        bool nonblocking = socket->is_nonblocking() || (received > 0 && (flags & k_msg_waitforone));
        auto moved = receive_message(*socket, message, flags & ~k_msg_waitforone, nonblocking);
        if (moved.is_error()) {
            if (received > 0 && moved.error() == Error::TryAgain)
                break;
            return partial(received, moved.error());
        }
        MultiMessageHeader done { message, static_cast<uint32_t>(moved.value()), 0 };
        if (mm::write_user(mm::UserPtr<MultiMessageHeader>(entry), done).is_error())
            return partial(received, Error::Fault);
        // The timeout is looked at between messages only, as on Linux.
        if (timeout.given && !timeout.zero && arch::monotonic_ns() >= timeout.deadline_ns) {
            ++received;
            break;
        }
    }
    return received;
}

}  // namespace

int64_t sys_socket(const SyscallArgs& args) { return to_result(socket(args)); }
int64_t sys_socketpair(const SyscallArgs& args) { return to_result(socketpair(args)); }
int64_t sys_bind(const SyscallArgs& args) { return to_result(bind(args)); }
int64_t sys_listen(const SyscallArgs& args) { return to_result(listen(args)); }
int64_t sys_accept(const SyscallArgs& args) { return to_result(accept4(args, 0)); }
int64_t sys_accept4(const SyscallArgs& args) { return to_result(accept4(args, static_cast<int>(args.a[3]))); }
int64_t sys_connect(const SyscallArgs& args) { return to_result(connect(args)); }
int64_t sys_getsockname(const SyscallArgs& args) { return to_result(getsockname(args)); }
int64_t sys_getpeername(const SyscallArgs& args) { return to_result(getpeername(args)); }
int64_t sys_sendto(const SyscallArgs& args) { return to_result(sendto(args)); }
int64_t sys_recvfrom(const SyscallArgs& args) { return to_result(recvfrom(args)); }
int64_t sys_sendmsg(const SyscallArgs& args) { return to_result(sendmsg(args)); }
int64_t sys_recvmsg(const SyscallArgs& args) { return to_result(recvmsg(args)); }
int64_t sys_sendmmsg(const SyscallArgs& args) { return to_result(sendmmsg(args)); }
int64_t sys_recvmmsg(const SyscallArgs& args) { return to_result(recvmmsg(args)); }
int64_t sys_shutdown(const SyscallArgs& args) { return to_result(shutdown(args)); }
int64_t sys_setsockopt(const SyscallArgs& args) { return to_result(setsockopt(args)); }
int64_t sys_getsockopt(const SyscallArgs& args) { return to_result(getsockopt(args)); }

}  // namespace akuma::sys
