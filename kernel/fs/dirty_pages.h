// DirtyPages: which pages of one file hold data the disk has not got yet
// (ext2's write-back cache), as a sorted list of disjoint, non-adjacent
// index ranges. Sequential writes, the common case, keep one range growing
// at its end in O(1); write-back walks the ranges in index order, so runs
// of pages that are consecutive on the disk become one request.
//
// Not synchronised: the file system's caller (the VFS lock) serialises.
// Storage is kmalloc'd and grows by doubling; `add` fails with NoMemory
// only when a new range needs room that cannot be had (the caller then
// writes the page through instead).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "kernel/lib/error_or.h"

namespace akuma::fs {

class DirtyPages {
public:
    struct Range {
        uint64_t first;
        uint64_t end; // one past the last index
    };

    DirtyPages() = default;
    DirtyPages(const DirtyPages&) = delete;
    DirtyPages& operator=(const DirtyPages&) = delete;
    ~DirtyPages();

    // Marks page `index` dirty (nothing changes if it is). NoMemory.
    ErrorOr<void> add(uint64_t index);
    // Forgets the pages at `first` and above (the file was truncated).
    void remove_from(uint64_t first);
    // Forgets every page (written back, or the file is gone).
    void clear();

    bool contains(uint64_t index) const;
    bool empty() const { return m_count == 0; }
    // Dirty pages, not ranges.
    uint64_t page_count() const { return m_pages; }
    std::span<const Range> ranges() const { return { m_ranges, m_count }; }

private:
    // The first range whose end is at or after `index` (m_count if none).
    size_t lower_bound(uint64_t index) const;
    ErrorOr<void> insert_at(size_t position, Range range);

    Range* m_ranges { nullptr };
    size_t m_count { 0 };
    size_t m_capacity { 0 };
    uint64_t m_pages { 0 };
};

} // namespace akuma::fs
