// A split virtqueue (virtio 1.x, section 2.7; the same layout as legacy
// virtio's vring): a descriptor table, the driver's "available" ring and the
// device's "used" ring in one physically contiguous block of memory the
// driver allocates. This is the hardware-independent part: the free list of
// descriptors, putting a chain of buffers in the available ring, taking
// completed chains out of the used ring. The transport (virtio_mmio.h) tells
// the device where the rings are and rings its doorbell; the caller
// serialises calls (the driver's queue lock). Host-tested against a
// simulated device (tests/host/virtqueue_test.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "kernel/lib/error_or.h"

namespace akuma::drivers::virtio {

// One buffer of a request: where it is (a physical address: the device reads
// and writes memory directly) and which way the bytes go.
struct Buffer {
    uint64_t physical;
    uint32_t length;
    bool device_writes;  // VIRTQ_DESC_F_WRITE: the device fills it (a read)
};

struct Completion {
    void* token;      // what add() was given for the chain
    uint32_t written; // bytes the device wrote into the chain's buffers
};

class Virtqueue {
public:
    // Legacy virtio-mmio needs the used ring on a page boundary; the modern
    // transport accepts any suitably aligned rings, so one layout fits both.
    static constexpr size_t k_used_alignment = 4096;
    static constexpr uint16_t k_max_size = 256;

    // Bytes of memory for a queue of `size` descriptors (a power of two).
    static size_t memory_size(uint16_t size);

    // `memory` (memory_size(size) bytes, zeroed) is at `physical` for the
    // device; `size` is a power of two up to k_max_size.
    Virtqueue(uint16_t size, void* memory, uint64_t physical);

    uint16_t size() const { return m_size; }
    uint16_t free_descriptors() const { return m_free_count; }
    uint64_t descriptor_table_physical() const { return m_physical; }
    uint64_t available_ring_physical() const;
    uint64_t used_ring_physical() const;

    // Chains `buffers` (in order: the device reads the readable ones, then
    // fills the writable ones) and makes the chain available to the device.
    // TryAgain when fewer descriptors are free than buffers (wait for a
    // completion), Invalid for an empty chain or one longer than the queue.
    // The caller then notifies the device (unless it suppressed that).
    ErrorOr<void> add(std::span<const Buffer> buffers, void* token);

    // The next chain the device has finished, its descriptors freed; nullopt
    // when there is none (yet).
    std::optional<Completion> take_used();

    // Whether the device asked not to be notified (VIRTQ_USED_F_NO_NOTIFY).
    bool device_wants_notification() const;

    // Asks the device not to interrupt when it uses buffers
    // (VIRTQ_AVAIL_F_NO_INTERRUPT: a hint, it may still), or to again.
    void set_interrupts_wanted(bool wanted);
    // Whether the device has used a chain take_used() has not taken: after
    // asking for interrupts again, what came before the request raised none.
    bool has_used() const;

private:
    struct Descriptor;
    struct AvailableRing;
    struct UsedRing;

    uint16_t m_size;
    uint64_t m_physical;
    Descriptor* m_descriptors;
    AvailableRing* m_available;
    UsedRing* m_used;
    void* m_tokens[k_max_size] {};  // by head descriptor
    uint16_t m_free_head { 0 };
    uint16_t m_free_count;
    uint16_t m_last_used { 0 };  // next used-ring slot to look at
    uint16_t m_next_available { 0 };
};

}  // namespace akuma::drivers::virtio
