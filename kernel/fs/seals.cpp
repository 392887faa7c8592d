#include "kernel/fs/seals.h"

namespace akuma::fs {

void Seals::make_sealable(Inode& inode, uint32_t initial) {
    __atomic_store_n(&inode.m_seals, initial & k_all_seals, __ATOMIC_RELEASE);
}

ErrorOr<uint32_t> Seals::get(const Inode* inode) {
    if (!inode)
        return Error::Invalid;
    uint32_t seals = seals_of(*inode);
    if (seals == k_not_sealable)
        return Error::Invalid;
    return seals;
}

ErrorOr<void> Seals::add(Inode* sealed, bool open_for_writing, uint32_t seals) {
    if (!open_for_writing)
        return Error::NotPermitted;
    if ((seals & ~k_all_seals) || !sealed)
        return Error::Invalid;
    Inode& inode = *sealed;
    uint32_t current = seals_of(inode);
    for (;;) {
        if (current == k_not_sealable)
            return Error::Invalid;
        if (current & k_seal_seal)
            return Error::NotPermitted;
        if ((seals & k_seal_write) && !(current & k_seal_write)) {
            // Linux's mapping_deny_writable: only with no mapping that may
            // write, and from then on none may come (the count goes below 0).
            int32_t mappings = __atomic_load_n(&inode.m_writable_mappings, __ATOMIC_ACQUIRE);
            do {
                if (mappings > 0)
                    return Error::Busy;
            } while (!__atomic_compare_exchange_n(&inode.m_writable_mappings, &mappings, mappings - 1, false,
                                                  __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
        }
        if (__atomic_compare_exchange_n(&inode.m_seals, &current, current | seals, false, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE))
            return {};
        // Another F_ADD_SEALS came first: undo the deny if it was ours, retry.
        if ((seals & k_seal_write) && !(current & k_seal_write))
            __atomic_add_fetch(&inode.m_writable_mappings, 1, __ATOMIC_ACQ_REL);
    }
}

ErrorOr<void> Seals::check_write(const Inode& inode, uint64_t offset, uint64_t length) {
    uint32_t seals = seals_of(inode);
    if (seals == k_not_sealable || !(seals & (k_seal_write | k_seal_future_write | k_seal_grow)))
        return {};
    if (seals & (k_seal_write | k_seal_future_write))
        return Error::NotPermitted;
    if (offset + length > inode.size())
        return Error::NotPermitted;
    return {};
}

ErrorOr<void> Seals::check_resize(const Inode& inode, uint64_t new_size) {
    uint32_t seals = seals_of(inode);
    if (seals == k_not_sealable)
        return {};
    if ((new_size < inode.size() && (seals & k_seal_shrink)) || (new_size > inode.size() && (seals & k_seal_grow)))
        return Error::NotPermitted;
    return {};
}

ErrorOr<void> Seals::check_allocate(const Inode& inode, uint64_t offset, uint64_t length) {
    uint32_t seals = seals_of(inode);
    if (seals != k_not_sealable && (seals & k_seal_grow) && offset + length > inode.size())
        return Error::NotPermitted;
    return {};
}

bool Seals::add_writable_mapping(Inode& inode) {
    // Linux's mapping_map_writable: not once the count is below 0.
    int32_t mappings = __atomic_load_n(&inode.m_writable_mappings, __ATOMIC_ACQUIRE);
    do {
        if (mappings < 0)
            return false;
    } while (!__atomic_compare_exchange_n(&inode.m_writable_mappings, &mappings, mappings + 1, false,
                                          __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
    return true;
}

void Seals::fork_writable_mapping(Inode& inode) { __atomic_add_fetch(&inode.m_writable_mappings, 1, __ATOMIC_ACQ_REL); }

void Seals::remove_writable_mapping(Inode& inode) {
    __atomic_sub_fetch(&inode.m_writable_mappings, 1, __ATOMIC_ACQ_REL);
}

}  // namespace akuma::fs
