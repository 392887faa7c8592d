#include "kernel/net/inet_socket.h"

#include <new>
#include <optional>

#include "kernel/fs/poll_queue.h"
#include "kernel/lib/intrusive_list.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/user_access.h"
#include "kernel/net/checksum.h"
#include "kernel/net/interfaces.h"
#include "kernel/net/stack.h"
#include "kernel/proc/process_credentials.h"
#include "kernel/sched/scheduler.h"
#include "kernel/syscalls/linux_abi.h"
#include "lwip/ip.h"
#include "lwip/netif.h"
#include "lwip/ip_addr.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"

namespace akuma::net {

namespace abi = linux_abi;

namespace {

constexpr int k_sock_stream = 1;
constexpr int k_sock_dgram = 2;
constexpr int k_ipproto_ip = 0;
constexpr int k_ipproto_tcp = 6;
constexpr int k_ipproto_udp = 17;
constexpr int k_ipproto_ipv6 = 41;
constexpr int k_ip_tos = 1, k_ip_ttl = 2;
constexpr int k_ipv6_v6only = 26;
constexpr int k_tcp_nodelay = 1, k_tcp_maxseg = 2, k_tcp_keepidle = 4, k_tcp_keepintvl = 5, k_tcp_keepcnt = 6;
constexpr int k_shut_rd = 0, k_shut_wr = 1, k_shut_rdwr = 2;
constexpr int k_max_backlog = 4096;  // net.core.somaxconn
constexpr size_t k_max_udp_payload = 65507;
constexpr size_t k_send_piece = 65536;
// Linux's defaults: tcp_rmem[1], tcp_wmem[1]; net.core.[rw]mem_default.
constexpr int k_tcp_default_rcvbuf = 131072, k_tcp_default_sndbuf = 16384, k_udp_default_buffer = 212992;
constexpr size_t k_sockaddr_in_size = 16, k_sockaddr_in6_size = 28;

Error error_from_lwip(err_t error) {
    switch (error) {
    case ERR_MEM:
    case ERR_BUF: return Error::NoBufferSpace;
    case ERR_TIMEOUT: return Error::TimedOut;
    case ERR_RTE: return Error::NetworkUnreachable;
    case ERR_INPROGRESS: return Error::InProgress;
    case ERR_VAL: return Error::Invalid;
    case ERR_WOULDBLOCK: return Error::TryAgain;
    case ERR_USE: return Error::AddressInUse;
    case ERR_ALREADY: return Error::AlreadyInProgress;
    case ERR_ISCONN: return Error::AlreadyConnected;
    case ERR_CONN: return Error::NotConnected;
    case ERR_ABRT: return Error::ConnectionAborted;
    case ERR_RST: return Error::ConnectionReset;
    case ERR_CLSD: return Error::NotConnected;
    default: return Error::IoError;
    }
}

uint16_t read_be16(const uint8_t* bytes) { return static_cast<uint16_t>(bytes[0] << 8 | bytes[1]); }

// A user's sockaddr_in/sockaddr_in6 as an lwIP address and port, as
// Linux's inet_bind/inet6_bind read it.
struct Endpoint {
    ip_addr_t address;
    uint16_t port;
};

ErrorOr<Endpoint> parse_endpoint(const SocketAddress& given, int family, bool v6only) {
    Endpoint endpoint {};
    if (family == k_af_inet) {
        if (given.length < k_sockaddr_in_size)
            return Error::Invalid;
        if (given.family() != k_af_inet)
            return Error::FamilyNotSupported;
        endpoint.port = read_be16(given.bytes + 2);
        uint32_t address;
        __builtin_memcpy(&address, given.bytes + 4, 4);
        ip_addr_set_ip4_u32_val(endpoint.address, address);
        return endpoint;
    }
    if (given.length < 24)  // SIN6_LEN_RFC2133
        return Error::Invalid;
    if (given.family() != k_af_inet6)
        return Error::FamilyNotSupported;
    endpoint.port = read_be16(given.bytes + 2);
    ip6_addr_t address {};
    __builtin_memcpy(address.addr, given.bytes + 8, 16);
    if (ip6_addr_isipv4mappedipv6(&address)) {
        if (v6only)
            return Error::Invalid;
        ip_addr_set_ip4_u32_val(endpoint.address, address.addr[3]);
        return endpoint;
    }
    if (ip6_addr_isany(&address) && !v6only) {
        endpoint.address = *IP_ANY_TYPE;
        return endpoint;
    }
    ip_addr_copy_from_ip6_packed(endpoint.address, address);
    ip6_addr_clear_zone(ip_2_ip6(&endpoint.address));
    return endpoint;
}

SocketAddress format_endpoint(int family, const ip_addr_t* address, uint16_t port) {
    SocketAddress out;
    out.bytes[0] = static_cast<uint8_t>(family);
    out.bytes[1] = static_cast<uint8_t>(family >> 8);
    out.bytes[2] = static_cast<uint8_t>(port >> 8);
    out.bytes[3] = static_cast<uint8_t>(port);
    if (family == k_af_inet) {
        out.length = k_sockaddr_in_size;
        uint32_t value = address && IP_IS_V4(address) ? ip4_addr_get_u32(ip_2_ip4(address)) : 0;
        __builtin_memcpy(out.bytes + 4, &value, 4);
        return out;
    }
    out.length = k_sockaddr_in6_size;
    uint32_t words[4] = {};
    if (address && IP_IS_V6_VAL(*address) && !ip_addr_isany(address)) {
        __builtin_memcpy(words, ip_2_ip6(address)->addr, 16);
    } else if (address && IP_IS_V4_VAL(*address)) {
        // An IPv4 peer of a dual-stack socket: ::ffff:a.b.c.d, and the
        // any-address bound as both families reads as ::.
        if (!ip4_addr_isany_val(*ip_2_ip4(address))) {
            words[2] = PP_HTONL(0x0000ffffUL);
            words[3] = ip4_addr_get_u32(ip_2_ip4(address));
        }
    }
    __builtin_memcpy(out.bytes + 8, words, 16);
    return out;
}

// One received TCP segment or UDP datagram in a socket's queue. Made and
// freed for every segment, always under the stack lock: freed nodes wait
// in a short free list for the next, instead of two trips through the
// kernel heap per segment.
struct Datagram {
    ListNode link;
    struct pbuf* packet;
    ip_addr_t from;
    uint16_t port;

