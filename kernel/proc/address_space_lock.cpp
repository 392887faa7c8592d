// AddressSpace's mlock family (see address_space.h): flags on the VMAs,
// and the pages made at once.
#include "kernel/proc/address_space.h"

namespace akuma::proc {

namespace {

struct LockFlags {
    bool locked;
    bool on_fault;
};

void apply_lock_flags(mm::Vma& vma, const void* context) {
    const auto& flags = *static_cast<const LockFlags*>(context);
    vma.locked = flags.locked;
    vma.lock_on_fault = flags.locked && flags.on_fault;
}

}  // namespace

ErrorOr<void> AddressSpace::set_locked(mm::VirtAddr start, mm::VirtAddr end, bool locked, bool on_fault) {
    sched::MutexGuard guard(m_lock);
    LockFlags flags { locked, on_fault };
    return m_vmas.update_range(start, end, apply_lock_flags, &flags);
}

void AddressSpace::lock_all(bool current, bool future, bool on_fault) {
    __atomic_store_n(&m_lock_future, future, __ATOMIC_RELAXED);
    __atomic_store_n(&m_lock_future_on_fault, future && on_fault, __ATOMIC_RELAXED);
    if (!current)
        return;
    sched::MutexGuard guard(m_lock);
    LockFlags flags { true, on_fault };
    m_vmas.update_all(apply_lock_flags, &flags);
}

void AddressSpace::unlock_all() {
    __atomic_store_n(&m_lock_future, false, __ATOMIC_RELAXED);
    __atomic_store_n(&m_lock_future_on_fault, false, __ATOMIC_RELAXED);
    sched::MutexGuard guard(m_lock);
    LockFlags flags { false, false };
    m_vmas.update_all(apply_lock_flags, &flags);
}

uint64_t AddressSpace::locked_bytes(mm::VirtAddr start, mm::VirtAddr end) const {
    sched::MutexGuard guard(m_lock);
    uint64_t total = 0;
    for (auto vma = m_vmas.first_ending_after(start); vma != m_vmas.end() && vma->start < end; ++vma) {
        if (!vma->locked)
            continue;
        mm::VirtAddr from = vma->start > start ? vma->start : start;
        mm::VirtAddr to = vma->end < end ? vma->end : end;
        total += to - from;
    }
    return total;
}

uint64_t AddressSpace::mapped_bytes() const {
    sched::MutexGuard guard(m_lock);
    return mapped_bytes_locked();
}

ErrorOr<void> AddressSpace::populate(mm::VirtAddr start, mm::VirtAddr end, bool keep_going) {
    for (mm::VirtAddr page = start; page < end;) {
        FaultAccess access;
        mm::VirtAddr vma_end;
        {
            sched::MutexGuard guard(m_lock);
            auto vma = m_vmas.first_ending_after(page);
            if (vma == m_vmas.end() || vma->start >= end)
                return {};
            if (vma->start > page)
                page = vma->start;
            vma_end = vma->end < end ? vma->end : end;
            // PROT_NONE pages cannot be made (Linux: EFAULT from its
            // get_user_pages, which mlock reports as ENOMEM).
            if (!(vma->prot & (mm::k_prot_read | mm::k_prot_write | mm::k_prot_exec))) {
                if (!keep_going)
                    return Error::Fault;
                page = vma_end;
                continue;
            }
            access = (vma->prot & mm::k_prot_write) && !vma->shared ? FaultAccess::Write : FaultAccess::Read;
        }
        // One page at a time through the fault path (it takes the lock):
        // a VMA changed meanwhile by another thread is found again there.
        const char* reason = nullptr;
        for (; page < vma_end; page += mm::k_page_size) {
            if (auto made = handle_fault(page, access, &reason); made.is_error()) {
                if (!keep_going)
                    return made.error();
                page = vma_end;  // on with the next VMA, as Linux's ignore_errors
                break;
            }
        }
    }
    return {};
}

}  // namespace akuma::proc
