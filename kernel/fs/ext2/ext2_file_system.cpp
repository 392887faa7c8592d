// Ext2FileSystem: mounting, the superblock, syncing, unmounting and
// attributes.
#include "kernel/fs/ext2/ext2_file_system.h"

#include <new>

#include "kernel/lib/kprint.h"

namespace akuma::fs {

using namespace ext2;

namespace {

Ext2Inode& node(const InodeRef& inode) {
    return static_cast<Ext2Inode&>(*inode);
}

constexpr uint64_t k_superblock_sector = k_superblock_offset / drivers::k_sector_size;

} // namespace

Ext2FileSystem::Ext2FileSystem(drivers::BlockDevice& device, const Geometry& geometry, bool read_only)
    : m_device(device)
    , m_geometry(geometry)
    , m_cache(device, geometry.block_size)
    , m_allocator(m_geometry, m_cache)
    , m_map(m_geometry, m_cache, m_allocator)
    , m_read_only(read_only) { }

ErrorOr<Ext2FileSystem::Pointer> Ext2FileSystem::mount(
    drivers::BlockDevice& device, bool read_only, Clock clock) {
    if (!read_only && device.read_only()) {
        kprintln("[ext2] {}: the device is read-only; mount it read-only", device.name());
        return Error::ReadOnlyFs;
    }
    uint64_t device_bytes = device.sector_count() * drivers::k_sector_size;
    if (device_bytes < k_superblock_offset + k_superblock_size) {
        kprintln("[ext2] {}: too small for ext2", device.name());
        return Error::Invalid;
    }
    Superblock superblock;
    if (auto read = device.read_sectors(
            k_superblock_sector, { reinterpret_cast<uint8_t*>(&superblock), sizeof superblock });
        read.is_error()) {
        kprintln("[ext2] {}: cannot read the superblock: {}", device.name(), error_name(read.error()));
        return Error::IoError;
    }
    Geometry geometry = TRY(validate_superblock(superblock, device_bytes, read_only));

    void* memory = mm::kmalloc(sizeof(Ext2FileSystem), alignof(Ext2FileSystem));
    if (!memory)
        return Error::NoMemory;
    // Read-only and "unmounted" until mounted: a failure below writes nothing.
    auto fs = Pointer::adopt(new (memory) Ext2FileSystem(device, geometry, true));
    fs->m_unmounted = true;
    if (clock)
        fs->set_clock(clock);
    fs->m_superblock = superblock;
    fs->m_scratch = static_cast<uint8_t*>(mm::kmalloc(geometry.block_size, 64));
    if (!fs->m_scratch)
        return Error::NoMemory;
    TRY(fs->m_allocator.load());
    InodeRef root = TRY(fs->get_inode(k_root_ino));
    if (!root->is_directory()) {
        kprintln("[ext2] {}: corrupt: the root inode is not a directory", device.name());
        return Error::Corrupted;
    }
    fs->m_root = std::move(root);
    if (!(superblock.state & k_state_valid) || (superblock.state & k_state_errors))
        kprintln("[ext2] {}: warning: not cleanly unmounted or has errors; running e2fsck is recommended",
            device.name());
    fs->m_read_only = read_only;
    fs->m_unmounted = false;
    if (!read_only) {
        // As Linux: "not clean" while mounted read-write.
        fs->m_state_at_mount = superblock.state;
        fs->m_superblock.state = uint16_t(superblock.state & ~k_state_valid);
        ++fs->m_superblock.mount_count;
        fs->m_superblock.mount_time = uint32_t(fs->now().seconds);
        if (auto written = fs->write_superblock(); written.is_error()) {
            fs->m_read_only = true;
            fs->m_unmounted = true;
            return written.error();
        }
        (void)device.flush();
    }
    kprintln("[ext2] {}: mounted {} ({} KiB blocks, {} blocks, {} inodes)", device.name(),
        read_only ? "read-only" : "read-write", geometry.block_size / 1024, geometry.blocks_count,
        geometry.inodes_count);
    return fs;
}

Ext2FileSystem::~Ext2FileSystem() {
    if (!m_unmounted) {
        if (auto done = unmount(); done.is_error())
            kprintln("[ext2] {}: unmount: {}", m_device.name(), error_name(done.error()));
    }
    m_root.reset();
    release_unreferenced();
    VERIFY(m_live_inodes == 0); // an InodeRef outlived its file system
    if (m_scratch)
        mm::kfree(m_scratch);
}

ErrorOr<void> Ext2FileSystem::unmount() {
    if (m_unmounted)
        return {};
    release_unreferenced();
    ErrorOr<void> result {};
    if (!m_read_only) {
        for (Ext2Inode* bucket : m_hash) {
            for (Ext2Inode* inode = bucket; inode; inode = inode->m_hash_next) {
                auto written = write_back_pages(*inode);
                if (written.is_error() && !result.is_error())
                    result = written.error();
            }
        }
        if (m_state_at_mount & k_state_valid)
            m_superblock.state |= k_state_valid;
        auto flushed = flush_metadata();
        if (flushed.is_error() && !result.is_error())
            result = flushed.error();
    }
    m_unmounted = true;
    m_read_only = true;
    return result;
}

ErrorOr<void> Ext2FileSystem::writable() const {
    if (m_read_only)
        return Error::ReadOnlyFs;
    return {};
}

ErrorOr<void> Ext2FileSystem::write_superblock() {
    m_superblock.free_blocks_count = uint32_t(m_allocator.free_blocks());
    m_superblock.free_inodes_count = uint32_t(m_allocator.free_inodes());
    m_superblock.write_time = uint32_t(now().seconds);
    if (auto written = m_device.write_sectors(
            k_superblock_sector, { reinterpret_cast<const uint8_t*>(&m_superblock), sizeof m_superblock });
        written.is_error()) {
        kprintln("[ext2] {}: cannot write the superblock: {}", m_device.name(), error_name(written.error()));
        return Error::IoError;
    }
    return {};
}

ErrorOr<void> Ext2FileSystem::flush_metadata() {
    TRY(m_allocator.flush());
    TRY(m_cache.flush());
    TRY(write_superblock());
    if (auto flushed = m_device.flush(); flushed.is_error())
        return Error::IoError;
    return {};
}

ErrorOr<void> Ext2FileSystem::sync(const InodeRef& inode) {
    ReleaseGuard release_guard { *this };
    if (m_read_only)
        return {};
    if (inode->type() == InodeType::Regular)
        TRY(write_back_pages(node(inode)));
    return flush_metadata();
}

ErrorOr<void> Ext2FileSystem::sync_file_system() {
    release_unreferenced();
    if (m_read_only)
        return {};
    ErrorOr<void> result = write_back_dirty_files();
    for (Ext2Inode* bucket : m_hash) {
        for (Ext2Inode* inode = bucket; inode; inode = inode->m_hash_next) {
            if (!inode->m_shared_writable)
                continue;
            if (auto written = write_back_pages(*inode); written.is_error() && !result.is_error())
                result = written.error();
        }
    }
    // The metadata even if data failed: what can be saved is.
    auto flushed = flush_metadata();
    TRY(result);
    return flushed;
}

bool Ext2FileSystem::needs_write_back() const {
    return !m_read_only && (m_dirty_pages || m_cache.has_dirty() || m_allocator.has_dirty());
}

bool Ext2FileSystem::in_use(uint32_t root_references) const {
    if (user_count(*m_root) != 1 + root_references)
        return true;
    for (Ext2Inode* bucket : m_hash) {
        for (Ext2Inode* inode = bucket; inode; inode = inode->m_hash_next) {
            if (inode != m_root.get() && user_count(*inode) != 0)
                return true;
        }
    }
    return false;
}

FileSystemStats Ext2FileSystem::statfs() const {
    uint64_t overhead = m_allocator.metadata_blocks();
    uint64_t free = m_allocator.free_blocks();
    uint64_t reserved = m_superblock.reserved_blocks_count;
    return FileSystemStats {
        .magic = k_magic,
        .block_size = m_geometry.block_size,
        .blocks = m_geometry.blocks_count > overhead ? m_geometry.blocks_count - overhead : 0,
        .blocks_free = free,
        .blocks_available = free > reserved ? free - reserved : 0,
        .files = m_geometry.inodes_count,
        .files_free = m_allocator.free_inodes(),
        .name_max = k_max_name,
        .flags = 0,
    };
}

InodeStat Ext2FileSystem::stat(const InodeRef& inode) const {
    InodeStat result = FileSystem::stat(inode);
    result.blocks = node(inode).m_sectors;
    result.blksize = m_geometry.block_size;
    return result;
}

FileSystem::CachePages Ext2FileSystem::cache_pages() const {
    // Copies of disk blocks, the dirty ones waiting for write-back.
    uint64_t pages = __atomic_load_n(&m_cache_usage.pages, __ATOMIC_RELAXED);
    uint64_t dirty = __atomic_load_n(&m_dirty_pages, __ATOMIC_RELAXED);
    return { 0, pages > dirty ? pages - dirty : 0, dirty };
}

size_t Ext2FileSystem::reclaim_clean_pages() {
    release_unreferenced();
    size_t freed = 0;
    for (Ext2Inode* bucket : m_hash) {
        for (Ext2Inode* inode = bucket; inode; inode = inode->m_hash_next) {
            FilePages& cache = inode->m_cache;
            if (!cache.page_count() || !cache.for_each_page([](uint8_t* page) { return !data_page_in_use(page); }))
                continue;
            if ((inode->m_shared_writable || !inode->m_dirty.empty()) && !m_read_only) {
                if (auto written = write_back_pages(*inode); written.is_error())
                    continue;  // logged there; the pages stay until they can be written
            }
            freed += cache.page_count();
            cache.clear();
        }
    }
    // The metadata blocks too (not counted: they are heap memory).
    (void)m_cache.release_memory();
    return freed;
}

void Ext2FileSystem::set_mode(const InodeRef& inode, uint32_t mode) {
    if (m_read_only)
        return;
    FileSystem::set_mode(inode, mode);
    if (auto stored = store_inode(node(inode)); stored.is_error())
        kprintln("[ext2] inode {}: cannot store its mode: {}", inode->ino(), error_name(stored.error()));
}

void Ext2FileSystem::set_owner(const InodeRef& inode, uint32_t uid, uint32_t gid) {
    if (m_read_only)
        return;
    FileSystem::set_owner(inode, uid, gid);
    if (auto stored = store_inode(node(inode)); stored.is_error())
        kprintln("[ext2] inode {}: cannot store its owner: {}", inode->ino(), error_name(stored.error()));
}

void Ext2FileSystem::set_times(
    const InodeRef& inode, std::optional<Timestamp> atime, std::optional<Timestamp> mtime) {
    if (m_read_only)
        return;
    FileSystem::set_times(inode, atime, mtime);
    if (auto stored = store_inode(node(inode)); stored.is_error())
        kprintln("[ext2] inode {}: cannot store its times: {}", inode->ino(), error_name(stored.error()));
}

} // namespace akuma::fs
