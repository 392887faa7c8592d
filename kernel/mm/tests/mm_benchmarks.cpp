// Memory-subsystem micro-benchmarks (docs/PERFORMANCE.md).
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/pmm.h"
#include "kernel/tests/kbench.h"

using namespace akuma::mm;

namespace {
// Keeps the compiler from removing an allocation whose result is unused.
void consume(void* pointer) { asm volatile("" ::"r"(pointer) : "memory"); }

void heap_pairs(uint64_t iterations, size_t size) {
    for (uint64_t i = 0; i < iterations; ++i) {
        void* object = kmalloc(size);
        consume(object);
        kfree(object);
    }
}
}  // namespace

KBENCH(heap_16, "heap alloc+free 16 B", 20000) { heap_pairs(iterations, 16); }
KBENCH(heap_256, "heap alloc+free 256 B", 20000) { heap_pairs(iterations, 256); }
KBENCH(heap_4k, "heap alloc+free 4 KiB", 5000) { heap_pairs(iterations, 4096); }

KBENCH(pmm_page, "PMM page alloc+free", 20000) {
    for (uint64_t i = 0; i < iterations; ++i) {
        auto page = allocate_pages(0, PageOwner::Test);
        consume(&page);
        if (!page.is_error())
            free_pages(page.value());
    }
}
