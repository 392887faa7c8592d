// Ext2FileSystem: file data (read, write, truncate, fallocate), the page
// cache (cache_page, readahead) and its write-back (dirty pages, and the
// pages shared writable mappings may change).
#include "kernel/fs/ext2/ext2_file_system.h"
#include "kernel/fs/writeback.h"
#include "kernel/lib/kprint.h"

namespace akuma::fs {

using namespace ext2;

namespace {

Ext2Inode& node(const InodeRef& inode) {
    return static_cast<Ext2Inode&>(*inode);
}

uint64_t min(uint64_t a, uint64_t b) {
    return a < b ? a : b;
}
uint64_t divide_up(uint64_t value, uint64_t unit) {
    return value / unit + (value % unit != 0);
}

} // namespace

ErrorOr<Ext2Inode*> Ext2FileSystem::regular_file(const InodeRef& inode) {
    if (inode->is_directory())
        return Error::IsADirectory;
    if (inode->type() != InodeType::Regular)
        return Error::Invalid;
    return &node(inode);
}

// Bytes of the file as the disk holds them (holes as zeros); the range is
// inside the file.
ErrorOr<size_t> Ext2FileSystem::read_from_disk(Ext2Inode& file, uint64_t offset, std::span<uint8_t> buffer) {
    uint32_t block_size = m_geometry.block_size;
    size_t done = 0;
    while (done < buffer.size()) {
        uint64_t position = offset + done;
        uint32_t in_block = uint32_t(position % block_size);
        size_t chunk = min(block_size - in_block, buffer.size() - done);
        uint32_t block = TRY(m_map.lookup(file.m_slots, position / block_size));
        if (block == 0) {
            __builtin_memset(buffer.data() + done, 0, chunk);
        } else if (chunk == block_size) {
            TRY(m_cache.read_blocks(block, buffer.subspan(done, chunk)));
        } else {
            TRY(m_cache.read_blocks(block, { m_scratch, block_size }));
            __builtin_memcpy(buffer.data() + done, m_scratch + in_block, chunk);
        }
        done += chunk;
    }
    return done;
}

ErrorOr<size_t> Ext2FileSystem::read(const InodeRef& inode, uint64_t offset, std::span<uint8_t> buffer) {
    ReleaseGuard release_guard { *this };
    Ext2Inode* file = TRY(regular_file(inode));
    if (offset >= file->m_size)
        return size_t(0);
    size_t count = min(file->m_size - offset, buffer.size());
    // Page by page through the page cache: a cached page is the file's
    // current contents (writes and shared mappings keep it so), a missing
    // one is read from the disk into the cache, so the next read of it
    // (and a mapping of it) costs no disk request.
    for (size_t done = 0; done < count;) {
        uint64_t position = offset + done;
        size_t in_page = position % k_data_page_size;
        size_t chunk = min(k_data_page_size - in_page, count - done);
        auto page = page_of(*file, position / k_data_page_size);
        if (page.is_error()) {
            if (done > 0)
                return done;  // what was read before the failure
            return page.error();
        }
        __builtin_memcpy(buffer.data() + done, page.value() + in_page, chunk);
        done += chunk;
    }
    return count;
}

ErrorOr<void> Ext2FileSystem::zero_block(uint32_t block) {
    __builtin_memset(m_scratch, 0, m_geometry.block_size);
    return m_cache.write_blocks(block, { m_scratch, m_geometry.block_size });
}

ErrorOr<size_t> Ext2FileSystem::write(const InodeRef& inode, uint64_t offset, std::span<const uint8_t> data) {
    ReleaseGuard release_guard { *this };
    Ext2Inode* file = TRY(regular_file(inode));
    TRY(writable());
    if (data.empty())
        return size_t(0);
    uint64_t end;
    if (__builtin_add_overflow(offset, data.size(), &end) || end > m_geometry.max_file_size)
        return Error::FileTooBig;
    size_t done = 0;
    ErrorOr<void> failure {};
    uint32_t goal = file->m_slots[0];
    // Block by block (blocks are at most a page) into the page cache: a
    // write cut short by a full disk ends at the last block it got.
    uint32_t block_size = m_geometry.block_size;
    while (done < data.size()) {
        uint64_t position = offset + done;
        size_t chunk = min(block_size - position % block_size, data.size() - done);
        if (auto written = write_into_page(*file, position, data.subspan(done, chunk), goal); written.is_error()) {
            failure = written.error();
            break;
        }
        done += chunk;
    }
    if (done > 0)
        file->m_mtime = file->m_ctime = now();
    auto stored = store_inode(*file); // i_blocks may have changed even if nothing was written
    if (m_dirty_pages > k_dirty_limit_pages) {
        // The disk's turn: everything dirty goes now, in long requests. A
        // failure is logged; the pages stay dirty for fsync to report.
        (void)write_back_dirty_files();
    }
    if (done == 0 && failure.is_error())
        return failure.error();
    TRY(stored);
    return done; // short if a later block failed
}

// `data` (inside one block) into the cached page at `position`, marked
// dirty; its blocks allocated. The page keeps the file's bytes around what
// is written: read from the disk unless the write covers all of the page
// the file has, or the page is past the end (zeros).
ErrorOr<void> Ext2FileSystem::write_into_page(
    Ext2Inode& file, uint64_t position, std::span<const uint8_t> data, uint32_t& goal) {
    uint64_t index = position / k_data_page_size;
    uint64_t start = index * k_data_page_size;
    size_t in_page = position % k_data_page_size;
    uint8_t* page = file.m_cache.find(index);
    if (!page) {
        bool covers_file_bytes = start >= file.m_size
            || (in_page == 0 && position + data.size() >= min(start + k_data_page_size, file.m_size));
        if (!covers_file_bytes) {
            auto read = page_of(file, index); // before the blocks: a fresh block holds garbage
            if (read.is_error() && read.error() != Error::NoMemory)
                return read.error();
            if (!read.is_error())
                page = read.value();
        } else if (auto* fresh = static_cast<uint8_t*>(allocate_data_page())) {
            if (file.m_cache.insert(index, fresh).is_error())
                free_data_page(fresh);
            else
                page = fresh;
        }
        if (!page) { // memory is short: straight to the disk, as without a cache
            TRY(write_through(file, position, data, goal));
            grow_to(file, position + data.size());
            return {};
        }
    }
    auto allocated = TRY(m_map.allocate(pointers(file), position / m_geometry.block_size, goal));
    goal = allocated.block + 1;
    data_page_written(page);
    __builtin_memcpy(page + in_page, data.data(), data.size());
    // The size follows each block: the next one's page_of, and a page
    // written at once by mark_page_dirty, see the file as far as written.
    grow_to(file, position + data.size());
    mark_page_dirty(file, index, page);
    return {};
}

void Ext2FileSystem::grow_to(Ext2Inode& file, uint64_t size) {
    if (size > file.m_size)
        file.m_size = size;
}

// Without a cache page: the block straight to the disk (read-modify-write
// for part of one), as the cache would have written it back.
ErrorOr<void> Ext2FileSystem::write_through(
    Ext2Inode& file, uint64_t position, std::span<const uint8_t> data, uint32_t& goal) {
    uint32_t block_size = m_geometry.block_size;
    auto allocated = TRY(m_map.allocate(pointers(file), position / block_size, goal));
    goal = allocated.block + 1;
    if (data.size() == block_size)
        return m_cache.write_blocks(allocated.block, data);
    if (allocated.fresh)
        __builtin_memset(m_scratch, 0, block_size);
    else
        TRY(m_cache.read_blocks(allocated.block, { m_scratch, block_size }));
    __builtin_memcpy(m_scratch + position % block_size, data.data(), data.size());
    return m_cache.write_blocks(allocated.block, { m_scratch, block_size });
}

// Frees the blocks past the new end, zeroes the tail of its last block on
// disk and in the page cache (so a later extension reads zeros there).
ErrorOr<void> Ext2FileSystem::shrink(Ext2Inode& file, uint64_t size) {
    uint32_t block_size = m_geometry.block_size;
    auto freed = m_map.free_from(pointers(file), divide_up(size, block_size));
    file.m_size = size;
    TRY(freed);
    uint64_t pages = divide_up(size, k_data_page_size);
    uint64_t dirty_before = file.m_dirty.page_count();
    file.m_dirty.remove_from(pages);
    dirty_set_changed(file, dirty_before);
    file.m_cache.remove_from(pages);
    if (size % k_data_page_size) {
        if (uint8_t* page = file.m_cache.find(size / k_data_page_size)) {
            // The cached page holds the tail: zeroed there, and dirty, so
            // the disk's copy of the last block gets the zeros too.
            data_page_written(page);
            __builtin_memset(page + size % k_data_page_size, 0, k_data_page_size - size % k_data_page_size);
            if (size % block_size)
                mark_page_dirty(file, size / k_data_page_size, page);
            return {};
        }
    }
    if (size % block_size) {
        uint32_t block = TRY(m_map.lookup(file.m_slots, size / block_size));
        if (block != 0) {
            TRY(m_cache.read_blocks(block, { m_scratch, block_size }));
            __builtin_memset(m_scratch + size % block_size, 0, block_size - size % block_size);
            TRY(m_cache.write_blocks(block, { m_scratch, block_size }));
        }
    }
    return {};
}

ErrorOr<void> Ext2FileSystem::truncate(const InodeRef& inode, uint64_t size) {
    ReleaseGuard release_guard { *this };
    Ext2Inode* file = TRY(regular_file(inode));
    TRY(writable());
    if (size > m_geometry.max_file_size)
        return Error::FileTooBig;
    if (size == file->m_size)
        return {};
    ErrorOr<void> shrunk {};
    if (size < file->m_size)
        shrunk = shrink(*file, size);
    else
        file->m_size = size; // a hole
    file->m_mtime = file->m_ctime = now();
    auto stored = store_inode(*file);
    TRY(shrunk);
    return stored;
}

ErrorOr<void> Ext2FileSystem::allocate(
    const InodeRef& inode, uint64_t offset, uint64_t length, bool keep_size) {
    ReleaseGuard release_guard { *this };
    Ext2Inode* file = TRY(regular_file(inode));
    TRY(writable());
    uint32_t block_size = m_geometry.block_size;
    uint64_t end;
    if (length == 0)
        return Error::Invalid;
    if (__builtin_add_overflow(offset, length, &end) || end > m_geometry.max_file_size)
        return Error::FileTooBig;
    // ext2 has no unwritten extents: blocks past the end would be taken for
    // file data by e2fsck and any later extension.
    if (keep_size && divide_up(end, block_size) > divide_up(file->m_size, block_size))
        return Error::NotSupported;
    ErrorOr<void> result {};
    uint32_t goal = file->m_slots[0];
    for (uint64_t logical = offset / block_size; logical < divide_up(end, block_size); ++logical) {
        auto allocated = m_map.allocate(pointers(*file), logical, goal);
        if (allocated.is_error()) {
            result = allocated.error();
            break;
        }
        goal = allocated.value().block + 1;
        if (allocated.value().fresh) {
            if (auto zeroed = zero_block(allocated.value().block); zeroed.is_error()) {
                result = zeroed.error();
                break;
            }
        }
    }
    if (!result.is_error() && !keep_size && end > file->m_size)
        file->m_size = end;
    file->m_ctime = now();
    auto stored = store_inode(*file);
    TRY(result);
    return stored;
}

// ---- The page cache ----

// The page cache's page `index` of the file (inside it), read from the disk
// (holes and the tail past the end as zeros) and kept if it was missing.
ErrorOr<uint8_t*> Ext2FileSystem::page_of(Ext2Inode& file, uint64_t index) {
    if (uint8_t* page = file.m_cache.find(index))
        return page;
    if (auto read_ahead = read_ahead_from(file, index); read_ahead.is_error() || read_ahead.value())
        return read_ahead;
    auto* page = static_cast<uint8_t*>(allocate_data_page());
    if (!page)
        return Error::NoMemory;
    uint64_t start = index * k_data_page_size;
    auto filled = read_from_disk(file, start, { page, min(k_data_page_size, file.m_size - start) });
    ErrorOr<void> inserted = filled.is_error() ? ErrorOr<void>(filled.error()) : file.m_cache.insert(index, page);
    if (inserted.is_error()) {
        free_data_page(page);
        return inserted.error();
    }
    return page;
}

// Readahead: with 4 KiB blocks, a missing page brings in the pages after it
// too (up to 64 KiB) in one disk request, as far as they are missing and
// their blocks follow each other on the disk: a sequential read costs one
// request per 64 KiB instead of one per page. nullptr when it does not
// apply (a hole, other block sizes): the caller reads the page alone.
ErrorOr<uint8_t*> Ext2FileSystem::read_ahead_from(Ext2Inode& file, uint64_t index) {
    constexpr size_t k_pages = k_read_ahead_bytes / k_data_page_size;
    uint64_t pages_in_file = divide_up(file.m_size, k_data_page_size);
    if (m_geometry.block_size != k_data_page_size || index >= pages_in_file)
        return nullptr;
    uint32_t first = TRY(m_map.lookup(file.m_slots, index));
    if (first == 0)
        return nullptr;
    size_t count = 1;
    while (count < k_pages && index + count < pages_in_file && !file.m_cache.find(index + count)) {
        auto next = m_map.lookup(file.m_slots, index + count);
        if (next.is_error() || next.value() != first + count)
            break;
        ++count;
    }
    // The pages first, then one request straight into them.
    uint8_t* pages[k_pages];
    std::span<uint8_t> buffers[k_pages];
    size_t allocated = 0;
    for (; allocated < count; ++allocated) {
        pages[allocated] = static_cast<uint8_t*>(allocate_data_page());
        if (!pages[allocated])
            break;
        buffers[allocated] = { pages[allocated], k_data_page_size };
    }
    auto release_from = [&](size_t first_unused) {
        for (size_t i = first_unused; i < allocated; ++i)
            free_data_page(pages[i]);
    };
    if (allocated == 0)
        return Error::NoMemory;
    if (auto read = m_cache.read_blocks_scattered(first, { buffers, allocated }); read.is_error()) {
        release_from(0);
        return read.error();
    }
    for (size_t i = 0; i < allocated; ++i) {
        // Past the end of the file the page reads as zeros, whatever the
        // block holds there.
        uint64_t start = (index + i) * k_data_page_size;
        if (file.m_size - start < k_data_page_size)
            __builtin_memset(pages[i] + (file.m_size - start), 0, k_data_page_size - (file.m_size - start));
        if (file.m_cache.insert(index + i, pages[i]).is_error()) {
            release_from(i);
            if (i == 0)
                return Error::NoMemory;
            break;
        }
    }
    return pages[0];
}

ErrorOr<uint8_t*> Ext2FileSystem::readable_page(const InodeRef& inode, uint64_t index) {
    ReleaseGuard release_guard { *this };
    Ext2Inode* file = TRY(regular_file(inode));
    if (index >= divide_up(file->m_size, k_data_page_size))
        return Error::OutOfRange;
    return page_of(*file, index);
}

void Ext2FileSystem::cached_pages(const InodeRef& inode, uint64_t first, uint64_t count, uint8_t** pages) {
    auto file = regular_file(inode);
    if (file.is_error())
        return;
    uint64_t file_pages = divide_up(file.value()->m_size, k_data_page_size);
    file.value()->m_cache.collect_range(first, min(first + count, file_pages), pages);
}

ErrorOr<uint8_t*> Ext2FileSystem::cache_page(const InodeRef& inode, uint64_t index, bool writable_share) {
    ReleaseGuard release_guard { *this };
    Ext2Inode* file = TRY(regular_file(inode));
    if (index >= divide_up(file->m_size, k_data_page_size))
        return Error::OutOfRange;
    if (writable_share)
        TRY(writable());
    uint64_t start = index * k_data_page_size;
    uint8_t* page = TRY(page_of(*file, index));
    if (writable_share) {
        // The page's blocks exist from now on, so writing it back later
        // cannot run out of space.
        uint32_t block_size = m_geometry.block_size;
        uint64_t end = min(start + k_data_page_size, file->m_size);
        bool allocated_any = false;
        ErrorOr<void> result {};
        for (uint64_t position = start; position < end; position += block_size) {
            auto allocated = m_map.allocate(pointers(*file), position / block_size, file->m_slots[0]);
            if (allocated.is_error()) {
                result = allocated.error();
                break;
            }
            if (allocated.value().fresh) {
                allocated_any = true;
                result = m_cache.write_blocks(
                    allocated.value().block, { page + (position - start), block_size });
                if (result.is_error())
                    break;
            }
        }
        if (allocated_any || result.is_error()) {
            auto stored = store_inode(*file);
            TRY(result);
            TRY(stored);
        }
        file->m_shared_writable = true;
    }
    return page;
}

// ---- Write-back ----

// After file.m_dirty changed: the total count and the list of dirty files
// follow it.
void Ext2FileSystem::dirty_set_changed(Ext2Inode& file, uint64_t pages_before) {
    uint64_t pages = file.m_dirty.page_count();
    __atomic_store_n(&m_dirty_pages, m_dirty_pages + pages - pages_before, __ATOMIC_RELAXED);
    if (pages && !file.m_dirty_node.linked)
        m_dirty_files.push_back(file);
    else if (!pages && file.m_dirty_node.linked)
        m_dirty_files.remove(file);
}

void Ext2FileSystem::mark_page_dirty(Ext2Inode& file, uint64_t index, uint8_t* page) {
    uint64_t before = file.m_dirty.page_count();
    if (file.m_dirty.add(index).is_error()) {
        // No room to remember it: the page goes to the disk now.
        if (auto written = write_page_blocks(file, index, page); written.is_error())
            kprintln("[ext2] inode {}: page {} not written: {}", file.ino(), index, error_name(written.error()));
        return;
    }
    if (file.m_dirty.page_count() != before) {
        dirty_set_changed(file, before);
        write_back_soon();
    }
}

void Ext2FileSystem::forget_dirty(Ext2Inode& file) {
    uint64_t before = file.m_dirty.page_count();
    file.m_dirty.clear();
    dirty_set_changed(file, before);
}

// One page's blocks inside the file, one write each (block sizes below the
// page size, and pages written alone). Holes stay holes, except under a
// shared writable mapping, which may have written anywhere in the page.
ErrorOr<void> Ext2FileSystem::write_page_blocks(Ext2Inode& file, uint64_t index, uint8_t* page) {
    uint32_t block_size = m_geometry.block_size;
    uint64_t start = index * k_data_page_size;
    uint64_t end = min(start + k_data_page_size, file.m_size);
    for (uint64_t position = start; position < end; position += block_size) {
        uint32_t block;
        if (file.m_shared_writable) {
            auto allocated = TRY(m_map.allocate(pointers(file), position / block_size, file.m_slots[0]));
            block = allocated.block;
        } else {
            block = TRY(m_map.lookup(file.m_slots, position / block_size));
        }
        if (block != 0)
            TRY(m_cache.write_blocks(block, { page + (position - start), block_size }));
    }
    return {};
}

// The cached pages of `range` (inside the file) to the disk. With 4 KiB
// blocks a page is one block: pages whose blocks follow each other go
// together, up to k_write_back_run_pages in one request.
ErrorOr<void> Ext2FileSystem::write_back_range(Ext2Inode& file, DirtyPages::Range range) {
    uint64_t end = min(range.end, divide_up(file.m_size, k_data_page_size));
    if (m_geometry.block_size != k_data_page_size || file.m_shared_writable) {
        for (uint64_t index = range.first; index < end; ++index) {
            if (uint8_t* page = file.m_cache.find(index))
                TRY(write_page_blocks(file, index, page));
        }
        return {};
    }
    std::span<const uint8_t> run[k_write_back_run_pages];
    size_t length = 0;
    uint32_t run_start = 0;
    auto write_run = [&]() -> ErrorOr<void> {
        if (length)
            TRY(m_cache.write_blocks_scattered(run_start, { run, length }));
        length = 0;
        return {};
    };
    for (uint64_t index = range.first; index < end; ++index) {
        uint8_t* page = file.m_cache.find(index);
        uint32_t block = page ? TRY(m_map.lookup(file.m_slots, index)) : 0;
        if (block == 0 || (length && (block != run_start + length || length == k_write_back_run_pages)))
            TRY(write_run());
        if (block == 0)
            continue; // not cached (cannot be: dirty pages stay), or a hole
        if (length == 0)
            run_start = block;
        run[length++] = { page, k_data_page_size };
    }
    return write_run();
}

ErrorOr<void> Ext2FileSystem::write_back_pages(Ext2Inode& file) {
    if (m_read_only)
        return {};
    if (file.m_shared_writable) {
        // A mapping may have changed any cached page: all of them.
        uint64_t before = file.m_dirty.page_count();
        bool remembered = file.m_cache.for_each_indexed_page(
            [&](uint64_t index, uint8_t*) { return !file.m_dirty.add(index).is_error(); });
        dirty_set_changed(file, before);
        if (!remembered) {
            // No memory for the set: page by page.
            ErrorOr<void> result {};
            file.m_cache.for_each_indexed_page([&](uint64_t index, uint8_t* page) {
                result = write_page_blocks(file, index, page);
                return !result.is_error();
            });
            TRY(result);
            forget_dirty(file);
        }
    }
    if (file.m_dirty.empty())
        return {};
    uint64_t sectors = file.m_sectors;
    for (auto range : file.m_dirty.ranges())
        TRY(write_back_range(file, range)); // the pages stay dirty
    forget_dirty(file);
    if (file.m_sectors != sectors) // a shared writable page's hole got its block
        TRY(store_inode(file));
    return {};
}

ErrorOr<void> Ext2FileSystem::write_back_dirty_files() {
    ErrorOr<void> result {};
    // Each file leaves the list when written; one that fails stays, and
    // the walk goes on past it.
    for (Ext2Inode* file = m_dirty_files.front(); file;) {
        Ext2Inode* next = m_dirty_files.next(*file);
        if (auto written = write_back_pages(*file); written.is_error() && !result.is_error())
            result = written.error();
        file = next;
    }
    return result;
}

} // namespace akuma::fs
