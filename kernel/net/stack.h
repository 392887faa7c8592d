// The TCP/IP stack: lwIP (Debian's source, kernel/net/lwip/ for Akuma's
// configuration and port) run the way Akuma runs things.
//
// lwIP runs without threads of its own (NO_SYS). All of its state is under
// one lock, the stack lock (a sleeping mutex, StackGuard): system calls on
// sockets take it and call lwIP directly, and lwIP's callbacks (data came,
// a connection was accepted, the peer reset) run under it and wake the
// threads that wait, through their sockets' wait queues. A network thread
// ("net") takes it to run lwIP's timers and the drivers' receive paths:
// interrupt handlers never touch lwIP, they only wake that thread
// (stack_wake). Packets to the loopback interface are delivered when the
// lock is given up, by whoever gave it up: a loopback exchange needs no
// thread switch to the network thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

struct netif;

namespace akuma::net {

class StackGuard {
public:
    StackGuard();
    ~StackGuard();
    StackGuard(const StackGuard&) = delete;
    StackGuard& operator=(const StackGuard&) = delete;
};

bool stack_lock_held();

// lwIP and the loopback interface (lo: 127.0.0.1/8, ::1); starts the
// network thread. Boot step after the scheduler runs.
void stack_init();

// Asks the network thread to run its pollers and lwIP's timers now. Any
// context, interrupt handlers too.
void stack_wake();

// Something the network thread calls (stack lock held) every time it
// runs: a driver's receive and transmit-completion path.
using StackPoller = void (*)(void* context);
bool stack_add_poller(StackPoller poller, void* context);

// Traffic of an interface, 64-bit: lwIP counts in 32 bits (MIB2's
// counters, by the driver and lwIP's loopback), and the network thread,
// which runs at least once a second, adds their differences here.
struct InterfaceCounters {
    enum : size_t {
        k_rx_bytes, k_rx_unicast, k_rx_other, k_rx_errors, k_rx_dropped,
        k_tx_bytes, k_tx_unicast, k_tx_other, k_tx_errors, k_tx_dropped, k_count
    };
    uint64_t total[k_count];
    uint32_t seen[k_count];  // lwIP's values at the last sample
};

// An interface as Linux names and numbers it (lo = 1, eth0 = 2, ...).
struct Interface {
    struct netif* netif;
    char name[16];
    int index;
    bool loopback;
    uint32_t logged[3];  // address, mask, gateway last written to the log
    InterfaceCounters counters;
};
// Registers an Ethernet interface lwIP already has (netif_add done, stack
// lock held): named ethN, brought up, configured by DHCP; the address, when
// bound, goes to the log as "[Net] eth0 10.0.2.15/24 gw 10.0.2.2" and to
// /proc/net/pnp.
void stack_add_ethernet(struct netif* netif);
// Every interface, in index order (stack lock held).
std::span<Interface> stack_interfaces();
Interface* stack_interface_of(const struct netif* netif);

// Boot: waits up to `timeout_ns` for every Ethernet interface's DHCP to
// bind (or fail). Returns whether all are configured.
bool stack_wait_for_configuration(uint64_t timeout_ns);

// Ends every connection in TIME_WAIT (they hold no process's memory and
// would end by themselves after 60 s): for the program runner's check that
// programs gave all their memory back, which also drops the caches.
void stack_forget_time_wait();

// /proc/net/dev: every interface's counters in Linux's layout.
size_t stack_format_interface_counters(std::span<char> buffer);

// /proc/net/pnp: the DHCP-given name servers in resolv.conf form, as
// Linux's ipconfig writes them.
size_t stack_resolver_config(std::span<char> buffer);

}  // namespace akuma::net
