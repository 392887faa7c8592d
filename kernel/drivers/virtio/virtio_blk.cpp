#include "kernel/drivers/virtio/virtio_blk.h"

#include <new>

#include "kernel/arch/aarch64/irq.h"
#include "kernel/arch/aarch64/kernel_page_tables.h"
#include "kernel/lib/kprint.h"
#include "kernel/drivers/virtio/request_queue.h"
#include "kernel/mm/pmm.h"
#include "kernel/sched/scheduler.h"
#include "kernel/sched/spinlock.h"
#include "kernel/sched/wait_queue.h"

namespace akuma::drivers::virtio {

namespace {

// Feature bits (section 5.2.3).
constexpr uint64_t k_feature_size_max = 1ull << 1;
constexpr uint64_t k_feature_seg_max = 1ull << 2;
constexpr uint64_t k_feature_read_only = 1ull << 5;
constexpr uint64_t k_feature_flush = 1ull << 9;

// Configuration space offsets.
constexpr uint32_t k_config_capacity = 0;  // u64, 512-byte sectors
constexpr uint32_t k_config_size_max = 8;  // u32
constexpr uint32_t k_config_seg_max = 12;  // u32

// Request types and status values.
constexpr uint32_t k_request_in = 0;     // read
constexpr uint32_t k_request_out = 1;    // write
constexpr uint32_t k_request_flush = 4;
constexpr uint8_t k_status_ok = 0;

constexpr uint16_t k_queue_size = 128;
// One request moves at most this much; larger transfers are several
// requests (in flight together).
constexpr size_t k_max_request_bytes = 64 * 1024;
constexpr size_t k_max_segments = k_max_request_bytes / mm::k_page_size + 1;  // an unaligned buffer spans one more
// Request slots: the header and status byte the device reads and writes.
constexpr size_t k_slots = 32;

struct RequestHeader {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
};

// What the device reads and writes for one request, in DMA memory.
struct SlotMemory {
    RequestHeader header;
    uint8_t status;
    uint8_t padding[7];
};
static_assert(sizeof(SlotMemory) == 24);

// The physical address of kernel memory: the linear map, or a page-granular
// mapping (kernel stacks, vm_allocate) through the kernel's tables.
std::optional<uint64_t> physical_address(const void* address) {
    auto va = reinterpret_cast<uint64_t>(address);
    if (va >= mm::k_linear_map_base && va < mm::k_linear_map_limit)
        return mm::linear_virt_to_phys(address);
    auto translation = arch::query_kernel(va & ~(mm::k_page_size - 1));
    if (!translation)
        return std::nullopt;
    return translation->physical + (va & (mm::k_page_size - 1));
}

class VirtioBlockDevice final : public BlockDevice {
public:
    VirtioBlockDevice(MmioTransport transport, unsigned index) : m_transport(transport) {
        m_name[0] = 'v';
        m_name[1] = 'd';
        m_name[2] = static_cast<char>('a' + index);
    }

    ErrorOr<void> start() {
        uint64_t features = TRY(m_transport.negotiate(k_feature_read_only | k_feature_flush | k_feature_seg_max |
                                                       k_feature_size_max));
        m_read_only = features & k_feature_read_only;
        m_flush = features & k_feature_flush;
        m_sectors = m_transport.config_u64(k_config_capacity);
        m_max_segments = k_max_segments;
        if (features & k_feature_seg_max) {
            uint32_t segments = m_transport.config_u32(k_config_seg_max);
            if (segments >= 1 && segments < m_max_segments)
                m_max_segments = segments;
        }
        m_max_segment_bytes = mm::k_page_size;
        if (features & k_feature_size_max) {
            uint32_t size_max = m_transport.config_u32(k_config_size_max);
            if (size_max >= 512 && size_max < m_max_segment_bytes)
                m_max_segment_bytes = size_max & ~uint32_t(511);
        }
        TRY(m_requests.start(m_transport, 0, k_queue_size));
        m_slot_memory_physical = TRY(mm::allocate_pages(0, mm::PageOwner::DeviceDma));
        m_slot_memory = static_cast<SlotMemory*>(mm::phys_to_virt(m_slot_memory_physical));
        __builtin_memset(m_slot_memory, 0, mm::k_page_size);
        if (auto intid = m_transport.interrupt()) {
            if (arch::irq_register(*intid, on_interrupt, this, "virtio-blk").is_error())
                kprintln("[virtio] {}: interrupt {} unavailable: polling", name(), *intid);
            else
                m_interrupts = true;
        }
        m_requests.set_interrupts(m_interrupts);
        m_transport.driver_ok();
        kprintln("[virtio] {}: virtio-blk (mmio v{}) at {:#x}, {} sectors ({} MiB){}{}, queue of {}{}", name(),
                 m_transport.version(), m_transport.physical_base(), m_sectors, m_sectors >> 11,
                 m_read_only ? ", read-only" : "", m_flush ? ", write cache (flush)" : "", m_requests.size(),
                 m_interrupts ? "" : ", polled");
        return {};
    }

