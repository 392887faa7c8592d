#include "kernel/drivers/virtio/virtio_net.h"

#include <new>
#include <optional>

#include "kernel/arch/aarch64/irq.h"
#include "kernel/lib/kprint.h"
#include "kernel/mm/pmm.h"
#include "kernel/net/segment_merge.h"
#include "kernel/net/stack.h"
#include "lwip/etharp.h"
#include "lwip/ethip6.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/snmp.h"
#include "netif/ethernet.h"

namespace akuma::drivers::virtio {

namespace {

constexpr uint64_t k_feature_mac = 1ull << 5;  // VIRTIO_NET_F_MAC
constexpr uint16_t k_receive_queue = 0, k_transmit_queue = 1;
constexpr size_t k_buffer_size = 2048;          // a header and a 1514-byte frame
// Transmit: 32 pages, 64 buffers. Receive: 128 pages, 256 buffers (QEMU's
// queue size): the device can put no more frames in flight than there are
// posted buffers, and a burst from the host (QEMU's user network sends as
// far as the TCP window allows) waited for the network thread to give 64
// back before the next 64 could come.
constexpr unsigned k_transmit_order = 5;
constexpr unsigned k_receive_order = 7;
constexpr size_t k_buffer_count = (mm::k_page_size << k_transmit_order) / k_buffer_size;
constexpr size_t k_receive_count = (mm::k_page_size << k_receive_order) / k_buffer_size;
// Spare receive buffers (64 pages: 128), on machines of 64 MiB or more: a
// frame goes up to lwIP in the buffer the device filled, and a spare takes
// its place in the ring; the buffer comes back as a spare when lwIP frees
// the frame (the socket's reader took the data). With no spare left (a
// reader that does not read holds them) frames are copied, as before.
constexpr unsigned k_spare_order = 6;
constexpr size_t k_spare_count = (mm::k_page_size << k_spare_order) / k_buffer_size;
constexpr uint64_t k_spares_min_ram_pages = (64ull << 20) / mm::k_page_size;
constexpr uint16_t k_mtu = 1500;
constexpr size_t k_max_frame = k_mtu + 14;
constexpr size_t k_max_received_frame = k_max_frame + 4;  // with a VLAN tag, as Linux's limit
// Frames waiting for a transmit buffer (Linux's queue discipline holds
// 1,000; lwIP has no queue of its own and would drop them).
constexpr size_t k_transmit_backlog = 256;

// Buffers of one direction: one physically contiguous block.
struct BufferBlock {
    uint8_t* memory { nullptr };
    uint64_t physical { 0 };
    uint8_t* at(size_t index) const { return memory + index * k_buffer_size; }
    uint64_t physical_at(size_t index) const { return physical + index * k_buffer_size; }
};

struct NetDevice;

// One receive buffer: DMA memory for the virtio-net header and a frame,
// and the pbuf that lends the frame to lwIP without a copy.
struct ReceiveBuffer {
    struct pbuf_custom custom;  // first: lwIP's free hook is given its address
    NetDevice* device;
    uint8_t* memory;
    uint64_t physical;
    ReceiveBuffer* next_spare;
};

struct NetDevice {
    explicit NetDevice(MmioTransport t) : transport(t) {}
    MmioTransport transport;
    Virtqueue* receive { nullptr };
    Virtqueue* transmit { nullptr };
    ReceiveBuffer* receive_slots { nullptr };  // the ring's, then the spares
    ReceiveBuffer* spares { nullptr };         // free for the ring (stack lock)
    BufferBlock transmit_buffers;
    // Free transmit buffers, a stack of indices (stack lock).
    uint16_t free_transmit[k_buffer_count] {};
    size_t free_transmit_count { 0 };
    size_t header_size { 10 };  // struct virtio_net_hdr; 12 with VERSION_1 (num_buffers)
    struct pbuf* backlog[k_transmit_backlog] {};  // a ring: frames in order
    size_t backlog_head { 0 };
    size_t backlog_count { 0 };
    struct netif netif {};
};

void* token_of(size_t index) { return reinterpret_cast<void*>(index + 1); }
size_t index_of(void* token) { return reinterpret_cast<uintptr_t>(token) - 1; }

// Gives a receive buffer to the device (stack lock held).
void post_receive(NetDevice& device, ReceiveBuffer& receive) {
    Buffer buffer { receive.physical, static_cast<uint32_t>(k_buffer_size), true };
    (void)device.receive->add({ &buffer, 1 }, &receive);
}

// lwIP freed a frame lent to it: its buffer is a spare again (stack lock
// held: every pbuf_free is made under it).
void return_receive_buffer(struct pbuf* frame) {
    auto* receive = reinterpret_cast<ReceiveBuffer*>(frame);
    receive->next_spare = receive->device->spares;
    receive->device->spares = receive;
}

// The frame of `receive` (`length` bytes after the header) as a pbuf for
// lwIP: lent if a spare can take the buffer's place in the ring, else
// copied (nullptr if no pbuf could be had: the frame is dropped).
struct pbuf* take_frame(NetDevice& device, ReceiveBuffer& receive, size_t length) {
    uint8_t* bytes = receive.memory + device.header_size;
    if (ReceiveBuffer* spare = device.spares) {
        device.spares = spare->next_spare;
        post_receive(device, *spare);
        return pbuf_alloced_custom(PBUF_RAW, static_cast<u16_t>(length), PBUF_REF, &receive.custom, bytes,
                                   static_cast<u16_t>(k_buffer_size - device.header_size));
    }
    struct pbuf* frame = pbuf_alloc(PBUF_RAW, static_cast<u16_t>(length), PBUF_POOL);
    if (frame)
        pbuf_take(frame, bytes, static_cast<u16_t>(length));
    else
        MIB2_STATS_NETIF_INC(&device.netif, ifindiscards);
    post_receive(device, receive);
    return frame;
}

void input_frame(NetDevice& device, struct pbuf* frame) {
    if (device.netif.input(frame, &device.netif) != ERR_OK)
        pbuf_free(frame);  // a lent buffer becomes a spare
}

// The TCP segment being merged from the frames at hand (kernel/net/
// segment_merge.h): the first frame, whole, with the later frames'
// payloads chained to it.
struct PendingSegment {
    struct pbuf* head { nullptr };
    net::SegmentMerge merge {};
};

const uint8_t* bytes_of(const struct pbuf* frame) { return static_cast<const uint8_t*>(frame->payload); }

void flush_pending(NetDevice& device, PendingSegment& pending) {
    if (!pending.head)
        return;
    net::finish_merge(static_cast<uint8_t*>(pending.head->payload), pending.merge);
    struct pbuf* segment = pending.head;
    pending.head = nullptr;
    input_frame(device, segment);
}

// Into lwIP in order: a frame that continues the pending segment joins it;
// any other frame first sends the pending one up.
void offer_frame(NetDevice& device, PendingSegment& pending, struct pbuf* frame) {
    std::optional<net::MergeableSegment> segment;
    if (!frame->next)  // one buffer, as lent frames and pool pbufs of a frame are
        segment = net::parse_mergeable_segment(bytes_of(frame), frame->len);
    if (segment && pending.head &&
        net::continues_merge(bytes_of(pending.head), pending.merge, bytes_of(frame), *segment)) {
        // Only the payload, without Ethernet's padding.
        pbuf_remove_header(frame, segment->header_bytes);
        pbuf_realloc(frame, segment->payload_bytes);
        pbuf_cat(pending.head, frame);
        net::append_to_merge(pending.merge, *segment);
        return;
    }
    flush_pending(device, pending);
    if (segment && !segment->push) {
        pbuf_realloc(frame, static_cast<u16_t>(segment->header_bytes + segment->payload_bytes));
        pending.head = frame;
        pending.merge = net::start_merge(*segment);
        return;
    }
    input_frame(device, frame);
}

void reclaim_transmitted(NetDevice& device) {
    while (auto done = device.transmit->take_used())
        device.free_transmit[device.free_transmit_count++] = static_cast<uint16_t>(index_of(done->token));
}

void flush_backlog(NetDevice& device);
void take_received_frames(NetDevice& device, bool& posted);

// The network thread's part (stack lock held): received frames into lwIP,
// their buffers back to the device, sent buffers back to the free list.
void poll(void* context) {
    auto& device = *static_cast<NetDevice*>(context);
    bool posted = false;
    // As Linux's NAPI: no receive interrupts while frames are taken here
    // (each would only wake this thread again, through the GIC and the
    // device's registers); asked for again once the ring is empty, then the
    // ring is looked at once more, since a frame that came in between
    // raised none.
    device.receive->set_interrupts_wanted(false);
    for (;;) {
        take_received_frames(device, posted);
        device.receive->set_interrupts_wanted(true);
        if (!device.receive->has_used())
            break;
        device.receive->set_interrupts_wanted(false);
    }
    if (posted && device.receive->device_wants_notification())
        device.transport.notify(k_receive_queue);
    reclaim_transmitted(device);
    flush_backlog(device);
}

void take_received_frames(NetDevice& device, bool& posted) {
    PendingSegment pending;
    while (auto done = device.receive->take_used()) {
        auto& receive = *static_cast<ReceiveBuffer*>(done->token);
        size_t length = done->written > device.header_size ? done->written - device.header_size : 0;
        const uint8_t* bytes = receive.memory + device.header_size;
        posted = true;
        // Shorter than an Ethernet header, or longer than the MTU allows
        // (a peer may send such frames; Linux's virtio_net drops them too).
        if (length < 14 || length > k_max_received_frame) {
            MIB2_STATS_NETIF_INC(&device.netif, ifinerrors);
            post_receive(device, receive);
            continue;
        }
        MIB2_STATS_NETIF_ADD(&device.netif, ifinoctets, length);
        if (bytes[0] & 1)  // a group address: broadcast or multicast
            MIB2_STATS_NETIF_INC(&device.netif, ifinnucastpkts);
        else
            MIB2_STATS_NETIF_INC(&device.netif, ifinucastpkts);
        if (struct pbuf* frame = take_frame(device, receive, length))
            offer_frame(device, pending, frame);
    }
    flush_pending(device, pending);
}

// Puts `frame` into a free transmit buffer (there is one) and tells the
// device (stack lock held).
void send_frame(NetDevice& device, struct pbuf* frame) {
    size_t index = device.free_transmit[--device.free_transmit_count];
    uint8_t* buffer = device.transmit_buffers.at(index);
    __builtin_memset(buffer, 0, device.header_size);
    pbuf_copy_partial(frame, buffer + device.header_size, frame->tot_len, 0);
    Buffer chain { device.transmit_buffers.physical_at(index), static_cast<uint32_t>(device.header_size + frame->tot_len),
                   false };
    if (device.transmit->add({ &chain, 1 }, token_of(index)).is_error()) {
        device.free_transmit[device.free_transmit_count++] = static_cast<uint16_t>(index);
        MIB2_STATS_NETIF_INC(&device.netif, ifoutdiscards);
        return;
    }
    if (device.transmit->device_wants_notification())
        device.transport.notify(k_transmit_queue);
    MIB2_STATS_NETIF_ADD(&device.netif, ifoutoctets, frame->tot_len);
    if (static_cast<const uint8_t*>(frame->payload)[0] & 1)
        MIB2_STATS_NETIF_INC(&device.netif, ifoutnucastpkts);
    else
        MIB2_STATS_NETIF_INC(&device.netif, ifoutucastpkts);
}

// Sends waiting frames, oldest first, while transmit buffers are free.
void flush_backlog(NetDevice& device) {
    while (device.backlog_count && device.free_transmit_count) {
        struct pbuf* frame = device.backlog[device.backlog_head];
        device.backlog_head = (device.backlog_head + 1) % k_transmit_backlog;
        --device.backlog_count;
        send_frame(device, frame);
        pbuf_free(frame);
    }
    // Sent buffers are taken back whenever this thread passes; an interrupt
    // for them is only worth it while frames wait for one.
    device.transmit->set_interrupts_wanted(device.backlog_count != 0);
}

err_t transmit(struct netif* netif, struct pbuf* frame) {
    auto& device = *static_cast<NetDevice*>(netif->state);
    if (frame->tot_len > k_max_frame) {
        MIB2_STATS_NETIF_INC(netif, ifouterrors);
        return ERR_VAL;
    }
    if (device.free_transmit_count == 0 || device.backlog_count)
        reclaim_transmitted(device);
    flush_backlog(device);
    if (device.free_transmit_count && !device.backlog_count) {
        send_frame(device, frame);
        return ERR_OK;
    }
    if (device.backlog_count == k_transmit_backlog) {
        MIB2_STATS_NETIF_INC(netif, ifoutdiscards);
        return ERR_MEM;  // lwIP drops it; TCP sends it again
    }
    pbuf_ref(frame);  // lwIP frees its reference when this returns
    device.backlog[(device.backlog_head + device.backlog_count) % k_transmit_backlog] = frame;
    ++device.backlog_count;
    device.transmit->set_interrupts_wanted(true);
    if (device.transmit->has_used())
        net::stack_wake();  // a buffer came back before the request: no interrupt will say so
    return ERR_OK;
}

err_t init_interface(struct netif* netif) {
    auto& device = *static_cast<NetDevice*>(netif->state);
    netif->name[0] = 'e';
    netif->name[1] = 't';
    netif->mtu = k_mtu;
    netif->hwaddr_len = 6;
    for (uint32_t i = 0; i < 6; ++i)
        netif->hwaddr[i] = static_cast<uint8_t>(device.transport.config_u32(i & ~3u) >> ((i & 3) * 8));
    netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_MLD6;
    netif->output = etharp_output;
    netif->output_ip6 = ethip6_output;
    netif->linkoutput = transmit;
    return ERR_OK;
}

void on_interrupt(uint32_t, void* context) {
    static_cast<NetDevice*>(context)->transport.take_interrupt_status();
    net::stack_wake();
}

ErrorOr<BufferBlock> allocate_buffers(unsigned order) {
    BufferBlock block;
    block.physical = TRY(mm::allocate_pages(order, mm::PageOwner::DeviceDma));
    block.memory = static_cast<uint8_t*>(mm::phys_to_virt(block.physical));
    return block;
}

}  // namespace

ErrorOr<void> start_virtio_net(MmioTransport transport) {
    auto* device = new (std::nothrow) NetDevice(transport);
    if (!device)
        return Error::NoMemory;
    auto set_up = [&]() -> ErrorOr<void> {
        uint64_t features = TRY(device->transport.negotiate(k_feature_mac));
        if (!(features & k_feature_mac))
            return Error::NotSupported;  // QEMU always gives one; no random MAC here
        if (features & k_feature_version_1)
            device->header_size = 12;
        device->receive = TRY(device->transport.setup_queue(k_receive_queue, k_receive_count));
        device->transmit = TRY(device->transport.setup_queue(k_transmit_queue, k_buffer_count));
        bool spares = mm::pmm_stats().total_pages >= k_spares_min_ram_pages;
        size_t receive_total = k_receive_count + (spares ? k_spare_count : 0);
        device->receive_slots = new (std::nothrow) ReceiveBuffer[receive_total];
        if (!device->receive_slots)
            return Error::NoMemory;
        BufferBlock ring = TRY(allocate_buffers(k_receive_order));
        BufferBlock spare_block = spares ? TRY(allocate_buffers(k_spare_order)) : BufferBlock {};
        for (size_t i = 0; i < receive_total; ++i) {
            ReceiveBuffer& receive = device->receive_slots[i];
            bool in_ring = i < k_receive_count;
            const BufferBlock& block = in_ring ? ring : spare_block;
            size_t at = in_ring ? i : i - k_receive_count;
            receive.custom.custom_free_function = return_receive_buffer;
            receive.device = device;
            receive.memory = block.at(at);
            receive.physical = block.physical_at(at);
            if (!in_ring) {
                receive.next_spare = device->spares;
                device->spares = &receive;
            }
        }
        device->transmit_buffers = TRY(allocate_buffers(k_transmit_order));
        for (size_t i = 0; i < k_buffer_count; ++i)
            device->free_transmit[device->free_transmit_count++] = static_cast<uint16_t>(i);
        return {};
    };
    if (auto result = set_up(); result.is_error()) {
        device->transport.fail();
        delete device;  // (queues and buffers already given stay allocated)
        return result.error();
    }
    {
        net::StackGuard guard;
        // A device with a smaller queue: the ring's buffers it has no room
        // for are spares.
        for (size_t i = 0; i < k_receive_count; ++i) {
            ReceiveBuffer& receive = device->receive_slots[i];
            if (i < device->receive->size()) {
                post_receive(*device, receive);
            } else {
                receive.next_spare = device->spares;
                device->spares = &receive;
            }
        }
        if (!netif_add(&device->netif, IP4_ADDR_ANY4, IP4_ADDR_ANY4, IP4_ADDR_ANY4, device, init_interface,
                       ethernet_input)) {
            device->transport.fail();
            return Error::NoDevice;
        }
        device->transmit->set_interrupts_wanted(false);  // flush_backlog asks when frames wait
        net::stack_add_poller(poll, device);
        if (auto intid = device->transport.interrupt())
            (void)arch::irq_register(*intid, on_interrupt, device, "virtio-net");
        device->transport.driver_ok();
        device->transport.notify(k_receive_queue);
        auto* interface_netif = &device->netif;
        net::stack_add_ethernet(interface_netif);
        kprintln("[virtio] virtio-net (mmio v{}) at {:#x}: {} {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
                 device->transport.version(), device->transport.physical_base(),
                 net::stack_interface_of(interface_netif)->name, interface_netif->hwaddr[0],
                 interface_netif->hwaddr[1], interface_netif->hwaddr[2], interface_netif->hwaddr[3],
                 interface_netif->hwaddr[4], interface_netif->hwaddr[5]);
    }
    return {};
}

}  // namespace akuma::drivers::virtio
