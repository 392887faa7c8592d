#include "kernel/fs/dirty_pages.h"

#include "kernel/mm/kmalloc.h"

namespace akuma::fs {

DirtyPages::~DirtyPages() {
    mm::kfree(m_ranges);
}

size_t DirtyPages::lower_bound(uint64_t index) const {
    size_t low = 0;
    size_t high = m_count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (m_ranges[middle].end < index)
            low = middle + 1;
        else
            high = middle;
    }
    return low;
}

bool DirtyPages::contains(uint64_t index) const {
    size_t at = lower_bound(index + 1);
    return at < m_count && m_ranges[at].first <= index;
}

ErrorOr<void> DirtyPages::insert_at(size_t position, Range range) {
    if (m_count == m_capacity) {
        size_t capacity = m_capacity ? m_capacity * 2 : 4;
        auto* grown = static_cast<Range*>(mm::kmalloc(capacity * sizeof(Range), alignof(Range)));
        if (!grown)
            return Error::NoMemory;
        if (m_count)
            __builtin_memcpy(grown, m_ranges, m_count * sizeof(Range));
        mm::kfree(m_ranges);
        m_ranges = grown;
        m_capacity = capacity;
    }
    __builtin_memmove(m_ranges + position + 1, m_ranges + position, (m_count - position) * sizeof(Range));
    m_ranges[position] = range;
    ++m_count;
    return {};
}

ErrorOr<void> DirtyPages::add(uint64_t index) {
    // The common case first: the page right after the last range.
    if (m_count && m_ranges[m_count - 1].end == index) {
        ++m_ranges[m_count - 1].end;
        ++m_pages;
        return {};
    }
    // The first range ending at or after `index`: it holds the page, ends
    // right before it (extend it), or lies wholly after it.
    size_t at = lower_bound(index);
    if (at < m_count && m_ranges[at].first <= index && index < m_ranges[at].end)
        return {};
    if (at < m_count && m_ranges[at].end == index) {
        ++m_ranges[at].end;
        ++m_pages;
        // It may now touch the next range: one range instead of two.
        if (at + 1 < m_count && m_ranges[at + 1].first == m_ranges[at].end) {
            m_ranges[at].end = m_ranges[at + 1].end;
            __builtin_memmove(m_ranges + at + 1, m_ranges + at + 2, (m_count - at - 2) * sizeof(Range));
            --m_count;
        }
        return {};
    }
    if (at < m_count && m_ranges[at].first == index + 1) {
        --m_ranges[at].first;
        ++m_pages;
        return {};
    }
    TRY(insert_at(at, { index, index + 1 }));
    ++m_pages;
    return {};
}

void DirtyPages::remove_from(uint64_t first) {
    while (m_count && m_ranges[m_count - 1].first >= first) {
        m_pages -= m_ranges[m_count - 1].end - m_ranges[m_count - 1].first;
        --m_count;
    }
    if (m_count && m_ranges[m_count - 1].end > first) {
        m_pages -= m_ranges[m_count - 1].end - first;
        m_ranges[m_count - 1].end = first;
    }
}

void DirtyPages::clear() {
    m_count = 0;
    m_pages = 0;
}

} // namespace akuma::fs
