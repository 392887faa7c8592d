// The virtio devices in the device tree's virtio-mmio slots: each one found
// is set up by its driver (virtio-blk disks register as block devices). At
// boot, after interrupts and threads and before the VFS (disks become /dev
// nodes). A device that cannot be set up is reported and left alone.
#pragma once

#include "kernel/dt/platform_info.h"

namespace akuma::drivers::virtio {

void probe_devices(const PlatformInfo& platform);

}  // namespace akuma::drivers::virtio
