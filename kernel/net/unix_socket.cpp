#include "kernel/net/unix_socket.h"

#include <new>

#include "kernel/arch/aarch64/timer.h"
#include "kernel/fs/permission.h"
#include "kernel/fs/poll_queue.h"
#include "kernel/fs/vfs.h"
#include "kernel/lib/format.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/proc/process.h"
#include "kernel/proc/process_credentials.h"
#include "kernel/sched/scheduler.h"
#include "kernel/syscalls/linux_abi.h"
#include "kernel/time/duration.h"

namespace akuma::net {

namespace abi = linux_abi;
using fs::partial;

namespace {

constexpr int k_default_buffer = 212992;  // net.core.[rw]mem_default and _max
constexpr size_t k_stream_piece = 65536;  // bytes per queued piece of a stream send
constexpr size_t k_max_dgram_queue = 10;  // net.unix.max_dgram_qlen
constexpr int k_max_backlog = 4096;       // net.core.somaxconn
constexpr int k_shutdown_receive = 1;
constexpr int k_shutdown_send = 2;
constexpr size_t k_path_offset = 2;       // offsetof(struct sockaddr_un, sun_path)
constexpr size_t k_max_address = 110;     // sizeof(struct sockaddr_un)

// One send's bytes and what came with them, queued on the receiver.
struct Message {
    ListNode link;
    uint8_t* data { nullptr };
    size_t size { 0 };
    size_t consumed { 0 };  // streams: bytes already read
    fs::File** rights { nullptr };
    size_t right_count { 0 };
    Credentials credentials {};
    SocketAddress from;
};

Message* allocate_message(size_t size) {
    auto* message = new (std::nothrow) Message();
    if (!message)
        return nullptr;
    if (size) {
        message->data = static_cast<uint8_t*>(mm::kmalloc(size));
        if (!message->data) {
            delete message;
            return nullptr;
        }
    }
    message->size = size;
    return message;
}

void free_message(Message* message) {
    for (size_t i = 0; i < message->right_count; ++i)
        fs::release(message->rights[i]);
    mm::kfree(message->rights);
    mm::kfree(message->data);
    delete message;
}

using MessageList = IntrusiveList<Message, &Message::link>;

void free_messages(MessageList& list) {
    while (Message* message = list.pop_front())
        free_message(message);
}

// What SO_PEERCRED and SCM_CREDENTIALS report: the process's ID and its
// effective user and group (Linux's cred_to_ucred).
Credentials current_credentials() {
    proc::Process* process = proc::current_process();
    auto ids = proc::credentials_of(*process);
    return { process->pid, ids.euid, ids.egid };
}


// A sockaddr_un as Linux reads it (unix_validate_addr, unix_mkname_bsd).
struct UnixName {
    enum class Kind { Autobind, Abstract, Path } kind;
    SocketAddress canonical;  // what getsockname shows
    char path[k_max_address];  // Path: NUL-terminated
};

ErrorOr<UnixName> parse_name(const SocketAddress& address) {
    if (address.length < k_path_offset || address.family() != k_af_unix || address.length > k_max_address)
        return Error::Invalid;
    UnixName name {};
    if (address.length == k_path_offset) {
        name.kind = UnixName::Kind::Autobind;
        return name;
    }
    if (address.bytes[k_path_offset] == 0) {
        name.kind = UnixName::Kind::Abstract;
        name.canonical = address;
        return name;
    }
    name.kind = UnixName::Kind::Path;
    size_t length = 0;
    while (k_path_offset + length < address.length && address.bytes[k_path_offset + length])
        ++length;
    __builtin_memcpy(name.path, address.bytes + k_path_offset, length);
    name.path[length] = 0;
    name.canonical.length = static_cast<uint32_t>(k_path_offset + length + 1);
    __builtin_memcpy(name.canonical.bytes, address.bytes, k_path_offset + length);
    return name;
}

bool same_address(const SocketAddress& a, const SocketAddress& b) {
    return a.length == b.length && __builtin_memcmp(a.bytes, b.bytes, a.length) == 0;
}

// One wait of a sender (or connector) for room in `queue`'s socket
// (scheduler lock held): nullopt to look again; TryAgain (nonblocking, or
// the SO_SNDTIMEO deadline passed) or Interrupted to give up.
std::optional<Error> wait_for_room_locked(sched::SchedulerLockGuard& guard, sched::WaitQueue& queue,
                                          bool nonblocking, uint64_t deadline) {
    if (nonblocking)
        return Error::TryAgain;
    switch (queue.wait_interruptible(guard, deadline)) {
    case sched::WaitResult::Interrupted: return Error::Interrupted;
    case sched::WaitResult::TimedOut: return Error::TryAgain;
    case sched::WaitResult::Woken: return std::nullopt;
    }
    return std::nullopt;
}

fs::InodeRef base_for(const char* path) {
    return path[0] == '/' ? fs::root_directory() : proc::current_process()->cwd;
}

}  // namespace

class UnixSocket final : public Socket {
public:
    ListNode m_all_link;      // every unix socket (scheduler lock)
    ListNode m_backlog_link;  // a listener's unaccepted connections
    static IntrusiveList<UnixSocket, &UnixSocket::m_all_link> s_all;

