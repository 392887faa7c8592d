// Ramfs file data pages come straight from the PMM, not the heap: a page
// each, owned as "file data" in the page descriptors (and free of heap
// redzones in debug boots).
#include "kernel/arch/aarch64/page_zero.h"
#include "kernel/fs/file_pages.h"
#include "kernel/mm/pmm.h"

namespace akuma::fs {

void* allocate_data_page() {
    auto frame = mm::allocate_pages(0, mm::PageOwner::FileData);
    if (frame.is_error())
        return nullptr;
    void* page = mm::phys_to_virt(frame.value());
    arch::zero_page(page);
    return page;
}

void free_data_page(void* page) { mm::free_pages(mm::linear_virt_to_phys(page)); }

} // namespace akuma::fs
