// ext2's on-disk format (revision 0 and 1, as mke2fs -t ext2 makes it):
// the superblock, group descriptors, inodes and directory entries, all
// little-endian (as AArch64 and the host tests' x86-64 are), with the
// feature bits Akuma knows, and the checks that turn a superblock into a
// Geometry every later access can trust (validate_superblock).
//
// Sources of the facts: the ext2 layout documentation (Poirier's "The
// Second Extended File System", the kernel's ext4 "Data Structures and
// Algorithms" pages for the shared fields). No code is taken from them.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel/lib/error_or.h"

namespace akuma::fs::ext2 {

constexpr uint16_t k_magic = 0xEF53; // also statfs's EXT2_SUPER_MAGIC
constexpr uint64_t k_superblock_offset = 1024;
constexpr size_t k_superblock_size = 1024;
constexpr uint32_t k_root_ino = 2;
constexpr uint32_t k_good_old_first_ino = 11;
constexpr uint16_t k_good_old_inode_size = 128;
constexpr size_t k_direct_blocks = 12;
constexpr size_t k_indirect_slot = 12;
constexpr size_t k_double_slot = 13;
constexpr size_t k_triple_slot = 14;
constexpr size_t k_block_slots = 15;
constexpr size_t k_fast_symlink_max = 60; // bytes of i_block; a fast target is shorter

// s_state
constexpr uint16_t k_state_valid = 1; // cleanly unmounted
constexpr uint16_t k_state_errors = 2; // errors detected

// Feature bits.
constexpr uint32_t k_compat_dir_prealloc = 0x1;
constexpr uint32_t k_compat_imagic_inodes = 0x2;
constexpr uint32_t k_compat_has_journal = 0x4;
constexpr uint32_t k_compat_ext_attr = 0x8;
constexpr uint32_t k_compat_resize_inode = 0x10;
constexpr uint32_t k_compat_dir_index = 0x20;
constexpr uint32_t k_ro_compat_sparse_super = 0x1;
constexpr uint32_t k_ro_compat_large_file = 0x2;
constexpr uint32_t k_incompat_filetype = 0x2;
constexpr uint32_t k_incompat_recover = 0x4;
constexpr uint32_t k_incompat_extents = 0x40;
// What this implementation reads and writes correctly.
constexpr uint32_t k_supported_incompat = k_incompat_filetype;
constexpr uint32_t k_supported_ro_compat = k_ro_compat_sparse_super | k_ro_compat_large_file;

// i_flags
constexpr uint32_t k_flag_index = 0x1000; // hashed directory (dir_index); readable linearly
constexpr uint32_t k_flag_extents = 0x80000; // ext4 extent tree in i_block

// Directory entry file types (the filetype feature).
enum class DirType : uint8_t {
    Unknown = 0,
    Regular = 1,
    Directory = 2,
    CharDevice = 3,
    BlockDevice = 4,
    Fifo = 5,
    Socket = 6,
    Symlink = 7,
};
constexpr uint8_t k_dir_type_max = 7;

struct [[gnu::packed]] Superblock {
    uint32_t inodes_count;
    uint32_t blocks_count;
    uint32_t reserved_blocks_count;
    uint32_t free_blocks_count;
    uint32_t free_inodes_count;
    uint32_t first_data_block;
    uint32_t log_block_size;
    uint32_t log_fragment_size;
    uint32_t blocks_per_group;
    uint32_t fragments_per_group;
    uint32_t inodes_per_group;
    uint32_t mount_time;
    uint32_t write_time;
    uint16_t mount_count;
    int16_t max_mount_count;
    uint16_t magic;
    uint16_t state;
    uint16_t errors;
    uint16_t minor_revision;
    uint32_t last_check;
    uint32_t check_interval;
    uint32_t creator_os;
    uint32_t revision;
    uint16_t default_reserved_uid;
    uint16_t default_reserved_gid;
    // Revision 1:
    uint32_t first_ino;
    uint16_t inode_size;
    uint16_t block_group_number;
    uint32_t feature_compat;
    uint32_t feature_incompat;
    uint32_t feature_ro_compat;
    uint8_t uuid[16];
    char volume_name[16];
    char last_mounted[64];
    uint32_t algorithm_bitmap;
    uint8_t prealloc_blocks;
    uint8_t prealloc_dir_blocks;
    uint16_t reserved_gdt_blocks; // resize_inode: blocks kept after each descriptor copy
    uint8_t rest[k_superblock_size - 208];
};
static_assert(sizeof(Superblock) == k_superblock_size);

struct [[gnu::packed]] GroupDescriptor {
    uint32_t block_bitmap;
    uint32_t inode_bitmap;
    uint32_t inode_table;
    uint16_t free_blocks_count;
    uint16_t free_inodes_count;
    uint16_t used_dirs_count;
    uint16_t flags;
    uint8_t reserved[12];
};
static_assert(sizeof(GroupDescriptor) == 32);

struct [[gnu::packed]] DiskInode {
    uint16_t mode;
    uint16_t uid;
    uint32_t size;
    uint32_t atime;
    uint32_t ctime;
    uint32_t mtime;
    uint32_t dtime;
    uint16_t gid;
    uint16_t links_count;
    uint32_t sectors; // i_blocks: 512-byte units, indirect and xattr blocks included
    uint32_t flags;
    uint32_t osd1;
    uint32_t block[k_block_slots];
    uint32_t generation;
    uint32_t file_acl;
    uint32_t size_high; // i_dir_acl in revision 0; regular files' high 32 bits (large_file)
    uint32_t fragment_address;
    uint8_t fragment_number;
    uint8_t fragment_size;
    uint16_t blocks_high;
    uint16_t uid_high;
    uint16_t gid_high;
    uint32_t reserved2;
};
static_assert(sizeof(DiskInode) == 128);

// The fields past the first 128 bytes of a large inode that Akuma keeps
// current: nanoseconds and the epoch bits of the times (ext4's layout; Linux
// reads them from ext2 images too).
struct [[gnu::packed]] DiskInodeExtra {
    uint16_t extra_size; // i_extra_isize: bytes used past 128
    uint16_t checksum_high;
    uint32_t ctime_extra;
    uint32_t mtime_extra;
    uint32_t atime_extra;
    uint32_t crtime;
    uint32_t crtime_extra;
};
constexpr uint16_t k_extra_size_for_times = 32; // what mke2fs gives new inodes (ext4's default)

struct [[gnu::packed]] DirEntryHeader {
    uint32_t inode;
    uint16_t record_length;
    uint8_t name_length;
    uint8_t file_type; // the high byte of a 16-bit name length without the filetype feature
};
static_assert(sizeof(DirEntryHeader) == 8);
constexpr size_t k_dir_entry_header = 8;

constexpr size_t dir_entry_size(size_t name_length) {
    return (k_dir_entry_header + name_length + 3) & ~size_t(3);
}

// Device numbers in i_block as Linux's ext2 keeps them: the old 16-bit
// encoding in i_block[0] when both parts fit a byte, else 0 there and the
// new 32-bit encoding in i_block[1].
struct DeviceSlots {
    uint32_t first;
    uint32_t second;
};
constexpr DeviceSlots encode_device_slots(uint32_t major, uint32_t minor) {
    if (major < 256 && minor < 256)
        return { major << 8 | minor, 0 };
    return { 0, (minor & 0xff) | (major & 0xfff) << 8 | (minor & ~0xffu) << 12 };
}
struct DecodedDevice {
    uint32_t major;
    uint32_t minor;
};
constexpr DecodedDevice decode_device_slots(uint32_t first, uint32_t second) {
    if (first != 0)
        return { (first >> 8) & 0xff, first & 0xff };
    return { (second & 0xfff00) >> 8, (second & 0xff) | ((second >> 12) & 0xfff00) };
}

// An extended-attribute block's header (only its reference count matters
// here: a file's xattr block is freed with the last inode using it).
constexpr uint32_t k_xattr_magic = 0xEA020000;

// Everything about the file system's shape, derived from a superblock that
// passed validate_superblock, so later arithmetic cannot overflow or leave
// the disk.
struct Geometry {
    uint32_t block_size;
    uint32_t log_block_size; // log2(block_size)
    uint32_t sectors_per_block;
    uint32_t blocks_count;
    uint32_t first_data_block;
    uint32_t blocks_per_group;
    uint32_t inodes_per_group;
    uint32_t inodes_count;
    uint32_t group_count;
    uint32_t first_ino;
    uint32_t inode_size;
    uint32_t inode_table_blocks; // per group
    uint32_t descriptor_blocks; // the group descriptor table's blocks
    uint32_t pointers_per_block;
    uint32_t reserved_gdt_blocks;
    bool sparse_super;
    bool filetype;
    uint64_t max_file_size;