    std::string_view name() const override { return { m_name, 3 }; }
    uint64_t sector_count() const override { return m_sectors; }
    bool read_only() const override { return m_read_only; }

    ErrorOr<void> read_sectors(uint64_t first_sector, std::span<uint8_t> buffer) override {
        return transfer(k_request_in, first_sector, buffer.data(), buffer.size());
    }

    ErrorOr<void> write_sectors(uint64_t first_sector, std::span<const uint8_t> data) override {
        if (m_read_only)
            return Error::ReadOnlyFs;
        return transfer(k_request_out, first_sector, const_cast<uint8_t*>(data.data()), data.size());
    }

    ErrorOr<void> flush() override {
        if (!m_flush)
            return {};  // no volatile cache: every write is on the disk when it completes
        return request(k_request_flush, 0, nullptr, 0);
    }

private:
    ErrorOr<void> transfer(uint32_t type, uint64_t sector, uint8_t* buffer, size_t bytes) {
        if (bytes % k_sector_size != 0)
            return Error::Invalid;
        uint64_t count = bytes / k_sector_size;
        if (sector > m_sectors || count > m_sectors - sector)
            return Error::OutOfRange;
        while (bytes > 0) {
            size_t chunk = bytes < k_max_request_bytes ? bytes : k_max_request_bytes;
            TRY(request(type, sector, buffer, chunk));
            buffer += chunk;
            bytes -= chunk;
            sector += chunk / k_sector_size;
        }
        return {};
    }

    ErrorOr<void> request(uint32_t type, uint64_t sector, uint8_t* data, size_t bytes) {
        std::span<uint8_t> one[] = { { data, bytes } };
        return request(type, sector, std::span<const std::span<uint8_t>>(one, bytes ? 1 : 0));
    }

    ErrorOr<void> read_sectors_scattered(uint64_t first_sector, std::span<const std::span<uint8_t>> buffers) override {
        if (!fits_one_request(first_sector, buffers))
            return BlockDevice::read_sectors_scattered(first_sector, buffers);  // one request each
        return request(k_request_in, first_sector, buffers);
    }

    ErrorOr<void> write_sectors_scattered(uint64_t first_sector,
                                          std::span<const std::span<const uint8_t>> buffers) override {
        if (m_read_only)
            return Error::ReadOnlyFs;
        if (!fits_one_request(first_sector, buffers))
            return BlockDevice::write_sectors_scattered(first_sector, buffers);  // one request each
        // The device only reads these buffers (k_request_out).
        static_assert(sizeof(std::span<const uint8_t>) == sizeof(std::span<uint8_t>));
        return request(k_request_out, first_sector,
                       { reinterpret_cast<const std::span<uint8_t>*>(buffers.data()), buffers.size() });
    }

    // Whether scattered buffers can go as one request: whole sectors, inside
    // the disk, at most k_max_request_bytes in at most k_max_segments pieces.
    template <typename Byte>
    bool fits_one_request(uint64_t first_sector, std::span<const std::span<Byte>> buffers) const {
        size_t bytes = 0;
        for (auto buffer : buffers) {
            if (buffer.size() % k_sector_size != 0)
                return false;  // the one-by-one path reports Invalid
            bytes += buffer.size();
        }
        uint64_t count = bytes / k_sector_size;
        return bytes <= k_max_request_bytes && buffers.size() <= k_max_segments && first_sector <= m_sectors &&
               count <= m_sectors - first_sector;
    }

