#include "kernel/mm/pmm.h"

#include <new>

#include "kernel/debug/panic.h"
#include "kernel/lib/kprint.h"
#include "kernel/mm/physical_ranges.h"
#include "kernel/sched/spinlock.h"

namespace akuma::mm {

namespace {

constexpr size_t k_max_arenas = PlatformInfo::k_max_memory_ranges;
constexpr size_t k_max_reservations = PlatformInfo::k_max_reserved_ranges + 8;

struct LinearMapAccess final : PageAccess {
    uint8_t* page_contents(uint64_t pfn) override { return static_cast<uint8_t*>(phys_to_virt(pfn * k_page_size)); }
};

struct Reservation {
    PhysicalSpan span;
    const char* what;
};

// Constant-initialised; the arenas are set up by pmm_init().
struct PmmState {
    BuddyArena arenas[k_max_arenas];
    PhysicalSpan descriptor_arrays[k_max_arenas];
    size_t arena_count;
    Reservation reservations[k_max_reservations];
    size_t reservation_count;
    bool ready;
};

constinit PmmState g_pmm {};
constinit LinearMapAccess g_linear_access {};
constinit IrqSpinLock g_lock {};

void add_reservation(PhysicalSpan span, const char* what) {
    if (span.size == 0)
        return;
    if (g_pmm.reservation_count == k_max_reservations)
        panic("[PMM] too many reserved ranges (limit {})", k_max_reservations);
    g_pmm.reservations[g_pmm.reservation_count++] = { span, what };
}

// The reservations as plain spans, for the range arithmetic.
std::span<const PhysicalSpan> reserved_spans() {
    static PhysicalSpan spans[k_max_reservations];
    for (size_t i = 0; i < g_pmm.reservation_count; ++i)
        spans[i] = g_pmm.reservations[i].span;
    return { spans, g_pmm.reservation_count };
}

BuddyArena* arena_for(uint64_t pfn) {
    for (size_t i = 0; i < g_pmm.arena_count; ++i) {
        if (g_pmm.arenas[i].contains(pfn))
            return &g_pmm.arenas[i];
    }
    return nullptr;
}

[[noreturn]] void report_misuse(const char* operation, PhysAddr address, const BuddyErrorDetail& detail) {
    if (detail.kind == BuddyErrorKind::PoisonMismatch) {
        panic("[PMM] write after free: page {:#x} was modified while free (offset {:#x}: expected {:#018x}, "
              "found {:#018x}) - detected by {}",
              detail.pfn * k_page_size, detail.offset, detail.expected, detail.found, operation);
    }
    panic("[PMM] {} of page {:#x}: {} (pfn {:#x})", operation, address, buddy_error_kind_name(detail.kind),
          detail.pfn);
}

// Place the descriptor array of a RAM range at the top of its highest
// unreserved span that is big enough.
ErrorOr<PhysicalSpan> place_descriptors(PhysicalSpan ram, uint64_t bytes, std::span<const PhysicalSpan> reserved) {
    uint64_t size = (bytes + k_page_size - 1) & ~(k_page_size - 1);
    PhysicalSpan chosen { 0, 0 };
    for_each_usable_span(ram, reserved, k_page_size, [&](PhysicalSpan usable) {
        if (usable.size >= size)
            chosen = { usable.end() - size, size };
    });
    if (chosen.size == 0)
        return Error::NoMemory;
    return chosen;
}

}  // namespace

const char* page_owner_name(PageOwner owner) {
    switch (owner) {
    case PageOwner::Unspecified: return "unspecified";
    case PageOwner::HeapSlab: return "heap slab";
    case PageOwner::HeapLarge: return "heap large";
    case PageOwner::HeapArena: return "heap arena";
    case PageOwner::PageTable: return "page table";
    case PageOwner::KernelStack: return "kernel stack";
    case PageOwner::KernelVm: return "kernel vm";
    case PageOwner::Test: return "test";
    case PageOwner::UserPage: return "user page";
    case PageOwner::UserTable: return "user table";
    case PageOwner::PipeBuffer: return "pipe buffer";
    case PageOwner::FileData: return "file data";
    case PageOwner::UserCode: return "user code";
    case PageOwner::DeviceDma: return "device DMA";
    }
    return "?";
}

ErrorOr<void> pmm_init(const PlatformInfo& platform, const PmmConfig& config) {
    PhysicalSpan image { config.kernel_base, config.kernel_size };
    PhysicalSpan spare = config.kernel_spare;
    PhysicalSpan tests = config.test_code;
    auto inside = [&](PhysicalSpan span) { return span.size != 0 && span.base >= image.base && span.end() <= image.end(); };
    if (!inside(spare))
        spare = { image.end(), 0 };
    if (!inside(tests) || tests.end() > spare.base)
        tests = { spare.base, 0 };
    // The image less the free spans: text (up to the tests' code), the rest
    // up to the pool, the rest after it.
    add_reservation({ image.base, tests.base - image.base }, "kernel image");
    if (tests.size != 0)
        add_reservation({ tests.end(), spare.base - tests.end() }, "kernel image, rest");
    if (spare.size != 0)
        add_reservation({ spare.end(), image.end() - spare.end() }, "kernel .bss, rest");
    add_reservation({ config.dtb_base, config.dtb_size }, "device tree");
    if (platform.initrd)
        add_reservation({ platform.initrd->start, platform.initrd->end - platform.initrd->start }, "initrd");
    for (auto& range : platform.reserved())
        add_reservation({ range.base, range.size }, "firmware reserved");

    for (auto& ram : platform.memory()) {
        PhysicalSpan span { ram.base, ram.size };
        uint64_t first_pfn = (span.base + k_page_size - 1) / k_page_size;
        uint64_t end_pfn = span.end() / k_page_size;
        if (end_pfn <= first_pfn || g_pmm.arena_count == k_max_arenas)
            continue;
        uint64_t page_count = end_pfn - first_pfn;

        auto descriptors = TRY(place_descriptors(span, page_count * sizeof(PageDescriptor), reserved_spans()));
        add_reservation(descriptors, "page descriptors");
        auto reserved = reserved_spans();

        size_t index = g_pmm.arena_count++;
        auto* array = static_cast<PageDescriptor*>(phys_to_virt(descriptors.base));
        BuddyArena& arena = g_pmm.arenas[index];
        g_pmm.descriptor_arrays[index] = descriptors;
        TRY(arena.initialize(first_pfn, page_count, { array, page_count }, g_linear_access));
        arena.set_poisoning(config.poisoning);
        ErrorOr<void> result {};
        for_each_usable_span(span, reserved, k_page_size, [&](PhysicalSpan usable) {
            if (!result.is_error())
                result = arena.add_free_range(usable.base / k_page_size, usable.size / k_page_size);
        });
        TRY(result);
        // Page faults and teardowns free and take single pages by the
        // hundred: the hot pages spare them the buddy's splits and merges.
        arena.set_hot_capacity(BuddyArena::k_max_hot_pages);
        if (index == 0)
            detail::g_first_arena = { array, first_pfn, page_count };
    }
    if (g_pmm.arena_count == 0)
        return Error::NoMemory;
    g_pmm.ready = true;
    return {};
}

bool pmm_ready() { return g_pmm.ready; }

namespace {
// Tries each arena in turn; a poison mismatch is a kernel bug (panic), any
// error other than exhaustion is returned as is.
template <typename Allocate>
ErrorOr<PhysAddr> allocate_from_arenas(Allocate&& allocate) {
    SpinLockGuard guard(g_lock);
    for (size_t i = 0; i < g_pmm.arena_count; ++i) {
        auto& arena = g_pmm.arenas[i];
        auto result = allocate(arena);
        if (!result.is_error())
            return result.value() * k_page_size;
        if (result.error() == Error::Fault)
            report_misuse("allocation", 0, arena.last_error());
        if (result.error() != Error::NoMemory)
            return result.error();
    }
    return Error::NoMemory;
}
}  // namespace

ErrorOr<PhysAddr> allocate_pages(unsigned order, PageOwner owner) {
    if (order == 0) {
        // The commonest request by far (page faults, page tables): a hot page.
        SpinLockGuard guard(g_lock);
        for (size_t i = 0; i < g_pmm.arena_count; ++i) {
            uint64_t pfn = g_pmm.arenas[i].take_hot_page(static_cast<uint8_t>(owner));
            if (pfn != BuddyArena::k_no_page)
                return pfn * k_page_size;
        }
    }
    return allocate_from_arenas([&](BuddyArena& arena) { return arena.allocate(order, static_cast<uint8_t>(owner)); });
}

ErrorOr<PhysAddr> allocate_contiguous(uint64_t count, uint64_t alignment_pages, PageOwner owner) {
    return allocate_from_arenas([&](BuddyArena& arena) {
        return arena.allocate_contiguous(count, alignment_pages, static_cast<uint8_t>(owner));
    });
}

void free_pages(PhysAddr block) {
    SpinLockGuard guard(g_lock);
    auto* arena = arena_for(block / k_page_size);
    if (!arena || (block & (k_page_size - 1)))
        panic("[PMM] free of {:#x}, which is not a page of RAM", block);
    if (arena->free_to_hot(block / k_page_size))
        return;
    if (arena->free(block / k_page_size).is_error())
        report_misuse("free", block, arena->last_error());
}

void free_contiguous(PhysAddr base, uint64_t count) {
    SpinLockGuard guard(g_lock);
    auto* arena = arena_for(base / k_page_size);
    if (!arena || (base & (k_page_size - 1)))
        panic("[PMM] free of {:#x}, which is not a page of RAM", base);
    if (arena->free_contiguous(base / k_page_size, count).is_error())
        report_misuse("free", base, arena->last_error());
}

namespace detail {

const PageDescriptor* page_descriptor_slow(PhysAddr address) {
    auto* arena = arena_for(address / k_page_size);
    return arena ? arena->descriptor(address / k_page_size) : nullptr;
}

PageDescriptor& allocated_page_slow(PhysAddr address) {
    auto* arena = arena_for(address / k_page_size);
    auto* page = arena ? arena->descriptor(address / k_page_size) : nullptr;
    if (!page || page->state != PageState::Allocated)
        panic("[PMM] {:#x} is not an allocated page: no owner data", address);
    return *const_cast<PageDescriptor*>(page);
}

}  // namespace detail

void set_page_owner(PhysAddr block, PageOwner owner) {
    SpinLockGuard guard(g_lock);
    auto* arena = arena_for(block / k_page_size);
    if (!arena || arena->set_owner(block / k_page_size, static_cast<uint8_t>(owner)).is_error())
        panic("[PMM] cannot set the owner of {:#x}", block);
}

bool pmm_poisoning() { return g_pmm.arena_count != 0 && g_pmm.arenas[0].poisoning(); }

PmmStats pmm_stats() {
    SpinLockGuard guard(g_lock);
    PmmStats stats {};
    for (size_t i = 0; i < g_pmm.arena_count; ++i) {
        auto& arena = g_pmm.arenas[i];
        stats.total_pages += arena.total_pages();
        stats.free_pages += arena.free_pages();
        stats.reserved_pages += arena.reserved_pages();
        stats.allocated_pages += arena.allocated_pages();
        for (unsigned order = 0; order <= BuddyArena::k_max_order; ++order)
            stats.free_blocks[order] += arena.free_blocks(order);
    }
    return stats;
}

void print_memory_table(std::span<const MemoryTableRow> extra_regions) {
    kprintln("[Memory] {:<18} {:<14} {:>10}", "region", "physical", "size");
    for (size_t i = 0; i < g_pmm.arena_count; ++i) {
        auto& arena = g_pmm.arenas[i];
        kprintln("[Memory] {:<18} {:#012x}   {:>7} KiB", "RAM", arena.base_pfn() * k_page_size,
                 arena.total_pages() * 4);
    }
    for (size_t i = 0; i < g_pmm.reservation_count; ++i) {
        auto& r = g_pmm.reservations[i];
        kprintln("[Memory] {:<18} {:#012x}   {:>7} KiB", r.what, r.span.base, (r.span.size + 1023) / 1024);
    }
    for (auto& region : extra_regions)
        kprintln("[Memory] {:<18} {:#012x}   {:>7} KiB ({})", region.name, region.base, (region.size + 1023) / 1024,
                 region.note);
    auto stats = pmm_stats();
    kprintln("[Memory] {} pages total, {} free ({} MiB), {} reserved, {} allocated; poisoning {}", stats.total_pages,
             stats.free_pages, stats.free_pages / 256, stats.reserved_pages, stats.allocated_pages,
             g_pmm.arenas[0].poisoning() ? "on" : "off");
}

}  // namespace akuma::mm
