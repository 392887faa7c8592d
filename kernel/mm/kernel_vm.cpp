#include "kernel/mm/kernel_vm.h"

#include "kernel/arch/aarch64/kernel_page_tables.h"
#include "kernel/arch/aarch64/page_zero.h"
#include "kernel/arch/aarch64/sysregs.h"
#include "kernel/debug/panic.h"
#include "kernel/mm/layout.h"
#include "kernel/mm/pmm.h"
#include "kernel/mm/range_allocator.h"
#include "kernel/sched/spinlock.h"

namespace akuma::mm {

namespace {

constexpr uint64_t k_stack_slot = 2ull * KERNEL_STACK_SIZE;
constexpr unsigned k_stack_order = KERNEL_STACK_SHIFT - k_page_shift;  // stack pages as one block

constinit IrqSpinLock g_lock {};
constinit RangeAllocator<512> g_vm_ranges {};
constinit RangeAllocator<64> g_stack_slots {};
constinit KernelVmStats g_stats {};

uint64_t page_count(size_t size) { return (size + k_page_size - 1) / k_page_size; }

void free_unmapped_page(PhysAddr pa, uint64_t bytes) {
    for (uint64_t offset = 0; offset < bytes; offset += k_page_size)
        free_pages(pa + offset);
}

}  // namespace

void kernel_vm_init() {
    g_vm_ranges.init(k_kernel_vm_base, k_kernel_vm_size);
    g_stack_slots.init(k_kernel_stacks_base, k_kernel_stacks_size);
}

ErrorOr<void*> vm_allocate(size_t size) {
    if (size == 0)
        return Error::Invalid;
    uint64_t pages = page_count(size);
    SpinLockGuard guard(g_lock);
    auto base = g_vm_ranges.allocate((pages + 1) * k_page_size, k_page_size);  // + guard page
    if (!base)
        return Error::NoMemory;
    for (uint64_t i = 0; i < pages; ++i) {
        auto page = allocate_pages(0, PageOwner::KernelVm);
        ErrorOr<void> mapped = page.is_error() ? ErrorOr<void>(page.error()) : ErrorOr<void>();
        if (!page.is_error()) {
            arch::zero_page(phys_to_virt(page.value()));
            mapped = arch::map_kernel(*base + i * k_page_size, page.value(), k_page_size,
                                      k_page_read | k_page_write, false);
            if (mapped.is_error())
                free_pages(page.value());
        }
        if (mapped.is_error()) {
            // Roll back what was mapped so far.
            (void)arch::unmap_kernel(*base, i * k_page_size, free_unmapped_page);
            g_vm_ranges.free(*base, (pages + 1) * k_page_size);
            return mapped.error();
        }
    }
    ++g_stats.mappings;
    g_stats.mapped_pages += pages;
    return reinterpret_cast<void*>(*base);
}

void vm_free(void* address, size_t size) {
    auto base = reinterpret_cast<uint64_t>(address);
    uint64_t pages = page_count(size);
    SpinLockGuard guard(g_lock);
    // A wrong size would unmap a neighbour: the last page must be mapped
    // and the guard page after it must not.
    if (size == 0 || (base & (k_page_size - 1)) || base < k_kernel_vm_base
        || base >= k_kernel_vm_base + k_kernel_vm_size || !arch::query_kernel(base + (pages - 1) * k_page_size)
        || arch::query_kernel(base + pages * k_page_size))
        panic("[VM] vm_free({:#x}, {}): not a kernel vm mapping of that size", base, size);
    if (auto result = arch::unmap_kernel(base, pages * k_page_size, free_unmapped_page); result.is_error())
        panic("[VM] unmapping {:#x} failed: {}", base, error_name(result.error()));
    if (!g_vm_ranges.free(base, (pages + 1) * k_page_size))
        kprintln("[VM] warning: address range {:#x}+{:#x} not recycled (free-range table full)", base, size);
    --g_stats.mappings;
    g_stats.mapped_pages -= pages;
}

ErrorOr<KernelStack> allocate_kernel_stack() {
    SpinLockGuard guard(g_lock);
    auto slot = g_stack_slots.allocate(k_stack_slot, k_stack_slot);
    if (!slot)
        return Error::NoMemory;
    uint64_t bottom = *slot + KERNEL_STACK_SIZE;  // lower half stays unmapped: the guard
    auto pages = allocate_pages(k_stack_order, PageOwner::KernelStack);
    if (pages.is_error()) {
        g_stack_slots.free(*slot, k_stack_slot);
        return pages.error();
    }
    if (auto mapped = arch::map_kernel(bottom, pages.value(), KERNEL_STACK_SIZE, k_page_read | k_page_write, false);
        mapped.is_error()) {
        free_pages(pages.value());
        g_stack_slots.free(*slot, k_stack_slot);
        return mapped.error();
    }
    ++g_stats.stacks;
    return KernelStack { bottom, bottom + KERNEL_STACK_SIZE };
}

void free_kernel_stack(const KernelStack& stack) {
    SpinLockGuard guard(g_lock);
    auto translation = arch::query_kernel(stack.bottom);
    if (!translation || stack.top - stack.bottom != KERNEL_STACK_SIZE)
        panic("[VM] free_kernel_stack({:#x}): not a kernel stack", stack.bottom);
    if (auto result = arch::unmap_kernel(stack.bottom, KERNEL_STACK_SIZE, nullptr); result.is_error())
        panic("[VM] unmapping stack {:#x} failed: {}", stack.bottom, error_name(result.error()));
    free_pages(translation->physical);
    g_stack_slots.free(stack.bottom - KERNEL_STACK_SIZE, k_stack_slot);
    --g_stats.stacks;
}

KernelVmStats kernel_vm_stats() {
    SpinLockGuard guard(g_lock);
    return g_stats;
}

}  // namespace akuma::mm