    static void* operator new(size_t size, const std::nothrow_t&) noexcept;
    static void operator delete(void* pointer) noexcept;
};
using DatagramList = IntrusiveList<Datagram, &Datagram::link>;

struct FreeDatagram {
    FreeDatagram* next;
};
constexpr size_t k_free_datagrams_kept = 256;
constinit FreeDatagram* g_free_datagrams = nullptr;  // stack lock
constinit size_t g_free_datagram_count = 0;

void* Datagram::operator new(size_t size, const std::nothrow_t&) noexcept {
    VERIFY(stack_lock_held());
    if (FreeDatagram* node = g_free_datagrams) {
        g_free_datagrams = node->next;
        --g_free_datagram_count;
        return node;
    }
    return mm::kmalloc(size, alignof(Datagram));
}

void Datagram::operator delete(void* pointer) noexcept {
    if (!pointer)
        return;
    VERIFY(stack_lock_held());
    if (g_free_datagram_count == k_free_datagrams_kept) {
        mm::kfree(pointer);
        return;
    }
    auto* node = static_cast<FreeDatagram*>(pointer);
    node->next = g_free_datagrams;
    g_free_datagrams = node;
    ++g_free_datagram_count;
}

}  // namespace

void release_datagram_cache() {
    StackGuard guard;
    while (FreeDatagram* node = g_free_datagrams) {
        g_free_datagrams = node->next;
        mm::kfree(node);
    }
    g_free_datagram_count = 0;
}

class InetSocket final : public Socket {
public:
    enum class State : uint8_t { Unconnected, Listening, Connecting, Connected, Closed };

    InetSocket(int family, int type, uint32_t flags) : Socket(flags), m_family(family), m_type(type) {
        int buffer = type == k_sock_stream ? k_tcp_default_rcvbuf : k_udp_default_buffer;
        m_rcvbuf = buffer;
        m_sndbuf = type == k_sock_stream ? k_tcp_default_sndbuf : k_udp_default_buffer;
    }
    ~InetSocket() override;

    int domain() const override { return m_family; }
    int type() const override { return m_type; }
    fs::ReadContinuation read_continuation() const override {
        return m_type == k_sock_stream ? fs::ReadContinuation::TakeBuffered : fs::ReadContinuation::OneCall;
    }

    ErrorOr<void> create_pcb();
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
    ErrorOr<void> ioctl(uint32_t request, uint64_t argument) override;
    uint16_t poll_events() override { return __atomic_load_n(&m_events, __ATOMIC_RELAXED); }
    fs::PollQueue* poll_queue() override { return &m_poll; }

    // lwIP's callbacks (stack lock held).
    static err_t on_tcp_receive(void* argument, struct tcp_pcb* pcb, struct pbuf* packet, err_t error);
    static err_t on_tcp_sent(void* argument, struct tcp_pcb* pcb, u16_t length);
    static void on_tcp_error(void* argument, err_t error);
    static err_t on_tcp_connected(void* argument, struct tcp_pcb* pcb, err_t error);
    static err_t on_tcp_accept(void* argument, struct tcp_pcb* pcb, err_t error);
    static void on_udp_receive(void* argument, struct udp_pcb* pcb, struct pbuf* packet, const ip_addr_t* from,
                               u16_t port);

    ListNode m_backlog_link;  // a listener's unaccepted connections

    // An ICMP port unreachable for what this (connected UDP) socket sent.
    static void refuse(InetSocket& socket) {
        socket.m_error = Error::ConnectionRefused;
        socket.m_has_error = true;
        socket.changed();
    }

private:
    // Recomputes the poll events and wakes waiters and pollers (stack lock held).
    void changed();
    uint16_t compute_events() const;
    void attach_tcp(struct tcp_pcb* pcb);
    void detach_tcp();
    // Runs `attempt` (stack lock held) until it gives something other than
    // TryAgain, sleeping between tries; TryAgain at once when nonblocking,
    // after `timeout_ns` (SO_RCVTIMEO/SO_SNDTIMEO) otherwise.
    template <typename Attempt>
    auto wait_for(bool nonblocking, uint64_t timeout_ns, Attempt attempt) -> decltype(attempt());
    Error take_error() {
        Error error = m_error;
        m_has_error = false;
        return error;
    }
    ErrorOr<void> connect_tcp(const Endpoint& endpoint, bool nonblocking);
    ErrorOr<size_t> send_tcp(OutgoingMessage& message, bool nonblocking);
    ErrorOr<size_t> send_udp(OutgoingMessage& message, bool nonblocking);
    ErrorOr<void> receive_tcp(IncomingMessage& message, bool nonblocking);
    ErrorOr<void> receive_udp(IncomingMessage& message, bool nonblocking);
    size_t take_received(uint8_t* to, size_t size, bool peek);
    const ip_addr_t* wildcard() const {
        if (m_family == k_af_inet)
            return IP4_ADDR_ANY;
        return m_v6only ? IP6_ADDR_ANY : IP_ANY_TYPE;
    }