    uint32_t group_first_block(uint32_t group) const { return first_data_block + group * blocks_per_group; }
    uint32_t group_block_count(uint32_t group) const {
        uint32_t first = group_first_block(group);
        return blocks_count - first < blocks_per_group ? blocks_count - first : blocks_per_group;
    }
    // Whether a group holds a copy of the superblock and descriptors
    // (sparse_super: groups 0, 1 and powers of 3, 5 and 7).
    bool group_has_superblock(uint32_t group) const;
};

// Checks every field the implementation relies on; logs the first problem
// ("[ext2] ...") and answers Corrupted (bad values), NotSupported (unknown
// incompatible features, block sizes above 4 KiB, ext4 extents) or
// ReadOnlyFs (unknown read-only-compatible features with a read-write
// mount).
ErrorOr<Geometry> validate_superblock(const Superblock& superblock, uint64_t device_bytes, bool read_only);

// A group descriptor checked against the geometry: bitmaps and inode table
// inside the group, outside its superblock and descriptor copies, free
// counts no more than the group holds.
ErrorOr<void> validate_group(const Geometry& geometry, uint32_t group, const GroupDescriptor& descriptor);

// Whether `block` is one of the file system's own blocks (a superblock or
// descriptor copy, reserved descriptor space, a bitmap or inode table of
// `descriptor`'s group) rather than one a file may own.
bool is_group_metadata(
    const Geometry& geometry, uint32_t group, const GroupDescriptor& descriptor, uint32_t block);

} // namespace akuma::fs::ext2
