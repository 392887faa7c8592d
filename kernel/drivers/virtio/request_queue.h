// A virtqueue used the way block and entropy devices use theirs: a thread
// queues one chain of buffers and sleeps until the device has completed it.
// Any number of threads may have chains in flight; the device's interrupt
// (or, without one, the waiting threads themselves) takes completions out of
// the used ring and wakes their owners. A full queue makes a request wait
// for a completion. Multi-CPU safe: the ring is behind a spinlock, sleeping
// goes through the scheduler's wait queues.
#pragma once

#include <cstdint>
#include <span>

#include "kernel/drivers/virtio/virtio_mmio.h"
#include "kernel/drivers/virtio/virtqueue.h"
#include "kernel/lib/error_or.h"
#include "kernel/sched/spinlock.h"
#include "kernel/sched/wait_queue.h"

namespace akuma::drivers::virtio {

class RequestQueue {
public:
    // Sets up queue `index` of the device. The device's interrupt handler
    // calls handle_interrupt(); `interrupts` false: nobody will, so waiting
    // threads poll.
    ErrorOr<void> start(MmioTransport& transport, uint16_t index, uint16_t max_size);
    void set_interrupts(bool interrupts) { m_interrupts = interrupts; }

    // Queues `chain`, tells the device, and sleeps until the device has
    // completed it. Returns the bytes the device wrote into the chain.
    // Invalid for a chain longer than the queue.
    ErrorOr<uint32_t> run(std::span<const Buffer> chain);

    // From the device's interrupt handler: completes what the device has
    // finished and wakes the owners.
    void handle_interrupt();

    uint16_t size() const { return m_queue ? m_queue->size() : 0; }

private:
    struct Pending {
        uint32_t written;
        bool done;
    };
    bool collect_completions();

    MmioTransport* m_transport { nullptr };
    uint16_t m_index { 0 };
    Virtqueue* m_queue { nullptr };
    bool m_interrupts { false };
    IrqSpinLock m_lock;        // the virtqueue
    sched::WaitQueue m_done;   // requests waiting for their completion
    sched::WaitQueue m_space;  // requests waiting for free descriptors
};

}  // namespace akuma::drivers::virtio