    enum class State : uint8_t { Unconnected, Listening, Connected };

    UnixSocket(int type, uint32_t flags) : Socket(flags), m_type(type) {
        sched::SchedulerLockGuard guard;
        s_all.push_back(*this);
    }
    ~UnixSocket() override;

    int domain() const override { return k_af_unix; }
    int type() const override { return m_type; }
    fs::ReadContinuation read_continuation() const override {
        return m_type == k_sock_stream ? fs::ReadContinuation::TakeBuffered : fs::ReadContinuation::OneCall;
    }

    ErrorOr<void> bind(const SocketAddress& address) override;
    ErrorOr<void> listen(int backlog) override;
    ErrorOr<Socket*> accept(bool nonblocking, uint32_t file_flags) override;
    ErrorOr<void> connect(const SocketAddress& address, bool nonblocking) override;
    ErrorOr<size_t> send(OutgoingMessage& message, bool nonblocking) override;
    ErrorOr<void> receive(IncomingMessage& message, bool nonblocking) override;
    ErrorOr<void> shutdown(int how) override;
    SocketAddress local_address() override;
    ErrorOr<SocketAddress> peer_address() override;
    ErrorOr<void> set_option(int level, int name, std::span<const uint8_t> value) override;
    ErrorOr<size_t> get_option(int level, int name, std::span<uint8_t> value) override;
    uint16_t poll_events() override;
    fs::PollQueue* poll_queue() override { return &m_poll; }

    static void connect_pair(sched::SchedulerLockGuard& guard, UnixSocket& a, UnixSocket& b) {
        (void)guard;
        a.m_peer = &b;
        b.m_peer = &a;
        a.m_state = b.m_state = State::Connected;
    }
    Credentials m_credentials {};           // ours, as the peer sees them
    Credentials m_peer_credentials { 0, ~0u, ~0u };
    bool m_has_peer_credentials { false };

private:
    bool connection_oriented() const { return m_type != k_sock_dgram; }
    bool queue_full_locked() const {
        if (m_type == k_sock_stream)
            return m_queue_bytes >= static_cast<size_t>(m_rcvbuf);
        return m_queue_bytes >= static_cast<size_t>(m_rcvbuf) || m_queue.size() >= k_max_dgram_queue * 64;
    }
    static UnixSocket* find_bound_locked(const fs::Inode* node, const SocketAddress* abstract_name);
    // The socket a name leads to: a path's socket node (resolved outside
    // the scheduler lock, as `node`) or an abstract name.
    ErrorOr<fs::InodeRef> resolve_node(const UnixName& name);
    void wake_readers_locked(sched::SchedulerLockGuard& guard) {
        m_readers.wake_all(guard);
        m_poll.notify(guard, abi::k_pollin | abi::k_pollrdnorm);
    }
    void wake_senders_locked(sched::SchedulerLockGuard& guard) {
        m_space_waiters.wake_all(guard);
        m_poll.notify(guard, abi::k_pollout | abi::k_pollwrnorm);
        if (m_peer)
            m_peer->m_poll.notify(guard, abi::k_pollout | abi::k_pollwrnorm);
    }
    void wake_everyone_locked(sched::SchedulerLockGuard& guard) {
        m_readers.wake_all(guard);
        m_space_waiters.wake_all(guard);
        m_poll.notify(guard);
    }
    ErrorOr<size_t> send_datagram(OutgoingMessage& message, bool nonblocking);
    ErrorOr<size_t> send_stream(OutgoingMessage& message, bool nonblocking);
    ErrorOr<void> receive_stream(IncomingMessage& message, bool nonblocking, MessageList& consumed,
                                 fs::File**& spare);
    ErrorOr<void> receive_one(IncomingMessage& message, bool nonblocking, MessageList& consumed, fs::File**& spare);
    // Credentials (with SO_PASSCRED) and rights of `from` into `into`:
    // moved, or when peeking duplicated into `spare` (k_max_rights slots
    // allocated beforehand; nullptr: rights are not seen).
    void take_extras_locked(Message& from, IncomingMessage& into, bool peek, fs::File**& spare);

    static uint32_t s_next_autobind;

