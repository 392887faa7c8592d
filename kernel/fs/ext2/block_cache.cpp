#include "kernel/fs/ext2/block_cache.h"

#include "kernel/lib/kprint.h"
#include "kernel/mm/kmalloc.h"

namespace akuma::fs::ext2 {

BlockCache::BlockCache(drivers::BlockDevice& device, uint32_t block_size)
    : m_device(device)
    , m_block_size(block_size) { }

BlockCache::~BlockCache() {
    for (Entry& entry : m_entries) {
        if (entry.data)
            mm::kfree(entry.data);
    }
}

ErrorOr<void> BlockCache::read_blocks(uint32_t block, std::span<uint8_t> buffer) {
    uint64_t sectors_per_block = m_block_size / drivers::k_sector_size;
    if (auto read = m_device.read_sectors(uint64_t(block) * sectors_per_block, buffer); read.is_error()) {
        kprintln("[ext2] {}: cannot read block {}: {}", m_device.name(), block, error_name(read.error()));
        return Error::IoError;
    }
    return {};
}

ErrorOr<void> BlockCache::read_blocks_scattered(uint32_t block, std::span<const std::span<uint8_t>> buffers) {
    uint64_t sectors_per_block = m_block_size / drivers::k_sector_size;
    if (auto read = m_device.read_sectors_scattered(uint64_t(block) * sectors_per_block, buffers); read.is_error()) {
        kprintln("[ext2] {}: cannot read blocks from {}: {}", m_device.name(), block, error_name(read.error()));
        return Error::IoError;
    }
    return {};
}

ErrorOr<void> BlockCache::write_blocks(uint32_t block, std::span<const uint8_t> data) {
    uint64_t sectors_per_block = m_block_size / drivers::k_sector_size;
    if (auto written = m_device.write_sectors(uint64_t(block) * sectors_per_block, data);
        written.is_error()) {
        kprintln("[ext2] {}: cannot write block {}: {}", m_device.name(), block, error_name(written.error()));
        return written.error() == Error::ReadOnlyFs ? Error::ReadOnlyFs : Error::IoError;
    }
    return {};
}

ErrorOr<void> BlockCache::write_blocks_scattered(uint32_t block, std::span<const std::span<const uint8_t>> buffers) {
    uint64_t sectors_per_block = m_block_size / drivers::k_sector_size;
    if (auto written = m_device.write_sectors_scattered(uint64_t(block) * sectors_per_block, buffers);
        written.is_error()) {
        kprintln("[ext2] {}: cannot write blocks from {}: {}", m_device.name(), block, error_name(written.error()));
        return written.error() == Error::ReadOnlyFs ? Error::ReadOnlyFs : Error::IoError;
    }
    return {};
}

ErrorOr<void> BlockCache::write_back(Entry& entry) {
    if (!entry.valid || !entry.dirty)
        return {};
    TRY(write_blocks(entry.block, { entry.data, m_block_size }));
    entry.dirty = false;
    return {};
}

ErrorOr<BlockCache::Entry*> BlockCache::slot_for(uint32_t block, bool read) {
    static_assert(k_entries <= 256, "hints are one byte");
    Entry& hinted = m_entries[m_hints[block % k_hints]];
    if (hinted.valid && hinted.block == block) {
        hinted.last_use = ++m_clock;
        return &hinted;
    }
    Entry* victim = nullptr;
    for (Entry& entry : m_entries) {
        if (entry.valid && entry.block == block) {
            entry.last_use = ++m_clock;
            m_hints[block % k_hints] = uint8_t(&entry - m_entries);
            return &entry;
        }
        // Prefer an empty slot, else the least recently used.
        if (!entry.valid) {
            if (!victim || victim->valid)
                victim = &entry;
        } else if (!victim || (victim->valid && entry.last_use < victim->last_use)) {
            victim = &entry;
        }
    }
    if (!victim->data) {
        victim->data = static_cast<uint8_t*>(mm::kmalloc(m_block_size, 64));
        if (!victim->data)
            return Error::NoMemory;
    }
    TRY(write_back(*victim));
    victim->valid = false;
    if (read)
        TRY(read_blocks(block, { victim->data, m_block_size }));
    victim->block = block;
    victim->valid = true;
    victim->dirty = false;
    victim->validated = false;
    victim->last_use = ++m_clock;
    m_hints[block % k_hints] = uint8_t(victim - m_entries);
    return victim;
}

ErrorOr<uint8_t*> BlockCache::get(uint32_t block) {
    Entry* entry = TRY(slot_for(block, true));
    return entry->data;
}

ErrorOr<uint8_t*> BlockCache::get_zeroed(uint32_t block) {
    Entry* entry = TRY(slot_for(block, false));
    __builtin_memset(entry->data, 0, m_block_size);
    entry->dirty = true;
    entry->validated = false;
    return entry->data;
}

void BlockCache::mark_dirty(uint32_t block) {
    for (Entry& entry : m_entries) {
        if (entry.valid && entry.block == block) {
            entry.dirty = true;
            entry.validated = false;
            return;
        }
    }
}

bool BlockCache::validated(uint32_t block) const {
    for (const Entry& entry : m_entries) {
        if (entry.valid && entry.block == block)
            return entry.validated;
    }
    return false;
}

void BlockCache::set_validated(uint32_t block) {
    for (Entry& entry : m_entries) {
        if (entry.valid && entry.block == block) {
            entry.validated = true;
            return;
        }
    }
}

void BlockCache::forget(uint32_t block) {
    for (Entry& entry : m_entries) {
        if (entry.valid && entry.block == block) {
            entry.valid = false;
            entry.dirty = false;
        }
    }
}

size_t BlockCache::release_memory() {
    size_t freed = 0;
    for (Entry& entry : m_entries) {
        if (!entry.data || write_back(entry).is_error())
            continue;  // a block that cannot be written stays (logged)
        mm::kfree(entry.data);
        entry.data = nullptr;
        entry.valid = false;
        ++freed;
    }
    return freed;
}

ErrorOr<void> BlockCache::flush() {
    ErrorOr<void> result {};
    for (Entry& entry : m_entries) {
        auto written = write_back(entry);
        if (written.is_error() && !result.is_error())
            result = written.error();
    }
    return result;
}

bool BlockCache::has_dirty() const {
    for (const Entry& entry : m_entries) {
        if (entry.valid && entry.dirty)
            return true;
    }
    return false;
}

} // namespace akuma::fs::ext2
