// What the kernel learns about the machine from the device tree: RAM,
// reserved memory, /chosen, and the devices it drives (QEMU virt). Fixed
// capacity, no heap; string_views point into the DTB, which must stay mapped.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "kernel/dt/fdt.h"
#include "kernel/lib/error_or.h"

namespace akuma {

struct PhysicalRange {
    uint64_t base;
    uint64_t size;
};

// Interrupts are GIC INTIDs (SPI n -> 32 + n, PPI n -> 16 + n); nullopt when
// the node has none, or its interrupt parent is not the GIC found (`gic`,
// which must use 3-cell specifiers), or the specifier is malformed.
using InterruptId = std::optional<uint32_t>;

struct DeviceInfo {
    PhysicalRange range;
    InterruptId interrupt;
};

enum class GicVersion : uint8_t { V2 = 2, V3 = 3 };

struct GicInfo {
    GicVersion version;
    PhysicalRange distributor;
    PhysicalRange cpu_interface; // GICv2 only (GICC)
    PhysicalRange redistributor; // GICv3 only: the first GICR region
};

// The four PPIs of arm,armv8-timer, in binding order.
struct TimerInfo {
    InterruptId secure_physical;
    InterruptId nonsecure_physical;
    InterruptId virtual_timer;
    InterruptId hypervisor;
};

enum class PsciMethod : uint8_t { Hvc, Smc };

struct InitrdRange {
    uint64_t start;
    uint64_t end; // exclusive
};

struct PlatformInfo {
    static constexpr size_t k_max_memory_ranges = 16;
    static constexpr size_t k_max_reserved_ranges = 32;
    static constexpr size_t k_max_virtio_slots = 64;

    // Dropping RAM past the cap is safe (less memory), so it only sets the
    // flag; dropping a reservation is not, so that fails the parse instead.
    std::array<PhysicalRange, k_max_memory_ranges> memory_ranges {};
    size_t memory_range_count { 0 };
    bool memory_ranges_truncated { false };
    uint64_t total_memory { 0 };

    std::array<PhysicalRange, k_max_reserved_ranges> reserved_ranges {};
    size_t reserved_range_count { 0 };

    std::string_view bootargs;
    std::string_view stdout_path; // as written, options (":115200") included
    std::optional<InitrdRange> initrd;
    // Random bytes from the boot loader (/chosen/rng-seed, any length;
    // kaslr-seed, 8 bytes): QEMU virt fills both from the host's generator.
    std::span<const uint8_t> rng_seed;
    std::optional<uint64_t> kaslr_seed;

    std::optional<DeviceInfo> uart; // arm,pl011
    std::optional<GicInfo> gic;
    std::optional<TimerInfo> timer;
    std::optional<DeviceInfo> rtc; // arm,pl031

    std::array<DeviceInfo, k_max_virtio_slots> virtio_slots {};
    size_t virtio_slot_count { 0 };
    bool virtio_slots_truncated { false };

    std::optional<PsciMethod> psci_method;

    uint32_t cpu_count { 0 };
    std::string_view cpu_compatible; // first compatible string of the first cpu

    std::span<const PhysicalRange> memory() const {
        return std::span(memory_ranges).first(memory_range_count);
    }
    std::span<const PhysicalRange> reserved() const {
        return std::span(reserved_ranges).first(reserved_range_count);
    }
    std::span<const DeviceInfo> virtio() const { return std::span(virtio_slots).first(virtio_slot_count); }
};

// Errors: NotFound (no usable RAM), Invalid (a malformed memory or
// reservation entry), TooBig (more reservations than fit), Overflow (a range
// wraps, or total RAM does). Malformed optional devices are left out instead.
ErrorOr<PlatformInfo> parse_platform_info(const Fdt& fdt);

} // namespace akuma
