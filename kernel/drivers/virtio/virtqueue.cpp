#include "kernel/drivers/virtio/virtqueue.h"

namespace akuma::drivers::virtio {

namespace {

constexpr uint16_t k_descriptor_next = 1;    // VIRTQ_DESC_F_NEXT
constexpr uint16_t k_descriptor_write = 2;   // VIRTQ_DESC_F_WRITE
constexpr uint16_t k_used_no_notify = 1;     // VIRTQ_USED_F_NO_NOTIFY
constexpr uint16_t k_available_no_interrupt = 1;  // VIRTQ_AVAIL_F_NO_INTERRUPT

// The rings are shared with a device that reads and writes them directly:
// ordering must hold for an observer outside the inner shareable domain
// (Linux's virtio_wmb/virtio_rmb on arm64 are DMB OSH variants).
inline void device_barrier() {
#if defined(__aarch64__)
    asm volatile("dmb osh" ::: "memory");
#else
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
}

constexpr size_t align_up(size_t value, size_t alignment) { return (value + alignment - 1) & ~(alignment - 1); }

size_t descriptor_bytes(uint16_t size) { return 16u * size; }
size_t available_bytes(uint16_t size) { return 6u + 2u * size; }  // flags, idx, ring, used_event
size_t used_offset(uint16_t size) {
    return align_up(descriptor_bytes(size) + available_bytes(size), Virtqueue::k_used_alignment);
}

}  // namespace

struct Virtqueue::Descriptor {
    uint64_t address;
    uint32_t length;
    uint16_t flags;
    uint16_t next;
};

// The ring headers; the ring entries follow each directly.
struct Virtqueue::AvailableRing {
    uint16_t flags;
    uint16_t index;
    volatile uint16_t* ring() { return reinterpret_cast<volatile uint16_t*>(this + 1); }
};

struct Virtqueue::UsedRing {
    uint16_t flags;
    uint16_t index;
    struct Element {
        uint32_t id;
        uint32_t length;
    };
    volatile Element* ring() { return reinterpret_cast<volatile Element*>(this + 1); }
};

size_t Virtqueue::memory_size(uint16_t size) { return used_offset(size) + 6u + 8u * size; }

Virtqueue::Virtqueue(uint16_t size, void* memory, uint64_t physical)
    : m_size(size), m_physical(physical), m_free_count(size) {
    auto* bytes = static_cast<uint8_t*>(memory);
    m_descriptors = reinterpret_cast<Descriptor*>(bytes);
    m_available = reinterpret_cast<AvailableRing*>(bytes + descriptor_bytes(size));
    m_used = reinterpret_cast<UsedRing*>(bytes + used_offset(size));
    // Every descriptor on the free list, linked through `next`.
    for (uint16_t i = 0; i < size; ++i)
        m_descriptors[i].next = static_cast<uint16_t>(i + 1);
}

uint64_t Virtqueue::available_ring_physical() const { return m_physical + descriptor_bytes(m_size); }
uint64_t Virtqueue::used_ring_physical() const { return m_physical + used_offset(m_size); }

ErrorOr<void> Virtqueue::add(std::span<const Buffer> buffers, void* token) {
    if (buffers.empty() || buffers.size() > m_size)
        return Error::Invalid;
    if (buffers.size() > m_free_count)
        return Error::TryAgain;
    uint16_t head = m_free_head;
    uint16_t index = head;
    for (size_t i = 0; i < buffers.size(); ++i) {
        Descriptor& descriptor = m_descriptors[index];
        descriptor.address = buffers[i].physical;
        descriptor.length = buffers[i].length;
        bool last = i + 1 == buffers.size();
        descriptor.flags = static_cast<uint16_t>((buffers[i].device_writes ? k_descriptor_write : 0) |
                                                 (last ? 0 : k_descriptor_next));
        if (last)
            m_free_head = descriptor.next;  // the free list goes on after the chain
        else
            index = descriptor.next;        // chained through the free list's order
    }
    m_free_count = static_cast<uint16_t>(m_free_count - buffers.size());
    m_tokens[head] = token;
    volatile uint16_t* ring = m_available->ring();
    ring[m_next_available % m_size] = head;
    // The descriptors and the ring slot before the index that publishes them.
    device_barrier();
    ++m_next_available;
    *reinterpret_cast<volatile uint16_t*>(&m_available->index) = m_next_available;
    // The index before anything that follows (the notification, reading the
    // device's flags).
    device_barrier();
    return {};
}

std::optional<Completion> Virtqueue::take_used() {
    uint16_t device_index = *reinterpret_cast<volatile uint16_t*>(&m_used->index);
    if (device_index == m_last_used)
        return std::nullopt;
    device_barrier();  // the element after the index that published it
    volatile UsedRing::Element* element = &m_used->ring()[m_last_used % m_size];
    uint32_t head = element->id;
    uint32_t written = element->length;
    ++m_last_used;
    if (head >= m_size)
        return Completion { nullptr, 0 };  // a device bug; nothing to free
    Completion completion { m_tokens[head], written };
    m_tokens[head] = nullptr;
    // Back on the free list, the whole chain in front.
    uint16_t index = static_cast<uint16_t>(head);
    uint16_t freed = 1;
    while ((m_descriptors[index].flags & k_descriptor_next) && freed < m_size) {
        index = m_descriptors[index].next;
        ++freed;
    }
    m_descriptors[index].next = m_free_head;
    m_free_head = static_cast<uint16_t>(head);
    m_free_count = static_cast<uint16_t>(m_free_count + freed);
    return completion;
}

void Virtqueue::set_interrupts_wanted(bool wanted) {
    volatile uint16_t& flags = *reinterpret_cast<volatile uint16_t*>(&m_available->flags);
    flags = wanted ? 0 : k_available_no_interrupt;
    // The flag before the used index is looked at again (has_used).
    device_barrier();
}

bool Virtqueue::has_used() const {
    return *reinterpret_cast<const volatile uint16_t*>(&m_used->index) != m_last_used;
}

bool Virtqueue::device_wants_notification() const {
    return !(*reinterpret_cast<const volatile uint16_t*>(&m_used->flags) & k_used_no_notify);
}

}  // namespace akuma::drivers::virtio