    // One request: its buffers cut where the physical pages are not
    // contiguous, queued, and waited for.
    ErrorOr<void> request(uint32_t type, uint64_t sector, std::span<const std::span<uint8_t>> pieces) {
        Buffer chain[k_max_segments + 2];
        size_t links = 1;  // the header first
        bool device_writes = type == k_request_in;
        for (auto piece : pieces) {
            uint8_t* data = piece.data();
            size_t bytes = piece.size();
            for (size_t done = 0; done < bytes;) {
                auto physical = physical_address(data + done);
                if (!physical)
                    return Error::Fault;
                size_t in_page = mm::k_page_size - (*physical & (mm::k_page_size - 1));
                size_t length = bytes - done < in_page ? bytes - done : in_page;
                Buffer& last = chain[links - 1];
                if (links > 1 && last.physical + last.length == *physical &&
                    last.length + length <= m_max_segment_bytes) {
                    last.length += static_cast<uint32_t>(length);
                } else {
                    if (links - 1 >= m_max_segments)
                        return Error::Invalid;  // cannot happen for <= 64 KiB unless the device says seg_max < 17
                    chain[links++] = { *physical, static_cast<uint32_t>(length), device_writes };
                }
                done += length;
            }
        }
        size_t slot = TRY(take_slot());
        SlotMemory& memory = m_slot_memory[slot];
        memory.header = { type, 0, sector };
        memory.status = 0xff;
        uint64_t slot_physical = m_slot_memory_physical + slot * sizeof(SlotMemory);
        chain[0] = { slot_physical, sizeof(RequestHeader), false };
        chain[links++] = { slot_physical + offsetof(SlotMemory, status), 1, true };
        auto ran = m_requests.run({ chain, links });
        uint8_t status = __atomic_load_n(&memory.status, __ATOMIC_ACQUIRE);
        give_back_slot(slot);
        TRY(ran);
        if (status != k_status_ok) {
            kprintln("[virtio] {}: {} of sector {} failed (status {})", name(),
                     type == k_request_in ? "read" : type == k_request_out ? "write" : "flush", sector, status);
            return Error::IoError;
        }
        return {};
    }

    ErrorOr<size_t> take_slot() {
        for (;;) {
            {
                SpinLockGuard guard(m_lock);
                for (size_t i = 0; i < k_slots; ++i) {
                    if (!(m_slots_used & (1ull << i))) {
                        m_slots_used |= 1ull << i;
                        return i;
                    }
                }
            }
            sched::SchedulerLockGuard guard;
            if (__atomic_load_n(&m_slots_used, __ATOMIC_ACQUIRE) == (1ull << k_slots) - 1)
                m_slot_waiters.wait(guard);  // woken when a slot comes free
        }
    }

    void give_back_slot(size_t slot) {
        {
            SpinLockGuard guard(m_lock);
            m_slots_used &= ~(1ull << slot);
        }
        sched::SchedulerLockGuard guard;
        m_slot_waiters.wake_all(guard);
    }

    static void on_interrupt(uint32_t, void* context) {
        auto* self = static_cast<VirtioBlockDevice*>(context);
        self->m_transport.take_interrupt_status();
        self->m_requests.handle_interrupt();
    }

    MmioTransport m_transport;
    char m_name[4] {};
    uint64_t m_sectors { 0 };
    bool m_read_only { false };
    bool m_flush { false };
    bool m_interrupts { false };
    size_t m_max_segments { k_max_segments };
    size_t m_max_segment_bytes { mm::k_page_size };
    RequestQueue m_requests;
    SlotMemory* m_slot_memory { nullptr };
    uint64_t m_slot_memory_physical { 0 };
    IrqSpinLock m_lock;  // the slot bitmap
    uint64_t m_slots_used { 0 };
    sched::WaitQueue m_slot_waiters;  // requests waiting for a free slot
};

constinit unsigned g_disks = 0;

}  // namespace

ErrorOr<BlockDevice*> create_virtio_block_device(MmioTransport transport) {
    if (g_disks >= 26)
        return Error::OutOfRange;
    auto* device = new (std::nothrow) VirtioBlockDevice(transport, g_disks);
    if (!device)
        return Error::NoMemory;
    if (auto started = device->start(); started.is_error()) {
        transport.fail();
        delete device;
        return started.error();
    }
    ++g_disks;
    return device;
}

}  // namespace akuma::drivers::virtio
