#include "kernel/mm/buddy_allocator.h"

namespace akuma::mm {

namespace {

constexpr uint64_t block_pages(unsigned order) {
    return uint64_t { 1 } << order;
}

// Largest order whose block fits in `count` pages and is aligned at `pfn`.
unsigned largest_fitting_order(uint64_t pfn, uint64_t count) {
    unsigned order = BuddyArena::k_max_order;
    while (order > 0 && ((pfn & (block_pages(order) - 1)) != 0 || block_pages(order) > count))
        --order;
    return order;
}

// Smallest order whose block holds `count` pages (count <= k_max_block_pages).
unsigned covering_order(uint64_t count) {
    unsigned order = 0;
    while (block_pages(order) < count)
        ++order;
    return order;
}

uint64_t load_word(const uint8_t* bytes) {
    uint64_t word;
    __builtin_memcpy(&word, bytes, sizeof(word));
    return word;
}

// BrokenInvariant details: `offset` says which check failed.
enum InvariantCheck : uint64_t {
    k_check_orphan_page = 1, // Free/Allocated page not inside a block
    k_check_block_shape = 2, // bad order, alignment, length or extent
    k_check_block_body = 3, // tail page disagrees with its head
    k_check_state_counts = 4, // counters != pages found (expected = counter)
    k_check_list_node = 5, // free-list node is not a free head of that order
    k_check_list_links = 6, // prev link broken or list longer than heads
    k_check_uncoalesced = 7, // a free block's buddy is free with the same order
    k_check_list_lengths = 8, // list length != free heads (expected = heads)
    k_check_hot_pages = 9, // the hot stack and the pages flagged hot differ
};

} // namespace

const char* buddy_error_kind_name(BuddyErrorKind kind) {
    switch (kind) {
    case BuddyErrorKind::None:
        return "none";
    case BuddyErrorKind::DoubleFree:
        return "double free";
    case BuddyErrorKind::FreeOfReserved:
        return "free of reserved page";
    case BuddyErrorKind::NotBlockHead:
        return "free of a page that is not a block head";
    case BuddyErrorKind::OutOfArena:
        return "page outside the arena";
    case BuddyErrorKind::PoisonMismatch:
        return "poison overwritten (use after free?)";
    case BuddyErrorKind::LengthMismatch:
        return "page count differs from the allocation";
    case BuddyErrorKind::RangeConflict:
        return "page in the range is in the wrong state";
    case BuddyErrorKind::BrokenInvariant:
        return "broken invariant";
    }
    return "?";
}

ErrorOr<void> BuddyArena::initialize(
    uint64_t base_pfn, uint64_t page_count, std::span<PageDescriptor> descriptors, PageAccess& access) {
    if (page_count == 0 || page_count >= k_no_page || descriptors.size() < page_count
        || base_pfn + page_count < base_pfn)
        return Error::Invalid;
    m_base = base_pfn;
    m_count = page_count;
    m_pages = descriptors.data();
    m_access = &access;
    m_poisoning = false;
    for (auto& descriptor : descriptors.first(page_count))
        descriptor = PageDescriptor { k_no_page, k_no_page, PageState::Reserved, 0, 0, 0, 0 };
    for (unsigned order = 0; order <= k_max_order; ++order) {
        m_free_heads[order] = k_no_page;
        m_free_blocks[order] = 0;
    }
    m_state_pages[static_cast<int>(PageState::Reserved)] = page_count;
    m_state_pages[static_cast<int>(PageState::Free)] = 0;
    m_state_pages[static_cast<int>(PageState::Allocated)] = 0;
    m_hot_top = 0;
    m_hot_count = 0;
    m_hot_capacity = 0;
    m_last_error = {};
    return {};
}

Error BuddyArena::fail(Error error, BuddyErrorKind kind, uint64_t pfn, uint64_t expected, uint64_t found,
    uint64_t offset) const {
    m_last_error = BuddyErrorDetail { kind, pfn, offset, expected, found };
    return error;
}

Error BuddyArena::out_of_arena(uint64_t pfn) const {
    return fail(Error::OutOfRange, BuddyErrorKind::OutOfArena, pfn, m_base, m_base + m_count);
}

// Sets the state of every page in the range, resetting the per-block fields
// (callers fix up heads afterwards) and keeping the per-state counters.
void BuddyArena::set_state(uint64_t pfn, uint64_t count, PageState state, uint8_t owner) {
    for (uint64_t i = 0; i < count; ++i) {
        auto& descriptor = page(pfn + i);
        --m_state_pages[static_cast<int>(descriptor.state)];
        descriptor = PageDescriptor { k_no_page, k_no_page, state, 0, owner, 0, 0 };
    }
    m_state_pages[static_cast<int>(state)] += count;
}

void BuddyArena::push_free(uint64_t pfn, unsigned order) {
    auto& head = page(pfn);
    head.order = static_cast<uint8_t>(order);
    head.flags = k_flag_head;
    head.prev = k_no_page;
    head.next = m_free_blocks[order] ? m_free_heads[order] : k_no_page;
    if (head.next != k_no_page)
        m_pages[head.next].prev = index(pfn);
    m_free_heads[order] = index(pfn);
    ++m_free_blocks[order];
}

void BuddyArena::unlink_free(uint64_t pfn, unsigned order) {
    auto& head = page(pfn);
    if (head.prev != k_no_page)
        m_pages[head.prev].next = head.next;
    else
        m_free_heads[order] = head.next;
    if (head.next != k_no_page)
        m_pages[head.next].prev = head.prev;
    head.next = head.prev = k_no_page;
    head.flags = 0;
    --m_free_blocks[order];
}

// The block's pages must already be Free and not heads. Merges with its buddy
// while the buddy is a free block of the same order.
void BuddyArena::insert_free_block(uint64_t pfn, unsigned order) {
    while (order < k_max_order) {
        uint64_t buddy = pfn ^ block_pages(order);
        if (!contains(buddy))
            break;
        auto& buddy_head = page(buddy);
        if (buddy_head.state != PageState::Free || !(buddy_head.flags & k_flag_head)
            || buddy_head.order != order)
            break;
        unlink_free(buddy, order);
        if (buddy < pfn)
            pfn = buddy;
        ++order;
    }
    push_free(pfn, order);
}

// Returns Free, non-head pages to the free lists as maximal aligned blocks.
void BuddyArena::release_range(uint64_t pfn, uint64_t count) {
    while (count > 0) {
        unsigned order = largest_fitting_order(pfn, count);
        insert_free_block(pfn, order);
        pfn += block_pages(order);
        count -= block_pages(order);
    }
}

// Pops the smallest free block of at least `order` and splits it down; the
// returned block's pages are Free non-heads. k_no_page if none.
uint64_t BuddyArena::take_block(unsigned order) {
    unsigned found = order;
    while (found <= k_max_order && m_free_blocks[found] == 0)
        ++found;
    if (found > k_max_order)
        return k_no_page;
    uint64_t pfn = m_base + m_free_heads[found];
    unlink_free(pfn, found);
    while (found > order) {
        --found;
        push_free(pfn + block_pages(found), found);
    }
    return pfn;
}

// Hot pages above the `keep` oldest go to the free lists, coalescing.
void BuddyArena::release_hot(unsigned keep) {
    while (m_hot_count > keep) {
        uint64_t pfn = pop_hot();
        page(pfn).flags = 0;
        insert_free_block(pfn, 0);
    }
}

void BuddyArena::set_hot_capacity(unsigned pages) {
    m_hot_capacity = pages < k_max_hot_pages ? pages : k_max_hot_pages;
    release_hot(m_hot_capacity);
}

// Head of the free block containing the Free page `pfn`: blocks are
// naturally aligned, so it is pfn rounded down to the block's order.
uint64_t BuddyArena::free_block_head(uint64_t pfn) const {
    for (unsigned order = 0; order <= k_max_order; ++order) {
        uint64_t head = pfn & ~(block_pages(order) - 1);
        if (!contains(head))
            break;
        auto& descriptor = page(head);
        if (descriptor.state == PageState::Free && (descriptor.flags & k_flag_head)
            && descriptor.order >= order)
            return head;
    }
    return k_no_page; // unreachable while the invariants hold
}

ErrorOr<void> BuddyArena::add_free_range(uint64_t pfn, uint64_t count) {
    if (!contains_range(pfn, count))
        return out_of_arena(pfn);
    for (uint64_t i = 0; i < count; ++i) {
        if (page(pfn + i).state != PageState::Reserved)
            return fail(Error::Invalid, BuddyErrorKind::RangeConflict, pfn + i,
                static_cast<uint64_t>(PageState::Reserved), static_cast<uint64_t>(page(pfn + i).state));
    }
    set_state(pfn, count, PageState::Free, 0);
    if (m_poisoning)
        poison(pfn, count);
    release_range(pfn, count);
    return {};
}

ErrorOr<void> BuddyArena::mark_reserved(uint64_t pfn, uint64_t count) {
    if (!contains_range(pfn, count))
        return out_of_arena(pfn);
    for (uint64_t i = 0; i < count; ++i) {
        if (page(pfn + i).state == PageState::Allocated)
            return fail(Error::Busy, BuddyErrorKind::RangeConflict, pfn + i,
                static_cast<uint64_t>(PageState::Free), static_cast<uint64_t>(PageState::Allocated));
    }
    release_hot(0);  // a hot page belongs to no free block
    uint64_t end = pfn + count;
    for (uint64_t cursor = pfn; cursor < end;) {
        if (page(cursor).state == PageState::Reserved) {
            ++cursor;
            continue;
        }
        // Take the whole free block out, reserve its part inside the range,
        // and give back what lies outside. A block starting inside the range
        // starts at cursor, so head < cursor means head < pfn.
        uint64_t head = free_block_head(cursor);
        unsigned order = page(head).order;
        uint64_t block_end = head + block_pages(order);
        uint64_t cut_end = block_end < end ? block_end : end;
        unlink_free(head, order);
        set_state(cursor, cut_end - cursor, PageState::Reserved, 0);
        release_range(head, cursor - head);
        release_range(cut_end, block_end - cut_end);
        cursor = cut_end;
    }
    return {};
}

void BuddyArena::set_poisoning(bool enabled) {
    if (enabled && !m_poisoning) {
        for (unsigned order = 0; order <= k_max_order; ++order) {
            for (uint32_t i = m_free_blocks[order] ? m_free_heads[order] : k_no_page; i != k_no_page;
                 i = m_pages[i].next)
                poison(m_base + i, block_pages(order));
        }
        uint32_t hot = m_hot_top;
        for (unsigned n = 0; n < m_hot_count; ++n, hot = m_pages[hot].next)
            poison(m_base + hot, 1);
    }
    m_poisoning = enabled;
}

void BuddyArena::poison(uint64_t pfn, uint64_t count) {
    for (uint64_t p = pfn; p < pfn + count; ++p) {
        uint8_t* bytes = m_access->page_contents(p);
        for (uint64_t offset = 0; offset < k_page_size; offset += sizeof(uint64_t))
            __builtin_memcpy(bytes + offset, &k_poison_pattern, sizeof(uint64_t));
    }
}

bool BuddyArena::poison_intact(uint64_t pfn, uint64_t count) const {
    for (uint64_t p = pfn; p < pfn + count; ++p) {
        const uint8_t* bytes = m_access->page_contents(p);
        // Branch-free scan first (the common, intact case), then locate.
        uint64_t difference = 0;
        for (uint64_t offset = 0; offset < k_page_size; offset += sizeof(uint64_t))
            difference |= load_word(bytes + offset) ^ k_poison_pattern;
        if (difference == 0)
            continue;
        for (uint64_t offset = 0;; offset += sizeof(uint64_t)) {
            uint64_t word = load_word(bytes + offset);
            if (word != k_poison_pattern) {
                fail(Error::Fault, BuddyErrorKind::PoisonMismatch, p, k_poison_pattern, word, offset);
                return false;
            }
        }
    }
    return true;
}

// Cuts `count` pages from the start of a 2^order block; the rest goes back.
ErrorOr<uint64_t> BuddyArena::allocate_pages(unsigned order, uint64_t count, uint8_t owner, uint8_t flags) {
    uint64_t pfn;
    if (order == 0 && m_hot_count != 0) {
        pfn = pop_hot();
    } else {
        pfn = take_block(order);
        if (pfn == k_no_page && m_hot_count != 0) {
            // The hot pages may coalesce into the block asked for.
            release_hot(0);
            pfn = take_block(order);
        }
        if (pfn == k_no_page)
            return Error::NoMemory;
    }
    uint64_t tail = block_pages(order) - count;
    if (m_poisoning && !poison_intact(pfn, count)) {
        // Quarantine the corrupted pages so the arena stays usable if the
        // caller does not panic.
        set_state(pfn, count, PageState::Reserved, 0);
        release_range(pfn + count, tail);
        return Error::Fault;
    }
    set_state(pfn, count, PageState::Allocated, owner);
    auto& head = page(pfn);
    head.flags = static_cast<uint8_t>(k_flag_head | flags);
    head.order = static_cast<uint8_t>(order);
    head.next = static_cast<uint32_t>(count);
    release_range(pfn + count, tail);
    return pfn;
}

ErrorOr<uint64_t> BuddyArena::allocate(unsigned order, uint8_t owner) {
    if (order > k_max_order)
        return Error::Invalid;
    return allocate_pages(order, block_pages(order), owner, 0);
}

ErrorOr<uint64_t> BuddyArena::allocate_contiguous(
    uint64_t page_count, uint64_t alignment_pages, uint8_t owner) {
    if (page_count == 0 || page_count > k_max_block_pages || alignment_pages == 0
        || alignment_pages > k_max_block_pages || (alignment_pages & (alignment_pages - 1)) != 0)
        return Error::Invalid;
    // A block is aligned to its size, so the covering order honours both.
    unsigned order = covering_order(page_count > alignment_pages ? page_count : alignment_pages);
    return allocate_pages(order, page_count, owner, k_flag_run);
}

ErrorOr<void> BuddyArena::free_pages_at(uint64_t pfn, uint64_t expected_count) {
    if (!contains(pfn))
        return out_of_arena(pfn);
    auto& head = page(pfn);
    auto state = static_cast<uint64_t>(head.state);
    auto allocated = static_cast<uint64_t>(PageState::Allocated);
    if (head.state == PageState::Free)
        return fail(Error::Invalid, BuddyErrorKind::DoubleFree, pfn, allocated, state);
    if (head.state == PageState::Reserved)
        return fail(Error::Invalid, BuddyErrorKind::FreeOfReserved, pfn, allocated, state);
    if (!(head.flags & k_flag_head))
        return fail(Error::Invalid, BuddyErrorKind::NotBlockHead, pfn, k_flag_head, head.flags);
    uint64_t count = head.next;
    if (expected_count != 0 && expected_count != count)
        return fail(Error::Invalid, BuddyErrorKind::LengthMismatch, pfn, count, expected_count);
    set_state(pfn, count, PageState::Free, 0);
    if (m_poisoning)
        poison(pfn, count);
    if (count == 1 && m_hot_count < m_hot_capacity)
        push_hot(pfn);
    else
        release_range(pfn, count);
    return {};
}

ErrorOr<void> BuddyArena::free(uint64_t pfn) {
    return free_pages_at(pfn, 0);
}

ErrorOr<void> BuddyArena::free_contiguous(uint64_t pfn, uint64_t page_count) {
    if (page_count == 0)
        return fail(
            Error::Invalid, BuddyErrorKind::LengthMismatch, pfn, contains(pfn) ? page(pfn).next : 0, 0);
    return free_pages_at(pfn, page_count);
}

ErrorOr<void> BuddyArena::set_owner_data(uint64_t pfn, uint32_t data) {
    if (!contains(pfn))
        return out_of_arena(pfn);
    if (page(pfn).state != PageState::Allocated)
        return fail(Error::Invalid, BuddyErrorKind::RangeConflict, pfn,
            static_cast<uint64_t>(PageState::Allocated), static_cast<uint64_t>(page(pfn).state));
    page(pfn).owner_data = data;
    return {};
}

ErrorOr<void> BuddyArena::set_owner(uint64_t pfn, uint8_t owner) {
    if (!contains(pfn))
        return out_of_arena(pfn);
    auto& head = page(pfn);
    if (head.state != PageState::Allocated)
        return fail(Error::Invalid, BuddyErrorKind::RangeConflict, pfn, static_cast<uint64_t>(PageState::Allocated),
            static_cast<uint64_t>(head.state));
    if (!(head.flags & k_flag_head))
        return fail(Error::Invalid, BuddyErrorKind::NotBlockHead, pfn, k_flag_head, head.flags);
    for (uint64_t i = 0; i < head.next; ++i)
        page(pfn + i).owner = owner;
    return {};
}

ErrorOr<void> BuddyArena::check_invariants() const {
    auto broken = [this](InvariantCheck check, uint64_t pfn, uint64_t expected, uint64_t found) {
        return fail(Error::Invalid, BuddyErrorKind::BrokenInvariant, pfn, expected, found, check);
    };

    // Walk the pages in order: each is Reserved or starts a whole block.
    uint64_t state_pages[3] = {};
    uint64_t free_heads[k_max_order + 1] = {};
    uint64_t hot_flagged = 0;
    for (uint64_t i = 0; i < m_count;) {
        const auto& head = m_pages[i];
        uint64_t pfn = m_base + i;
        if (head.state == PageState::Reserved) {
            if (head.flags != 0)
                return broken(k_check_orphan_page, pfn, 0, head.flags);
            ++state_pages[static_cast<int>(PageState::Reserved)];
            ++i;
            continue;
        }
        if (head.flags == k_flag_hot && head.state == PageState::Free) {
            ++hot_flagged;
            ++state_pages[static_cast<int>(PageState::Free)];
            ++i;
            continue;
        }
        if (!(head.flags & k_flag_head) || head.order > k_max_order)
            return broken(k_check_orphan_page, pfn, k_flag_head, head.flags);
        uint64_t length = head.state == PageState::Free ? block_pages(head.order) : head.next;
        bool is_run = head.flags & k_flag_run;
        bool shape_ok = (pfn & (block_pages(head.order) - 1)) == 0 && length > 0
            && length <= block_pages(head.order) && length <= m_count - i
            && (is_run ? head.state == PageState::Allocated : length == block_pages(head.order));
        if (!shape_ok)
            return broken(k_check_block_shape, pfn, block_pages(head.order), length);
        for (uint64_t j = 1; j < length; ++j) {
            const auto& body = m_pages[i + j];
            if (body.state != head.state || body.flags != 0 || body.owner != head.owner)
                return broken(k_check_block_body, pfn + j, static_cast<uint64_t>(head.state),
                    static_cast<uint64_t>(body.state));
        }
        if (head.state == PageState::Free)
            ++free_heads[head.order];
        state_pages[static_cast<int>(head.state)] += length;
        i += length;
    }
    for (int state = 0; state < 3; ++state) {
        if (state_pages[state] != m_state_pages[state])
            return broken(k_check_state_counts, m_base, m_state_pages[state], state_pages[state]);
    }

    // The hot stack links each page flagged hot, once: as many links as
    // flagged pages, each to a flagged page, and no cycle (the length bound).
    if (hot_flagged != m_hot_count || m_hot_count > m_hot_capacity)
        return broken(k_check_hot_pages, m_base, m_hot_count, hot_flagged);
    uint32_t hot = m_hot_top;
    for (uint64_t n = 0; n < m_hot_count; ++n, hot = m_pages[hot].next) {
        if (hot >= m_count || m_pages[hot].flags != k_flag_hot)
            return broken(k_check_hot_pages, m_base + hot, m_hot_count, n);
    }
    if (m_hot_count != 0 && hot != k_no_page)  // the oldest links to nothing
        return broken(k_check_hot_pages, m_base + hot, k_no_page, hot);

    // Each list holds exactly the free heads of its order, correctly linked.
    // A list cannot repeat a node without a cycle, and the length bound
    // catches cycles, so equal lengths mean lists and heads match one to one.
    for (unsigned order = 0; order <= k_max_order; ++order) {
        uint64_t length = 0;
        uint32_t previous = k_no_page;
        for (uint32_t i = m_free_blocks[order] ? m_free_heads[order] : k_no_page; i != k_no_page;
             previous = i, i = m_pages[i].next) {
            if (i >= m_count)
                return broken(k_check_list_node, m_base + i, order, i);
            const auto& node = m_pages[i];
            uint64_t pfn = m_base + i;
            if (node.state != PageState::Free || !(node.flags & k_flag_head) || node.order != order)
                return broken(k_check_list_node, pfn, order, node.order);
            if (node.prev != previous || ++length > free_heads[order])
                return broken(k_check_list_links, pfn, previous, node.prev);
            uint64_t buddy = pfn ^ block_pages(order);
            if (order < k_max_order && contains(buddy)) {
                const auto& other = page(buddy);
                if (other.state == PageState::Free && (other.flags & k_flag_head) && other.order == order)
                    return broken(k_check_uncoalesced, pfn, order, buddy);
            }
        }
        if (length != free_heads[order] || length != m_free_blocks[order])
            return broken(k_check_list_lengths, m_base, free_heads[order], length);
    }
    return {};
}

} // namespace akuma::mm
