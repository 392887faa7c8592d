#include "kernel/mm/kmalloc.h"

#include <new>

#include "kernel/debug/panic.h"
#include "kernel/lib/kprint.h"
#include "kernel/mm/buddy_allocator.h"
#include "kernel/mm/pmm.h"
#include "kernel/sched/spinlock.h"

namespace akuma::mm {

namespace {

// Serves allocations before the PMM exists (and, arena-only, the first ones).
constexpr size_t k_early_arena_size = 256 * 1024;
alignas(k_page_size) uint8_t g_early_arena[k_early_arena_size];

constinit Heap g_heap {};
constinit IrqSpinLock g_lock {};

PageOwner owner_for(BlockKind kind) {
    switch (kind) {
    case BlockKind::Slab: return PageOwner::HeapSlab;
    case BlockKind::Large: return PageOwner::HeapLarge;
    case BlockKind::Arena: return PageOwner::HeapArena;
    }
    return PageOwner::Unspecified;
}

// The heap's pages come from the PMM; every page of a block records its
// owner, so any address can be mapped back to its block.
class PmmHeapBackend final : public HeapBackend {
public:
    void* allocate_block(unsigned order, BlockKind kind) override {
        auto block = allocate_pages(order, owner_for(kind));
        return block.is_error() ? nullptr : phys_to_virt(block.value());
    }

    void free_block(void* block) override { free_pages(linear_virt_to_phys(block)); }

    std::optional<BlockInfo> block_info(const void* address) const override {
        auto va = reinterpret_cast<uint64_t>(address);
        if (va < k_linear_map_base || va >= k_linear_map_limit)
            return std::nullopt;
        PhysAddr pa = va - k_linear_map_base;
        auto* descriptor = page_descriptor(pa);
        if (!descriptor || descriptor->state != PageState::Allocated)
            return std::nullopt;
        BlockKind kind;
        switch (static_cast<PageOwner>(descriptor->owner)) {
        case PageOwner::HeapSlab: kind = BlockKind::Slab; break;
        case PageOwner::HeapLarge: kind = BlockKind::Large; break;
        case PageOwner::HeapArena: kind = BlockKind::Arena; break;
        default: return std::nullopt;
        }
        // Walk down to the block's head page (blocks are at most 2^10 pages).
        PhysAddr page = pa & ~(k_page_size - 1);
        for (unsigned steps = 0; !(descriptor->flags & BuddyArena::k_flag_head); ++steps) {
            if (steps == BuddyArena::k_max_block_pages || page < k_page_size)
                return std::nullopt;
            page -= k_page_size;
            descriptor = page_descriptor(page);
            if (!descriptor || descriptor->state != PageState::Allocated)
                return std::nullopt;
        }
        return BlockInfo { kind, phys_to_virt(page), descriptor->order };
    }
};

constinit PmmHeapBackend g_backend {};

void report_corruption(const HeapCorruption& corruption) {
    auto address = reinterpret_cast<uint64_t>(corruption.address);
    switch (corruption.kind) {
    case HeapCorruptionKind::DoubleFree:
    case HeapCorruptionKind::InvalidFree:
        panic("[Heap] {}: {:#x} (size class {})", heap_corruption_name(corruption.kind), address,
              corruption.size_class);
    case HeapCorruptionKind::RedzoneOverwrite:
    case HeapCorruptionKind::WriteAfterFree:
    case HeapCorruptionKind::HeaderCorrupt:
        break;
    }
    panic("[Heap] {} at object {:#x} (size class {}): byte offset {} expected {:#04x}, found {:#04x}",
          heap_corruption_name(corruption.kind), address, corruption.size_class,
          static_cast<int64_t>(corruption.offset), corruption.expected, corruption.found);
}

}  // namespace

void heap_init_early(const HeapConfig& config) {
    HeapOptions options;
    options.debug = config.debug;
    options.arena_only = config.arena_only;
    options.on_corruption = report_corruption;
    if (auto result = g_heap.init({ g_early_arena, k_early_arena_size }, options); result.is_error())
        panic("[Heap] early arena initialisation failed: {}", error_name(result.error()));
    kprintln("Allocator initialized (early mode)");
    kprintln("[Heap] early arena {} KiB in the kernel image{}", k_early_arena_size / 1024,
             config.debug ? "; debug checks on (redzones, poisoning)" : "");
}

void heap_mark_pmm_ready() {
    {
        SpinLockGuard guard(g_lock);
        g_heap.mark_pages_ready(g_backend);
    }
    if (g_heap.mode() == HeapMode::ArenaOnly)
        kprintln("PMM initialized, allocator stays in arena mode (heap=arena)");
    else
        kprintln("PMM initialized, allocator switched to page mode");
}

void* kmalloc(size_t size, size_t alignment) {
    SpinLockGuard guard(g_lock);
    return g_heap.allocate(size, alignment);
}

void* kzalloc(size_t size, size_t alignment) {
    SpinLockGuard guard(g_lock);
    return g_heap.allocate_zeroed(size, alignment);
}

void* krealloc(void* pointer, size_t new_size) {
    SpinLockGuard guard(g_lock);
    return g_heap.reallocate(pointer, new_size);
}

void kfree(void* pointer) {
    SpinLockGuard guard(g_lock);
    g_heap.free(pointer);
}

size_t kmalloc_usable_size(const void* pointer) {
    SpinLockGuard guard(g_lock);
    return g_heap.usable_size(pointer);
}

HeapStats heap_stats() {
    SpinLockGuard guard(g_lock);
    return g_heap.stats();
}

HeapMode heap_mode() { return g_heap.mode(); }
bool heap_debug_enabled() { return g_heap.debug(); }

void heap_release_cached_memory() {
    SpinLockGuard guard(g_lock);
    g_heap.release_cached_memory();
}

EarlyArenaInfo heap_early_arena() { return { g_early_arena, k_early_arena_size }; }

}  // namespace akuma::mm

