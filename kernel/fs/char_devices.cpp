#include "kernel/fs/char_devices.h"

#include "kernel/sched/mutex.h"

namespace akuma::fs {

namespace {

constexpr size_t k_max_devices = 32;

// Written at boot only; entries never move or go away, so readers that saw
// the count may look at the entries below it without the lock.
constinit sched::Mutex g_lock {};
constinit CharDevice g_devices[k_max_devices] {};
constinit size_t g_count = 0;

}  // namespace

ErrorOr<void> register_char_device(const CharDevice& device) {
    sched::MutexGuard guard(g_lock);
    if (g_count == k_max_devices)
        return Error::OutOfRange;
    for (size_t i = 0; i < g_count; ++i) {
        if (g_devices[i].number == device.number)
            return Error::Exists;
    }
    g_devices[g_count] = device;
    __atomic_store_n(&g_count, g_count + 1, __ATOMIC_RELEASE);
    return {};
}

size_t detail::char_device_count() { return __atomic_load_n(&g_count, __ATOMIC_ACQUIRE); }

const CharDevice& detail::char_device_at(size_t index) { return g_devices[index]; }

ErrorOr<File*> open_char_device(const InodeRef& node, uint32_t flags) {
    DeviceNumber number = node->rdev();
    for (size_t i = 0; i < detail::char_device_count(); ++i) {
        const CharDevice& device = g_devices[i];
        if (device.number.major == number.major && number.minor >= device.number.minor &&
            number.minor - device.number.minor < device.minor_count)
            return device.open(node, flags);
    }
    return Error::NoDeviceOrAddress;
}

}  // namespace akuma::fs
