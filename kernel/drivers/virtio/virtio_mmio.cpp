#include "kernel/drivers/virtio/virtio_mmio.h"

#include <new>

#include "kernel/arch/aarch64/kernel_page_tables.h"
#include "kernel/lib/kprint.h"
#include "kernel/mm/pmm.h"

namespace akuma::drivers::virtio {

namespace {

// Register offsets (virtio 1.x section 4.2.2; "legacy" ones from 4.2.4).
constexpr uint32_t k_magic = 0x000;
constexpr uint32_t k_version = 0x004;
constexpr uint32_t k_device_id = 0x008;
constexpr uint32_t k_device_features = 0x010;
constexpr uint32_t k_device_features_select = 0x014;
constexpr uint32_t k_driver_features = 0x020;
constexpr uint32_t k_driver_features_select = 0x024;
constexpr uint32_t k_legacy_guest_page_size = 0x028;
constexpr uint32_t k_queue_select = 0x030;
constexpr uint32_t k_queue_size_max = 0x034;
constexpr uint32_t k_queue_size = 0x038;
constexpr uint32_t k_legacy_queue_align = 0x03c;
constexpr uint32_t k_legacy_queue_pfn = 0x040;
constexpr uint32_t k_queue_ready = 0x044;
constexpr uint32_t k_queue_notify = 0x050;
constexpr uint32_t k_interrupt_status = 0x060;
constexpr uint32_t k_interrupt_ack = 0x064;
constexpr uint32_t k_status = 0x070;
constexpr uint32_t k_queue_descriptors_low = 0x080;
constexpr uint32_t k_queue_descriptors_high = 0x084;
constexpr uint32_t k_queue_driver_low = 0x090;
constexpr uint32_t k_queue_driver_high = 0x094;
constexpr uint32_t k_queue_device_low = 0x0a0;
constexpr uint32_t k_queue_device_high = 0x0a4;
constexpr uint32_t k_config_generation = 0x0fc;
constexpr uint32_t k_config = 0x100;

constexpr uint32_t k_magic_value = 0x74726976;  // "virt"
constexpr uint32_t k_slot_size = 0x200;

constexpr uint32_t k_status_acknowledge = 1;
constexpr uint32_t k_status_driver = 2;
constexpr uint32_t k_status_driver_ok = 4;
constexpr uint32_t k_status_features_ok = 8;
constexpr uint32_t k_status_failed = 128;

}  // namespace

ErrorOr<MmioTransport> MmioTransport::probe(const DeviceInfo& slot) {
    if (slot.range.size < k_slot_size)
        return Error::Invalid;
    MmioTransport transport;
    transport.m_base = TRY(arch::mmio_map(slot.range.base, slot.range.size));
    transport.m_physical = slot.range.base;
    transport.m_interrupt = slot.interrupt;
    if (transport.read(k_magic) != k_magic_value)
        return Error::NotSupported;
    transport.m_version = transport.read(k_version);
    if (transport.m_version != 1 && transport.m_version != 2)
        return Error::NotSupported;
    transport.m_type = static_cast<DeviceType>(transport.read(k_device_id));
    if (transport.m_type == DeviceType::None)
        return Error::NotFound;
    return transport;
}

uint32_t MmioTransport::read(uint32_t offset) const {
    return *reinterpret_cast<volatile uint32_t*>(m_base + offset);
}

void MmioTransport::write(uint32_t offset, uint32_t value) {
    *reinterpret_cast<volatile uint32_t*>(m_base + offset) = value;
}

void MmioTransport::set_status(uint32_t bits) { write(k_status, read(k_status) | bits); }

ErrorOr<uint64_t> MmioTransport::negotiate(uint64_t wanted) {
    write(k_status, 0);  // reset
    set_status(k_status_acknowledge);
    set_status(k_status_driver);
    uint64_t offered = 0;
    for (uint32_t word = 0; word < 2; ++word) {
        write(k_device_features_select, word);
        offered |= static_cast<uint64_t>(read(k_device_features)) << (32 * word);
    }
    if (m_version == 2) {
        if (!(offered & k_feature_version_1))
            return Error::NotSupported;  // a modern transport must offer it
        wanted |= k_feature_version_1;
    }
    uint64_t accepted = offered & wanted;
    for (uint32_t word = 0; word < 2; ++word) {
        write(k_driver_features_select, word);
        write(k_driver_features, static_cast<uint32_t>(accepted >> (32 * word)));
    }
    if (m_version == 2) {
        set_status(k_status_features_ok);
        if (!(read(k_status) & k_status_features_ok)) {
            fail();
            return Error::NotSupported;
        }
    } else {
        write(k_legacy_guest_page_size, 4096);
    }
    return accepted;
}

ErrorOr<Virtqueue*> MmioTransport::setup_queue(uint16_t index, uint16_t max_size) {
    write(k_queue_select, index);
    if (m_version == 2 ? read(k_queue_ready) != 0 : read(k_legacy_queue_pfn) != 0)
        return Error::Busy;
    uint32_t device_max = read(k_queue_size_max);
    if (device_max == 0)
        return Error::NotFound;
    uint32_t size = max_size;
    if (size > Virtqueue::k_max_size)
        size = Virtqueue::k_max_size;
    while (size > device_max)
        size >>= 1;  // a power of two the device accepts
    size_t bytes = Virtqueue::memory_size(static_cast<uint16_t>(size));
    uint64_t pages = (bytes + mm::k_page_size - 1) / mm::k_page_size;
    auto memory = TRY(mm::allocate_contiguous(pages, 1, mm::PageOwner::DeviceDma));
    __builtin_memset(mm::phys_to_virt(memory), 0, pages * mm::k_page_size);
    auto* queue = new (std::nothrow) Virtqueue(static_cast<uint16_t>(size), mm::phys_to_virt(memory), memory);
    if (!queue) {
        mm::free_contiguous(memory, pages);
        return Error::NoMemory;
    }
    write(k_queue_size, size);
    if (m_version == 2) {
        write(k_queue_descriptors_low, static_cast<uint32_t>(queue->descriptor_table_physical()));
        write(k_queue_descriptors_high, static_cast<uint32_t>(queue->descriptor_table_physical() >> 32));
        write(k_queue_driver_low, static_cast<uint32_t>(queue->available_ring_physical()));
        write(k_queue_driver_high, static_cast<uint32_t>(queue->available_ring_physical() >> 32));
        write(k_queue_device_low, static_cast<uint32_t>(queue->used_ring_physical()));
        write(k_queue_device_high, static_cast<uint32_t>(queue->used_ring_physical() >> 32));
        write(k_queue_ready, 1);
    } else {
        write(k_legacy_queue_align, Virtqueue::k_used_alignment);
        write(k_legacy_queue_pfn, static_cast<uint32_t>(memory / mm::k_page_size));
    }
    return queue;
}

void MmioTransport::driver_ok() { set_status(k_status_driver_ok); }

void MmioTransport::fail() { set_status(k_status_failed); }

void MmioTransport::notify(uint16_t queue) {
    // The ring updates (Virtqueue::add ends with a barrier) before the doorbell.
    asm volatile("dsb st" ::: "memory");
    write(k_queue_notify, queue);
}

uint32_t MmioTransport::take_interrupt_status() {
    uint32_t status = read(k_interrupt_status);
    if (status)
        write(k_interrupt_ack, status);
    return status;
}

// Configuration reads: a modern device's generation counter makes a
// multi-word read consistent; legacy devices have none (it reads 0).
uint32_t MmioTransport::config_u32(uint32_t offset) const { return read(k_config + offset); }

uint64_t MmioTransport::config_u64(uint32_t offset) const {
    for (;;) {
        uint32_t generation = read(k_config_generation);
        uint64_t value = read(k_config + offset) | static_cast<uint64_t>(read(k_config + offset + 4)) << 32;
        if (read(k_config_generation) == generation)
            return value;
    }
}

}  // namespace akuma::drivers::virtio
