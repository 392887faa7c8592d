// virtio-rng (virtio 1.x section 5.4): the host's entropy source as bytes
// the kernel asks for. One request queue; the driver hands the device
// writable buffers and it fills them.
#pragma once

#include <cstddef>
#include <span>

#include "kernel/drivers/virtio/virtio_mmio.h"
#include "kernel/lib/error_or.h"

namespace akuma::drivers::virtio {

// Sets up the device (the first one found; later ones are left alone:
// Busy).
ErrorOr<void> start_virtio_rng(MmioTransport transport);
// Fills `buffer` (at most a page at a time) with the device's bytes; may
// sleep. Returns how many it gave (it may give fewer than asked).
// NoDevice without a device.
ErrorOr<size_t> virtio_rng_read(std::span<uint8_t> buffer);

}  // namespace akuma::drivers::virtio
