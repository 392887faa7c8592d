#include "kernel/fs/ext2/allocator.h"

#include "kernel/lib/kprint.h"

namespace akuma::fs::ext2 {

namespace {

bool test_bit(const uint8_t* bitmap, uint32_t bit) {
    return bitmap[bit / 8] & (1u << (bit % 8));
}
void set_bit(uint8_t* bitmap, uint32_t bit) {
    bitmap[bit / 8] |= uint8_t(1u << (bit % 8));
}
void clear_bit(uint8_t* bitmap, uint32_t bit) {
    bitmap[bit / 8] &= uint8_t(~(1u << (bit % 8)));
}

} // namespace

ErrorOr<void> Allocator::load() {
    const Geometry& g = m_geometry;
    TRY(m_groups.try_reserve(g.group_count));
    uint32_t per_block = g.block_size / sizeof(GroupDescriptor);
    for (uint32_t group = 0; group < g.group_count; ++group) {
        const uint8_t* block = TRY(m_cache.get(g.first_data_block + 1 + group / per_block));
        GroupDescriptor descriptor;
        __builtin_memcpy(
            &descriptor, block + (group % per_block) * sizeof(GroupDescriptor), sizeof descriptor);
        TRY(validate_group(g, group, descriptor));
        TRY(m_groups.try_append(descriptor));
        m_free_blocks += descriptor.free_blocks_count;
        m_free_inodes += descriptor.free_inodes_count;
    }
    return {};
}

ErrorOr<void> Allocator::flush() {
    if (!m_dirty)
        return {};
    const Geometry& g = m_geometry;
    uint32_t per_block = g.block_size / sizeof(GroupDescriptor);
    for (uint32_t first = 0; first < g.group_count; first += per_block) {
        uint32_t block_number = g.first_data_block + 1 + first / per_block;
        uint8_t* block = TRY(m_cache.get(block_number));
        for (uint32_t group = first; group < g.group_count && group < first + per_block; ++group)
            __builtin_memcpy(
                block + (group - first) * sizeof(GroupDescriptor), &m_groups[group], sizeof(GroupDescriptor));
        m_cache.mark_dirty(block_number);
    }
    m_dirty = false;
    return {};
}

uint64_t Allocator::metadata_blocks() const {
    const Geometry& g = m_geometry;
    uint64_t total = g.first_data_block;
    for (uint32_t group = 0; group < g.group_count; ++group) {
        total += 2 + g.inode_table_blocks;
        if (g.group_has_superblock(group))
            total += 1 + g.descriptor_blocks + g.reserved_gdt_blocks;
    }
    return total;
}

ErrorOr<void> Allocator::check_data_block(uint32_t block, const char* what) const {
    const Geometry& g = m_geometry;
    if (block < g.first_data_block || block >= g.blocks_count) {
        kprintln("[ext2] corrupt {}: block {} outside the file system", what, block);
        return Error::Corrupted;
    }
    uint32_t group = (block - g.first_data_block) / g.blocks_per_group;
    if (is_group_metadata(g, group, m_groups[group], block)) {
        kprintln("[ext2] corrupt {}: block {} is file system metadata", what, block);
        return Error::Corrupted;
    }
    return {};
}

Allocator::InodeLocation Allocator::locate_inode(uint32_t ino) const {
    const Geometry& g = m_geometry;
    uint32_t index = ino - 1;
    uint32_t group = index / g.inodes_per_group;
    uint64_t byte = uint64_t(index % g.inodes_per_group) * g.inode_size;
    return { m_groups[group].inode_table + uint32_t(byte / g.block_size), uint32_t(byte % g.block_size) };
}

// The first clear bit in [first, limit) of a bitmap block, set.
ErrorOr<uint32_t> Allocator::take_bit(uint32_t bitmap_block, uint32_t first, uint32_t limit) {
    uint8_t* bitmap = TRY(m_cache.get(bitmap_block));
    for (uint32_t bit = first; bit < limit; ++bit) {
        // Whole full words, then whole full bytes, are skipped at once: a
        // well-used group's bitmap is mostly ones before its first free bit.
        if (bit % 64 == 0 && bit + 64 <= limit) {
            uint64_t word;
            __builtin_memcpy(&word, bitmap + bit / 8, sizeof word);
            if (word == ~uint64_t(0)) {
                bit += 63;
                continue;
            }
        }
        if (bit % 8 == 0 && bit + 8 <= limit && bitmap[bit / 8] == 0xff) {
            bit += 7;
            continue;
        }
        if (!test_bit(bitmap, bit)) {
            set_bit(bitmap, bit);
            m_cache.mark_dirty(bitmap_block);
            return bit;
        }
    }
    return Error::NotFound;
}

ErrorOr<uint32_t> Allocator::allocate_block(uint32_t goal) {
    const Geometry& g = m_geometry;
    if (m_free_blocks == 0)
        return Error::NoSpace;
    if (goal < g.first_data_block || goal >= g.blocks_count)
        goal = g.first_data_block;
    uint32_t goal_group = (goal - g.first_data_block) / g.blocks_per_group;
    for (uint32_t step = 0; step <= g.group_count; ++step) {
        uint32_t group = (goal_group + step) % g.group_count;
        GroupDescriptor& descriptor = m_groups[group];
        if (descriptor.free_blocks_count == 0)
            continue;
        uint32_t first_bit = step == 0 ? goal - g.group_first_block(group) : 0;
        auto bit = [&]() -> ErrorOr<uint32_t> {
            auto after_goal = take_bit(descriptor.block_bitmap, first_bit, g.group_block_count(group));
            if (!after_goal.is_error() || after_goal.error() != Error::NotFound || first_bit == 0)
                return after_goal;
            return take_bit(descriptor.block_bitmap, 0, first_bit);
        }();
        uint32_t found = 0;
        if (bit.is_error()) {
            if (bit.error() != Error::NotFound)
                return bit.error();
            kprintln("[ext2] corrupt block bitmap of group {}: full, but {} blocks counted free", group,
                descriptor.free_blocks_count);
            return Error::Corrupted;
        }
        found = bit.value();
        uint32_t block = g.group_first_block(group) + found;
        if (is_group_metadata(g, group, descriptor, block)) {
            kprintln("[ext2] corrupt block bitmap of group {}: metadata block {} marked free", group, block);
            return Error::Corrupted;
        }
        --descriptor.free_blocks_count;
        --m_free_blocks;
        m_dirty = true;
        return block;
    }
    kprintln("[ext2] corrupt group descriptors: {} blocks counted free, none found", m_free_blocks);
    return Error::Corrupted;
}

ErrorOr<void> Allocator::free_block(uint32_t block) {
    const Geometry& g = m_geometry;
    TRY(check_data_block(block, "block to free"));
    uint32_t group = (block - g.first_data_block) / g.blocks_per_group;
    GroupDescriptor& descriptor = m_groups[group];
    uint8_t* bitmap = TRY(m_cache.get(descriptor.block_bitmap));
    uint32_t bit = block - g.group_first_block(group);
    if (!test_bit(bitmap, bit)) {
        kprintln("[ext2] corrupt: freeing block {}, which is already free", block);
        return Error::Corrupted;
    }
    clear_bit(bitmap, bit);
    m_cache.mark_dirty(descriptor.block_bitmap);
    m_cache.forget(block);
    ++descriptor.free_blocks_count;
    ++m_free_blocks;
    m_dirty = true;
    return {};
}

ErrorOr<uint32_t> Allocator::allocate_inode(uint32_t parent, bool directory) {
    const Geometry& g = m_geometry;
    if (m_free_inodes == 0)
        return Error::NoSpace;
    uint32_t parent_group = parent >= 1 && parent <= g.inodes_count ? (parent - 1) / g.inodes_per_group : 0;
    for (uint32_t step = 0; step < g.group_count; ++step) {
        uint32_t group = (parent_group + step) % g.group_count;
        GroupDescriptor& descriptor = m_groups[group];
        if (descriptor.free_inodes_count == 0)
            continue;
        // Inodes below first_ino are reserved (their bits are set anyway).
        uint32_t group_first_ino = group * g.inodes_per_group + 1;
        uint32_t first_bit = group_first_ino >= g.first_ino ? 0 : g.first_ino - group_first_ino;
        if (first_bit >= g.inodes_per_group)
            continue;
        auto bit = take_bit(descriptor.inode_bitmap, first_bit, g.inodes_per_group);
        if (bit.is_error()) {
            if (bit.error() != Error::NotFound)
                return bit.error();
            kprintln("[ext2] corrupt inode bitmap of group {}: full, but {} inodes counted free", group,
                descriptor.free_inodes_count);
            return Error::Corrupted;
        }
        --descriptor.free_inodes_count;
        --m_free_inodes;
        if (directory)
            ++descriptor.used_dirs_count;
        m_dirty = true;
        return group_first_ino + bit.value();
    }
    kprintln("[ext2] corrupt group descriptors: {} inodes counted free, none found", m_free_inodes);
    return Error::Corrupted;
}

ErrorOr<void> Allocator::free_inode(uint32_t ino, bool directory) {
    const Geometry& g = m_geometry;
    if (ino < g.first_ino || ino > g.inodes_count) {
        kprintln("[ext2] corrupt: freeing reserved or invalid inode {}", ino);
        return Error::Corrupted;
    }
    uint32_t group = (ino - 1) / g.inodes_per_group;
    GroupDescriptor& descriptor = m_groups[group];
    uint8_t* bitmap = TRY(m_cache.get(descriptor.inode_bitmap));
    uint32_t bit = (ino - 1) % g.inodes_per_group;
    if (!test_bit(bitmap, bit)) {
        kprintln("[ext2] corrupt: freeing inode {}, which is already free", ino);
        return Error::Corrupted;
    }
    clear_bit(bitmap, bit);
    m_cache.mark_dirty(descriptor.inode_bitmap);
    ++descriptor.free_inodes_count;
    ++m_free_inodes;
    if (directory && descriptor.used_dirs_count > 0)
        --descriptor.used_dirs_count;
    m_dirty = true;
    return {};
}

} // namespace akuma::fs::ext2
