// First-fit allocator of address ranges (kernel virtual memory), with a
// fixed number of free-range slots so it needs no heap. Freed ranges are
// merged with their neighbours. Pure logic, host-tested.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace akuma::mm {

template <size_t Capacity>
class RangeAllocator {
public:
    constexpr RangeAllocator() = default;

    void init(uint64_t base, uint64_t size) {
        m_count = 0;
        if (size > 0)
            m_free[m_count++] = { base, base + size };
    }

    // Lowest free range of `size` bytes whose start is aligned to `alignment`
    // (a power of two).
    std::optional<uint64_t> allocate(uint64_t size, uint64_t alignment) {
        if (size == 0 || (alignment & (alignment - 1)))
            return std::nullopt;
        for (size_t i = 0; i < m_count; ++i) {
            Range& range = m_free[i];
            uint64_t start = (range.start + alignment - 1) & ~(alignment - 1);
            if (start < range.start || start > range.end || range.end - start < size)
                continue;
            uint64_t end = start + size;
            if (start == range.start) {
                range.start = end;
            } else if (end == range.end) {
                range.end = start;
            } else {
                // Splitting needs a slot for the part after the allocation.
                if (m_count == Capacity)
                    continue;
                insert_at(i + 1, { end, range.end });
                m_free[i].end = start;
            }
            if (m_free[i].start == m_free[i].end)
                erase_at(i);
            return start;
        }
        return std::nullopt;
    }

    // Returns false (and changes nothing) when the range overlaps free space
    // or no slot is left to record it.
    bool free(uint64_t start, uint64_t size) {
        uint64_t end = start + size;
        if (size == 0 || end < start)
            return false;
        size_t index = 0;
        while (index < m_count && m_free[index].start < start)
            ++index;
        if (index > 0 && m_free[index - 1].end > start)
            return false;
        if (index < m_count && m_free[index].start < end)
            return false;
        bool merge_left = index > 0 && m_free[index - 1].end == start;
        bool merge_right = index < m_count && m_free[index].start == end;
        if (merge_left && merge_right) {
            m_free[index - 1].end = m_free[index].end;
            erase_at(index);
        } else if (merge_left) {
            m_free[index - 1].end = end;
        } else if (merge_right) {
            m_free[index].start = start;
        } else {
            if (m_count == Capacity)
                return false;
            insert_at(index, { start, end });
        }
        return true;
    }

    uint64_t free_bytes() const {
        uint64_t total = 0;
        for (size_t i = 0; i < m_count; ++i)
            total += m_free[i].end - m_free[i].start;
        return total;
    }
    size_t free_range_count() const { return m_count; }

private:
    struct Range {
        uint64_t start;
        uint64_t end;
    };

    void insert_at(size_t index, Range range) {
        for (size_t i = m_count; i > index; --i)
            m_free[i] = m_free[i - 1];
        m_free[index] = range;
        ++m_count;
    }
    void erase_at(size_t index) {
        for (size_t i = index + 1; i < m_count; ++i)
            m_free[i - 1] = m_free[i];
        --m_count;
    }

    Range m_free[Capacity] {};
    size_t m_count { 0 };
};

}  // namespace akuma::mm
