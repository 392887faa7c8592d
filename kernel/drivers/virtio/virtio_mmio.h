// The virtio-mmio transport (virtio 1.x section 4.2, and the legacy
// version 1 interface QEMU's virt machine offers by default): finding the
// device in a slot, the status and feature handshake, setting up
// virtqueues in memory the kernel allocates, the doorbell and the
// interrupt status. One object per device; the device driver (virtio_blk,
// virtio_rng) serialises its calls.
#pragma once

#include <cstdint>

#include "kernel/drivers/virtio/virtqueue.h"
#include "kernel/dt/platform_info.h"
#include "kernel/lib/error_or.h"

namespace akuma::drivers::virtio {

// Device IDs (virtio 1.x section 5).
enum class DeviceType : uint32_t { None = 0, Network = 1, Block = 2, Console = 3, Entropy = 4 };

constexpr uint64_t k_feature_version_1 = 1ull << 32;  // VIRTIO_F_VERSION_1

class MmioTransport {
public:
    // Maps the slot's registers and reads what is there. NotFound for an
    // empty slot (device ID 0), NotSupported for an unknown magic or version.
    static ErrorOr<MmioTransport> probe(const DeviceInfo& slot);

    DeviceType device_type() const { return m_type; }
    uint32_t version() const { return m_version; }
    uint64_t physical_base() const { return m_physical; }
    InterruptId interrupt() const { return m_interrupt; }

    // Reset, ACKNOWLEDGE, DRIVER, then the feature bits both sides know of
    // (`wanted` & the device's; VERSION_1 is added for a modern device) and,
    // for a modern device, FEATURES_OK checked. Returns the accepted bits.
    // NotSupported if the device refuses them.
    ErrorOr<uint64_t> negotiate(uint64_t wanted);

    // Allocates and registers queue `index` with up to `max_size`
    // descriptors (the device's maximum if smaller). NotFound when the
    // device has no such queue.
    ErrorOr<Virtqueue*> setup_queue(uint16_t index, uint16_t max_size);

    // The handshake's end: the device may start.
    void driver_ok();
    // Tells the device to give up (FAILED): on an error during set-up.
    void fail();

    void notify(uint16_t queue);
    // Reads and acknowledges the interrupt status (bit 0: a used ring
    // changed, bit 1: the configuration did).
    uint32_t take_interrupt_status();

    uint32_t config_u32(uint32_t offset) const;
    uint64_t config_u64(uint32_t offset) const;

private:
    MmioTransport() = default;
    uint32_t read(uint32_t offset) const;
    void write(uint32_t offset, uint32_t value);
    void set_status(uint32_t bits);

    uintptr_t m_base { 0 };
    uint64_t m_physical { 0 };
    InterruptId m_interrupt;
    DeviceType m_type { DeviceType::None };
    uint32_t m_version { 0 };
};

}  // namespace akuma::drivers::virtio
