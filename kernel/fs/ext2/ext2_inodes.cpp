// Ext2FileSystem: inodes between the inode table and memory, the table of
// live inodes (one object per number), and releasing inodes nothing holds.
#include <new>

#include "kernel/fs/ext2/ext2_file_system.h"
#include "kernel/fs/writeback.h"
#include "kernel/lib/kprint.h"

namespace akuma::fs {

using namespace ext2;

namespace {

// Seconds in 32 bits plus, in a large inode, two epoch bits and the
// nanoseconds (ext4's encoding, which Linux also reads from ext2).
Timestamp decode_time(uint32_t seconds, std::optional<uint32_t> extra) {
    int64_t value = int32_t(seconds);
    if (!extra)
        return { value, 0 };
    value += int64_t(*extra & 3) << 32;
    uint32_t nanoseconds = *extra >> 2;
    return { value, nanoseconds < 1000000000 ? nanoseconds : 0 };
}

uint32_t encode_extra(Timestamp time) {
    int64_t epoch = (time.seconds - int64_t(int32_t(uint32_t(time.seconds)))) >> 32;
    return uint32_t(epoch & 3) | time.nanoseconds << 2;
}

} // namespace

Ext2Inode::Ext2Inode(Ext2FileSystem& fs, uint32_t ino, InodeType type, uint32_t mode)
    : Inode(fs, ino, type, mode)
    , m_cache(&fs.m_cache_usage) { }

void Ext2FileSystem::hash_insert(Ext2Inode& inode) {
    Ext2Inode*& bucket = m_hash[inode.ino() % k_hash_buckets];
    inode.m_hash_next = bucket;
    bucket = &inode;
    ++m_live_inodes;
}

void Ext2FileSystem::hash_remove(Ext2Inode& inode) {
    for (Ext2Inode** link = &m_hash[inode.ino() % k_hash_buckets]; *link; link = &(*link)->m_hash_next) {
        if (*link == &inode) {
            *link = inode.m_hash_next;
            --m_live_inodes;
            return;
        }
    }
}

ErrorOr<InodeRef> Ext2FileSystem::get_inode(uint32_t ino) {
    for (Ext2Inode* inode = m_hash[ino % k_hash_buckets]; inode; inode = inode->m_hash_next) {
        if (inode->ino() == ino)
            return InodeRef(inode);
    }
    return InodeRef(TRY(load_inode(ino)));
}

ErrorOr<Ext2Inode*> Ext2FileSystem::load_inode(uint32_t ino) {
    const Geometry& g = m_geometry;
    if (!m_allocator.is_inode_number_valid(ino)) {
        kprintln("[ext2] corrupt: inode number {} out of range", ino);
        return Error::Corrupted;
    }
    Allocator::InodeLocation where = m_allocator.locate_inode(ino);
    const uint8_t* block = TRY(m_cache.get(where.block));
    DiskInode disk;
    __builtin_memcpy(&disk, block + where.offset, sizeof disk);
    std::optional<uint32_t> atime_extra, mtime_extra, ctime_extra;
    if (g.inode_size > k_good_old_inode_size) {
        DiskInodeExtra extra {};
        size_t available = g.inode_size - k_good_old_inode_size;
        __builtin_memcpy(&extra, block + where.offset + k_good_old_inode_size,
            available < sizeof extra ? available : sizeof extra);
        if (extra.extra_size + k_good_old_inode_size <= g.inode_size) {
            if (extra.extra_size >= 8)
                ctime_extra = extra.ctime_extra;
            if (extra.extra_size >= 12)
                mtime_extra = extra.mtime_extra;
            if (extra.extra_size >= 16)
                atime_extra = extra.atime_extra;
        }
    }

    const char* problem = nullptr;
    auto type = inode_type_of_mode(disk.mode);
    uint64_t size = disk.size;
    uint32_t xattr_sectors = disk.file_acl ? g.sectors_per_block : 0;
    if (!type)
        problem = "unknown file type";
    else if (disk.links_count == 0)
        problem = "deleted inode in use";
    else if (disk.flags & k_flag_extents)
        problem = "extent-mapped inode (ext4)";
    else if (*type == InodeType::Regular) {
        size |= uint64_t(disk.size_high) << 32;
        if (size > g.max_file_size)
            problem = "file size beyond the largest possible";
    } else if (*type == InodeType::Directory) {
        if (size == 0 || size % g.block_size != 0 || size / g.block_size > m_map.capacity())
            problem = "directory size";
    } else if (*type == InodeType::Symlink) {
        bool fast = disk.sectors <= xattr_sectors;
        if (size == 0 || size >= k_max_path || size >= g.block_size || (fast && size >= k_fast_symlink_max))
            problem = "symlink length";
    }
    if (!problem && disk.file_acl) {
        if (m_allocator.check_data_block(disk.file_acl, "extended attribute block").is_error())
            problem = "extended attribute block";
    }
    if (problem) {
        kprintln("[ext2] corrupt inode {}: {}", ino, problem);
        return Error::Corrupted;
    }

    void* memory = mm::kmalloc(sizeof(Ext2Inode), alignof(Ext2Inode));
    if (!memory)
        return Error::NoMemory;
    auto* inode = new (memory) Ext2Inode(*this, ino, *type, disk.mode);
    inode->m_uid = disk.uid | uint32_t(disk.uid_high) << 16;
    inode->m_gid = disk.gid | uint32_t(disk.gid_high) << 16;
    inode->m_nlink = disk.links_count;
    inode->m_size = size;
    inode->m_atime = decode_time(disk.atime, atime_extra);
    inode->m_mtime = decode_time(disk.mtime, mtime_extra);
    inode->m_ctime = decode_time(disk.ctime, ctime_extra);
    __builtin_memcpy(inode->m_slots, disk.block, sizeof disk.block);
    inode->m_sectors = disk.sectors;
    inode->m_flags = disk.flags;
    inode->m_file_acl = disk.file_acl;
    if (*type == InodeType::CharDevice || *type == InodeType::BlockDevice) {
        DecodedDevice device = decode_device_slots(disk.block[0], disk.block[1]);
        inode->m_rdev = { device.major, device.minor };
    }
    hash_insert(*inode);
    return inode;
}

ErrorOr<void> Ext2FileSystem::store_inode(Ext2Inode& inode) {
    if (m_read_only)
        return {};
    const Geometry& g = m_geometry;
    Allocator::InodeLocation where = m_allocator.locate_inode(uint32_t(inode.ino()));
    uint8_t* block = TRY(m_cache.get(where.block));
    DiskInode disk;
    __builtin_memcpy(&disk, block + where.offset, sizeof disk);
    disk.mode = uint16_t(inode.m_mode);
    disk.uid = uint16_t(inode.m_uid);
    disk.uid_high = uint16_t(inode.m_uid >> 16);
    disk.gid = uint16_t(inode.m_gid);
    disk.gid_high = uint16_t(inode.m_gid >> 16);
    disk.size = uint32_t(inode.m_size);
    if (inode.type() == InodeType::Regular) {
        disk.size_high = uint32_t(inode.m_size >> 32);
        if (inode.m_size > 0x7fffffff && !(m_superblock.feature_ro_compat & k_ro_compat_large_file)
            && m_superblock.revision >= 1)
            m_superblock.feature_ro_compat |= k_ro_compat_large_file; // written at the next sync
    }
    disk.atime = uint32_t(inode.m_atime.seconds);
    disk.mtime = uint32_t(inode.m_mtime.seconds);
    disk.ctime = uint32_t(inode.m_ctime.seconds);
    disk.dtime = inode.m_nlink == 0 ? uint32_t(now().seconds) : 0;
    disk.links_count = uint16_t(inode.m_nlink);
    disk.sectors = inode.m_sectors;
    disk.flags = inode.m_flags;
    __builtin_memcpy(disk.block, inode.m_slots, sizeof disk.block);
    disk.file_acl = inode.m_file_acl;
    __builtin_memcpy(block + where.offset, &disk, sizeof disk);
    if (g.inode_size > k_good_old_inode_size) {
        DiskInodeExtra extra {};
        size_t available = g.inode_size - k_good_old_inode_size;
        size_t length = available < sizeof extra ? available : sizeof extra;
        uint8_t* record = block + where.offset + k_good_old_inode_size;
        __builtin_memcpy(&extra, record, length);
        if (extra.extra_size + k_good_old_inode_size <= g.inode_size) {
            if (extra.extra_size >= 8)
                extra.ctime_extra = encode_extra(inode.m_ctime);
            if (extra.extra_size >= 12)
                extra.mtime_extra = encode_extra(inode.m_mtime);
            if (extra.extra_size >= 16)
                extra.atime_extra = encode_extra(inode.m_atime);
            __builtin_memcpy(record, &extra, length);
        }
    }
    m_cache.mark_dirty(where.block);
    write_back_soon(); // every change of metadata stores an inode
    return {};
}

ErrorOr<InodeRef> Ext2FileSystem::new_inode(Ext2Inode& directory, uint32_t mode, uint32_t uid, uint32_t gid) {
    const Geometry& g = m_geometry;
    auto type = inode_type_of_mode(mode);
    VERIFY(type);
    uint32_t ino = TRY(m_allocator.allocate_inode(uint32_t(directory.ino()), *type == InodeType::Directory));
    void* memory = mm::kmalloc(sizeof(Ext2Inode), alignof(Ext2Inode));
    if (!memory) {
        (void)m_allocator.free_inode(ino, *type == InodeType::Directory);
        return Error::NoMemory;
    }
    // A fresh record: zeroed, with room for the times' extra fields in a
    // large inode (as mke2fs makes them).
    Allocator::InodeLocation where = m_allocator.locate_inode(ino);
    auto block = m_cache.get(where.block);
    if (block.is_error()) {
        mm::kfree(memory);
        (void)m_allocator.free_inode(ino, *type == InodeType::Directory);
        return block.error();
    }
    __builtin_memset(block.value() + where.offset, 0, g.inode_size);
    if (g.inode_size >= k_good_old_inode_size + k_extra_size_for_times) {
        uint16_t extra_size = k_extra_size_for_times;
        __builtin_memcpy(block.value() + where.offset + k_good_old_inode_size, &extra_size, 2);
    }
    m_cache.mark_dirty(where.block);

    auto* inode = new (memory) Ext2Inode(*this, ino, *type, mode);
    inode->m_uid = uid;
    inode->m_gid = gid;
    inode->m_nlink = 0; // the caller links it
    inode->m_atime = inode->m_mtime = inode->m_ctime = now();
    hash_insert(*inode);
    return InodeRef(inode);
}

// ---- Releasing ----

// May run without the VFS lock: only queue the inode (lock-free push; the
// pending flag keeps it queued once).
void Ext2FileSystem::destroy_inode(Inode* base) {
    auto* inode = static_cast<Ext2Inode*>(base);
    if (__atomic_exchange_n(&inode->m_release_pending, true, __ATOMIC_ACQ_REL))
        return;
    Ext2Inode* head = __atomic_load_n(&m_released, __ATOMIC_RELAXED);
    do {
        inode->m_released_next = head;
    } while (
        !__atomic_compare_exchange_n(&m_released, &head, inode, true, __ATOMIC_RELEASE, __ATOMIC_RELAXED));
}

// Under the VFS lock. An inode found again by a lookup after it was queued
// has references again and stays; otherwise nothing can reach it but this
// file system (lookups run under the lock we hold).
void Ext2FileSystem::release_unreferenced() {
    Ext2Inode* list = __atomic_exchange_n(&m_released, nullptr, __ATOMIC_ACQUIRE);
    while (list) {
        Ext2Inode* inode = list;
        list = inode->m_released_next;
        __atomic_store_n(&inode->m_release_pending, false, __ATOMIC_SEQ_CST);
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        // A holder dropping its reference after the store queues it again.
        if (reference_count(*inode) != 0)
            continue;
        retire(*inode);
    }
}

void Ext2FileSystem::retire(Ext2Inode& inode) {
    hash_remove(inode);
    if (!m_read_only) {
        ErrorOr<void> result {};
        if (inode.m_nlink == 0)
            result = free_inode_on_disk(inode);  // its dirty pages are moot
        else
            result = write_back_pages(inode);
        if (result.is_error())
            kprintln(
                "[ext2] inode {}: cannot write back or free: {}", inode.ino(), error_name(result.error()));
    }
    forget_dirty(inode);  // written above, or beyond saving (logged)
    if (m_cursor.ino == inode.ino())
        m_cursor = {};
    inode.~Ext2Inode();
    mm::kfree(&inode);
}

// The last reference to an inode without links: its blocks, its xattr
// block (shared ones lose one reference), then its number.
ErrorOr<void> Ext2FileSystem::free_inode_on_disk(Ext2Inode& inode) {
    const Geometry& g = m_geometry;
    bool has_blocks = inode.type() == InodeType::Regular || inode.type() == InodeType::Directory
        || (inode.type() == InodeType::Symlink
            && inode.m_sectors > (inode.m_file_acl ? g.sectors_per_block : 0));
    if (has_blocks)
        TRY(m_map.free_from(pointers(inode), 0));
    if (inode.m_file_acl) {
        uint32_t block_number = inode.m_file_acl;
        uint8_t* block = TRY(m_cache.get(block_number));
        uint32_t magic, references;
        __builtin_memcpy(&magic, block, 4);
        __builtin_memcpy(&references, block + 4, 4);
        if (magic != k_xattr_magic) {
            kprintln("[ext2] corrupt extended attribute block {} of inode {}", block_number, inode.ino());
        } else if (references > 1) {
            --references;
            __builtin_memcpy(block + 4, &references, 4);
            m_cache.mark_dirty(block_number);
        } else {
            TRY(m_allocator.free_block(block_number));
        }
        inode.m_file_acl = 0;
        inode.m_sectors = inode.m_sectors >= g.sectors_per_block ? inode.m_sectors - g.sectors_per_block : 0;
    }
    inode.m_size = 0;
    if (inode.type() != InodeType::Symlink || has_blocks)
        __builtin_memset(inode.m_slots, 0, sizeof inode.m_slots);
    TRY(store_inode(inode));
    return m_allocator.free_inode(uint32_t(inode.ino()), inode.is_directory());
}

} // namespace akuma::fs
