#include "kernel/net/interfaces.h"

#include "kernel/mm/user_access.h"
#include "kernel/net/stack.h"
#include "kernel/proc/process_credentials.h"
#include "lwip/netif.h"

namespace akuma::net {

namespace {

constexpr uint32_t k_siocgifname = 0x8910, k_siocgifconf = 0x8912, k_siocgifflags = 0x8913,
                   k_siocsifflags = 0x8914, k_siocgifaddr = 0x8915, k_siocgifbrdaddr = 0x8919,
                   k_siocgifnetmask = 0x891b, k_siocgifmtu = 0x8921, k_siocgifhwaddr = 0x8927,
                   k_siocgifindex = 0x8933, k_siocgiftxqlen = 0x8942;
constexpr int16_t k_iff_up = 0x1, k_iff_broadcast = 0x2, k_iff_loopback = 0x8, k_iff_running = 0x40,
                  k_iff_multicast = 0x1000;
constexpr uint16_t k_arphrd_ether = 1, k_arphrd_loopback = 772;
constexpr size_t k_name_size = 16;

// struct ifreq: a name and a 24-byte union.
struct InterfaceRequest {
    char name[k_name_size];
    union {
        uint8_t address[16];  // struct sockaddr
        int16_t flags;
        int32_t number;       // ifr_ifindex, ifr_mtu
        uint8_t raw[24];
    };
};
static_assert(sizeof(InterfaceRequest) == 40);

// struct ifconf.
struct InterfaceList {
    int32_t length;
    int32_t padding;
    uint64_t buffer;
};

void put_ipv4(uint8_t* sockaddr, uint32_t network_order) {
    __builtin_memset(sockaddr, 0, 16);
    sockaddr[0] = 2;  // AF_INET
    __builtin_memcpy(sockaddr + 4, &network_order, 4);
}

int16_t flags_of(const Interface& interface) {
    int16_t flags = 0;
    if (netif_is_up(interface.netif))
        flags |= k_iff_up;
    if (netif_is_up(interface.netif) && netif_is_link_up(interface.netif))
        flags |= k_iff_running;
    if (interface.loopback)
        flags |= k_iff_loopback;
    else
        flags |= k_iff_broadcast | k_iff_multicast;
    return flags;
}

Interface* find_by_name(const char* name) {
    for (Interface& interface : stack_interfaces()) {
        if (__builtin_strncmp(interface.name, name, k_name_size) == 0)
            return &interface;
    }
    return nullptr;
}

ErrorOr<void> list_interfaces(uint64_t argument) {
    auto list = TRY(mm::read_user(mm::UserPtr<const InterfaceList>(argument)));
    int32_t used = 0;
    {
        StackGuard guard;
        for (Interface& interface : stack_interfaces()) {
            if (!netif_is_up(interface.netif) || ip4_addr_isany_val(*netif_ip4_addr(interface.netif)))
                continue;
            if (list.buffer) {
                if (used + static_cast<int32_t>(sizeof(InterfaceRequest)) > list.length)
                    break;
                InterfaceRequest entry {};
                __builtin_memcpy(entry.name, interface.name, k_name_size);
                put_ipv4(entry.address, ip4_addr_get_u32(netif_ip4_addr(interface.netif)));
                TRY(mm::copy_to_user(mm::UserPtr<void>(list.buffer + static_cast<uint64_t>(used)), &entry,
                                     sizeof entry));
            }
            used += static_cast<int32_t>(sizeof(InterfaceRequest));
        }
    }
    list.length = used;
    return mm::write_user(mm::UserPtr<InterfaceList>(argument), list);
}

}  // namespace

ErrorOr<void> interface_ioctl(uint32_t request, uint64_t argument) {
    switch (request) {
    case k_siocgifconf: return list_interfaces(argument);
    case k_siocgifname:
    case k_siocgifindex:
    case k_siocgifflags:
    case k_siocsifflags:
    case k_siocgifaddr:
    case k_siocgifbrdaddr:
    case k_siocgifnetmask:
    case k_siocgifmtu:
    case k_siocgifhwaddr:
    case k_siocgiftxqlen: break;
    default: return Error::NotATty;
    }
    auto request_data = TRY(mm::read_user(mm::UserPtr<const InterfaceRequest>(argument)));
    request_data.name[k_name_size - 1] = 0;
    StackGuard guard;
    Interface* interface = nullptr;
    if (request == k_siocgifname) {
        for (Interface& candidate : stack_interfaces())
            if (candidate.index == request_data.number)
                interface = &candidate;
        if (!interface)
            return Error::NoDevice;
        __builtin_memcpy(request_data.name, interface->name, k_name_size);
        return mm::write_user(mm::UserPtr<InterfaceRequest>(argument), request_data);
    }
    // Changing an interface needs CAP_NET_ADMIN, asked first (Linux's dev_ioctl).
    if (request == k_siocsifflags && !proc::current_capable(proc::Capability::NetAdmin))
        return Error::NotPermitted;
    interface = find_by_name(request_data.name);
    if (!interface)
        return Error::NoDevice;
    struct netif* netif = interface->netif;
    switch (request) {
    case k_siocgifindex: request_data.number = interface->index; break;
    case k_siocgifflags: request_data.flags = flags_of(*interface); break;
    case k_siocsifflags:
        // Only IFF_UP can change.
        if (request_data.flags & k_iff_up)
            netif_set_up(netif);
        else
            netif_set_down(netif);
        return {};
    case k_siocgifaddr:
    case k_siocgifnetmask:
    case k_siocgifbrdaddr: {
        uint32_t address = ip4_addr_get_u32(netif_ip4_addr(netif));
        uint32_t mask = ip4_addr_get_u32(netif_ip4_netmask(netif));
        if (address == 0)
            return Error::AddressNotAvailable;
        uint32_t value = request == k_siocgifaddr ? address : request == k_siocgifnetmask ? mask : (address | ~mask);
        put_ipv4(request_data.address, value);
        break;
    }
    case k_siocgifmtu: request_data.number = interface->loopback ? 65536 : netif->mtu; break;
    case k_siocgiftxqlen: request_data.number = 1000; break;  // Linux's default for lo and Ethernet
    case k_siocgifhwaddr:
        __builtin_memset(request_data.address, 0, 16);
        request_data.address[0] = static_cast<uint8_t>(interface->loopback ? k_arphrd_loopback : k_arphrd_ether);
        request_data.address[1] = static_cast<uint8_t>((interface->loopback ? k_arphrd_loopback : k_arphrd_ether) >> 8);
        if (!interface->loopback)
            __builtin_memcpy(request_data.address + 2, netif->hwaddr, 6);
        break;
    }
    return mm::write_user(mm::UserPtr<InterfaceRequest>(argument), request_data);
}

bool interface_has_address(const ip_addr_t& address) {
    if (IP_IS_V4_VAL(address)) {
        uint32_t value = ip4_addr_get_u32(ip_2_ip4(&address));
        if ((value & 0xff) == 127)
            return true;
        for (Interface& interface : stack_interfaces())
            if (ip4_addr_get_u32(netif_ip4_addr(interface.netif)) == value)
                return true;
        return false;
    }
    for (Interface& interface : stack_interfaces()) {
        for (int i = 0; i < LWIP_IPV6_NUM_ADDRESSES; ++i) {
            if (!ip6_addr_isinvalid(netif_ip6_addr_state(interface.netif, i)) &&
                ip6_addr_cmp_zoneless(netif_ip6_addr(interface.netif, i), ip_2_ip6(&address)))
                return true;
        }
    }
    return false;
}

}  // namespace akuma::net
