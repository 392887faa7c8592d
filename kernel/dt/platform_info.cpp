#include "kernel/dt/platform_info.h"

namespace akuma {

namespace {

constexpr uint32_t k_spi_base = 32;
constexpr uint32_t k_ppi_base = 16;
constexpr uint32_t k_max_spi = 987; // INTIDs 32..1019 (GIC arch spec 2.2.1)
constexpr uint32_t k_max_ppi = 15;

std::optional<std::string_view> string_property(FdtNode node, std::string_view name) {
    auto property = node.property(name);
    return property ? property->as_string() : std::nullopt;
}

bool has_device_type(FdtNode node, std::string_view type) {
    return string_property(node, "device_type") == type;
}

// base + size must not wrap: such a range cannot describe real memory.
bool range_wraps(uint64_t base, uint64_t size) {
    return size != 0 && base + (size - 1) < base;
}

// Addresses are only translated through `reg`: a node is usable when every
// ancestor below the root maps its children 1:1 (an empty `ranges`). Walking
// non-identity `ranges` is not implemented; QEMU virt needs none.
bool has_identity_mapping(FdtNode node) {
    for (auto parent = node.parent(); parent && !parent->is_root(); parent = parent->parent()) {
        auto ranges = parent->property("ranges");
        if (!ranges || !ranges->data.empty())
            return false;
    }
    return true;
}

bool is_gic(FdtNode node) {
    return node.is_compatible("arm,gic-v3") || node.is_compatible("arm,cortex-a15-gic")
        || node.is_compatible("arm,gic-400");
}

// What interrupt decoding needs: the phandle of the GIC found in the tree,
// set only if it uses the 3-cell binding (type, number, flags).
struct Context {
    const Fdt& fdt;
    std::optional<uint32_t> gic_phandle;
};

// The phandle in the node's own `interrupt-parent`, else the nearest
// ancestor's (spec 2.4.1).
std::optional<uint32_t> interrupt_parent(FdtNode node) {
    for (size_t hops = 0; hops < Fdt::k_max_depth; ++hops) {
        if (auto property = node.property("interrupt-parent"))
            return property->as_u32();
        auto parent = node.parent();
        if (!parent)
            return std::nullopt;
        node = *parent;
    }
    return std::nullopt;
}

// The index-th `interrupts` entry as a GIC INTID, if the interrupt parent is
// the GIC. `interrupts-extended` is not supported.
InterruptId interrupt_at(const Context& context, FdtNode node, size_t index) {
    auto interrupts = node.property("interrupts");
    if (!interrupts || !context.gic_phandle || interrupt_parent(node) != context.gic_phandle)
        return std::nullopt;
    auto type = interrupts->cell(index * 3);
    auto number = interrupts->cell(index * 3 + 1);
    if (!type || !number || !interrupts->cell(index * 3 + 2))
        return std::nullopt;
    if (*type == 0 && *number <= k_max_spi)
        return k_spi_base + *number;
    if (*type == 1 && *number <= k_max_ppi)
        return k_ppi_base + *number;
    return std::nullopt;
}

std::optional<PhysicalRange> mmio_range(FdtNode node, size_t index) {
    auto reg = node.reg(index);
    if (reg.is_error() || range_wraps(reg.value().address, reg.value().size))
        return std::nullopt;
    return PhysicalRange { reg.value().address, reg.value().size };
}

// The first register region and first interrupt of a memory-mapped device.
std::optional<DeviceInfo> device_info(const Context& context, FdtNode node) {
    if (!node.is_enabled() || !has_identity_mapping(node))
        return std::nullopt;
    auto range = mmio_range(node, 0);
    if (!range)
        return std::nullopt;
    return DeviceInfo { *range, interrupt_at(context, node, 0) };
}

std::optional<DeviceInfo> first_device(const Context& context, std::string_view compatible) {
    std::optional<DeviceInfo> found;
    context.fdt.find_compatible(compatible, [&](FdtNode node) {
        found = device_info(context, node);
        return !found;
    });
    return found;
}

ErrorOr<void> parse_memory(const Fdt& fdt, PlatformInfo& info) {
    std::optional<Error> failure;
    // Memory nodes are children of the root (spec 3.4).
    fdt.root().for_each_child([&](FdtNode node) {
        if (!has_device_type(node, "memory") || !node.is_enabled())
            return true;
        auto count = node.reg_count();
        if (count.is_error()) {
            failure = count.error();
            return false;
        }
        for (size_t i = 0; i < count.value(); ++i) {
            RegEntry entry = node.reg(i).value();
            if (range_wraps(entry.address, entry.size)) {
                failure = Error::Overflow;
                return false;
            }
            if (entry.size == 0)
                continue;
            if (info.memory_range_count == PlatformInfo::k_max_memory_ranges) {
                info.memory_ranges_truncated = true;
                return false;
            }
            if (info.total_memory + entry.size < info.total_memory) {
                failure = Error::Overflow;
                return false;
            }
            info.memory_ranges[info.memory_range_count++] = { entry.address, entry.size };
            info.total_memory += entry.size;
        }
        return true;
    });
    if (failure)
        return *failure;
    if (info.memory_range_count == 0)
        return Error::NotFound;
    return {};
}

ErrorOr<void> add_reserved(PlatformInfo& info, uint64_t base, uint64_t size) {
    if (range_wraps(base, size))
        return Error::Overflow;
    if (size == 0)
        return {};
    if (info.reserved_range_count == PlatformInfo::k_max_reserved_ranges)
        return Error::TooBig;
    info.reserved_ranges[info.reserved_range_count++] = { base, size };
    return {};
}

ErrorOr<void> parse_reserved(const Fdt& fdt, PlatformInfo& info) {
    std::optional<Error> failure;
    fdt.for_each_memory_reservation([&](MemoryReservation reservation) {
        auto result = add_reserved(info, reservation.address, reservation.size);
        if (result.is_error())
            failure = result.error();
        return !failure;
    });
    if (failure)
        return *failure;

    auto reserved_memory = fdt.find_node("/reserved-memory");
    if (!reserved_memory)
        return {};
    // Children without `reg` ask for a dynamic allocation (`size`,
    // `alloc-ranges`); nothing is placed there yet, so there is nothing to
    // avoid. Disabled children are reserved anyway, which is the safe side.
    reserved_memory->for_each_child([&](FdtNode node) {
        if (!node.property("reg"))
            return true;
        auto count = node.reg_count();
        if (count.is_error()) {
            failure = Error::Invalid;
            return false;
        }
        for (size_t i = 0; i < count.value() && !failure; ++i) {
            RegEntry entry = node.reg(i).value();
            auto result = add_reserved(info, entry.address, entry.size);
            if (result.is_error())
                failure = result.error();
        }
        return !failure;
    });
    if (failure)
        return *failure;
    return {};
}

// The node stdout-path names: an absolute path or an /aliases entry, with
// any ":options" suffix removed (spec 3.6).
std::optional<FdtNode> stdout_node(const Fdt& fdt, std::string_view stdout_path) {
    size_t length = 0;
    while (length < stdout_path.size() && stdout_path[length] != ':')
        ++length;
    std::string_view path(stdout_path.data(), length);
    if (!path.empty() && path[0] != '/') {
        auto aliases = fdt.find_node("/aliases");
        auto alias = aliases ? string_property(*aliases, path) : std::nullopt;
        if (!alias)
            return std::nullopt;
        path = *alias;
    }
    return fdt.find_node(path);
}

void parse_chosen(const Fdt& fdt, PlatformInfo& info) {
    auto chosen = fdt.find_node("/chosen");
    if (!chosen)
        return;
    info.bootargs = string_property(*chosen, "bootargs").value_or(std::string_view {});
    auto stdout_path = string_property(*chosen, "stdout-path");
    if (!stdout_path)
        stdout_path = string_property(*chosen, "linux,stdout-path");
    info.stdout_path = stdout_path.value_or(std::string_view {});

    auto start = chosen->property("linux,initrd-start");
    auto end = chosen->property("linux,initrd-end");
    auto start_value = start ? start->as_u32_or_u64() : std::nullopt;
    auto end_value = end ? end->as_u32_or_u64() : std::nullopt;
    if (start_value && end_value && *start_value <= *end_value)
        info.initrd = InitrdRange { *start_value, *end_value };

    if (auto seed = chosen->property("rng-seed"))
        info.rng_seed = seed->data;
    if (auto seed = chosen->property("kaslr-seed"))
        info.kaslr_seed = seed->as_u64();
}

void parse_uart(const Context& context, PlatformInfo& info) {
    if (auto node = stdout_node(context.fdt, info.stdout_path); node && node->is_compatible("arm,pl011"))
        info.uart = device_info(context, *node);
    if (!info.uart)
        info.uart = first_device(context, "arm,pl011");
}

void parse_gic(Context& context, PlatformInfo& info) {
    context.fdt.for_each_node([&](FdtNode node, size_t) {
        if (!is_gic(node) || !node.is_enabled() || !has_identity_mapping(node))
            return true;
        auto distributor = mmio_range(node, 0);
        auto second = mmio_range(node, 1);
        if (!distributor || !second)
            return true;
        GicInfo gic { GicVersion::V2, *distributor, {}, {} };
        if (node.is_compatible("arm,gic-v3")) {
            gic.version = GicVersion::V3;
            gic.redistributor = *second;
        } else {
            gic.cpu_interface = *second;
        }
        info.gic = gic;
        auto phandle = node.property("phandle");
        auto interrupt_cells = node.property("#interrupt-cells");
        if (phandle && interrupt_cells && interrupt_cells->as_u32() == 3u)
            context.gic_phandle = phandle->as_u32();
        return false;
    });
}

void parse_timer(const Context& context, PlatformInfo& info) {
    context.fdt.find_compatible("arm,armv8-timer", [&](FdtNode node) {
        if (!node.is_enabled())
            return true;
        info.timer = TimerInfo {
            interrupt_at(context, node, 0),
            interrupt_at(context, node, 1),
            interrupt_at(context, node, 2),
            interrupt_at(context, node, 3),
        };
        return false;
    });
}

void parse_virtio(const Context& context, PlatformInfo& info) {
    context.fdt.find_compatible("virtio,mmio", [&](FdtNode node) {
        auto device = device_info(context, node);
        if (!device)
            return true;
        if (info.virtio_slot_count == PlatformInfo::k_max_virtio_slots) {
            info.virtio_slots_truncated = true;
            return false;
        }
        info.virtio_slots[info.virtio_slot_count++] = *device;
        return true;
    });
}

void parse_psci(const Fdt& fdt, PlatformInfo& info) {
    fdt.for_each_node([&](FdtNode node, size_t) {
        if (!node.is_compatible("arm,psci-1.0") && !node.is_compatible("arm,psci-0.2")
            && !node.is_compatible("arm,psci"))
            return true;
        auto method = string_property(node, "method");
        if (method == "hvc")
            info.psci_method = PsciMethod::Hvc;
        else if (method == "smc")
            info.psci_method = PsciMethod::Smc;
        return !info.psci_method;
    });
}

void parse_cpus(const Fdt& fdt, PlatformInfo& info) {
    auto cpus = fdt.find_node("/cpus");
    if (!cpus)
        return;
    cpus->for_each_child([&](FdtNode node) {
        if (!has_device_type(node, "cpu"))
            return;
        if (info.cpu_count++ != 0)
            return;
        if (auto compatible = node.property("compatible")) {
            compatible->for_each_string([&](std::string_view first) {
                info.cpu_compatible = first;
                return false;
            });
        }
    });
}

} // namespace

ErrorOr<PlatformInfo> parse_platform_info(const Fdt& fdt) {
    PlatformInfo info;
    TRY(parse_memory(fdt, info));
    TRY(parse_reserved(fdt, info));
    parse_chosen(fdt, info);
    Context context { fdt, std::nullopt };
    parse_gic(context, info); // first: interrupt decoding needs the GIC
    parse_uart(context, info);
    parse_timer(context, info);
    info.rtc = first_device(context, "arm,pl031");
    parse_virtio(context, info);
    parse_psci(fdt, info);
    parse_cpus(fdt, info);
    return info;
}

} // namespace akuma
