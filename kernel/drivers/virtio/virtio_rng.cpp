#include "kernel/drivers/virtio/virtio_rng.h"

#include <new>

#include "kernel/arch/aarch64/irq.h"
#include "kernel/drivers/virtio/request_queue.h"
#include "kernel/lib/kprint.h"
#include "kernel/mm/pmm.h"
#include "kernel/sched/mutex.h"

namespace akuma::drivers::virtio {

namespace {

struct EntropyDevice {
    explicit EntropyDevice(MmioTransport t) : transport(t) {}
    MmioTransport transport;
    RequestQueue requests;
    // The device writes into this page; one reader at a time uses it.
    sched::Mutex buffer_lock;
    uint8_t* buffer { nullptr };
    uint64_t buffer_physical { 0 };
};

constinit EntropyDevice* g_device = nullptr;

void on_interrupt(uint32_t, void* context) {
    auto* device = static_cast<EntropyDevice*>(context);
    device->transport.take_interrupt_status();
    device->requests.handle_interrupt();
}

}  // namespace

ErrorOr<void> start_virtio_rng(MmioTransport transport) {
    if (g_device)
        return Error::Busy;
    auto* device = new (std::nothrow) EntropyDevice(transport);
    if (!device)
        return Error::NoMemory;
    auto set_up = [&]() -> ErrorOr<void> {
        TRY(device->transport.negotiate(0));  // virtio-rng has no features
        TRY(device->requests.start(device->transport, 0, 8));
        device->buffer_physical = TRY(mm::allocate_pages(0, mm::PageOwner::DeviceDma));
        device->buffer = static_cast<uint8_t*>(mm::phys_to_virt(device->buffer_physical));
        bool interrupts = false;
        if (auto intid = device->transport.interrupt())
            interrupts = !arch::irq_register(*intid, on_interrupt, device, "virtio-rng").is_error();
        device->requests.set_interrupts(interrupts);
        device->transport.driver_ok();
        return {};
    };
    if (auto result = set_up(); result.is_error()) {
        device->transport.fail();
        delete device;  // (a queue already given to the device stays allocated)
        return result.error();
    }
    kprintln("[virtio] virtio-rng (mmio v{}) at {:#x}: an entropy source", device->transport.version(),
             device->transport.physical_base());
    __atomic_store_n(&g_device, device, __ATOMIC_RELEASE);
    return {};
}

ErrorOr<size_t> virtio_rng_read(std::span<uint8_t> buffer) {
    EntropyDevice* device = __atomic_load_n(&g_device, __ATOMIC_ACQUIRE);
    if (!device)
        return Error::NoDevice;
    size_t wanted = buffer.size() < mm::k_page_size ? buffer.size() : mm::k_page_size;
    if (wanted == 0)
        return size_t { 0 };
    sched::MutexGuard guard(device->buffer_lock);
    Buffer chain[] = { { device->buffer_physical, static_cast<uint32_t>(wanted), true } };
    uint32_t written = TRY(device->requests.run(chain));
    if (written > wanted)
        written = static_cast<uint32_t>(wanted);  // a device bug: never more than the buffer
    __builtin_memcpy(buffer.data(), device->buffer, written);
    return size_t { written };
}

}  // namespace akuma::drivers::virtio