    int m_type;
    State m_state { State::Unconnected };
    UnixSocket* m_peer { nullptr };     // connected: the other end; datagrams: the default destination
    bool m_peer_refused { false };      // datagrams: the default destination closed (ECONNREFUSED once)
    bool m_embryo { false };            // made by connect, not yet accepted
    int m_shutdown { 0 };
    Error m_error { Error::Invalid };   // pending (SO_ERROR): ConnectionReset
    bool m_has_error { false };
    MessageList m_queue;
    size_t m_queue_bytes { 0 };
    IntrusiveList<UnixSocket, &UnixSocket::m_backlog_link> m_backlog;
    int m_backlog_limit { 0 };
    SocketAddress m_address;            // length 0: not bound
    fs::InodeRef m_node;                // bound to a path: its socket node
    bool m_pass_credentials { false };
    int m_rcvlowat { 1 };
    int m_sndbuf { k_default_buffer };
    int m_rcvbuf { k_default_buffer };
    uint64_t m_rcv_timeout { 0 };
    uint64_t m_snd_timeout { 0 };
    int m_plain_options[4] {};          // SO_REUSEADDR, SO_KEEPALIVE, SO_BROADCAST, SO_DONTROUTE (stored only)
    int m_linger[2] {};
    sched::WaitQueue m_readers;         // recv and accept
    sched::WaitQueue m_space_waiters;   // senders waiting for room in this socket's queue, connectors for its backlog
    fs::PollQueue m_poll;
};

IntrusiveList<UnixSocket, &UnixSocket::m_all_link> UnixSocket::s_all;
uint32_t UnixSocket::s_next_autobind = 0;

UnixSocket::~UnixSocket() {
    MessageList orphans;
    IntrusiveList<UnixSocket, &UnixSocket::m_backlog_link> unaccepted;
    {
        sched::SchedulerLockGuard guard;
        s_all.remove(*this);
        while (Message* message = m_queue.pop_front())
            orphans.push_back(*message);
        bool had_unread = !orphans.is_empty();
        while (UnixSocket* embryo = m_backlog.pop_front())
            unaccepted.push_back(*embryo);
        if (connection_oriented() && m_peer) {
            UnixSocket& peer = *m_peer;
            peer.m_peer = nullptr;
            peer.m_shutdown = k_shutdown_receive | k_shutdown_send;
            if (had_unread || m_embryo) {
                peer.m_error = Error::ConnectionReset;
                peer.m_has_error = true;
            }
            peer.wake_everyone_locked(guard);
        }
        // Datagram sockets that sent here by default learn it at their next send.
        s_all.for_each([&](UnixSocket& other) {
            if (other.m_peer == this) {
                other.m_peer = nullptr;
                other.m_peer_refused = !connection_oriented();
                other.wake_everyone_locked(guard);
            }
        });
        wake_everyone_locked(guard);  // connectors waiting for the backlog, senders for room
    }
    free_messages(orphans);
    while (UnixSocket* embryo = unaccepted.pop_front())
        fs::release(embryo);
}

UnixSocket* UnixSocket::find_bound_locked(const fs::Inode* node, const SocketAddress* abstract_name) {
    UnixSocket* found = nullptr;
    s_all.for_each([&](UnixSocket& socket) {
        if (found || socket.m_address.length == 0 || socket.m_embryo)
            return;
        if (node ? socket.m_node.get() == node : same_address(socket.m_address, *abstract_name))
            found = &socket;
    });
    return found;
}

ErrorOr<fs::InodeRef> UnixSocket::resolve_node(const UnixName& name) {
    if (name.kind != UnixName::Kind::Path)
        return fs::InodeRef {};
    fs::InodeRef node = TRY(fs::resolve_path(base_for(name.path), name.path, true));
    // Linux's unix_find_bsd: write permission on the node, then its type.
    TRY(fs::check_current_access(node, fs::k_may_write));
    if ((fs::stat(node).mode & abi::k_s_ifmt) != abi::k_s_ifsock)
        return Error::ConnectionRefused;  // not a socket: Linux's answer too
    return node;
}

ErrorOr<void> UnixSocket::bind(const SocketAddress& address) {
    UnixName name = TRY(parse_name(address));
    if (name.kind == UnixName::Kind::Path) {
        // As Linux's unix_bind_bsd: the node first (EADDRINUSE if the name
        // is taken), then the check that the socket has no name yet, which
        // takes the new node away again.
        fs::InodeRef base = base_for(name.path);
        uint32_t mode = abi::k_s_ifsock | (0777 & ~proc::current_process()->umask);
        auto made = fs::make_node(base, name.path, mode, {});
        if (made.is_error())
            return made.error() == Error::Exists ? Error::AddressInUse : made.error();
        {
            sched::SchedulerLockGuard guard;
            if (!m_address.length) {
                m_node = std::move(made.value());
                m_address = name.canonical;
                return {};
            }
        }
        (void)fs::remove(base, name.path, false);
        return Error::Invalid;
    }
    sched::SchedulerLockGuard guard;
    if (m_address.length)
        return name.kind == UnixName::Kind::Autobind ? ErrorOr<void> {} : ErrorOr<void> { Error::Invalid };
    if (name.kind == UnixName::Kind::Autobind) {
        // "\0" and five hex digits, the first free one (Linux's unix_autobind).
        for (uint32_t attempt = 0; attempt < 0x100000; ++attempt) {
            uint32_t number = s_next_autobind++ & 0xfffff;
            SocketAddress candidate;
            candidate.length = static_cast<uint32_t>(k_path_offset + 1 + 5);
            candidate.bytes[0] = static_cast<uint8_t>(k_af_unix);
            BufferSink sink(reinterpret_cast<char*>(candidate.bytes + k_path_offset + 1), 6);
            format_to(sink, "{:05x}", number);
            if (!find_bound_locked(nullptr, &candidate)) {
                m_address = candidate;
                return {};
            }
        }
        return Error::AddressInUse;
    }
    if (find_bound_locked(nullptr, &name.canonical))
        return Error::AddressInUse;
    m_address = name.canonical;
    return {};
}

ErrorOr<void> UnixSocket::listen(int backlog) {
    if (!connection_oriented())
        return Error::NotSupported;
    sched::SchedulerLockGuard guard;
    if (m_address.length == 0 || m_state == State::Connected)
        return Error::Invalid;
    if (backlog < 0)
        backlog = 0;
    m_backlog_limit = backlog > k_max_backlog ? k_max_backlog : backlog;
    m_state = State::Listening;
    m_credentials = current_credentials();
    wake_everyone_locked(guard);  // connectors waiting for a bigger backlog
    return {};
}

ErrorOr<Socket*> UnixSocket::accept(bool nonblocking, uint32_t file_flags) {
    if (!connection_oriented())
        return Error::NotSupported;
    uint64_t deadline = socket_deadline(m_rcv_timeout);
    sched::SchedulerLockGuard guard;
    for (;;) {
        if (m_state != State::Listening)
            return Error::Invalid;
        if (UnixSocket* embryo = m_backlog.pop_front()) {
            embryo->m_embryo = false;
            embryo->change_flags(abi::k_o_nonblock, file_flags & abi::k_o_nonblock);
            m_space_waiters.wake_all(guard);  // room in the backlog
            return static_cast<Socket*>(embryo);
        }
        if (nonblocking)
            return Error::TryAgain;
        auto waited = m_readers.wait_interruptible(guard, deadline);
        if (waited == sched::WaitResult::Interrupted)
            return Error::Interrupted;
        if (waited == sched::WaitResult::TimedOut && m_backlog.is_empty())
            return Error::TryAgain;
    }
}

ErrorOr<void> UnixSocket::connect(const SocketAddress& address, bool nonblocking) {
    if (!connection_oriented() && address.length >= k_path_offset && address.family() == 0) {
        sched::SchedulerLockGuard guard;  // AF_UNSPEC: a datagram socket forgets its destination
        m_peer = nullptr;
        m_peer_refused = false;
        return {};
    }
    UnixName name = TRY(parse_name(address));
    if (name.kind == UnixName::Kind::Autobind)
        return Error::Invalid;
    fs::InodeRef node = TRY(resolve_node(name));
    if (!connection_oriented()) {
        sched::SchedulerLockGuard guard;
        UnixSocket* target = find_bound_locked(node.get(), &name.canonical);
        if (!target)
            return Error::ConnectionRefused;
        if (target->m_type != m_type)
            return Error::WrongProtocolType;
        if (target->m_peer && target->m_peer != this)
            return Error::NotPermitted;  // it only takes datagrams from its own peer
        m_peer = target;
        m_peer_refused = false;
        return {};
    }
    {
        sched::SchedulerLockGuard guard;
        if (m_state == State::Connected)
            return Error::AlreadyConnected;
        if (m_state == State::Listening)
            return Error::Invalid;
    }
    // The accepting end, made before any lock is taken.
    auto* embryo = new (std::nothrow) UnixSocket(m_type, abi::k_o_rdwr);
    if (!embryo)
        return Error::NoMemory;
    uint64_t deadline = socket_deadline(m_snd_timeout);
    Error failure;
    {
        sched::SchedulerLockGuard guard;
        for (;;) {
            if (m_state == State::Connected) {
                failure = Error::AlreadyConnected;
                break;
            }
            UnixSocket* listener = find_bound_locked(node.get(), &name.canonical);
            if (listener && listener->m_type != m_type) {
                failure = Error::WrongProtocolType;  // Linux's unix_find_other looks at the type first
                break;
            }
            if (!listener || listener->m_state != State::Listening) {
                failure = Error::ConnectionRefused;
                break;
            }
            if (listener->m_backlog.size() > static_cast<size_t>(listener->m_backlog_limit)) {
                if (auto given_up = wait_for_room_locked(guard, listener->m_space_waiters, nonblocking, deadline)) {
                    failure = *given_up;
                    break;
                }
                continue;  // the listener may be gone: look it up again
            }
            connect_pair(guard, *this, *embryo);
            embryo->m_embryo = true;
            embryo->m_address = listener->m_address;
            embryo->m_credentials = listener->m_credentials;
            embryo->m_peer_credentials = current_credentials();
            embryo->m_has_peer_credentials = true;
            embryo->m_pass_credentials = listener->m_pass_credentials;
            m_credentials = current_credentials();
            m_peer_credentials = listener->m_credentials;
            m_has_peer_credentials = true;
            listener->m_backlog.push_back(*embryo);
            listener->wake_readers_locked(guard);
            m_poll.notify(guard, abi::k_pollout | abi::k_pollwrnorm);
            return {};
        }
    }
    fs::release(embryo);
    return failure;
}

ErrorOr<size_t> UnixSocket::send(OutgoingMessage& message, bool nonblocking) {
    if (message.flags & k_msg_oob)
        return Error::NotSupported;
    nonblocking = nonblocking || (message.flags & k_msg_dontwait);
    if (m_type == k_sock_stream) {
        if (message.to) {
            sched::SchedulerLockGuard guard;
            return m_state == State::Connected ? Error::AlreadyConnected : Error::NotSupported;
        }
        return send_stream(message, nonblocking);
    }
    if (m_type == k_sock_seqpacket)
        message.to = nullptr;  // ignored, as Linux's unix_seqpacket_sendmsg
    return send_datagram(message, nonblocking);
}

namespace {
// The message's extras (rights, credentials) move into `into`.
void attach_extras(OutgoingMessage& message, Message& into) {
    into.rights = message.rights;
    into.right_count = message.right_count;
    message.rights = nullptr;
    message.right_count = 0;
    into.credentials = message.credentials ? *message.credentials : current_credentials();
}

void drop_rights(OutgoingMessage& message) {
    for (size_t i = 0; i < message.right_count; ++i)
        fs::release(message.rights[i]);
    mm::kfree(message.rights);
    message.rights = nullptr;
    message.right_count = 0;
}
}  // namespace

ErrorOr<size_t> UnixSocket::send_stream(OutgoingMessage& message, bool nonblocking) {
    size_t total = message.data.total();
    size_t readable = message.data.readable();
    size_t sent = 0;
    uint64_t deadline = socket_deadline(m_snd_timeout);
    bool first = true;
    while (first || sent < total) {
        size_t piece = total - sent < k_stream_piece ? total - sent : k_stream_piece;
        if (sent + piece > readable) {
            if (sent >= readable) {
                drop_rights(message);
                return partial(sent, Error::Fault);
            }
            piece = readable - sent;
        }
        Message* queued = allocate_message(piece);
        if (!queued) {
            drop_rights(message);
            return partial(sent, Error::NoMemory);
        }
        if (message.data.copy_next(queued->data, piece).is_error()) {
            free_message(queued);
            drop_rights(message);
            return partial(sent, Error::Fault);
        }
        if (first)
            attach_extras(message, *queued);
        else
            queued->credentials = current_credentials();
        first = false;
        Error failure = Error::Invalid;
        bool failed = false;
        {
            sched::SchedulerLockGuard guard;
            for (;;) {
                if (m_state != State::Connected) {
                    failure = Error::NotConnected;
                    failed = true;
                    break;
                }
                if ((m_shutdown & k_shutdown_send) || !m_peer || (m_peer->m_shutdown & k_shutdown_receive)) {
                    failure = Error::BrokenPipe;
                    failed = true;
                    break;
                }
                if (!m_peer->queue_full_locked())
                    break;
                if (auto given_up = wait_for_room_locked(guard, m_peer->m_space_waiters, nonblocking, deadline)) {
                    failure = *given_up;
                    failed = true;
                    break;
                }
            }
            if (!failed) {
                m_peer->m_queue.push_back(*queued);
                m_peer->m_queue_bytes += piece;
                m_peer->wake_readers_locked(guard);
            }
        }
        if (failed) {
            free_message(queued);
            return partial(sent, failure);
        }
        sent += piece;
    }
    return sent;
}

ErrorOr<size_t> UnixSocket::send_datagram(OutgoingMessage& message, bool nonblocking) {
    size_t size = message.data.total();
    if (size > static_cast<size_t>(m_sndbuf) - 32) {
        drop_rights(message);
        return Error::MessageTooLong;
    }
    fs::InodeRef node;
    UnixName name {};
    if (message.to) {
        auto parsed = parse_name(*message.to);
        if (parsed.is_error() || parsed.value().kind == UnixName::Kind::Autobind) {
            drop_rights(message);
            return Error::Invalid;
        }
        name = parsed.value();
        auto resolved = resolve_node(name);
        if (resolved.is_error()) {
            drop_rights(message);
            return resolved.error();
        }
        node = std::move(resolved.value());
    }
    Message* queued = allocate_message(size);
    if (!queued) {
        drop_rights(message);
        return Error::NoMemory;
    }
    attach_extras(message, *queued);
    if (size && message.data.copy_next(queued->data, size).is_error()) {
        free_message(queued);
        return Error::Fault;
    }
    uint64_t deadline = socket_deadline(m_snd_timeout);
    Error failure = Error::Invalid;
    {
        sched::SchedulerLockGuard guard;
        queued->from = m_address;
        for (;;) {
            UnixSocket* target;
            if (message.to) {
                target = find_bound_locked(node.get(), &name.canonical);
                if (!target) {
                    failure = Error::ConnectionRefused;
                    break;
                }
            } else {
                if (m_peer_refused) {
                    m_peer_refused = false;
                    failure = Error::ConnectionRefused;
                    break;
                }
                if (m_shutdown & k_shutdown_send) {
                    failure = Error::BrokenPipe;
                    break;
                }
                target = m_peer;
                if (!target) {
                    failure = connection_oriented() && m_state == State::Connected ? Error::BrokenPipe
                                                                                  : Error::NotConnected;
                    break;
                }
            }
            if (target->m_type != m_type) {
                failure = Error::WrongProtocolType;
                break;
            }
            if (!connection_oriented() && target->m_peer && target->m_peer != this) {
                failure = Error::NotPermitted;
                break;
            }
            if (target->m_shutdown & k_shutdown_receive) {
                failure = Error::BrokenPipe;
                break;
            }
            bool full = target->m_queue_bytes + size > static_cast<size_t>(target->m_rcvbuf) ||
                        (!connection_oriented() && target->m_peer != this &&
                         target->m_queue.size() >= k_max_dgram_queue);
            if (!full || target->m_queue.is_empty()) {
                target->m_queue.push_back(*queued);
                target->m_queue_bytes += size;
                target->wake_readers_locked(guard);
                return size;
            }
            if (auto given_up = wait_for_room_locked(guard, target->m_space_waiters, nonblocking, deadline)) {
                failure = *given_up;
                break;
            }
        }
    }
    free_message(queued);
    return failure;
}

void UnixSocket::take_extras_locked(Message& from, IncomingMessage& into, bool peek, fs::File**& spare) {
    if (m_pass_credentials && !into.credentials)
        into.credentials = from.credentials;
    if (from.right_count == 0 || into.rights)
        return;
    if (peek) {
        // Peeking duplicates the references (Linux's scm_fp_dup).
        if (!spare)
            return;
        for (size_t i = 0; i < from.right_count; ++i) {
            fs::retain(from.rights[i]);
            spare[i] = from.rights[i];
        }
        into.rights = spare;
        into.right_count = from.right_count;
        spare = nullptr;
        return;
    }
    into.rights = from.rights;
    into.right_count = from.right_count;
    from.rights = nullptr;
    from.right_count = 0;
}

ErrorOr<void> UnixSocket::receive(IncomingMessage& message, bool nonblocking) {
    if (message.flags & k_msg_oob)  // no out-of-band byte ever waits on a stream here
        return m_type == k_sock_stream ? Error::Invalid : Error::NotSupported;
    nonblocking = nonblocking || (message.flags & k_msg_dontwait);
    MessageList consumed;
    fs::File** spare = nullptr;
    if (message.flags & k_msg_peek)
        spare = static_cast<fs::File**>(mm::kmalloc(k_max_rights * sizeof(fs::File*)));
    auto result = m_type == k_sock_stream ? receive_stream(message, nonblocking, consumed, spare)
                                          : receive_one(message, nonblocking, consumed, spare);
    mm::kfree(spare);
    free_messages(consumed);
    return result;
}

ErrorOr<void> UnixSocket::receive_stream(IncomingMessage& message, bool nonblocking, MessageList& consumed,
                                         fs::File**& spare) {
    bool peek = message.flags & k_msg_peek;
    bool wait_all = (message.flags & k_msg_waitall) && !peek;
    uint64_t deadline = socket_deadline(m_rcv_timeout);
    size_t capacity = message.buffer.size();
    sched::SchedulerLockGuard guard;
    if (m_state != State::Connected)
        return Error::Invalid;  // Linux's unix_stream_read_generic on a socket that never connected
    // How many bytes a blocking read waits for (Linux's sock_rcvlowat):
    // all with MSG_WAITALL, else SO_RCVLOWAT, at most the request.
    size_t target = wait_all ? capacity : static_cast<size_t>(m_rcvlowat);
    if (target > capacity)
        target = capacity;
    if (target == 0)
        target = 1;
    size_t copied = 0;
    for (;;) {
        bool took_rights = false;
        for (Message* next = m_queue.front(); next && copied < capacity && !took_rights;) {
            Message& head = *next;
            next = list_owner<Message, &Message::link>(head.link.next);
            if (head.right_count && copied > 0)
                break;  // rights start a new read
            size_t available = head.size - head.consumed;
            size_t step = available < capacity - copied ? available : capacity - copied;
            __builtin_memcpy(message.buffer.data() + copied, head.data + head.consumed, step);
            copied += step;
            take_extras_locked(head, message, peek, spare);
            took_rights = message.rights != nullptr;
            if (peek)
                continue;
            head.consumed += step;
            m_queue_bytes -= step;
            if (head.consumed == head.size) {
                m_queue.remove(head);
                consumed.push_back(head);
            }
        }
        if (copied > 0 && !peek)
            wake_senders_locked(guard);
        if (copied == capacity || took_rights || (copied > 0 && (peek || copied >= target)))
            break;
        if (m_has_error && copied == 0) {
            m_has_error = false;
            return m_error;
        }
        if ((m_shutdown & k_shutdown_receive) || !m_peer)
            break;  // end of file
        if (nonblocking) {
            if (copied)
                break;
            return Error::TryAgain;
        }
        auto waited = m_readers.wait_interruptible(guard, deadline);
        if (waited != sched::WaitResult::Woken && m_queue.is_empty()) {
            if (copied)
                break;
            return waited == sched::WaitResult::Interrupted ? Error::Interrupted : Error::TryAgain;
        }
    }
    message.size = copied;
    message.full_size = copied;
    return {};
}

ErrorOr<void> UnixSocket::receive_one(IncomingMessage& message, bool nonblocking, MessageList& consumed,
                                      fs::File**& spare) {
    bool peek = message.flags & k_msg_peek;
    uint64_t deadline = socket_deadline(m_rcv_timeout);
    sched::SchedulerLockGuard guard;
    if (m_type == k_sock_seqpacket && m_state != State::Connected)
        return Error::NotConnected;
    for (;;) {
        if (Message* head = m_queue.front()) {
            size_t step = head->size < message.buffer.size() ? head->size : message.buffer.size();
            if (step)
                __builtin_memcpy(message.buffer.data(), head->data, step);
            message.size = step;
            message.full_size = head->size;
            if (head->size > step)
                message.result_flags |= k_msg_trunc;
            if (m_type == k_sock_seqpacket)
                message.result_flags |= k_msg_eor;
            message.from = head->from;
            take_extras_locked(*head, message, peek, spare);
            if (!peek) {
                m_queue.remove(*head);
                m_queue_bytes -= head->size;
                consumed.push_back(*head);
                wake_senders_locked(guard);
            }
            return {};
        }
        if (m_has_error) {
            m_has_error = false;
            return m_error;
        }
        if ((m_shutdown & k_shutdown_receive) || (m_type == k_sock_seqpacket && !m_peer)) {
            message.size = message.full_size = 0;
            return {};  // end of file
        }
        if (nonblocking)
            return Error::TryAgain;
        auto waited = m_readers.wait_interruptible(guard, deadline);
        if (waited != sched::WaitResult::Woken && m_queue.is_empty())
            return waited == sched::WaitResult::Interrupted ? Error::Interrupted : Error::TryAgain;
    }
}

ErrorOr<void> UnixSocket::shutdown(int how) {
    if (how < 0 || how > 2)
        return Error::Invalid;
    int mode = how + 1;  // SHUT_RD: receive, SHUT_WR: send, SHUT_RDWR: both
    sched::SchedulerLockGuard guard;
    m_shutdown |= mode;
    wake_everyone_locked(guard);
    if (connection_oriented() && m_peer) {
        int peer_mode = ((mode & k_shutdown_receive) ? k_shutdown_send : 0) |
                        ((mode & k_shutdown_send) ? k_shutdown_receive : 0);
        m_peer->m_shutdown |= peer_mode;
        m_peer->wake_everyone_locked(guard);
    }
    return {};
}

SocketAddress UnixSocket::local_address() {
    sched::SchedulerLockGuard guard;
    if (m_address.length)
        return m_address;
    return Socket::local_address();
}

ErrorOr<SocketAddress> UnixSocket::peer_address() {
    sched::SchedulerLockGuard guard;
    if (!m_peer || (connection_oriented() && m_state != State::Connected))
        return Error::NotConnected;
    if (m_peer->m_address.length)
        return m_peer->m_address;
    SocketAddress unnamed;
    unnamed.length = static_cast<uint32_t>(k_path_offset);
    unnamed.bytes[0] = static_cast<uint8_t>(k_af_unix);
    return unnamed;
}

uint16_t UnixSocket::poll_events() {
    sched::SchedulerLockGuard guard;
    uint16_t events = 0;
    if (m_has_error)
        events |= abi::k_pollerr;
    if (m_shutdown == (k_shutdown_receive | k_shutdown_send))
        events |= abi::k_pollhup;
    if (m_shutdown & k_shutdown_receive)
        events |= abi::k_pollrdhup | abi::k_pollin | abi::k_pollrdnorm;
    if (!m_queue.is_empty() || !m_backlog.is_empty())
        events |= abi::k_pollin | abi::k_pollrdnorm;
    if (connection_oriented() && m_state == State::Unconnected)
        events |= abi::k_pollhup;
    bool writable = m_state != State::Listening;
    if (m_type == k_sock_stream && m_peer && m_peer->queue_full_locked())
        writable = false;
    if (m_type != k_sock_stream && m_peer && m_peer->m_peer != this &&
        m_peer->m_queue.size() >= k_max_dgram_queue)
        writable = false;
    if (writable)
        events |= abi::k_pollout | abi::k_pollwrnorm | abi::k_pollwrband;
    return events;
}

namespace {
int plain_option_index(int name) {
    switch (name) {
    case k_so_reuseaddr: return 0;
    case k_so_keepalive: return 1;
    case k_so_broadcast: return 2;
    case k_so_dontroute: return 3;
    default: return -1;
    }
}
}  // namespace

ErrorOr<void> UnixSocket::set_option(int level, int name, std::span<const uint8_t> value) {
    if (level != k_sol_socket)
        return Error::NotSupported;  // unix sockets have no protocol options
    if (name == k_so_rcvtimeo || name == k_so_sndtimeo || name == k_so_rcvtimeo_new || name == k_so_sndtimeo_new) {
        uint64_t timeout = TRY(socket_timeout_from(value));
        sched::SchedulerLockGuard guard;
        (name == k_so_rcvtimeo || name == k_so_rcvtimeo_new ? m_rcv_timeout : m_snd_timeout) = timeout;
        return {};
    }
    if (name == k_so_linger) {
        if (value.size() < sizeof m_linger)
            return Error::Invalid;
        sched::SchedulerLockGuard guard;
        __builtin_memcpy(m_linger, value.data(), sizeof m_linger);
        return {};
    }
    int number = TRY(option_int(value));
    sched::SchedulerLockGuard guard;
    switch (name) {
    case k_so_sndbuf:
    case k_so_rcvbuf:
        (name == k_so_sndbuf ? m_sndbuf : m_rcvbuf) = socket_buffer_size(name, number);
        wake_everyone_locked(guard);
        return {};
    case k_so_passcred: m_pass_credentials = number != 0; return {};
    case k_so_rcvlowat: m_rcvlowat = number < 0 ? 0x7fffffff : number == 0 ? 1 : number; return {};
    case k_so_sndlowat: return Error::NoProtocolOption;  // not changeable on Linux (socket(7))
    default: {
        int index = plain_option_index(name);
        if (index < 0)
            return Error::NoProtocolOption;
        m_plain_options[index] = number != 0;
        return {};
    }
    }
}

ErrorOr<size_t> UnixSocket::get_option(int level, int name, std::span<uint8_t> value) {
    if (level != k_sol_socket)
        return Error::NotSupported;
    sched::SchedulerLockGuard guard;
    switch (name) {
    case k_so_type: return put_option_int(value, m_type);
    case k_so_domain: return put_option_int(value, k_af_unix);
    case k_so_protocol: return put_option_int(value, 0);
    case k_so_acceptconn: return put_option_int(value, m_state == State::Listening);
    case k_so_error: {
        int error = m_has_error ? static_cast<int>(m_error) : 0;
        m_has_error = false;
        return put_option_int(value, error);
    }
    case k_so_sndbuf: return put_option_int(value, m_sndbuf);
    case k_so_rcvbuf: return put_option_int(value, m_rcvbuf);
    case k_so_passcred: return put_option_int(value, m_pass_credentials);
    case k_so_rcvlowat: return put_option_int(value, m_rcvlowat);
    case k_so_sndlowat: return put_option_int(value, 1);
    case k_so_rcvtimeo:
    case k_so_rcvtimeo_new: return put_socket_timeout(value, m_rcv_timeout);
    case k_so_sndtimeo:
    case k_so_sndtimeo_new: return put_socket_timeout(value, m_snd_timeout);
    case k_so_linger: {
        size_t length = value.size() < sizeof m_linger ? value.size() : sizeof m_linger;
        __builtin_memcpy(value.data(), m_linger, length);
        return sizeof m_linger;
    }
    case k_so_peercred: {
        Credentials credentials = m_has_peer_credentials ? m_peer_credentials : Credentials { 0, ~0u, ~0u };
        size_t length = value.size() < sizeof credentials ? value.size() : sizeof credentials;
        __builtin_memcpy(value.data(), &credentials, length);
        return sizeof credentials;
    }
    default: {
        int index = plain_option_index(name);
        if (index < 0)
            return Error::NoProtocolOption;
        return put_option_int(value, m_plain_options[index]);
    }
    }
}

ErrorOr<Socket*> create_unix_socket(int type, uint32_t file_flags) {
    if (type != k_sock_stream && type != k_sock_dgram && type != k_sock_seqpacket)
        return Error::SocketTypeNotSupported;
    auto* socket = new (std::nothrow) UnixSocket(type, file_flags);
    if (!socket)
        return Error::NoMemory;
    socket->m_credentials = current_credentials();
    return static_cast<Socket*>(socket);
}

ErrorOr<void> create_unix_pair(int type, uint32_t file_flags, Socket*& first, Socket*& second) {
    auto* a = static_cast<UnixSocket*>(TRY(create_unix_socket(type, file_flags)));
    auto made = create_unix_socket(type, file_flags);
    if (made.is_error()) {
        fs::release(a);
        return made.error();
    }
    auto* b = static_cast<UnixSocket*>(made.value());
    sched::SchedulerLockGuard guard;
    UnixSocket::connect_pair(guard, *a, *b);
    a->m_peer_credentials = b->m_credentials;
    b->m_peer_credentials = a->m_credentials;
    a->m_has_peer_credentials = b->m_has_peer_credentials = true;
    first = a;
    second = b;
    return {};
}

}  // namespace akuma::net
