#include "kernel/fs/ext2/ext2_format.h"

#include "kernel/lib/kprint.h"

namespace akuma::fs::ext2 {

namespace {

bool is_power_of(uint32_t value, uint32_t base) {
    while (value > 1 && value % base == 0)
        value /= base;
    return value == 1;
}

ErrorOr<Geometry> corrupt(const char* what) {
    kprintln("[ext2] corrupt superblock: {}", what);
    return Error::Corrupted;
}

} // namespace

bool Geometry::group_has_superblock(uint32_t group) const {
    if (!sparse_super || group <= 1)
        return true;
    return is_power_of(group, 3) || is_power_of(group, 5) || is_power_of(group, 7);
}

ErrorOr<Geometry> validate_superblock(const Superblock& sb, uint64_t device_bytes, bool read_only) {
    if (sb.magic != k_magic) {
        kprintln("[ext2] not an ext2 file system (magic {:#x}, expected 0xef53)", sb.magic);
        return Error::Invalid;
    }
    if (sb.revision > 1) {
        kprintln("[ext2] unsupported revision {}", sb.revision);
        return Error::NotSupported;
    }
    Geometry g {};
    if (sb.revision == 1) {
        uint32_t unknown_incompat = sb.feature_incompat & ~k_supported_incompat;
        if (unknown_incompat) {
            if (sb.feature_incompat & k_incompat_extents)
                kprintln("[ext2] refusing an ext4 file system (extents): not supported");
            else if (sb.feature_incompat & k_incompat_recover)
                kprintln("[ext2] refusing a file system whose journal needs recovery (incompat {:#x})",
                    unknown_incompat);
            else
                kprintln("[ext2] refusing unsupported incompatible features {:#x}", unknown_incompat);
            return Error::NotSupported;
        }
        uint32_t unknown_ro = sb.feature_ro_compat & ~k_supported_ro_compat;
        if (unknown_ro && !read_only) {
            kprintln(
                "[ext2] unsupported read-only-compatible features {:#x}: mount it read-only", unknown_ro);
            return Error::ReadOnlyFs;
        }
        g.first_ino = sb.first_ino;
        g.inode_size = sb.inode_size;
        g.sparse_super = sb.feature_ro_compat & k_ro_compat_sparse_super;
        g.filetype = sb.feature_incompat & k_incompat_filetype;
        g.reserved_gdt_blocks = (sb.feature_compat & k_compat_resize_inode) ? sb.reserved_gdt_blocks : 0;
    } else {
        g.first_ino = k_good_old_first_ino;
        g.inode_size = k_good_old_inode_size;
    }
    if (sb.log_block_size > 2) {
        kprintln("[ext2] unsupported block size {} (1, 2 and 4 KiB are)",
            uint64_t(1024) << (sb.log_block_size & 31));
        return Error::NotSupported;
    }
    g.log_block_size = 10 + sb.log_block_size;
    g.block_size = 1024u << sb.log_block_size;
    g.sectors_per_block = g.block_size / 512;
    g.pointers_per_block = g.block_size / 4;
    if (g.inode_size < k_good_old_inode_size || g.inode_size > g.block_size || !is_power_of(g.inode_size, 2))
        return corrupt("inode size");
    if (sb.first_data_block != (g.block_size == 1024 ? 1u : 0u))
        return corrupt("first data block");
    g.first_data_block = sb.first_data_block;
    g.blocks_count = sb.blocks_count;
    g.blocks_per_group = sb.blocks_per_group;
    g.inodes_per_group = sb.inodes_per_group;
    if (g.blocks_per_group == 0 || g.blocks_per_group > 8 * g.block_size)
        return corrupt("blocks per group");
    if (g.inodes_per_group == 0 || g.inodes_per_group > 8 * g.block_size)
        return corrupt("inodes per group");
    if (g.blocks_count <= g.first_data_block + 1)
        return corrupt("block count");
    if (uint64_t(g.blocks_count) * g.block_size > device_bytes) {
        kprintln("[ext2] corrupt superblock: {} blocks do not fit the device ({} bytes)", g.blocks_count,
            device_bytes);
        return Error::Corrupted;
    }
    g.group_count = (g.blocks_count - g.first_data_block + g.blocks_per_group - 1) / g.blocks_per_group;
    if (uint64_t(g.group_count) * g.inodes_per_group != sb.inodes_count)
        return corrupt("inode count does not match the groups");
    g.inodes_count = sb.inodes_count;
    if (g.first_ino < k_good_old_first_ino || g.first_ino >= g.inodes_count)
        return corrupt("first inode");
    uint64_t table_bytes = uint64_t(g.inodes_per_group) * g.inode_size;
    g.inode_table_blocks = uint32_t((table_bytes + g.block_size - 1) / g.block_size);
    g.descriptor_blocks
        = (g.group_count * uint32_t(sizeof(GroupDescriptor)) + g.block_size - 1) / g.block_size;
    // A group's own metadata must leave it room (the last group may be short).
    uint64_t metadata = 1 + uint64_t(g.descriptor_blocks) + g.reserved_gdt_blocks + 2 + g.inode_table_blocks;
    if (metadata >= g.blocks_per_group)
        return corrupt("group metadata larger than a group");
    if (sb.free_blocks_count > g.blocks_count || sb.free_inodes_count > g.inodes_count)
        return corrupt("free counts");

    // Files map blocks through 12 direct pointers and three levels of
    // indirection, and i_blocks counts 512-byte units in 32 bits: the size
    // limit is the smaller of the two (Linux's ext2_max_size reasons alike).
    uint64_t p = g.pointers_per_block;
    uint64_t mapped = k_direct_blocks + p + p * p + p * p * p;
    uint64_t counted = (uint64_t(0xffffffff) >> (g.log_block_size - 9));
    uint64_t indirect = 1 + (1 + p) + (1 + p + p * p);
    uint64_t limit = counted > indirect ? counted - indirect : 0;
    if (mapped < limit)
        limit = mapped;
    g.max_file_size = limit << g.log_block_size;
    return g;
}

bool is_group_metadata(const Geometry& g, uint32_t group, const GroupDescriptor& d, uint32_t block) {
    uint32_t first = g.group_first_block(group);
    if (g.group_has_superblock(group) && block >= first
        && block - first < 1 + g.descriptor_blocks + g.reserved_gdt_blocks)
        return true;
    if (block == d.block_bitmap || block == d.inode_bitmap)
        return true;
    return block >= d.inode_table && block - d.inode_table < g.inode_table_blocks;
}

ErrorOr<void> validate_group(const Geometry& g, uint32_t group, const GroupDescriptor& d) {
    uint32_t first = g.group_first_block(group);
    uint32_t count = g.group_block_count(group);
    uint32_t reserved = g.group_has_superblock(group) ? 1 + g.descriptor_blocks + g.reserved_gdt_blocks : 0;
    auto inside = [&](uint32_t block, uint32_t length) {
        return block >= first + reserved && block - first <= count && count - (block - first) >= length;
    };
    const char* problem = nullptr;
    if (!inside(d.block_bitmap, 1))
        problem = "block bitmap outside its group";
    else if (!inside(d.inode_bitmap, 1) || d.inode_bitmap == d.block_bitmap)
        problem = "inode bitmap outside its group";
    else if (!inside(d.inode_table, g.inode_table_blocks)
        || (d.block_bitmap >= d.inode_table && d.block_bitmap - d.inode_table < g.inode_table_blocks)
        || (d.inode_bitmap >= d.inode_table && d.inode_bitmap - d.inode_table < g.inode_table_blocks))
        problem = "inode table outside its group";
    else if (d.free_blocks_count > count || d.free_inodes_count > g.inodes_per_group
        || d.used_dirs_count > g.inodes_per_group)
        problem = "free counts";
    if (problem) {
        kprintln("[ext2] corrupt group descriptor {}: {}", group, problem);
        return Error::Corrupted;
    }
    return {};
}

} // namespace akuma::fs::ext2
