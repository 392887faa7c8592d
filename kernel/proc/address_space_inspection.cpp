// AddressSpace's read-only views for /proc (see address_space.h).
#include "kernel/mm/pmm.h"
#include "kernel/proc/address_space.h"

namespace akuma::proc {

namespace {

namespace pte = mm::descriptor;

// The level-3 entry of a present user page, or 0. User pages are always
// level-3 entries (map() never uses blocks for them).
uint64_t present_page_entry(const UserTableEnv& env, mm::PhysAddr root, mm::VirtAddr va) {
    mm::PhysAddr table = root;
    for (unsigned level = 0; level < 3; ++level) {
        uint64_t entry = env.table_pointer(table)[mm::level_index(va, level)];
        if (!(entry & pte::k_valid) || !(entry & pte::k_table))
            return 0;
        table = entry & pte::k_address_mask;
    }
    uint64_t entry = env.table_pointer(table)[mm::level_index(va, 3)];
    return (entry & pte::k_valid) ? entry : 0;
}

}  // namespace

size_t AddressSpace::read_present(mm::VirtAddr address, std::span<uint8_t> out) const {
    sched::MutexGuard guard(m_lock);
    size_t copied = 0;
    while (copied < out.size()) {
        mm::VirtAddr va = address + copied;
        if (va < address)
            break;  // wrapped
        const mm::Vma* vma = m_vmas.find(va);
        if (!vma || !(vma->prot & mm::k_prot_read))
            break;
        uint64_t entry = present_page_entry(m_env, m_root, va);
        if (!entry)
            break;
        uint64_t in_page = va & (mm::k_page_size - 1);
        size_t chunk = mm::k_page_size - in_page;
        if (chunk > out.size() - copied)
            chunk = out.size() - copied;
        // The page stays mapped while we hold the mutex: unmapping, copy-on-
        // write and teardown all change the tables under it.
        const auto* page = static_cast<const uint8_t*>(mm::phys_to_virt(entry & pte::k_address_mask));
        __builtin_memcpy(out.data() + copied, page + in_page, chunk);
        copied += chunk;
    }
    return copied;
}

ErrorOr<void> AddressSpace::residency(mm::VirtAddr start, std::span<uint8_t> out) const {
    sched::MutexGuard guard(m_lock);
    for (size_t i = 0; i < out.size(); ++i) {
        mm::VirtAddr va = start + i * mm::k_page_size;
        const mm::Vma* vma = m_vmas.find(va);
        if (!vma)
            return Error::NoMemory;
        bool resident = present_page_entry(m_env, m_root, va) != 0;
        // A private mapping's pages past the file's bytes are anonymous.
        bool file_page = vma->kind == mm::VmaKind::File || vma->kind == mm::VmaKind::Image;
        if (file_page && !vma->shared)
            file_page = va - vma->start < vma->file_bytes;
        if (!resident && file_page && mapped_file_ops().with_cached_pages) {
            uint64_t index = (vma->file_offset + (va - vma->start)) / mm::k_page_size;
            mapped_file_ops().with_cached_pages(
                vma->file, index, 1,
                [](void* context, const mm::PhysAddr* frames) { *static_cast<bool*>(context) = frames[0] != 0; },
                &resident);
        }
        out[i] = resident ? 1 : 0;
    }
    return {};
}

mm::VirtAddr AddressSpace::break_start() const {
    sched::MutexGuard guard(m_lock);
    return m_break_start;
}

}  // namespace akuma::proc
