// Carving RAM into usable pieces: a RAM range minus the reserved ranges that
// overlap it, page-aligned inward (a partly reserved page is not usable).
// Pure logic, host-tested.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace akuma::mm {

struct PhysicalSpan {
    uint64_t base;
    uint64_t size;
    uint64_t end() const { return base + size; }
};

// Calls visit(PhysicalSpan) for each maximal page-aligned piece of `range`
// not touched by any of `reserved` (which may be unsorted and overlapping),
// in ascending address order. Allocation-free: O(pieces * reserved).
template <typename Visit>
void for_each_usable_span(PhysicalSpan range, std::span<const PhysicalSpan> reserved, uint64_t page_size,
                          Visit&& visit) {
    auto round_up = [&](uint64_t value) { return (value + page_size - 1) & ~(page_size - 1); };
    uint64_t cursor = round_up(range.base);
    uint64_t limit = range.end() & ~(page_size - 1);
    while (cursor < limit) {
        // Is the page at cursor touched by a reservation? Then skip past all
        // reservations touching it.
        uint64_t skip_to = cursor;
        for (auto& r : reserved) {
            if (r.size != 0 && r.base < cursor + page_size && r.end() > cursor && round_up(r.end()) > skip_to)
                skip_to = round_up(r.end());
        }
        if (skip_to != cursor) {
            cursor = skip_to;
            continue;
        }
        // Free from cursor up to the next reservation (page-aligned down).
        uint64_t piece_end = limit;
        for (auto& r : reserved) {
            uint64_t start = r.base & ~(page_size - 1);
            if (r.size != 0 && r.base >= cursor + page_size && start < piece_end)
                piece_end = start;
        }
        visit(PhysicalSpan { cursor, piece_end - cursor });
        cursor = piece_end;
    }
}

}  // namespace akuma::mm
