#include "kernel/net/netlink_socket.h"

#include <new>

#include "kernel/fs/poll_queue.h"
#include "kernel/lib/intrusive_list.h"
#include "kernel/net/stack.h"
#include "kernel/proc/process.h"
#include "kernel/sched/scheduler.h"
#include "kernel/syscalls/linux_abi.h"
#include "lwip/netif.h"

namespace akuma::net {

namespace abi = linux_abi;

namespace {

constexpr int k_sock_raw = 3, k_sock_dgram = 2;
constexpr int k_netlink_route = 0;
constexpr size_t k_datagram_capacity = 4096;  // one page, what glibc's getifaddrs reads at a time
constexpr size_t k_max_queued = 64 * 1024;
constexpr size_t k_header_size = 16;
constexpr size_t k_sockaddr_nl_size = 12;

// Message types and flags (linux/netlink.h, linux/rtnetlink.h).
constexpr uint16_t k_nlmsg_error = 2, k_nlmsg_done = 3;
constexpr uint16_t k_rtm_newlink = 16, k_rtm_getlink = 18, k_rtm_newaddr = 20, k_rtm_getaddr = 22,
                   k_rtm_newroute = 24, k_rtm_getroute = 26;
constexpr uint16_t k_nlm_f_request = 0x1, k_nlm_f_multi = 0x2, k_nlm_f_ack = 0x4, k_nlm_f_dump = 0x300;
constexpr uint16_t k_ifla_address = 1, k_ifla_broadcast = 2, k_ifla_ifname = 3, k_ifla_mtu = 4,
                   k_ifla_txqlen = 13, k_ifla_operstate = 16;
constexpr uint16_t k_ifa_address = 1, k_ifa_local = 2, k_ifa_label = 3, k_ifa_broadcast = 4;
constexpr uint16_t k_rta_dst = 1, k_rta_oif = 4, k_rta_gateway = 5, k_rta_prefsrc = 7, k_rta_table = 15;
constexpr uint8_t k_af_unspec = 0, k_af_inet = 2, k_af_inet6 = 10;
constexpr uint16_t k_arphrd_ether = 1, k_arphrd_loopback = 772;
constexpr uint32_t k_iff_up = 0x1, k_iff_broadcast = 0x2, k_iff_loopback = 0x8, k_iff_running = 0x40,
                   k_iff_multicast = 0x1000, k_iff_lower_up = 0x10000;
constexpr uint8_t k_rt_scope_universe = 0, k_rt_scope_link = 253, k_rt_scope_host = 254;
constexpr uint8_t k_rt_table_main = 254, k_rtprot_kernel = 2, k_rtprot_dhcp = 16, k_rtn_unicast = 1;
constexpr uint8_t k_if_oper_up = 6, k_if_oper_down = 2;

size_t align4(size_t size) { return (size + 3) & ~size_t { 3 }; }

struct Datagram {
    ListNode link;
    size_t size { 0 };
    uint8_t data[k_datagram_capacity];
};
using DatagramList = IntrusiveList<Datagram, &Datagram::link>;

// One message being built: header, fixed part, attributes.
class Message {
public:
    Message(uint16_t type, uint16_t flags, uint32_t sequence, uint32_t port) {
        put32(0, 0);
        put16(4, type);
        put16(6, flags);
        put32(8, sequence);
        put32(12, port);
        m_size = k_header_size;
    }
    template <typename T>
    void fixed(const T& value) {
        __builtin_memcpy(m_data + m_size, &value, sizeof value);
        m_size = align4(m_size + sizeof value);
    }
    void attribute(uint16_t type, const void* value, size_t length) {
        if (m_size + align4(4 + length) > sizeof m_data)
            return;
        put16(m_size, static_cast<uint16_t>(4 + length));
        put16(m_size + 2, type);
        __builtin_memcpy(m_data + m_size + 4, value, length);
        __builtin_memset(m_data + m_size + 4 + length, 0, align4(4 + length) - 4 - length);
        m_size += align4(4 + length);
    }
    void attribute32(uint16_t type, uint32_t value) { attribute(type, &value, 4); }
    void attribute8(uint16_t type, uint8_t value) { attribute(type, &value, 1); }
    void string(uint16_t type, const char* text) { attribute(type, text, __builtin_strlen(text) + 1); }
    const uint8_t* finish() {
        put32(0, static_cast<uint32_t>(m_size));
        return m_data;
    }
    size_t size() const { return m_size; }

private:
    void put16(size_t at, uint16_t value) { __builtin_memcpy(m_data + at, &value, 2); }
    void put32(size_t at, uint32_t value) { __builtin_memcpy(m_data + at, &value, 4); }
    uint8_t m_data[512] {};
    size_t m_size { 0 };
};

// Replies to one request, datagram by datagram.
class Reply {
public:
    ~Reply() {
        while (Datagram* datagram = m_datagrams.pop_front())
            delete datagram;
    }
    bool add(Message& message) {
        const uint8_t* bytes = message.finish();
        Datagram* last = m_datagrams.is_empty() ? nullptr : m_last;
        if (!last || last->size + message.size() > k_datagram_capacity) {
            last = new (std::nothrow) Datagram();
            if (!last)
                return false;
            m_datagrams.push_back(*last);
            m_last = last;
        }
        __builtin_memcpy(last->data + last->size, bytes, message.size());
        last->size += message.size();
        return true;
    }
    DatagramList& datagrams() { return m_datagrams; }

private:
    DatagramList m_datagrams;
    Datagram* m_last { nullptr };
};

struct InterfaceInfo {  // struct ifinfomsg
    uint8_t family;
    uint8_t pad;
    uint16_t type;
    int32_t index;
    uint32_t flags;
    uint32_t change;
};
struct AddressInfo {  // struct ifaddrmsg
    uint8_t family;
    uint8_t prefix_length;
    uint8_t flags;
    uint8_t scope;
    uint32_t index;
};
struct RouteInfo {  // struct rtmsg
    uint8_t family;
    uint8_t destination_length;
    uint8_t source_length;
    uint8_t tos;
    uint8_t table;
    uint8_t protocol;
    uint8_t scope;
    uint8_t type;
    uint32_t flags;
};

uint32_t link_flags(const Interface& interface) {
    uint32_t flags = interface.loopback ? k_iff_loopback : k_iff_broadcast | k_iff_multicast;
    if (netif_is_up(interface.netif)) {
        flags |= k_iff_up;
        if (netif_is_link_up(interface.netif))
            flags |= k_iff_running | k_iff_lower_up;
    }
    return flags;
}

void describe_link(Reply& reply, const Interface& interface, uint16_t flags, uint32_t sequence, uint32_t port) {
    Message message(k_rtm_newlink, flags, sequence, port);
    message.fixed(InterfaceInfo { k_af_unspec, 0, interface.loopback ? k_arphrd_loopback : k_arphrd_ether,
                                  interface.index, link_flags(interface), 0 });
    message.string(k_ifla_ifname, interface.name);
    message.attribute32(k_ifla_mtu, interface.loopback ? 65536u : interface.netif->mtu);
    message.attribute32(k_ifla_txqlen, interface.loopback ? 1000u : 1000u);
    message.attribute8(k_ifla_operstate, (link_flags(interface) & k_iff_running) ? k_if_oper_up : k_if_oper_down);
    uint8_t hardware[6] = {};
    uint8_t broadcast[6] = {};
    if (!interface.loopback) {
        __builtin_memcpy(hardware, interface.netif->hwaddr, 6);
        __builtin_memset(broadcast, 0xff, 6);
    }
    message.attribute(k_ifla_address, hardware, 6);
    message.attribute(k_ifla_broadcast, broadcast, 6);
    reply.add(message);
}

void describe_addresses(Reply& reply, const Interface& interface, uint8_t family, uint32_t sequence, uint32_t port) {
    struct netif* netif = interface.netif;
    uint32_t address = ip4_addr_get_u32(netif_ip4_addr(netif));
    if ((family == k_af_unspec || family == k_af_inet) && address) {
        uint32_t mask = ip4_addr_get_u32(netif_ip4_netmask(netif));
        Message message(k_rtm_newaddr, k_nlm_f_multi, sequence, port);
        // IFA_F_PERMANENT: no lifetime (the DHCP lease is the kernel's
        // business, as with Linux's own ipconfig).
        message.fixed(AddressInfo { k_af_inet, static_cast<uint8_t>(__builtin_popcount(mask)), 0x80,
                                    interface.loopback ? k_rt_scope_host : k_rt_scope_universe,
                                    static_cast<uint32_t>(interface.index) });
        message.attribute32(k_ifa_address, address);
        message.attribute32(k_ifa_local, address);
        if (!interface.loopback)
            message.attribute32(k_ifa_broadcast, address | ~mask);
        message.string(k_ifa_label, interface.name);
        reply.add(message);
    }
    if (family != k_af_unspec && family != k_af_inet6)
        return;
    for (int i = 0; i < LWIP_IPV6_NUM_ADDRESSES; ++i) {
        if (!ip6_addr_isvalid(netif_ip6_addr_state(netif, i)))
            continue;
        const ip6_addr_t* ip6 = netif_ip6_addr(netif, i);
        bool link_local = ip6_addr_islinklocal(ip6);
        Message message(k_rtm_newaddr, k_nlm_f_multi, sequence, port);
        message.fixed(AddressInfo { k_af_inet6, static_cast<uint8_t>(interface.loopback ? 128 : 64), 0x80 /* IFA_F_PERMANENT */,
                                    interface.loopback ? k_rt_scope_host : link_local ? k_rt_scope_link : k_rt_scope_universe,
                                    static_cast<uint32_t>(interface.index) });
        message.attribute(k_ifa_address, ip6->addr, 16);
        reply.add(message);
    }
}

void describe_routes(Reply& reply, const Interface& interface, uint8_t family, uint32_t sequence, uint32_t port) {
    if (interface.loopback || (family != k_af_unspec && family != k_af_inet))
        return;
    struct netif* netif = interface.netif;
    uint32_t address = ip4_addr_get_u32(netif_ip4_addr(netif));
    if (!address)
        return;
    uint32_t mask = ip4_addr_get_u32(netif_ip4_netmask(netif));
    uint32_t gateway = ip4_addr_get_u32(netif_ip4_gw(netif));
    if (gateway && netif == netif_default) {
        Message message(k_rtm_newroute, k_nlm_f_multi, sequence, port);
        message.fixed(RouteInfo { k_af_inet, 0, 0, 0, k_rt_table_main, k_rtprot_dhcp, k_rt_scope_universe,
                                  k_rtn_unicast, 0 });
        message.attribute32(k_rta_table, k_rt_table_main);
        message.attribute32(k_rta_gateway, gateway);
        message.attribute32(k_rta_oif, static_cast<uint32_t>(interface.index));
        reply.add(message);
    }
    Message message(k_rtm_newroute, k_nlm_f_multi, sequence, port);
    message.fixed(RouteInfo { k_af_inet, static_cast<uint8_t>(__builtin_popcount(mask)), 0, 0, k_rt_table_main,
                              k_rtprot_kernel, k_rt_scope_link, k_rtn_unicast, 0 });
    message.attribute32(k_rta_table, k_rt_table_main);
    message.attribute32(k_rta_dst, address & mask);
    message.attribute32(k_rta_prefsrc, address);
    message.attribute32(k_rta_oif, static_cast<uint32_t>(interface.index));
    reply.add(message);
}

void add_error(Reply& reply, const uint8_t* request, size_t request_size, int error, uint32_t port) {
    uint32_t sequence;
    __builtin_memcpy(&sequence, request + 8, 4);
    Message message(k_nlmsg_error, 0, sequence, port);
    int32_t negative = -error;
    message.fixed(negative);
    // The request's header (and, for errors, nothing more: NETLINK_CAP_ACK
    // style, which every reader accepts).
    uint8_t header[k_header_size];
    __builtin_memcpy(header, request, k_header_size);
    (void)request_size;
    message.fixed(header);
    reply.add(message);
}

// Answers one request message into `reply` (stack lock held).
void answer(Reply& reply, const uint8_t* request, size_t size, uint32_t port) {
    uint16_t type, flags;
    uint32_t sequence;
    __builtin_memcpy(&type, request + 4, 2);
    __builtin_memcpy(&flags, request + 6, 2);
    __builtin_memcpy(&sequence, request + 8, 4);
    if (!(flags & k_nlm_f_request))
        return;  // Linux ignores messages that are not requests
    uint8_t family = size > k_header_size ? request[k_header_size] : k_af_unspec;
    bool dump = (flags & k_nlm_f_dump) == k_nlm_f_dump;
    switch (type) {
    case k_rtm_getlink:
        if (dump) {
            for (const Interface& interface : stack_interfaces())
                describe_link(reply, interface, k_nlm_f_multi, sequence, port);
            break;
        } else {
            // One interface, by index or by IFLA_IFNAME.
            InterfaceInfo wanted {};
            if (size >= k_header_size + sizeof wanted)
                __builtin_memcpy(&wanted, request + k_header_size, sizeof wanted);
            const char* name = nullptr;
            for (size_t at = k_header_size + align4(sizeof wanted); at + 4 <= size;) {
                uint16_t length, kind;
                __builtin_memcpy(&length, request + at, 2);
                __builtin_memcpy(&kind, request + at + 2, 2);
                if (length < 4 || at + length > size)
                    break;
                if (kind == k_ifla_ifname && length > 4 && request[at + length - 1] == 0)
                    name = reinterpret_cast<const char*>(request + at + 4);
                at += align4(length);
            }
            for (const Interface& interface : stack_interfaces()) {
                if ((wanted.index && interface.index == wanted.index) ||
                    (!wanted.index && name && __builtin_strncmp(interface.name, name, sizeof interface.name) == 0)) {
                    describe_link(reply, interface, 0, sequence, port);
                    if (flags & k_nlm_f_ack)
                        add_error(reply, request, size, 0, port);
                    return;
                }
            }
            add_error(reply, request, size, static_cast<int>(Error::NoDevice), port);
            return;
        }
    case k_rtm_getaddr:
        if (!dump) {
            add_error(reply, request, size, static_cast<int>(Error::NotSupported), port);
            return;
        }
        for (const Interface& interface : stack_interfaces())
            describe_addresses(reply, interface, family, sequence, port);
        break;
    case k_rtm_getroute:
        if (!dump) {
            add_error(reply, request, size, static_cast<int>(Error::NotSupported), port);
            return;
        }
        for (const Interface& interface : stack_interfaces())
            describe_routes(reply, interface, family, sequence, port);
        break;
    default:
        add_error(reply, request, size, static_cast<int>(Error::NotSupported), port);
        return;
    }
    Message done(k_nlmsg_done, k_nlm_f_multi, sequence, port);
    done.fixed(int32_t { 0 });
    reply.add(done);
}

constinit uint32_t g_next_autobind = 0x80000000u;

}  // namespace

class NetlinkSocket final : public Socket {
public:
    ListNode m_all_link;  // every netlink socket (scheduler lock)
    static IntrusiveList<NetlinkSocket, &NetlinkSocket::m_all_link> s_all;

