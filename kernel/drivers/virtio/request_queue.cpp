#include "kernel/drivers/virtio/request_queue.h"

#include "kernel/sched/scheduler.h"

namespace akuma::drivers::virtio {

ErrorOr<void> RequestQueue::start(MmioTransport& transport, uint16_t index, uint16_t max_size) {
    m_transport = &transport;
    m_index = index;
    m_queue = TRY(transport.setup_queue(index, max_size));
    return {};
}

ErrorOr<uint32_t> RequestQueue::run(std::span<const Buffer> chain) {
    if (chain.empty() || chain.size() > m_queue->size())
        return Error::Invalid;
    Pending pending { 0, false };
    for (;;) {
        {
            SpinLockGuard guard(m_lock);
            if (!m_queue->add(chain, &pending).is_error()) {
                if (m_queue->device_wants_notification())
                    m_transport->notify(m_index);
                break;
            }
        }
        // More requests in flight than descriptors: wait for a completion.
        if (!m_interrupts) {
            collect_completions();
            sched::yield();
            continue;
        }
        sched::SchedulerLockGuard guard;
        if (m_queue->free_descriptors() < chain.size())
            m_space.wait(guard);
    }
    if (!m_interrupts) {
        while (!__atomic_load_n(&pending.done, __ATOMIC_ACQUIRE)) {
            collect_completions();
            sched::yield();
        }
    } else {
        // The interrupt marks it done before it wakes (under the scheduler
        // lock, which this check holds): no wake-up is lost.
        sched::SchedulerLockGuard guard;
        while (!__atomic_load_n(&pending.done, __ATOMIC_ACQUIRE))
            m_done.wait(guard);
    }
    return pending.written;
}

bool RequestQueue::collect_completions() {
    bool any = false;
    SpinLockGuard guard(m_lock);
    while (auto completion = m_queue->take_used()) {
        if (auto* pending = static_cast<Pending*>(completion->token)) {
            pending->written = completion->written;
            __atomic_store_n(&pending->done, true, __ATOMIC_RELEASE);
        }
        any = true;
    }
    return any;
}

void RequestQueue::handle_interrupt() {
    if (!m_queue || !collect_completions())
        return;
    sched::SchedulerLockGuard guard;
    m_done.wake_all(guard);
    m_space.wake_all(guard);
}

}  // namespace akuma::drivers::virtio