// C++ allocation routes to the kernel heap. The nothrow forms return nullptr
// on exhaustion; the plain forms cannot (the compiler may assume they never
// return nullptr), so they panic with a clear message instead - kernel code
// that can run out of memory uses new (std::nothrow) or kmalloc.
namespace {
void* checked_allocation(size_t size, size_t alignment) {
    void* pointer = akuma::mm::kmalloc(size, alignment);
    if (!pointer)
        akuma::panic("operator new: out of memory for {} bytes (use new (std::nothrow) to handle it)", size);
    return pointer;
}
}  // namespace

void* operator new(size_t size) { return checked_allocation(size, 16); }
void* operator new[](size_t size) { return checked_allocation(size, 16); }
void* operator new(size_t size, std::align_val_t alignment) {
    return checked_allocation(size, static_cast<size_t>(alignment));
}
void* operator new[](size_t size, std::align_val_t alignment) {
    return checked_allocation(size, static_cast<size_t>(alignment));
}
void* operator new(size_t size, const std::nothrow_t&) noexcept { return akuma::mm::kmalloc(size); }
void* operator new[](size_t size, const std::nothrow_t&) noexcept { return akuma::mm::kmalloc(size); }
void* operator new(size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
    return akuma::mm::kmalloc(size, static_cast<size_t>(alignment));
}
void* operator new[](size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
    return akuma::mm::kmalloc(size, static_cast<size_t>(alignment));
}
void operator delete(void* pointer) noexcept { akuma::mm::kfree(pointer); }
void operator delete[](void* pointer) noexcept { akuma::mm::kfree(pointer); }
void operator delete(void* pointer, size_t) noexcept { akuma::mm::kfree(pointer); }
void operator delete[](void* pointer, size_t) noexcept { akuma::mm::kfree(pointer); }
void operator delete(void* pointer, std::align_val_t) noexcept { akuma::mm::kfree(pointer); }
void operator delete[](void* pointer, std::align_val_t) noexcept { akuma::mm::kfree(pointer); }
void operator delete(void* pointer, size_t, std::align_val_t) noexcept { akuma::mm::kfree(pointer); }
void operator delete[](void* pointer, size_t, std::align_val_t) noexcept { akuma::mm::kfree(pointer); }
