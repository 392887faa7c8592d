// Kernel virtual memory built from single pages: anonymous mappings for
// large or page-granular buffers (each followed by an unmapped guard page,
// so running off the end faults) and kernel stacks (each with an unmapped
// guard below, see KERNEL_STACK_SHIFT in sysregs.h). IRQ-safe.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel/lib/error_or.h"

namespace akuma::mm {

void kernel_vm_init();

// Maps ceil(size / 4 KiB) fresh zeroed pages, read-write, never executable.
ErrorOr<void*> vm_allocate(size_t size);
// Unmaps and frees a vm_allocate() mapping; `size` must be the allocated size.
void vm_free(void* address, size_t size);

struct KernelStack {
    uintptr_t bottom;  // lowest mapped address
    uintptr_t top;     // initial SP (one past the highest byte)
};
ErrorOr<KernelStack> allocate_kernel_stack();
void free_kernel_stack(const KernelStack& stack);

struct KernelVmStats {
    uint64_t mappings;
    uint64_t mapped_pages;
    uint64_t stacks;
};
KernelVmStats kernel_vm_stats();

}  // namespace akuma::mm
