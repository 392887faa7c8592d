// virtio-blk (virtio 1.x section 5.2): a disk as a BlockDevice. Requests
// are a header (type, sector), the data buffers and a status byte, chained
// in the device's one request queue; several threads may have requests in
// flight, each sleeping until the device's interrupt completes its own.
#pragma once

#include "kernel/drivers/block_device.h"
#include "kernel/drivers/virtio/virtio_mmio.h"
#include "kernel/lib/error_or.h"

namespace akuma::drivers::virtio {

// Sets up the disk in `transport` (a Block device), names it vda, vdb, ...
// in order of calls, and returns it. NotSupported when the device refuses
// the features, NoMemory.
ErrorOr<BlockDevice*> create_virtio_block_device(MmioTransport transport);

}  // namespace akuma::drivers::virtio
