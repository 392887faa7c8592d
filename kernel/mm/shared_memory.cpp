#include "kernel/mm/shared_memory.h"

#include <new>

#include "kernel/arch/aarch64/page_zero.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/page_sharing.h"
#include "kernel/mm/pmm.h"

namespace akuma::mm {

ErrorOr<SharedMemory*> SharedMemory::create(uint64_t page_count) {
    if (page_count == 0)
        return Error::Invalid;
    uint64_t entries = (page_count + k_leaf_entries - 1) / k_leaf_entries;
    auto** directory = static_cast<PhysAddr**>(kmalloc(entries * sizeof(PhysAddr*)));
    if (!directory)
        return Error::NoMemory;
    __builtin_memset(directory, 0, entries * sizeof(PhysAddr*));
    auto* object = new (std::nothrow) SharedMemory(page_count, directory, entries);
    if (!object) {
        kfree(directory);
        return Error::NoMemory;
    }
    return object;
}

SharedMemory::~SharedMemory() {
    for (uint64_t i = 0; i < m_directory_entries; ++i) {
        PhysAddr* leaf = m_directory[i];
        if (!leaf)
            continue;
        for (uint64_t j = 0; j < k_leaf_entries; ++j) {
            if (leaf[j])
                drop_sharer(leaf[j]);
        }
        kfree(leaf);
    }
    kfree(m_directory);
}

void SharedMemory::retain() { m_references.fetch_add(1, std::memory_order_relaxed); }

void SharedMemory::release() {
    // acq_rel: the last one sees every other holder's use of the pages.
    if (m_references.fetch_sub(1, std::memory_order_acq_rel) == 1)
        delete this;  // nobody refers to it any more
}

ErrorOr<PhysAddr> SharedMemory::page_locked(uint64_t index) {
    if (index >= m_page_count)
        return Error::Invalid;
    PhysAddr*& leaf = m_directory[index / k_leaf_entries];
    if (!leaf) {
        leaf = static_cast<PhysAddr*>(kmalloc(k_leaf_entries * sizeof(PhysAddr)));
        if (!leaf)
            return Error::NoMemory;
        __builtin_memset(leaf, 0, k_leaf_entries * sizeof(PhysAddr));
    }
    PhysAddr& frame = leaf[index % k_leaf_entries];
    if (!frame) {
        frame = TRY(allocate_pages(0, PageOwner::UserPage));
        arch::zero_page(phys_to_virt(frame));
    }
    return frame;
}

}  // namespace akuma::mm
