// lwIP's configuration for Akuma (see lwip/opt.h for every option).
//
// The stack runs without lwIP's own threads (NO_SYS): every call into it,
// from a system call, the network thread or a driver, holds the kernel's
// stack lock (kernel/net/stack.h), and lwIP's callbacks run under it. Its
// memory comes from the kernel heap (no static pools in the image).
#pragma once

#define NO_SYS 1
#define SYS_LIGHTWEIGHT_PROT 0
#define LWIP_NETCONN 0
#define LWIP_SOCKET 0
#define LWIP_TIMERS 1
#define LWIP_TIMERS_CUSTOM 1  // kernel/net/lwip/timers.cpp: no heap block per timeout

// Memory: kmalloc for everything.
#define MEM_LIBC_MALLOC 1
#define MEMP_MEM_MALLOC 1
#define MEM_ALIGNMENT 8
#define mem_clib_malloc akuma_lwip_malloc
#define mem_clib_free akuma_lwip_free
#define mem_clib_calloc akuma_lwip_calloc
#ifdef __cplusplus
extern "C" {
#endif
void* akuma_lwip_malloc(unsigned long size);
void akuma_lwip_free(void* memory);
void* akuma_lwip_calloc(unsigned long count, unsigned long size);
#ifdef __cplusplus
}
#endif
#define PBUF_POOL_BUFSIZE 1536

// Protocols.
#define LWIP_IPV4 1
#define LWIP_IPV6 1
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define LWIP_ICMP 1
#define LWIP_DHCP 1
#define LWIP_DHCP_DOES_ACD_CHECK 0
#define DHCP_DOES_ARP_CHECK 0
#define LWIP_AUTOIP 0
#define LWIP_IGMP 0
#define LWIP_DNS 0
#define LWIP_RAW 0
#define LWIP_UDP 1
#define LWIP_TCP 1
#define IP_FORWARD 0
#define IP_REASSEMBLY 1
#define IP_FRAG 1
#define LWIP_IPV6_FRAG 1
#define LWIP_IPV6_REASS 1
#define IPV6_FRAG_COPYHEADER 1  // 64-bit pointers do not fit in the fragment header
#define LWIP_IPV6_MLD 0  // no multicast listeners (and no 100 ms timer waking the network thread)
#define LWIP_IPV6_AUTOCONFIG 0
#define LWIP_IPV6_DHCP6 0
#define LWIP_IPV6_SEND_ROUTER_SOLICIT 0
#define LWIP_ICMP6 1

// Interfaces: the loopback interface (127.0.0.1, ::1) and the NICs.
#define LWIP_HAVE_LOOPIF 1
#define LWIP_NETIF_LOOPBACK 1
#define LWIP_LOOPBACK_MAX_PBUFS 0
#define LWIP_NETIF_STATUS_CALLBACK 1
#define LWIP_NETIF_LINK_CALLBACK 1
#define LWIP_CHECKSUM_CTRL_PER_NETIF 1
#define LWIP_SINGLE_NETIF 0

// TCP: Linux-like buffers, window scaling, keepalive, a listen backlog.
#define TCP_MSS 1460
#define LWIP_WND_SCALE 1
#define TCP_RCV_SCALE 3
#define TCP_WND (256 * 1024)
#define TCP_SND_BUF (128 * 1024)
#define TCP_SND_QUEUELEN 512
#define TCP_SNDLOWAT (TCP_SND_BUF / 4)
#define TCP_SNDQUEUELOWAT (TCP_SND_QUEUELEN / 4)
#define TCP_QUEUE_OOSEQ 1
#define TCP_MSL 30000UL  // TIME_WAIT lasts 2 * MSL: 60 s, as Linux's TCP_TIMEWAIT_LEN
#define TCP_OOSEQ_MAX_BYTES (TCP_WND)
#define LWIP_TCP_SACK_OUT 0
#define LWIP_TCP_KEEPALIVE 1
#define TCP_LISTEN_BACKLOG 1
#define TCP_DEFAULT_LISTEN_BACKLOG 0xff
#define TCP_OVERSIZE TCP_MSS
#define SO_REUSE 1
#define LWIP_TCP_TIMESTAMPS 0
#define MEMP_NUM_TCP_PCB 1024
#define MEMP_NUM_UDP_PCB 256
#define MEMP_NUM_TCP_PCB_LISTEN 256
#define MEMP_NUM_TCP_SEG 4096
#define PBUF_POOL_SIZE 512
#define MEMP_NUM_PBUF 1024
#define MEMP_NUM_REASSDATA 16
#define MEMP_NUM_FRAG_PBUF 64
#define MEMP_NUM_ARP_QUEUE 64
#define MEMP_NUM_ND6_QUEUE 64
#define ARP_TABLE_SIZE 16
#define ARP_QUEUEING 1

// Checks: lwIP's assertions stay on; debug output is off. Of the
// statistics only the per-interface counters (MIB2's, 32-bit: the network
// thread widens them to 64 bits for /proc/net/dev, kernel/net/stack.cpp).
#define LWIP_STATS 1
#define LINK_STATS 0
#define ETHARP_STATS 0
#define IP_STATS 0
#define IPFRAG_STATS 0
#define ICMP_STATS 0
#define IGMP_STATS 0
#define UDP_STATS 0
#define TCP_STATS 0
#define MEM_STATS 0
#define MEMP_STATS 0
#define SYS_STATS 0
#define IP6_STATS 0
#define ICMP6_STATS 0
#define IP6_FRAG_STATS 0
#define MLD6_STATS 0
#define ND6_STATS 0
#define MIB2_STATS 1
#define LWIP_NOASSERT_ON_ERROR 0
#define CHECKSUM_GEN_IP 1
#define CHECKSUM_GEN_UDP 1
#define CHECKSUM_GEN_TCP 1
#define CHECKSUM_CHECK_IP 1
#define CHECKSUM_CHECK_UDP 1
#define CHECKSUM_CHECK_TCP 1

// Hooks into Akuma (kernel/net/lwip/port.cpp).
#define LWIP_NETIF_HOSTNAME 1

// DHCP's name-server option (6) for /proc/net/pnp, without lwIP's resolver.
struct netif;
struct pbuf;
#ifdef __cplusplus
extern "C" {
#endif
void akuma_dhcp_option(struct netif* netif, unsigned char option, unsigned char length, struct pbuf* packet,
                       unsigned short offset);
#ifdef __cplusplus
}
#endif
#define LWIP_HOOK_DHCP_PARSE_OPTION(netif, dhcp, state, msg, msg_type, option, len, pbuf, offset) \
    akuma_dhcp_option((netif), (option), (len), (pbuf), (offset))

// ICMP errors for UDP sockets (kernel/net/inet_socket.cpp).
#ifdef __cplusplus
extern "C" {
#endif
int akuma_ip4_input_hook(struct pbuf* packet, struct netif* input_netif);
#ifdef __cplusplus
}
#endif
#define LWIP_HOOK_IP4_INPUT(packet, input_netif) akuma_ip4_input_hook((packet), (input_netif))

// The Internet checksum eight bytes a step (kernel/net/checksum.h).
#ifdef __cplusplus
extern "C" {
#endif
unsigned short akuma_lwip_checksum(const void* data, int length);
#ifdef __cplusplus
}
#endif
#define LWIP_CHKSUM akuma_lwip_checksum
