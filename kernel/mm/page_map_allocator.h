// Allocator policy (kernel/lib/allocator.h) giving every allocation its own
// fresh page mapping, with a guard page after it: the kernel-side
// counterpart of the original Akuma's mmap-per-allocation userspace
// allocator. Slow and page-hungry on purpose: it makes out-of-bounds
// accesses fault and is used to test containers over the page-mapping API.
#pragma once

#include <cstddef>

#include "kernel/mm/kernel_vm.h"
#include "kernel/mm/page_table.h"

namespace akuma::mm {

struct PageMapAllocator {
    static void* allocate(size_t size, size_t alignment) {
        if (alignment > k_page_size)
            return nullptr;
        auto mapping = vm_allocate(size == 0 ? 1 : size);
        return mapping.is_error() ? nullptr : mapping.value();
    }
    static void deallocate(void* pointer, size_t size, size_t) {
        if (pointer)
            vm_free(pointer, size == 0 ? 1 : size);
    }
};

}  // namespace akuma::mm
