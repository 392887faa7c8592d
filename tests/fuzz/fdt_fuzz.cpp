// libFuzzer target for the device tree reader: arbitrary bytes through
// Fdt::from_bytes, every accessor, and parse_platform_info.
// Seed corpus: tests/fuzz/corpus/fdt/ (the QEMU trees of tests/host/data).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "kernel/dt/fdt.h"
#include "kernel/dt/platform_info.h"

using namespace akuma;

namespace {

// Consumes values so the work cannot be optimised away.
volatile uint64_t g_sink;

void check(bool condition) {
    if (!condition)
        abort();
}

void exercise_node(FdtNode node) {
    uint64_t sum
        = node.name().size() + node.is_enabled() + node.child_address_cells() + node.child_size_cells();
    node.for_each_property([&](const FdtProperty& property) {
        sum += property.name.size() + property.as_u32().value_or(0) + property.as_u64().value_or(0)
            + property.as_u32_or_u64().value_or(0) + property.cell(property.cell_count()).value_or(1);
        if (auto string = property.as_string())
            sum += string->size();
        property.for_each_string([&](std::string_view string) { sum += string.size(); });
        // Every property found by iteration is found by name too.
        check(node.property(property.name).has_value());
    });
    if (auto count = node.reg_count(); !count.is_error()) {
        for (size_t i = 0; i < count.value(); ++i)
            sum += node.reg(i).value().address;
        check(node.reg(count.value()).is_error());
    }
    size_t children = 0;
    node.for_each_child([&](FdtNode child) {
        ++children;
        check(child.parent_offset() == node.offset());
    });
    if (auto parent = node.parent())
        sum += parent->name().size();
    g_sink = g_sink + sum + children;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::span<const uint8_t> bytes(data, size);
    if (size >= 8)
        g_sink = Fdt::total_size_from_header(data).value_or(0);
    auto parsed = Fdt::from_bytes(bytes);
    if (parsed.is_error())
        return 0;
    const Fdt& fdt = parsed.value();
    check(fdt.total_size() <= size);

    fdt.for_each_memory_reservation([](MemoryReservation reservation) { g_sink = reservation.size; });
    size_t nodes = 0;
    fdt.for_each_node([&](FdtNode node, size_t depth) {
        check(depth < Fdt::k_max_depth);
        // Bound the quadratic parts (parent(), property lookups) per input.
        if (++nodes > 2000)
            return false;
        exercise_node(node);
        return true;
    });
    for (const char* path :
        { "/", "/chosen", "/cpus", "/cpus/cpu@0", "/memory", "/reserved-memory", "/a/b/c" })
        g_sink = fdt.find_node(path).has_value();
    fdt.find_compatible("virtio,mmio", [](FdtNode node) { g_sink = node.offset(); });
    for (uint32_t phandle : { 1u, 0x8002u })
        g_sink = fdt.find_by_phandle(phandle).has_value();

    auto info = parse_platform_info(fdt);
    if (!info.is_error()) {
        const PlatformInfo& platform = info.value();
        check(platform.memory_range_count >= 1
            && platform.memory_range_count <= PlatformInfo::k_max_memory_ranges);
        check(platform.reserved_range_count <= PlatformInfo::k_max_reserved_ranges);
        check(platform.virtio_slot_count <= PlatformInfo::k_max_virtio_slots);
        uint64_t total = 0;
        for (const PhysicalRange& range : platform.memory())
            total += range.size;
        check(total == platform.total_memory);
        // Strings point into the blob.
        auto inside = [&](std::string_view string) {
            return string.empty()
                || (string.data() >= reinterpret_cast<const char*>(data)
                    && string.data() + string.size() <= reinterpret_cast<const char*>(data) + size);
        };
        check(inside(platform.bootargs) && inside(platform.stdout_path) && inside(platform.cpu_compatible));
    }
    return 0;
}
