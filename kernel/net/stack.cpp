#include "kernel/net/stack.h"

#include "kernel/arch/aarch64/timer.h"
#include "kernel/lib/format.h"
#include "kernel/lib/kprint.h"
#include "kernel/sched/mutex.h"
#include "kernel/sched/scheduler.h"
#include "kernel/sched/thread.h"
#include "kernel/time/duration.h"
#include "lwip/dhcp.h"
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/timeouts.h"

namespace akuma::net {

namespace {

constexpr size_t k_max_pollers = 4;
constexpr size_t k_max_interfaces = 8;
constexpr size_t k_max_name_servers = 3;

struct Poller {
    StackPoller function;
    void* context;
};

constinit sched::Mutex g_stack_lock;
constinit Poller g_pollers[k_max_pollers] {};
constinit size_t g_poller_count = 0;
constinit Interface g_interfaces[k_max_interfaces] {};
constinit size_t g_interface_count = 0;
constinit int g_ethernet_count = 0;
constinit uint32_t g_name_servers[k_max_name_servers] {};  // network byte order
constinit size_t g_name_server_count = 0;
constinit uint32_t g_boot_server = 0;

// The network thread's wake-up (scheduler lock).
constinit sched::WaitQueue g_network_thread_wait;
constinit bool g_network_thread_kicked = false;
// When the network thread next wakes by itself (monotonic ns), so that a
// system call that arms an earlier lwIP timer can wake it sooner.
constinit uint64_t g_network_thread_deadline = time::k_never;

uint64_t next_timer_deadline_locked() {
    uint32_t sleep_ms = sys_timeouts_sleeptime();
    if (sleep_ms == SYS_TIMEOUTS_SLEEPTIME_INFINITE)
        return time::k_never;
    return time::deadline_after(arch::monotonic_ns(), static_cast<uint64_t>(sleep_ms) * 1000000);
}

// Adds what lwIP counted since the last sample (each counter 32-bit and
// wrapping) to the 64-bit totals (stack lock held).
void sample_counters() {
    for (size_t i = 0; i < g_interface_count; ++i) {
        Interface& interface = g_interfaces[i];
        const auto& lwip = interface.netif->mib2_counters;
        const uint32_t now[InterfaceCounters::k_count] = {
            lwip.ifinoctets,  lwip.ifinucastpkts,  lwip.ifinnucastpkts,  lwip.ifinerrors,  lwip.ifindiscards,
            lwip.ifoutoctets, lwip.ifoutucastpkts, lwip.ifoutnucastpkts, lwip.ifouterrors, lwip.ifoutdiscards,
        };
        for (size_t field = 0; field < InterfaceCounters::k_count; ++field) {
            interface.counters.total[field] += static_cast<uint32_t>(now[field] - interface.counters.seen[field]);
            interface.counters.seen[field] = now[field];
        }
    }
}

// Delayed ACKs of connections to other hosts go out once the frames at
// hand are processed, not at lwIP's next 250 ms timer: lwIP acknowledges
// every second full segment at once and leaves the odd one for its timer,
// and a sender that waits for that ACK (QEMU's user network does, at the
// end of a burst) would stall. Half as many ACKs as acknowledging each
// segment, and no stall. Loopback peers keep lwIP's delayed ACKs.
void send_delayed_acks() {
    for (struct tcp_pcb* pcb = tcp_active_pcbs; pcb; pcb = pcb->next) {
        if ((pcb->flags & TF_ACK_DELAY) && !ip_addr_isloopback(&pcb->local_ip)) {
            tcp_ack_now(pcb);
            tcp_output(pcb);
        }
    }
}

uint64_t network_thread(void*) {
    for (;;) {
        uint64_t deadline;
        {
            StackGuard guard;
            sample_counters();
            for (size_t i = 0; i < g_poller_count; ++i)
                g_pollers[i].function(g_pollers[i].context);
            send_delayed_acks();
            sys_check_timeouts();
            deadline = next_timer_deadline_locked();
            __atomic_store_n(&g_network_thread_deadline, deadline, __ATOMIC_RELAXED);
            (void)0;
        }
        sched::SchedulerLockGuard guard;
        if (!g_network_thread_kicked)
            g_network_thread_wait.wait_interruptible(guard, deadline);
        g_network_thread_kicked = false;
    }
}

void format_address(BufferSink& out, uint32_t network_order) {
    const auto* bytes = reinterpret_cast<const uint8_t*>(&network_order);
    format_to(out, "{}.{}.{}.{}", bytes[0], bytes[1], bytes[2], bytes[3]);
}

int prefix_length(uint32_t network_order_mask) {
    return __builtin_popcount(network_order_mask);
}

void on_status_change(struct netif* netif) {
    Interface* interface = stack_interface_of(netif);
    if (!interface || ip4_addr_isany_val(*netif_ip4_addr(netif)))
        return;
    // lwIP calls this for each of address, mask and gateway: log a
    // configuration once.
    uint32_t configuration[3] = { ip4_addr_get_u32(netif_ip4_addr(netif)), ip4_addr_get_u32(netif_ip4_netmask(netif)),
                                  ip4_addr_get_u32(netif_ip4_gw(netif)) };
    if (__builtin_memcmp(configuration, interface->logged, sizeof configuration) == 0)
        return;
    __builtin_memcpy(interface->logged, configuration, sizeof configuration);
    char text[96];
    BufferSink line(text, sizeof text);
    format_to(line, "{} ", interface->name);
    format_address(line, ip4_addr_get_u32(netif_ip4_addr(netif)));
    format_to(line, "/{}", prefix_length(ip4_addr_get_u32(netif_ip4_netmask(netif))));
    if (ip4_addr_get_u32(netif_ip4_gw(netif))) {
        format_to(line, " gw ");
        format_address(line, ip4_addr_get_u32(netif_ip4_gw(netif)));
    } else {
        // QEMU's restricted user network (restrict=on) offers no router.
        format_to(line, " (DHCP gave no gateway)");
    }
    kprintln("[Net] {}", line.view());
    if (!netif_default)
        netif_set_default(netif);
    if (struct dhcp* dhcp = netif_dhcp_data(netif))
        g_boot_server = ip_addr_get_ip4_u32(&dhcp->server_ip_addr);
    sched::SchedulerLockGuard guard;
    g_network_thread_wait.wake_all(guard);  // a boot waiting for configuration looks again
}

bool configured(const Interface& interface) {
    if (interface.loopback)
        return true;
    return !ip4_addr_isany_val(*netif_ip4_addr(interface.netif));
}

}  // namespace

StackGuard::StackGuard() { g_stack_lock.lock(); }

StackGuard::~StackGuard() {
    // Packets to 127.0.0.1 and ::1 queued while the lock was held.
    netif_poll_all();
    uint64_t next = next_timer_deadline_locked();
    g_stack_lock.unlock();
    if (next < __atomic_load_n(&g_network_thread_deadline, __ATOMIC_RELAXED))
        stack_wake();
}

bool stack_lock_held() { return g_stack_lock.is_held_by_current_thread(); }

void stack_wake() {
    sched::SchedulerLockGuard guard;
    g_network_thread_kicked = true;
    g_network_thread_wait.wake_all(guard);
}

bool stack_add_poller(StackPoller poller, void* context) {
    if (g_poller_count == k_max_pollers)
        return false;
    g_pollers[g_poller_count++] = { poller, context };
    return true;
}

void stack_init() {
    {
        StackGuard guard;
        lwip_init();  // adds the loopback interface (lwIP's "lo0")
        for (struct netif* netif = netif_list; netif; netif = netif->next) {
            if (netif->name[0] == 'l' && netif->name[1] == 'o') {
                Interface& lo = g_interfaces[g_interface_count++];
                lo = { netif, "lo", 1, true, {}, {} };
                // Nothing on the loopback path can corrupt a packet: no
                // checksums, as Linux's lo (NETIF_F_LOOPBACK).
                NETIF_SET_CHECKSUM_CTRL(netif, NETIF_CHECKSUM_DISABLE_ALL);
            }
        }
    }
    auto thread = sched::spawn("net", network_thread, nullptr);
    if (thread.is_error())
        kprintln("[Net] no network thread: {}", error_name(thread.error()));
}

void stack_add_ethernet(struct netif* netif) {
    if (g_interface_count == k_max_interfaces)
        return;
    Interface& interface = g_interfaces[g_interface_count];
    interface.netif = netif;
    interface.index = static_cast<int>(g_interface_count + 1);
    interface.loopback = false;
    BufferSink name(interface.name, sizeof interface.name);
    format_to(name, "eth{}", g_ethernet_count++);
    ++g_interface_count;
    netif_set_status_callback(netif, on_status_change);
    netif_set_up(netif);
    netif_set_link_up(netif);
    netif_create_ip6_linklocal_address(netif, 1);
    if (dhcp_start(netif) != ERR_OK)
        kprintln("[Net] {}: DHCP did not start", interface.name);
}

std::span<Interface> stack_interfaces() { return { g_interfaces, g_interface_count }; }

Interface* stack_interface_of(const struct netif* netif) {
    for (size_t i = 0; i < g_interface_count; ++i)
        if (g_interfaces[i].netif == netif)
            return &g_interfaces[i];
    return nullptr;
}

bool stack_wait_for_configuration(uint64_t timeout_ns) {
    uint64_t deadline = time::deadline_after(arch::monotonic_ns(), timeout_ns);
    for (;;) {
        bool all = true;
        {
            StackGuard guard;
            for (size_t i = 0; i < g_interface_count; ++i)
                all = all && configured(g_interfaces[i]);
        }
        if (all)
            return true;
        if (arch::monotonic_ns() >= deadline)
            return false;
        sched::sleep_ns(10 * 1000 * 1000);
    }
}

void stack_forget_time_wait() {
    StackGuard guard;
    while (tcp_tw_pcbs)
        tcp_abort(tcp_tw_pcbs);  // frees a TIME_WAIT pcb without a reset
}

size_t stack_format_interface_counters(std::span<char> buffer) {
    BufferSink out(buffer.data(), buffer.size());
    format_to(out, "Inter-|   Receive                                                |  Transmit\n");
    format_to(out, " face |bytes    packets errs drop fifo frame compressed multicast|"
                   "bytes    packets errs drop fifo colls carrier compressed\n");
    StackGuard guard;
    sample_counters();
    for (size_t i = 0; i < g_interface_count; ++i) {
        const Interface& interface = g_interfaces[i];
        const uint64_t* t = interface.counters.total;
        using C = InterfaceCounters;
        format_to(out, "{:>6}:{:>8} {:>7} {:>4} {:>4} {:>4} {:>5} {:>10} {:>9} {:>8} {:>7} {:>4} {:>4} {:>4} {:>5} {:>7} {:>10}\n",
                  interface.name, t[C::k_rx_bytes], t[C::k_rx_unicast] + t[C::k_rx_other], t[C::k_rx_errors],
                  t[C::k_rx_dropped], 0, 0, 0, t[C::k_rx_other], t[C::k_tx_bytes], t[C::k_tx_unicast] + t[C::k_tx_other],
                  t[C::k_tx_errors], t[C::k_tx_dropped], 0, 0, 0, 0);
    }
    return out.view().size();
}

size_t stack_resolver_config(std::span<char> buffer) {
    BufferSink out(buffer.data(), buffer.size());
    StackGuard guard;
    format_to(out, "#PROTO: DHCP\n");
    for (size_t i = 0; i < g_name_server_count; ++i) {
        format_to(out, "nameserver ");
        format_address(out, g_name_servers[i]);
        format_to(out, "\n");
    }
    if (g_boot_server) {
        format_to(out, "bootserver ");
        format_address(out, g_boot_server);
        format_to(out, "\n");
    }
    return out.view().size();
}

}  // namespace akuma::net

extern "C" void akuma_dhcp_option(struct netif* netif, unsigned char option, unsigned char length,
                                  struct pbuf* packet, unsigned short offset) {
    using namespace akuma::net;
    constexpr unsigned char k_dhcp_option_dns = 6;
    if (option != k_dhcp_option_dns || length % 4)
        return;
    g_name_server_count = 0;
    for (unsigned i = 0; i + 4 <= length && g_name_server_count < k_max_name_servers; i += 4) {
        uint32_t address = 0;
        if (pbuf_copy_partial(packet, &address, 4, static_cast<uint16_t>(offset + i)) == 4)
            g_name_servers[g_name_server_count++] = address;
    }
    (void)netif;
}