    const int m_family;
    const int m_type;
    // Stack lock:
    State m_state { State::Unconnected };
    struct tcp_pcb* m_tcp { nullptr };
    struct udp_pcb* m_udp { nullptr };
    DatagramList m_segments;              // TCP: unread data as it came, oldest first
    size_t m_received_offset { 0 };       // bytes of the first segment already read
    size_t m_received_bytes { 0 };
    DatagramList m_datagrams;
    size_t m_datagram_bytes { 0 };
    IntrusiveList<InetSocket, &InetSocket::m_backlog_link> m_backlog;
    int m_backlog_count { 0 };
    int m_backlog_max { 0 };
    InetSocket* m_listener { nullptr };  // an unaccepted connection's listener
    bool m_peer_closed { false };         // FIN came (reads end after the data)
    bool m_read_shut { false };
    bool m_write_shut { false };
    bool m_has_error { false };
    bool m_connect_reported { false };    // a non-blocking connect's outcome not yet seen by connect()
    bool m_bound { false };
    Error m_error { Error::IoError };
    bool m_v6only { false };
    bool m_nodelay { false };
    bool m_dont_route { false };
    int m_rcvbuf;
    int m_sndbuf;
    int m_rcvlowat { 1 };
    int m_linger[2] {};                   // struct linger
    int m_tos { 0 };
    uint64_t m_rcv_timeout { 0 };
    uint64_t m_snd_timeout { 0 };
    // Scheduler lock:
    uint64_t m_generation { 0 };
    uint16_t m_events { 0 };
    sched::WaitQueue m_waiters;
    fs::PollQueue m_poll;
};

template <typename Attempt>
auto InetSocket::wait_for(bool nonblocking, uint64_t timeout_ns, Attempt attempt) -> decltype(attempt()) {
    uint64_t deadline = socket_deadline(timeout_ns);
    for (;;) {
        uint64_t generation;
        {
            StackGuard guard;
            auto result = attempt();
            if (!result.is_error() || result.error() != Error::TryAgain)
                return result;
            generation = __atomic_load_n(&m_generation, __ATOMIC_RELAXED);
        }
        if (nonblocking)
            return Error::TryAgain;
        sched::SchedulerLockGuard guard;
        if (m_generation != generation)
            continue;
        switch (m_waiters.wait_interruptible(guard, deadline)) {
        case sched::WaitResult::Interrupted: return Error::Interrupted;
        case sched::WaitResult::TimedOut: return Error::TryAgain;
        case sched::WaitResult::Woken: break;
        }
    }
}

uint16_t InetSocket::compute_events() const {
    uint16_t events = 0;
    constexpr uint16_t readable = abi::k_pollin | abi::k_pollrdnorm;
    constexpr uint16_t writable = abi::k_pollout | abi::k_pollwrnorm;
    if (m_has_error)
        events |= abi::k_pollerr;
    if (m_type == k_sock_dgram) {
        if (!m_datagrams.is_empty())
            events |= readable;
        if (!m_write_shut)
            events |= writable;
        if (m_read_shut)
            events |= readable | abi::k_pollrdhup;
        return events;
    }
    switch (m_state) {
    case State::Listening:
        if (!m_backlog.is_empty())
            events |= readable;
        return events;
    case State::Connecting: return events;
    case State::Unconnected: return events | writable | abi::k_pollhup;
    case State::Connected:
    case State::Closed: break;
    }
    if (m_received_bytes || m_peer_closed || m_read_shut)
        events |= readable;
    if (m_peer_closed || m_read_shut)
        events |= abi::k_pollrdhup;
    bool dead = !m_tcp;
    if (dead || (m_peer_closed && m_write_shut))
        events |= abi::k_pollhup;
    if (dead || m_write_shut)
        events |= writable;  // a write does not block: it fails
    else if (tcp_sndbuf(m_tcp) >= TCP_SNDLOWAT && tcp_sndqueuelen(m_tcp) < TCP_SNDQUEUELOWAT)
        events |= writable;
    return events;
}

void InetSocket::changed() {
    uint16_t events = compute_events();
    sched::SchedulerLockGuard guard;
    __atomic_store_n(&m_events, events, __ATOMIC_RELAXED);
    ++m_generation;
    m_waiters.wake_all(guard);
    m_poll.notify(guard, events ? events : fs::k_poll_any_event);
}

void InetSocket::attach_tcp(struct tcp_pcb* pcb) {
    m_tcp = pcb;
    tcp_arg(pcb, this);
    tcp_recv(pcb, on_tcp_receive);
    tcp_sent(pcb, on_tcp_sent);
    tcp_err(pcb, on_tcp_error);
    if (m_nodelay)
        tcp_nagle_disable(pcb);
}

void InetSocket::detach_tcp() {
    if (!m_tcp)
        return;
    tcp_arg(m_tcp, nullptr);
    if (m_tcp->state == LISTEN) {
        tcp_accept(m_tcp, nullptr);
    } else {
        tcp_recv(m_tcp, nullptr);
        tcp_sent(m_tcp, nullptr);
        tcp_err(m_tcp, nullptr);
    }
    m_tcp = nullptr;
}

InetSocket::~InetSocket() {
    IntrusiveList<InetSocket, &InetSocket::m_backlog_link> unaccepted;
    {
        StackGuard guard;
        if (m_listener) {
            m_listener->m_backlog.remove(*this);
            --m_listener->m_backlog_count;
        }
        while (InetSocket* connection = m_backlog.pop_front()) {
            connection->m_listener = nullptr;
            unaccepted.push_back(*connection);
        }
        if (struct tcp_pcb* pcb = m_tcp) {
            bool listening = pcb->state == LISTEN;
            bool unread = m_received_bytes > 0;
            bool linger_zero = m_linger[0] && m_linger[1] == 0;
            detach_tcp();
            // Unread data or SO_LINGER {1, 0}: the connection ends with a
            // reset, as on Linux (tcp_close's "data was lost" path).
            if (!listening && (unread || linger_zero))
                tcp_abort(pcb);
            else if (tcp_close(pcb) != ERR_OK)
                tcp_abort(pcb);
        }
        if (m_udp)
            udp_remove(m_udp);
        for (DatagramList* list : { &m_segments, &m_datagrams }) {
            while (Datagram* datagram = list->pop_front()) {
                pbuf_free(datagram->packet);
                delete datagram;
            }
        }
    }
    while (InetSocket* connection = unaccepted.pop_front())
        fs::release(connection);
}

ErrorOr<void> InetSocket::create_pcb() {
    u8_t type = m_family == k_af_inet ? IPADDR_TYPE_V4 : m_v6only ? IPADDR_TYPE_V6 : IPADDR_TYPE_ANY;
    StackGuard guard;
    if (m_type == k_sock_stream) {
        struct tcp_pcb* pcb = tcp_new_ip_type(type);
        if (!pcb)
            return Error::NoBufferSpace;
        attach_tcp(pcb);
    } else {
        m_udp = udp_new_ip_type(type);
        if (!m_udp)
            return Error::NoBufferSpace;
        udp_recv(m_udp, on_udp_receive, this);
    }
    changed();
    return {};
}

// ---------------------------------------------------------------- callbacks

err_t InetSocket::on_tcp_receive(void* argument, struct tcp_pcb* pcb, struct pbuf* packet, err_t error) {
    auto* socket = static_cast<InetSocket*>(argument);
    if (!socket) {
        if (packet) {
            tcp_recved(pcb, packet->tot_len);
            pbuf_free(packet);
        }
        return ERR_OK;
    }
    if (!packet) {
        socket->m_peer_closed = true;
    } else if (socket->m_read_shut) {
        // Linux drops what comes after shutdown(SHUT_RD) and keeps the
        // window open.
        tcp_recved(pcb, packet->tot_len);
        pbuf_free(packet);
        return ERR_OK;
    } else {
        auto* segment = new (std::nothrow) Datagram();
        if (!segment) {
            // Not taken: lwIP keeps it and offers it again later.
            return ERR_MEM;
        }
        segment->packet = packet;
        socket->m_segments.push_back(*segment);
        socket->m_received_bytes += packet->tot_len;
        // ACKs: lwIP's (every second segment), and the network thread
        // sends a delayed one when the frames at hand are done
        // (net::send_delayed_acks).
    }
    socket->changed();
    return ERR_OK;
}

err_t InetSocket::on_tcp_sent(void* argument, struct tcp_pcb*, u16_t) {
    if (auto* socket = static_cast<InetSocket*>(argument))
        socket->changed();
    return ERR_OK;
}

void InetSocket::on_tcp_error(void* argument, err_t error) {
    auto* socket = static_cast<InetSocket*>(argument);
    if (!socket)
        return;
    // lwIP has freed the pcb.
    socket->m_tcp = nullptr;
    if (error == ERR_CLSD) {
        // Both sides closed and the last ACK came: an orderly end.
        socket->m_peer_closed = true;
        socket->m_state = State::Closed;
        socket->changed();
        return;
    }
    if (socket->m_state == State::Connecting) {
        socket->m_error = error == ERR_RST ? Error::ConnectionRefused
                        : error == ERR_ABRT ? Error::TimedOut : error_from_lwip(error);
        socket->m_connect_reported = true;
    } else if (error == ERR_RST) {
        // A reset after the peer's FIN (CLOSE_WAIT) reads as EPIPE, as
        // Linux's tcp_reset says.
        socket->m_error = socket->m_peer_closed ? Error::BrokenPipe : Error::ConnectionReset;
    } else {
        socket->m_error = error == ERR_ABRT ? Error::TimedOut : error_from_lwip(error);
    }
    socket->m_has_error = true;
    socket->m_peer_closed = true;
    socket->m_state = State::Closed;
    if (InetSocket* listener = socket->m_listener) {
        listener->changed();
    }
    socket->changed();
}

err_t InetSocket::on_tcp_connected(void* argument, struct tcp_pcb*, err_t) {
    auto* socket = static_cast<InetSocket*>(argument);
    if (!socket)
        return ERR_OK;
    socket->m_state = State::Connected;
    socket->m_connect_reported = true;
    socket->changed();
    return ERR_OK;
}

err_t InetSocket::on_tcp_accept(void* argument, struct tcp_pcb* pcb, err_t error) {
    auto* listener = static_cast<InetSocket*>(argument);
    if (!listener || error != ERR_OK || !pcb)
        return ERR_VAL;
    if (listener->m_backlog_count > listener->m_backlog_max) {
        tcp_abort(pcb);
        return ERR_ABRT;
    }
    auto* connection = new (std::nothrow) InetSocket(listener->m_family, k_sock_stream, abi::k_o_rdwr);
    if (!connection) {
        tcp_abort(pcb);
        return ERR_ABRT;
    }
    connection->m_nodelay = listener->m_nodelay;
    connection->m_v6only = listener->m_v6only;
    connection->m_rcv_timeout = listener->m_rcv_timeout;
    connection->m_snd_timeout = listener->m_snd_timeout;
    connection->m_state = State::Connected;
    connection->m_bound = true;
    connection->attach_tcp(pcb);
    if (ip_get_option(listener->m_tcp, SOF_KEEPALIVE))
        ip_set_option(pcb, SOF_KEEPALIVE);
    connection->m_listener = listener;
    connection->m_events = connection->compute_events();
    listener->m_backlog.push_back(*connection);
    ++listener->m_backlog_count;
    listener->changed();
    return ERR_OK;
}

void InetSocket::on_udp_receive(void* argument, struct udp_pcb*, struct pbuf* packet, const ip_addr_t* from,
                                u16_t port) {
    auto* socket = static_cast<InetSocket*>(argument);
    if (!socket || socket->m_read_shut || socket->m_datagram_bytes + packet->tot_len > static_cast<size_t>(socket->m_rcvbuf)) {
        pbuf_free(packet);
        return;
    }
    auto* datagram = new (std::nothrow) Datagram();
    if (!datagram) {
        pbuf_free(packet);
        return;
    }
    datagram->packet = packet;
    ip_addr_copy(datagram->from, *from);
    datagram->port = port;
    socket->m_datagrams.push_back(*datagram);
    socket->m_datagram_bytes += packet->tot_len;
    socket->changed();
}

// ICMP "port unreachable" for a UDP datagram we sent: ECONNREFUSED on the
// connected socket that sent it, as Linux's __udp4_lib_err (lwIP reports
// ICMP errors to nobody). Called for every IPv4 packet lwIP receives
// (LWIP_HOOK_IP4_INPUT, stack lock held); never takes the packet.
// Whether packets from `input` have their checksums checked (lo's are not).
bool checks(const struct netif* input, uint16_t flag) { return !input || (input->chksum_flags & flag); }

void report_port_unreachable(struct pbuf* packet, struct netif* input) {
    // The hook sees packets before lwIP has checked them: act only on a
    // well-formed, unfragmented ICMP message to one of our addresses, whose
    // IP and ICMP checksums hold, about a datagram one of our addresses
    // sent. (ICMP errors quote at most 576 bytes; longer ones are ignored.)
    constexpr size_t k_ip_header = 20, k_icmp_header = 8, k_max_message = 576;
    uint8_t bytes[k_max_message];
    size_t total = packet->tot_len;
    if (total < k_ip_header || total > k_max_message)
        return;
    if (pbuf_copy_partial(packet, bytes, static_cast<u16_t>(total), 0) != total)
        return;
    size_t ip_length = (bytes[0] & 0xf) * 4u;
    size_t ip_total = read_be16(bytes + 2);
    if ((bytes[0] >> 4) != 4 || bytes[9] != 1 /* ICMP */ || ip_length < k_ip_header || ip_total > total ||
        ip_total < ip_length + k_icmp_header + k_ip_header + 8)
        return;
    if ((read_be16(bytes + 6) & 0x3fff) != 0)
        return;  // a fragment (MF set or an offset)
    // (lo generates and checks no checksums, as Linux's.)
    if (checks(input, NETIF_CHECKSUM_CHECK_IP) && internet_checksum(bytes, ip_length) != 0xffff)
        return;
    ip_addr_t receiver;
    uint32_t receiver_value;
    __builtin_memcpy(&receiver_value, bytes + 16, 4);
    ip_addr_set_ip4_u32_val(receiver, receiver_value);
    if (!interface_has_address(receiver))
        return;
    const uint8_t* icmp = bytes + ip_length;
    size_t icmp_length = ip_total - ip_length;
    if (icmp[0] != 3 /* destination unreachable */ || icmp[1] != 3 /* port */)
        return;
    if (checks(input, NETIF_CHECKSUM_CHECK_ICMP) && internet_checksum(icmp, icmp_length) != 0xffff)
        return;
    const uint8_t* original = icmp + k_icmp_header;
    size_t original_length = (original[0] & 0xf) * 4u;
    if ((original[0] >> 4) != 4 || original[9] != 17 /* UDP */ || original_length < k_ip_header ||
        icmp_length < k_icmp_header + original_length + 8)
        return;
    const uint8_t* udp = original + original_length;
    uint16_t source_port = read_be16(udp), destination_port = read_be16(udp + 2);
    uint32_t source, destination;
    __builtin_memcpy(&source, original + 12, 4);
    __builtin_memcpy(&destination, original + 16, 4);
    for (struct udp_pcb* pcb = udp_pcbs; pcb; pcb = pcb->next) {
        if (pcb->local_port != source_port || pcb->remote_port != destination_port ||
            !(pcb->flags & UDP_FLAGS_CONNECTED) || !IP_IS_V4_VAL(pcb->remote_ip) ||
            ip4_addr_get_u32(ip_2_ip4(&pcb->remote_ip)) != destination)
            continue;
        if (!ip_addr_isany(&pcb->local_ip) &&
            (!IP_IS_V4_VAL(pcb->local_ip) || ip4_addr_get_u32(ip_2_ip4(&pcb->local_ip)) != source))
            continue;
        if (pcb->recv != InetSocket::on_udp_receive || !pcb->recv_arg)
            continue;
        InetSocket::refuse(*static_cast<InetSocket*>(pcb->recv_arg));
    }
}

// ---------------------------------------------------------------- calls

constexpr uint16_t k_unprivileged_port_start = 1024;

ErrorOr<void> InetSocket::bind(const SocketAddress& address) {
    StackGuard guard;
    Endpoint endpoint = TRY(parse_endpoint(address, m_family, m_v6only));
    if (m_bound)
        return Error::Invalid;
    if (!ip_addr_isany(&endpoint.address) && !interface_has_address(endpoint.address))
        return Error::AddressNotAvailable;
    // Ports below 1024 need CAP_NET_BIND_SERVICE (Linux's default
    // net.ipv4.ip_unprivileged_port_start).
    if (endpoint.port != 0 && endpoint.port < k_unprivileged_port_start &&
        !proc::current_capable(proc::Capability::NetBindService))
        return Error::AccessDenied;
    err_t result = ERR_OK;
    if (m_tcp)
        result = tcp_bind(m_tcp, &endpoint.address, endpoint.port);
    else if (m_udp)
        result = udp_bind(m_udp, &endpoint.address, endpoint.port);
    else
        return Error::Invalid;
    if (result != ERR_OK)
        return error_from_lwip(result);
    m_bound = true;
    return {};
}

ErrorOr<void> InetSocket::listen(int backlog) {
    if (m_type != k_sock_stream)
        return Error::NotSupported;
    StackGuard guard;
    if (m_state == State::Listening) {
        m_backlog_max = backlog < 0 ? k_max_backlog : backlog > k_max_backlog ? k_max_backlog : backlog;
        return {};
    }
    if (m_state != State::Unconnected || !m_tcp)
        return Error::Invalid;
    if (!m_bound) {
        if (err_t result = tcp_bind(m_tcp, wildcard(), 0); result != ERR_OK)
            return error_from_lwip(result);
        m_bound = true;
    }
    err_t error = ERR_OK;
    struct tcp_pcb* listener = tcp_listen_with_backlog_and_err(m_tcp, 0xff, &error);
    if (!listener)
        return error_from_lwip(error);
    // lwIP freed the old pcb and made a smaller listening one.
    m_tcp = listener;
    tcp_arg(listener, this);
    tcp_accept(listener, on_tcp_accept);
    m_backlog_max = backlog < 0 ? k_max_backlog : backlog > k_max_backlog ? k_max_backlog : backlog;
    m_state = State::Listening;
    changed();
    return {};
}

ErrorOr<Socket*> InetSocket::accept(bool nonblocking, uint32_t file_flags) {
    if (m_type != k_sock_stream)
        return Error::NotSupported;
    InetSocket* connection = TRY(wait_for(nonblocking, m_rcv_timeout, [&]() -> ErrorOr<InetSocket*> {
        if (m_state != State::Listening)
            return Error::Invalid;
        InetSocket* next = m_backlog.pop_front();
        if (!next)
            return Error::TryAgain;
        --m_backlog_count;
        next->m_listener = nullptr;
        changed();
        return next;
    }));
    connection->change_flags(abi::k_o_nonblock, file_flags & abi::k_o_nonblock);
    return connection;
}

ErrorOr<void> InetSocket::connect(const SocketAddress& address, bool nonblocking) {
    if (address.length >= 2 && address.family() == 0 /* AF_UNSPEC */) {
        StackGuard guard;
        if (m_udp) {
            udp_disconnect(m_udp);
            m_state = State::Unconnected;
        }
        return {};
    }
    Endpoint endpoint = TRY([&]() -> ErrorOr<Endpoint> {
        StackGuard guard;
        return parse_endpoint(address, m_family, m_v6only);
    }());
    if (m_type == k_sock_stream)
        return connect_tcp(endpoint, nonblocking);
    StackGuard guard;
    if (!m_udp)
        return Error::Invalid;
    if (ip_addr_isany(&endpoint.address)) {
        // Linux connects to the loopback address for "any".
        if (IP_IS_V4_VAL(endpoint.address) || IP_IS_ANY_TYPE_VAL(endpoint.address))
            ip_addr_set_loopback(0, &endpoint.address);
        else
            ip_addr_set_loopback(1, &endpoint.address);
    }
    if (err_t result = udp_connect(m_udp, &endpoint.address, endpoint.port); result != ERR_OK)
        return error_from_lwip(result);
    // Linux picks the source address on connect (ip4_datagram_connect), and
    // getsockname shows it: glibc's getaddrinfo sorts its answers by the
    // source addresses it learns this way. lwIP would pick it per datagram.
    if (ip_addr_isany(&m_udp->local_ip)) {
        if (struct netif* route = ip_route(&m_udp->local_ip, &endpoint.address)) {
            if (const ip_addr_t* source = ip_netif_get_local_ip(route, &endpoint.address))
                ip_addr_copy(m_udp->local_ip, *source);
        }
    }
    m_bound = true;
    m_state = State::Connected;
    changed();
    return {};
}

ErrorOr<void> InetSocket::connect_tcp(const Endpoint& endpoint, bool nonblocking) {
    {
        StackGuard guard;
        switch (m_state) {
        case State::Listening: return Error::Invalid;
        case State::Connected:
            if (m_connect_reported) {
                // A non-blocking connect's success, told once.
                m_connect_reported = false;
                return {};
            }
            return Error::AlreadyConnected;
        case State::Connecting:
            if (nonblocking)
                return Error::AlreadyInProgress;
            break;
        case State::Closed:
            if (m_connect_reported) {
                m_connect_reported = false;
                m_has_error = false;
                changed();
                return m_error;
            }
            return Error::Invalid;
        case State::Unconnected: {
            if (!m_tcp)
                return Error::Invalid;
            ip_addr_t target = endpoint.address;
            if (ip_addr_isany(&target)) {
                if (IP_IS_V6_VAL(target))
                    ip_addr_set_loopback(1, &target);
                else
                    ip_addr_set_loopback(0, &target);
            }
            tcp_arg(m_tcp, this);
            err_t result = tcp_connect(m_tcp, &target, endpoint.port, on_tcp_connected);
            if (result != ERR_OK)
                return error_from_lwip(result);
            m_bound = true;
            m_state = State::Connecting;
            m_connect_reported = false;
            changed();
            if (nonblocking)
                return Error::InProgress;
            break;
        }
        }
    }
    auto outcome = wait_for(false, m_snd_timeout, [&]() -> ErrorOr<void> {
        if (m_state == State::Connecting)
            return Error::TryAgain;
        m_connect_reported = false;
        if (m_state == State::Connected)
            return {};
        if (m_has_error)
            return take_error();
        return Error::ConnectionRefused;
    });
    if (outcome.is_error() && outcome.error() == Error::TryAgain)
        return Error::InProgress;  // SO_SNDTIMEO passed: the connect goes on (Linux)
    return outcome;
}

ErrorOr<size_t> InetSocket::send(OutgoingMessage& message, bool nonblocking) {
    if (message.flags & k_msg_oob)
        return Error::NotSupported;
    nonblocking = nonblocking || (message.flags & k_msg_dontwait);
    if (m_type == k_sock_stream)
        return send_tcp(message, nonblocking);
    return send_udp(message, nonblocking);
}

ErrorOr<size_t> InetSocket::send_tcp(OutgoingMessage& message, bool nonblocking) {
    size_t total = message.data.total();
    {
        StackGuard guard;
        if (m_write_shut)
            return Error::BrokenPipe;
        if (m_has_error)
            return take_error();
        if (m_state == State::Connecting)
            return nonblocking ? Error::TryAgain : Error::NotConnected;
        // Never connected, listening or closed: EPIPE, as Linux's
        // sk_stream_wait_connect.
        if (m_state != State::Connected || !m_tcp)
            return Error::BrokenPipe;
    }
    if (total == 0)
        return size_t { 0 };
    size_t piece_capacity = total < k_send_piece ? total : k_send_piece;
    auto* piece = static_cast<uint8_t*>(mm::kmalloc(piece_capacity));
    if (!piece)
        return Error::NoMemory;
    size_t sent = 0;
    std::optional<Error> failure;
    while (sent < total) {
        // The bytes come from user memory outside the stack lock: a page
        // fault there must not stall the network.
        size_t piece_size = total - sent < piece_capacity ? total - sent : piece_capacity;
        size_t readable = message.data.readable();
        if (readable < piece_size)
            piece_size = readable;
        if (piece_size == 0)
            break;
        if (auto copied = message.data.copy_next(piece, piece_size); copied.is_error()) {
            failure = copied.error();
            break;
        }
        size_t queued = 0;
        while (queued < piece_size) {
            auto step = wait_for(nonblocking, m_snd_timeout, [&]() -> ErrorOr<size_t> {
                if (m_write_shut)
                    return Error::BrokenPipe;
                if (m_has_error)
                    return take_error();
                if (!m_tcp)
                    return Error::BrokenPipe;
                size_t room = tcp_sndbuf(m_tcp);
                if (room == 0 || tcp_sndqueuelen(m_tcp) >= TCP_SND_QUEUELEN - 4)
                    return Error::TryAgain;
                size_t chunk = piece_size - queued;
                if (chunk > room)
                    chunk = room;
                if (chunk > 0xffff)
                    chunk = 0xffff;
                bool more = sent + queued + chunk < total;
                err_t result = tcp_write(m_tcp, piece + queued, static_cast<u16_t>(chunk),
                                         TCP_WRITE_FLAG_COPY | (more ? TCP_WRITE_FLAG_MORE : 0));
                if (result == ERR_MEM)
                    return Error::TryAgain;
                if (result != ERR_OK)
                    return error_from_lwip(result);
                tcp_output(m_tcp);
                return chunk;
            });
            if (step.is_error()) {
                failure = step.error();
                break;
            }
            queued += step.value();
        }
        sent += queued;
        if (failure)
            break;
    }
    mm::kfree(piece);
    // Part sent: the count, as Linux (the error shows on the next call).
    if (sent > 0 || !failure)
        return sent;
    return *failure;
}

ErrorOr<size_t> InetSocket::send_udp(OutgoingMessage& message, bool) {
    size_t total = message.data.total();
    if (total > k_max_udp_payload)
        return Error::MessageTooLong;
    Endpoint target {};
    bool has_target = false;
    if (message.to && message.to->length) {
        StackGuard guard;
        target = TRY(parse_endpoint(*message.to, m_family, m_v6only));
        has_target = true;
        if (ip_addr_isany(&target.address))
            ip_addr_set_loopback(IP_IS_V6_VAL(target.address) ? 1 : 0, &target.address);
    }
    // The datagram is built outside the stack lock (user memory may fault).
    struct pbuf* packet = nullptr;
    {
        StackGuard guard;
        packet = pbuf_alloc(PBUF_TRANSPORT, static_cast<u16_t>(total), PBUF_RAM);
    }
    if (!packet)
        return Error::NoBufferSpace;
    if (total) {
        if (auto copied = message.data.copy_next(static_cast<uint8_t*>(packet->payload), total); copied.is_error()) {
            StackGuard guard;
            pbuf_free(packet);
            return copied.error();
        }
    }
    StackGuard guard;
    std::optional<Error> failure;
    if (m_write_shut) {
        failure = Error::BrokenPipe;
    } else if (m_has_error) {
        failure = take_error();
    } else if (!m_udp) {
        failure = Error::Invalid;
    } else if (has_target) {
        if (target.port == 0)
            failure = Error::Invalid;
        else if (err_t result = udp_sendto(m_udp, packet, &target.address, target.port); result != ERR_OK)
            failure = error_from_lwip(result);
    } else if (m_state != State::Connected) {
        failure = Error::DestinationRequired;
    } else if (err_t result = udp_send(m_udp, packet); result != ERR_OK) {
        failure = error_from_lwip(result);
    }
    pbuf_free(packet);
    if (failure)
        return *failure;
    m_bound = true;
    return total;
}

size_t InetSocket::take_received(uint8_t* to, size_t size, bool peek) {
    if (size > m_received_bytes)
        size = m_received_bytes;
    size_t done = 0;
    size_t skip = m_received_offset;
    for (Datagram* segment = m_segments.front(); segment && done < size; segment = m_segments.next(*segment)) {
        for (struct pbuf* part = segment->packet; part && done < size; part = part->next) {
            if (skip >= part->len) {
                skip -= part->len;
                continue;
            }
            size_t length = part->len - skip;
            if (length > size - done)
                length = size - done;
            __builtin_memcpy(to + done, static_cast<const uint8_t*>(part->payload) + skip, length);
            done += length;
            skip = 0;
        }
    }
    if (peek)
        return done;
    m_received_bytes -= done;
    m_received_offset += done;
    while (Datagram* segment = m_segments.front()) {
        if (m_received_offset < segment->packet->tot_len)
            break;
        m_received_offset -= segment->packet->tot_len;
        m_segments.remove(*segment);
        pbuf_free(segment->packet);
        delete segment;
    }
    if (m_tcp) {
        for (size_t left = done; left;) {
            u16_t part = static_cast<u16_t>(left > 0xffff ? 0xffff : left);
            tcp_recved(m_tcp, part);
            left -= part;
        }
    }
    return done;
}

ErrorOr<void> InetSocket::receive(IncomingMessage& message, bool nonblocking) {
    if (message.flags & k_msg_oob)
        return Error::Invalid;
    nonblocking = nonblocking || (message.flags & k_msg_dontwait);
    if (m_type == k_sock_stream)
        return receive_tcp(message, nonblocking);
    return receive_udp(message, nonblocking);
}

ErrorOr<void> InetSocket::receive_tcp(IncomingMessage& message, bool nonblocking) {
    bool peek = message.flags & k_msg_peek;
    bool wait_all = (message.flags & k_msg_waitall) && !peek;
    size_t wanted = message.buffer.size();
    size_t low_water = wait_all ? wanted : static_cast<size_t>(m_rcvlowat);
    if (low_water > wanted)
        low_water = wanted;
    message.size = 0;
    while (true) {
        auto step = wait_for(nonblocking, m_rcv_timeout, [&]() -> ErrorOr<size_t> {
            if (m_state == State::Listening || m_state == State::Unconnected || m_state == State::Connecting)
                return Error::NotConnected;
            if (m_received_bytes > 0 &&
                (m_received_bytes >= low_water - message.size || m_peer_closed || m_read_shut || !m_tcp)) {
                size_t taken = take_received(message.buffer.data() + message.size, wanted - message.size, peek);
                if (!peek && taken)
                    changed();
                return taken;
            }
            if (m_has_error && !m_received_bytes)
                return take_error();
            if (m_peer_closed || m_read_shut || !m_tcp)
                return size_t { 0 };
            if (wanted == 0)
                return size_t { 0 };
            return Error::TryAgain;
        });
        if (step.is_error()) {
            if (message.size > 0)
                break;
            return step.error();
        }
        message.size += step.value();
        if (step.value() == 0 || !wait_all || message.size >= wanted)
            break;
    }
    message.full_size = message.size;
    return {};
}

ErrorOr<void> InetSocket::receive_udp(IncomingMessage& message, bool nonblocking) {
    bool peek = message.flags & k_msg_peek;
    Datagram* taken = TRY(wait_for(nonblocking, m_rcv_timeout, [&]() -> ErrorOr<Datagram*> {
        if (m_has_error)
            return take_error();
        Datagram* datagram = m_datagrams.front();
        if (!datagram)
            return m_read_shut ? ErrorOr<Datagram*>(nullptr) : Error::TryAgain;
        size_t length = datagram->packet->tot_len;
        size_t copied = length < message.buffer.size() ? length : message.buffer.size();
        pbuf_copy_partial(datagram->packet, message.buffer.data(), static_cast<u16_t>(copied), 0);
        message.size = copied;
        message.full_size = length;
        if (copied < length)
            message.result_flags |= k_msg_trunc;
        message.from = format_endpoint(m_family, &datagram->from, datagram->port);
        if (peek)
            return nullptr;
        m_datagrams.remove(*datagram);
        m_datagram_bytes -= length;
        changed();
        return datagram;
    }));
    if (taken) {
        StackGuard guard;
        pbuf_free(taken->packet);
        delete taken;
    }
    return {};
}

ErrorOr<void> InetSocket::shutdown(int how) {
    if (how < k_shut_rd || how > k_shut_rdwr)
        return Error::Invalid;
    StackGuard guard;
    if (m_type == k_sock_stream && m_state != State::Connected && m_state != State::Listening &&
        m_state != State::Closed)
        return Error::NotConnected;
    if (m_type == k_sock_dgram && m_state != State::Connected)
        return Error::NotConnected;
    if (how != k_shut_wr)
        m_read_shut = true;
    if (how != k_shut_rd && !m_write_shut) {
        m_write_shut = true;
        if (m_tcp && m_state == State::Connected)
            tcp_shutdown(m_tcp, 0, 1);
    }
    if (m_state == State::Listening && how != k_shut_wr) {
        // Linux's listener stops listening: accept gives EINVAL.
        m_state = State::Closed;
    }
    changed();
    return {};
}

SocketAddress InetSocket::local_address() {
    StackGuard guard;
    if (m_tcp)
        return format_endpoint(m_family, &m_tcp->local_ip, m_tcp->local_port);
    if (m_udp)
        return format_endpoint(m_family, &m_udp->local_ip, m_udp->local_port);
    return format_endpoint(m_family, nullptr, 0);
}

ErrorOr<SocketAddress> InetSocket::peer_address() {
    StackGuard guard;
    if (m_state != State::Connected)
        return Error::NotConnected;
    if (m_tcp)
        return format_endpoint(m_family, &m_tcp->remote_ip, m_tcp->remote_port);
    if (m_udp)
        return format_endpoint(m_family, &m_udp->remote_ip, m_udp->remote_port);
    return Error::NotConnected;
}

ErrorOr<void> InetSocket::set_option(int level, int name, std::span<const uint8_t> value) {
    if (level == k_sol_socket &&
        (name == k_so_rcvtimeo || name == k_so_sndtimeo || name == k_so_rcvtimeo_new || name == k_so_sndtimeo_new)) {
        uint64_t timeout = TRY(socket_timeout_from(value));
        StackGuard guard;
        (name == k_so_rcvtimeo || name == k_so_rcvtimeo_new ? m_rcv_timeout : m_snd_timeout) = timeout;
        return {};
    }
    if (level == k_sol_socket && name == k_so_linger) {
        if (value.size() < sizeof m_linger)
            return Error::Invalid;
        StackGuard guard;
        __builtin_memcpy(m_linger, value.data(), sizeof m_linger);
        return {};
    }
    int number = TRY(option_int(value));
    StackGuard guard;
    void* pcb = m_tcp ? static_cast<void*>(m_tcp) : static_cast<void*>(m_udp);
    auto set_flag = [&](u8_t flag) {
        if (!pcb)
            return;
        if (number)
            ip_set_option(static_cast<struct ip_pcb*>(pcb), flag);
        else
            ip_reset_option(static_cast<struct ip_pcb*>(pcb), flag);
    };
    if (level == k_sol_socket) {
        switch (name) {
        case k_so_reuseaddr: set_flag(SOF_REUSEADDR); return {};
        // Sharing a port among listeners (SO_REUSEPORT) is not done:
        // ENOPROTOOPT, as Linux before 3.9, rather than a silent no.
        case k_so_reuseport: return Error::NoProtocolOption;
        case k_so_keepalive: set_flag(SOF_KEEPALIVE); return {};
        case k_so_broadcast: set_flag(SOF_BROADCAST); return {};
        case k_so_dontroute: m_dont_route = number != 0; return {};  // every route is direct but DHCP's default
        case k_so_sndbuf:
        case k_so_rcvbuf:
            (name == k_so_sndbuf ? m_sndbuf : m_rcvbuf) = socket_buffer_size(name, number);
            return {};
        case k_so_rcvlowat: m_rcvlowat = number < 0 ? 0x7fffffff : number == 0 ? 1 : number; return {};
        case k_so_sndlowat: return Error::NoProtocolOption;
        default: return Error::NoProtocolOption;
        }
    }
    if (level == k_ipproto_tcp) {
        if (m_type != k_sock_stream)
            return Error::NotSupported;
        switch (name) {
        case k_tcp_nodelay:
            m_nodelay = number != 0;
            if (m_tcp) {
                if (m_nodelay)
                    tcp_nagle_disable(m_tcp);
                else
                    tcp_nagle_enable(m_tcp);
            }
            return {};
        case k_tcp_maxseg: return number < 88 || number > 32767 ? ErrorOr<void>(Error::Invalid) : ErrorOr<void>();
        case k_tcp_keepidle:
        case k_tcp_keepintvl:
            if (number < 1 || number > 32767)
                return Error::Invalid;
            if (m_tcp && m_tcp->state != LISTEN)
                (name == k_tcp_keepidle ? m_tcp->keep_idle : m_tcp->keep_intvl) = static_cast<u32_t>(number) * 1000;
            return {};
        case k_tcp_keepcnt:
            if (number < 1 || number > 127)
                return Error::Invalid;
            if (m_tcp && m_tcp->state != LISTEN)
                m_tcp->keep_cnt = static_cast<u32_t>(number);
            return {};
        default: return Error::NoProtocolOption;
        }
    }
    if (level == k_ipproto_ip) {
        switch (name) {
        case k_ip_tos: m_tos = number & 0xff; if (pcb) static_cast<struct ip_pcb*>(pcb)->tos = static_cast<u8_t>(m_tos); return {};
        case k_ip_ttl:
            if (number < -1 || number == 0 || number > 255)
                return Error::Invalid;
            if (pcb)
                static_cast<struct ip_pcb*>(pcb)->ttl = static_cast<u8_t>(number == -1 ? 64 : number);
            return {};
        default: return Error::NoProtocolOption;
        }
    }
    if (level == k_ipproto_ipv6 && m_family == k_af_inet6) {
        if (name != k_ipv6_v6only)
            return Error::NoProtocolOption;
        if (m_bound)
            return Error::Invalid;
        m_v6only = number != 0;
        u8_t type = m_v6only ? IPADDR_TYPE_V6 : IPADDR_TYPE_ANY;
        if (m_tcp)
            IP_SET_TYPE_VAL(m_tcp->local_ip, type);
        if (m_udp)
            IP_SET_TYPE_VAL(m_udp->local_ip, type);
        return {};
    }
    return Error::NoProtocolOption;
}

ErrorOr<size_t> InetSocket::get_option(int level, int name, std::span<uint8_t> value) {
    StackGuard guard;
    const void* pcb = m_tcp ? static_cast<const void*>(m_tcp) : static_cast<const void*>(m_udp);
    auto flag = [&](u8_t option) {
        return pcb && ip_get_option(static_cast<const struct ip_pcb*>(pcb), option) ? 1 : 0;
    };
    if (level == k_sol_socket) {
        switch (name) {
        case k_so_type: return put_option_int(value, m_type);
        case k_so_domain: return put_option_int(value, m_family);
        case k_so_protocol: return put_option_int(value, m_type == k_sock_stream ? k_ipproto_tcp : k_ipproto_udp);
        case k_so_acceptconn: return put_option_int(value, m_state == State::Listening);
        case k_so_error: {
            int error = m_has_error ? static_cast<int>(take_error()) : 0;
            changed();
            return put_option_int(value, error);
        }
        case k_so_reuseaddr: return put_option_int(value, flag(SOF_REUSEADDR));
        case k_so_reuseport: return Error::NoProtocolOption;
        case k_so_keepalive: return put_option_int(value, flag(SOF_KEEPALIVE));
        case k_so_broadcast: return put_option_int(value, flag(SOF_BROADCAST));
        case k_so_dontroute: return put_option_int(value, m_dont_route);
        case k_so_sndbuf: return put_option_int(value, m_sndbuf);
        case k_so_rcvbuf: return put_option_int(value, m_rcvbuf);
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
        default: return Error::NoProtocolOption;
        }
    }
    if (level == k_ipproto_tcp) {
        if (m_type != k_sock_stream)
            return Error::NotSupported;
        switch (name) {
        case k_tcp_nodelay: return put_option_int(value, m_nodelay);
        case k_tcp_maxseg: return put_option_int(value, m_tcp && m_state == State::Connected ? m_tcp->mss : 536);
        case k_tcp_keepidle:
            return put_option_int(value, m_tcp && m_tcp->state != LISTEN ? static_cast<int>(m_tcp->keep_idle / 1000) : 7200);
        case k_tcp_keepintvl:
            return put_option_int(value, m_tcp && m_tcp->state != LISTEN ? static_cast<int>(m_tcp->keep_intvl / 1000) : 75);
        case k_tcp_keepcnt:
            return put_option_int(value, m_tcp && m_tcp->state != LISTEN ? static_cast<int>(m_tcp->keep_cnt) : 9);
        default: return Error::NoProtocolOption;
        }
    }
    if (level == k_ipproto_ip) {
        switch (name) {
        case k_ip_tos: return put_option_int(value, m_tos);
        case k_ip_ttl: return put_option_int(value, pcb ? static_cast<const struct ip_pcb*>(pcb)->ttl : 64);
        default: return Error::NoProtocolOption;
        }
    }
    if (level == k_ipproto_ipv6 && m_family == k_af_inet6 && name == k_ipv6_v6only)
        return put_option_int(value, m_v6only);
    return Error::NoProtocolOption;
}

ErrorOr<void> InetSocket::ioctl(uint32_t request, uint64_t argument) {
    constexpr uint32_t k_siocoutq = 0x5411;  // TIOCOUTQ
    if (request == abi::k_fionread || request == k_siocoutq) {
        int count = 0;
        {
            StackGuard guard;
            if (request == k_siocoutq) {
                if (m_tcp && m_state == State::Connected)
                    count = static_cast<int>(TCP_SND_BUF - tcp_sndbuf(m_tcp));
            } else if (m_type == k_sock_stream) {
                if (m_state == State::Listening)
                    return Error::Invalid;
                count = static_cast<int>(m_received_bytes);
            } else if (Datagram* next = m_datagrams.front()) {
                count = next->packet->tot_len;
            }
        }
        return mm::write_user(mm::UserPtr<int32_t>(argument), count);
    }
    return Socket::ioctl(request, argument);
}

ErrorOr<Socket*> create_inet_socket(int family, int type, int protocol, uint32_t file_flags) {
    if (type == k_sock_stream && protocol != 0 && protocol != k_ipproto_tcp)
        return Error::ProtocolNotSupported;
    if (type == k_sock_dgram && protocol != 0 && protocol != k_ipproto_udp)
        return Error::ProtocolNotSupported;
    if (type != k_sock_stream && type != k_sock_dgram)
        return Error::SocketTypeNotSupported;
    auto* socket = new (std::nothrow) InetSocket(family, type, file_flags);
    if (!socket)
        return Error::NoMemory;
    if (auto created = socket->create_pcb(); created.is_error()) {
        fs::release(socket);
        return created.error();
    }
    return static_cast<Socket*>(socket);
}

}  // namespace akuma::net

extern "C" int akuma_ip4_input_hook(struct pbuf* packet, struct netif* input) {
    akuma::net::report_port_unreachable(packet, input);
    return 0;
}
