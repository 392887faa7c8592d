// virtio-net (virtio 1.x section 5.1) on the mmio transport: one receive
// and one transmit queue, the MAC address from the device, no offloads
// (QEMU's user network gains nothing from them under emulation). The
// device becomes an lwIP Ethernet interface (ethN, kernel/net/stack.h),
// configured by DHCP.
//
// Interrupts only wake the network thread; it takes received frames out
// of the receive queue, hands them to lwIP and gives the buffers back, and
// reclaims sent transmit buffers, all under the stack lock, which also
// covers lwIP's transmit path: both queues are only ever touched under it.
#pragma once

#include "kernel/drivers/virtio/virtio_mmio.h"
#include "kernel/lib/error_or.h"

namespace akuma::drivers::virtio {

ErrorOr<void> start_virtio_net(MmioTransport transport);

}  // namespace akuma::drivers::virtio
