#include "kernel/fs/ext2/block_map.h"

#include "kernel/lib/kprint.h"

namespace akuma::fs::ext2 {

namespace {

uint32_t load_pointer(const uint8_t* block, uint32_t index) {
    uint32_t value;
    __builtin_memcpy(&value, block + index * 4, 4);
    return value;
}

void store_pointer(uint8_t* block, uint32_t index, uint32_t value) {
    __builtin_memcpy(block + index * 4, &value, 4);
}

} // namespace

uint64_t BlockMap::capacity() const {
    uint64_t p = m_geometry.pointers_per_block;
    return k_direct_blocks + p + p * p + p * p * p;
}

ErrorOr<BlockMap::Path> BlockMap::path_of(uint64_t logical) const {
    uint64_t p = m_geometry.pointers_per_block;
    if (logical < k_direct_blocks)
        return Path { uint32_t(logical), 0, {} };
    logical -= k_direct_blocks;
    if (logical < p)
        return Path { k_indirect_slot, 1, { uint32_t(logical) } };
    logical -= p;
    if (logical < p * p)
        return Path { k_double_slot, 2, { uint32_t(logical / p), uint32_t(logical % p) } };
    logical -= p * p;
    if (logical < p * p * p)
        return Path { k_triple_slot, 3,
            { uint32_t(logical / (p * p)), uint32_t(logical / p % p), uint32_t(logical % p) } };
    return Error::Invalid;
}

ErrorOr<uint32_t> BlockMap::lookup(const uint32_t* slots, uint64_t logical) {
    Path path = TRY(path_of(logical));
    uint32_t pointer = slots[path.slot];
    for (uint32_t level = 0; level < path.depth; ++level) {
        if (pointer == 0)
            return 0u;
        TRY(m_allocator.check_data_block(pointer, "indirect block pointer"));
        const uint8_t* block = TRY(m_cache.get(pointer));
        pointer = load_pointer(block, path.index[level]);
    }
    if (pointer != 0)
        TRY(m_allocator.check_data_block(pointer, "data block pointer"));
    return pointer;
}

ErrorOr<BlockMap::Allocated> BlockMap::allocate(BlockPointers pointers, uint64_t logical, uint32_t goal) {
    Path path = TRY(path_of(logical));
    uint32_t parent = 0; // 0: the pointer lives in the inode's slots
    uint32_t parent_index = path.slot;
    uint32_t pointer = pointers.slots[path.slot];
    for (uint32_t level = 0; level <= path.depth; ++level) {
        bool leaf = level == path.depth;
        bool fresh = false;
        if (pointer == 0) {
            pointer = TRY(m_allocator.allocate_block(goal));
            fresh = true;
            *pointers.sectors += m_geometry.sectors_per_block;
            if (!leaf)
                TRY(m_cache.get_zeroed(pointer)); // an indirect block starts empty
            if (parent == 0) {
                pointers.slots[parent_index] = pointer;
            } else {
                uint8_t* block = TRY(m_cache.get(parent));
                store_pointer(block, parent_index, pointer);
                m_cache.mark_dirty(parent);
            }
        } else {
            TRY(m_allocator.check_data_block(
                pointer, leaf ? "data block pointer" : "indirect block pointer"));
        }
        if (leaf)
            return Allocated { pointer, fresh };
        parent = pointer;
        parent_index = path.index[level];
        const uint8_t* block = TRY(m_cache.get(parent));
        pointer = load_pointer(block, parent_index);
        goal = pointer ? pointer : parent + 1;
    }
    return Error::Invalid; // not reached
}

ErrorOr<void> BlockMap::release(uint32_t block, uint32_t& sectors) {
    TRY(m_allocator.free_block(block));
    sectors = sectors >= m_geometry.sectors_per_block ? sectors - m_geometry.sectors_per_block : 0;
    return {};
}

// The subtree under `pointer` (depth 0: a data block) covers logical blocks
// [base, base + p^depth); frees those at `first` or above, and the
// indirect block itself when it covers nothing below `first`.
ErrorOr<void> BlockMap::free_tree(
    uint32_t& pointer, uint32_t depth, uint64_t base, uint64_t first, uint32_t& sectors) {
    if (pointer == 0)
        return {};
    if (depth == 0) {
        if (base >= first) {
            TRY(release(pointer, sectors));
            pointer = 0;
        }
        return {};
    }
    TRY(m_allocator.check_data_block(pointer, "indirect block pointer"));
    uint64_t p = m_geometry.pointers_per_block;
    uint64_t child_span = 1;
    for (uint32_t level = 1; level < depth; ++level)
        child_span *= p;
    for (uint32_t index = 0; index < p; ++index) {
        uint64_t child_base = base + index * child_span;
        if (child_base + child_span <= first)
            continue;
        const uint8_t* block = TRY(m_cache.get(pointer));
        uint32_t child = load_pointer(block, index);
        if (child == 0)
            continue;
        uint32_t updated = child;
        auto freed = free_tree(updated, depth - 1, child_base, first, sectors);
        if (updated != child) {
            uint8_t* writable = TRY(m_cache.get(pointer));
            store_pointer(writable, index, updated);
            m_cache.mark_dirty(pointer);
        }
        TRY(freed);
    }
    if (base >= first) {
        TRY(release(pointer, sectors));
        pointer = 0;
    }
    return {};
}

ErrorOr<void> BlockMap::free_from(BlockPointers pointers, uint64_t first) {
    uint64_t p = m_geometry.pointers_per_block;
    for (uint32_t slot = 0; slot < k_direct_blocks; ++slot)
        TRY(free_tree(pointers.slots[slot], 0, slot, first, *pointers.sectors));
    uint64_t base = k_direct_blocks;
    TRY(free_tree(pointers.slots[k_indirect_slot], 1, base, first, *pointers.sectors));
    base += p;
    TRY(free_tree(pointers.slots[k_double_slot], 2, base, first, *pointers.sectors));
    base += p * p;
    TRY(free_tree(pointers.slots[k_triple_slot], 3, base, first, *pointers.sectors));
    return {};
}

} // namespace akuma::fs::ext2
