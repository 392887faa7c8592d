#include "kernel/drivers/virtio/virtio.h"

#include "kernel/crypto/random.h"
#include "kernel/crypto/secure_erase.h"
#include "kernel/drivers/virtio/virtio_blk.h"
#include "kernel/drivers/virtio/virtio_mmio.h"
#include "kernel/drivers/virtio/virtio_net.h"
#include "kernel/drivers/virtio/virtio_rng.h"
#include "kernel/fs/block_devices.h"
#include "kernel/lib/kprint.h"

namespace akuma::drivers::virtio {

namespace {

const char* type_name(DeviceType type) {
    switch (type) {
    case DeviceType::None: return "none";
    case DeviceType::Network: return "virtio-net";
    case DeviceType::Block: return "virtio-blk";
    case DeviceType::Console: return "virtio-console";
    case DeviceType::Entropy: return "virtio-rng";
    }
    return "unknown";
}

void start_block_device(MmioTransport transport) {
    auto disk = create_virtio_block_device(transport);
    if (disk.is_error()) {
        kprintln("[virtio] disk at {:#x} not usable: {}", transport.physical_base(), error_name(disk.error()));
        return;
    }
    if (auto registered = fs::register_block_device(*disk.value()); registered.is_error())
        kprintln("[virtio] {}: no block device number left: {}", disk.value()->name(), error_name(registered.error()));
}

// The host's entropy into the kernel's generator: 256 bits, credited in
// full (the device is the hypervisor's own source, as Linux's virtio-rng
// hwrng is trusted by default).
void seed_from_virtio_rng() {
    uint8_t bytes[32];
    auto read = virtio_rng_read(bytes);
    if (read.is_error() || read.value() == 0) {
        kprintln("[Random] virtio-rng gave nothing: {}", read.is_error() ? error_name(read.error()) : "0 bytes");
        return;
    }
    random_add_hardware_entropy({ bytes, read.value() }, static_cast<unsigned>(read.value() * 8));
    kprintln("[Random] {} bits from virtio-rng", read.value() * 8);
    crypto::secure_erase(bytes, sizeof bytes);
}

}  // namespace

void probe_devices(const PlatformInfo& platform) {
    for (const DeviceInfo& slot : platform.virtio()) {
        auto transport = MmioTransport::probe(slot);
        if (transport.is_error()) {
            if (transport.error() != Error::NotFound)
                kprintln("[virtio] slot at {:#x} unusable: {}", slot.range.base, error_name(transport.error()));
            continue;
        }
        switch (transport.value().device_type()) {
        case DeviceType::Block: start_block_device(transport.value()); break;
        case DeviceType::Network:
            if (auto started = start_virtio_net(transport.value()); started.is_error())
                kprintln("[virtio] virtio-net at {:#x} not usable: {}", slot.range.base, error_name(started.error()));
            break;
        case DeviceType::Entropy:
            if (auto started = start_virtio_rng(transport.value()); started.is_error())
                kprintln("[virtio] virtio-rng at {:#x} not usable: {}", slot.range.base, error_name(started.error()));
            else
                seed_from_virtio_rng();
            break;
        default:
            kprintln("[virtio] {} (device ID {}) at {:#x}: no driver", type_name(transport.value().device_type()),
                     static_cast<uint32_t>(transport.value().device_type()), slot.range.base);
            break;
        }
    }
}

}  // namespace akuma::drivers::virtio