    NetlinkSocket(int type, uint32_t flags) : Socket(flags), m_type(type) {
        sched::SchedulerLockGuard guard;
        s_all.push_back(*this);
    }
    ~NetlinkSocket() override {
        {
            sched::SchedulerLockGuard guard;
            s_all.remove(*this);
        }
        while (Datagram* datagram = m_queue.pop_front())
            delete datagram;
    }
    int domain() const override { return k_af_netlink; }
    int type() const override { return m_type; }
    fs::ReadContinuation read_continuation() const override { return fs::ReadContinuation::OneCall; }

    ErrorOr<void> bind(const SocketAddress& address) override {
        if (address.length < k_sockaddr_nl_size || address.family() != k_af_netlink)
            return Error::Invalid;
        uint32_t port, groups;
        __builtin_memcpy(&port, address.bytes + 4, 4);
        __builtin_memcpy(&groups, address.bytes + 8, 4);
        if (groups)
            return Error::NotSupported;  // no multicast groups: nothing is announced
        sched::SchedulerLockGuard guard;
        if (m_port && port && port != m_port)
            return Error::Invalid;
        m_port = port ? port : m_port ? m_port : assign_port();
        return {};
    }
    ErrorOr<void> connect(const SocketAddress& address, bool) override {
        if (address.length < k_sockaddr_nl_size || address.family() != k_af_netlink)
            return Error::Invalid;
        sched::SchedulerLockGuard guard;
        if (!m_port)
            m_port = assign_port();
        return {};
    }
    ErrorOr<size_t> send(OutgoingMessage& message, bool) override {
        size_t size = message.data.total();
        if (size > 32768)
            return Error::MessageTooLong;
        if (message.to && message.to->length >= k_sockaddr_nl_size) {
            uint32_t destination;
            __builtin_memcpy(&destination, message.to->bytes + 4, 4);
            if (destination != 0)
                return Error::ConnectionRefused;  // no other netlink ports exist
        }
        auto* request = new (std::nothrow) uint8_t[size ? size : 1];
        if (!request)
            return Error::NoMemory;
        if (auto copied = message.data.copy_next(request, size); copied.is_error()) {
            delete[] request;
            return copied.error();
        }
        uint32_t port;
        {
            sched::SchedulerLockGuard guard;
            if (!m_port)
                m_port = assign_port();
            port = m_port;
        }
        Reply reply;
        {
            StackGuard guard;
            for (size_t at = 0; at + k_header_size <= size;) {
                uint32_t length;
                __builtin_memcpy(&length, request + at, 4);
                if (length < k_header_size || at + length > size)
                    break;
                answer(reply, request + at, length, port);
                at += align4(length);
            }
        }
        delete[] request;
        sched::SchedulerLockGuard guard;
        while (Datagram* datagram = reply.datagrams().pop_front()) {
            if (m_queued + datagram->size > k_max_queued) {
                delete datagram;  // ENOBUFS for the reader, as Linux's overrun
                m_overrun = true;
                continue;
            }
            m_queued += datagram->size;
            m_queue.push_back(*datagram);
        }
        m_readers.wake_all(guard);
        m_poll.notify(guard, abi::k_pollin | abi::k_pollrdnorm);
        return size;
    }
    ErrorOr<void> receive(IncomingMessage& message, bool nonblocking) override {
        nonblocking = nonblocking || (message.flags & k_msg_dontwait);
        bool peek = message.flags & k_msg_peek;
        Datagram* taken = nullptr;
        {
            sched::SchedulerLockGuard guard;
            for (;;) {
                if (m_overrun) {
                    m_overrun = false;
                    return Error::NoBufferSpace;
                }
                if (Datagram* datagram = m_queue.front()) {
                    size_t copied = datagram->size < message.buffer.size() ? datagram->size : message.buffer.size();
                    __builtin_memcpy(message.buffer.data(), datagram->data, copied);
                    message.size = copied;
                    message.full_size = datagram->size;
                    if (copied < datagram->size)
                        message.result_flags |= k_msg_trunc;
                    if (!peek) {
                        m_queue.remove(*datagram);
                        m_queued -= datagram->size;
                        taken = datagram;
                    }
                    break;
                }
                if (nonblocking)
                    return Error::TryAgain;
                switch (m_readers.wait_interruptible(guard, socket_deadline(m_rcv_timeout))) {
                case sched::WaitResult::Interrupted: return Error::Interrupted;
                case sched::WaitResult::TimedOut: return Error::TryAgain;
                case sched::WaitResult::Woken: break;
                }
            }
        }
        delete taken;
        message.from.length = k_sockaddr_nl_size;
        __builtin_memset(message.from.bytes, 0, k_sockaddr_nl_size);
        message.from.bytes[0] = k_af_netlink;  // from the kernel: port 0
        return {};
    }
    SocketAddress local_address() override {
        SocketAddress address;
        address.length = k_sockaddr_nl_size;
        address.bytes[0] = k_af_netlink;
        sched::SchedulerLockGuard guard;
        __builtin_memcpy(address.bytes + 4, &m_port, 4);
        return address;
    }
    ErrorOr<SocketAddress> peer_address() override {
        SocketAddress address;
        address.length = k_sockaddr_nl_size;
        address.bytes[0] = k_af_netlink;
        return address;
    }
    ErrorOr<void> set_option(int level, int name, std::span<const uint8_t> value) override {
        if (level == k_sol_socket && (name == k_so_rcvtimeo || name == k_so_rcvtimeo_new)) {
            uint64_t timeout = TRY(socket_timeout_from(value));
            sched::SchedulerLockGuard guard;
            m_rcv_timeout = timeout;
            return {};
        }
        if (level == k_sol_socket && (name == k_so_rcvbuf || name == k_so_sndbuf || name == k_so_sndtimeo ||
                                      name == k_so_sndtimeo_new)) {
            TRY(option_int(value));  // sends never wait; the queue has its own bound
            return {};
        }
        constexpr int k_sol_netlink = 270;
        constexpr int k_netlink_ext_ack = 11, k_netlink_get_strict_chk = 12, k_netlink_cap_ack = 10;
        if (level == k_sol_netlink &&
            (name == k_netlink_ext_ack || name == k_netlink_get_strict_chk || name == k_netlink_cap_ack)) {
            TRY(option_int(value));  // replies carry no extended acks either way
            return {};
        }
        return Error::NoProtocolOption;
    }
    ErrorOr<size_t> get_option(int level, int name, std::span<uint8_t> value) override {
        if (level != k_sol_socket)
            return Error::NoProtocolOption;
        switch (name) {
        case k_so_type: return put_option_int(value, m_type);
        case k_so_domain: return put_option_int(value, k_af_netlink);
        case k_so_protocol: return put_option_int(value, k_netlink_route);
        case k_so_rcvbuf:
        case k_so_sndbuf: return put_option_int(value, 212992);
        case k_so_error: return put_option_int(value, 0);
        default: return Error::NoProtocolOption;
        }
    }
    uint16_t poll_events() override {
        sched::SchedulerLockGuard guard;
        uint16_t events = abi::k_pollout | abi::k_pollwrnorm;
        if (!m_queue.is_empty() || m_overrun)
            events |= abi::k_pollin | abi::k_pollrdnorm;
        return events;
    }
    fs::PollQueue* poll_queue() override { return &m_poll; }

private:
    // The process's PID if no socket has it, else a unique number from
    // the top down, as Linux's netlink_autobind (scheduler lock held).
    uint32_t assign_port() {
        uint32_t pid = static_cast<uint32_t>(proc::current_process()->pid);
        bool taken = false;
        s_all.for_each([&](NetlinkSocket& other) { taken = taken || other.m_port == pid; });
        return taken ? g_next_autobind-- : pid;
    }

    const int m_type;
    // Scheduler lock:
    uint32_t m_port { 0 };
    DatagramList m_queue;
    size_t m_queued { 0 };
    bool m_overrun { false };
    uint64_t m_rcv_timeout { 0 };
    sched::WaitQueue m_readers;
    fs::PollQueue m_poll;
};

constinit IntrusiveList<NetlinkSocket, &NetlinkSocket::m_all_link> NetlinkSocket::s_all;

ErrorOr<Socket*> create_netlink_socket(int type, int protocol, uint32_t file_flags) {
    if (type != k_sock_raw && type != k_sock_dgram)
        return Error::SocketTypeNotSupported;
    if (protocol != k_netlink_route)
        return Error::ProtocolNotSupported;
    auto* socket = new (std::nothrow) NetlinkSocket(type, file_flags);
    if (!socket)
        return Error::NoMemory;
    return static_cast<Socket*>(socket);
}

}  // namespace akuma::net
