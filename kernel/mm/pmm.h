// The physical memory manager: one buddy arena (kernel/mm/buddy_allocator.h)
// per RAM range of the device tree, minus everything reserved (kernel image,
// DTB, initrd, /memreserve/, /reserved-memory, the descriptor arrays).
// IRQ-safe. Misuse (double free, freeing a reserved page) and writes to
// free pages (with poisoning on) end in a decoded panic: they are kernel
// bugs, and carrying on would corrupt memory further.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "kernel/dt/platform_info.h"
#include "kernel/lib/error_or.h"
#include "kernel/mm/buddy_allocator.h"
#include "kernel/mm/layout.h"
#include "kernel/mm/page_table.h"
#include "kernel/mm/physical_ranges.h"

namespace akuma::mm {

// Who owns an allocated page (PageDescriptor::owner), for reports and leak checks.
enum class PageOwner : uint8_t {
    Unspecified = 0,
    HeapSlab,
    HeapLarge,
    HeapArena,
    PageTable,
    KernelStack,
    KernelVm,
    Test,
    UserPage,    // memory of a user address space
    UserTable,   // translation table of a user address space
    PipeBuffer,  // a page of data in a pipe
    FileData,    // a page of a ramfs file
    UserCode,    // a UserPage that has been mapped executable (see address_space.cpp)
    DeviceDma,   // memory a device reads and writes itself (virtqueues, request headers)
};
const char* page_owner_name(PageOwner owner);

struct PmmConfig {
    PhysAddr kernel_base;
    uint64_t kernel_size;
    PhysicalSpan kernel_spare;  // pages inside the image that are free RAM (the unused boot table pool)
    PhysicalSpan test_code;     // free too when the in-kernel suite does not run (before kernel_spare)
    PhysAddr dtb_base;
    uint64_t dtb_size;
    bool poisoning;
};

ErrorOr<void> pmm_init(const PlatformInfo& platform, const PmmConfig& config);
bool pmm_ready();

// A naturally aligned block of 2^order pages.
ErrorOr<PhysAddr> allocate_pages(unsigned order, PageOwner owner);
void free_pages(PhysAddr block);

// Exactly `count` pages aligned to `alignment_pages` (a power of two).
ErrorOr<PhysAddr> allocate_contiguous(uint64_t count, uint64_t alignment_pages, PageOwner owner);
void free_contiguous(PhysAddr base, uint64_t count);

namespace detail {
// The first RAM range's descriptors (the only one on QEMU's virt), read
// without a lock by the lookups below, which every share-count change of a
// user page makes: pmm_init() sets it before anything is allocated and it
// never changes after. Lookups outside it go to the out-of-line versions.
struct DescriptorWindow {
    PageDescriptor* pages;
    uint64_t base_pfn;
    uint64_t count;
};
inline constinit DescriptorWindow g_first_arena {};
const PageDescriptor* page_descriptor_slow(PhysAddr address);
PageDescriptor& allocated_page_slow(PhysAddr address);
}  // namespace detail

// The descriptor of the page holding `address`, or nullptr if it is not RAM.
inline const PageDescriptor* page_descriptor(PhysAddr address) {
    uint64_t index = address / k_page_size - detail::g_first_arena.base_pfn;
    if (index < detail::g_first_arena.count) [[likely]]
        return &detail::g_first_arena.pages[index];
    return detail::page_descriptor_slow(address);
}
// The descriptor of the allocated page holding `address` (panics if it is
// not an allocated page of RAM), for owners that keep its owner-data word
// with atomic operations: the share counts of user pages (page_sharing.cpp).
// No lock: the caller holds the page, so it stays allocated.
inline PageDescriptor& allocated_page(PhysAddr address) {
    uint64_t index = address / k_page_size - detail::g_first_arena.base_pfn;
    if (index < detail::g_first_arena.count) [[likely]] {
        PageDescriptor& page = detail::g_first_arena.pages[index];
        if (page.state == PageState::Allocated) [[likely]]
            return page;
    }
    return detail::allocated_page_slow(address);
}
inline uint32_t& allocated_page_owner_data(PhysAddr address) { return allocated_page(address).owner_data; }
// Retags the allocated block whose first page is `block`.
void set_page_owner(PhysAddr block, PageOwner owner);
// Whether freed pages are poisoned (memory_debug): then free_pages()
// overwrites every freed page.
bool pmm_poisoning();

struct PmmStats {
    uint64_t total_pages;
    uint64_t free_pages;
    uint64_t reserved_pages;
    uint64_t allocated_pages;
    uint64_t free_blocks[BuddyArena::k_max_order + 1];
};
PmmStats pmm_stats();

// Boot log: RAM ranges, reservations, descriptor arrays, the extra rows
// (regions inside reservations, e.g. the early heap arena), free pages.
struct MemoryTableRow {
    const char* name;
    PhysAddr base;
    uint64_t size;
    const char* note;
};
void print_memory_table(std::span<const MemoryTableRow> extra_regions);

// Every RAM page is reachable through the linear map.
inline void* phys_to_virt(PhysAddr pa) { return reinterpret_cast<void*>(pa + k_linear_map_base); }
inline PhysAddr linear_virt_to_phys(const void* va) { return reinterpret_cast<uint64_t>(va) - k_linear_map_base; }

}  // namespace akuma::mm
