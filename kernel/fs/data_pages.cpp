// Ramfs file data pages come straight from the PMM, not the heap: a page
// each, owned as "file data" in the page descriptors (and free of heap
// redzones in debug boots), so they can be mapped into processes.
#include "kernel/arch/aarch64/page_zero.h"
#include "kernel/fs/file_pages.h"
#include "kernel/mm/page_sharing.h"
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

// A data page may also be mapped into address spaces (the page cache:
// FileSystem::cache_page); each mapping holds a share, so the file drops
// its own and the page goes when the last holder lets go.
void free_data_page(void* page) { mm::drop_sharer(mm::linear_virt_to_phys(page)); }

void data_page_written(void* page) { mm::set_icache_dirty(mm::linear_virt_to_phys(page)); }

bool data_page_in_use(const void* page) { return mm::extra_sharers(mm::linear_virt_to_phys(page)) != 0; }

} // namespace akuma::fs
