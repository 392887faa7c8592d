// Host kmalloc/kfree over malloc (see host_kmalloc.h), and the ramfs data
// page source over them.
#include "tests/host/host_kmalloc.h"

#include <cstdlib>
#include <cstring>
#include <malloc.h>

#include "kernel/fs/file_pages.h"
#include "kernel/mm/kmalloc.h"

namespace {
size_t g_live_objects = 0;
long g_allocations_left = -1;  // negative: unlimited

bool allocation_allowed() {
    if (g_allocations_left < 0)
        return true;
    if (g_allocations_left == 0)
        return false;
    --g_allocations_left;
    return true;
}
}  // namespace

namespace akuma::test {
size_t host_kmalloc_live_objects() { return g_live_objects; }
void host_kmalloc_fail_after(long count) { g_allocations_left = count; }
}  // namespace akuma::test

namespace akuma::mm {

void* kmalloc(size_t size, size_t alignment) {
    if (!allocation_allowed())
        return nullptr;
    if (alignment < alignof(std::max_align_t))
        alignment = alignof(std::max_align_t);
    void* pointer = nullptr;
    if (posix_memalign(&pointer, alignment, size ? size : 1) != 0)
        return nullptr;
    ++g_live_objects;
    return pointer;
}

void* kzalloc(size_t size, size_t alignment) {
    void* pointer = kmalloc(size, alignment);
    if (pointer)
        std::memset(pointer, 0, size);
    return pointer;
}

void* krealloc(void* pointer, size_t new_size) {
    if (!pointer)
        return kmalloc(new_size);
    if (!allocation_allowed())
        return nullptr;
    return std::realloc(pointer, new_size ? new_size : 1);
}

void kfree(void* pointer) {
    if (!pointer)
        return;
    --g_live_objects;
    std::free(pointer);
}

size_t kmalloc_usable_size(const void* pointer) { return malloc_usable_size(const_cast<void*>(pointer)); }

}  // namespace akuma::mm

namespace akuma::fs {

// Through kmalloc, so data pages count as live objects and fail on cue.
void* allocate_data_page() { return mm::kzalloc(k_data_page_size, k_data_page_size); }
void free_data_page(void* page) { mm::kfree(page); }
bool data_page_in_use(const void*) { return false; }
void data_page_written(void*) {}
// No write-back thread on the host: tests sync explicitly.
void write_back_soon() {}

}  // namespace akuma::fs
