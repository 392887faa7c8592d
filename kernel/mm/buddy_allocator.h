// Buddy allocator over one contiguous range of physical pages (an arena).
//
// Pure logic, shared by the kernel and host tests: bookkeeping lives in a
// caller-provided PageDescriptor array (one per page), free lists are linked
// through those descriptors, and page contents are reached only through
// PageAccess, for poisoning. Blocks are naturally aligned in absolute pfns, so
// an arena may start and end anywhere.
//
// Page states: every page is Reserved, Free or Allocated. Every page of an
// allocated block records Allocated and the owner tag, so the descriptor of
// any address tells who owns it; only the first page is the head.
//
// Contiguous runs: allocate_contiguous() cuts a run of any length from the
// smallest block that covers it and returns the tail to the free lists. Each
// allocated head records its page count (in `next`), so free() frees exactly
// what was allocated, block or run; free_contiguous() additionally checks that
// the caller's count matches. Run heads carry k_flag_run and `order` is the
// order of the block the run was cut from.
//
// Hot pages (deferred coalescing): with a hot capacity set, a single page
// freed goes onto a short stack instead of being merged with its buddy, and
// a single-page allocation takes the last one pushed, so the churn of
// page faults and address-space teardown skips splitting and merging (and
// reuses pages still in the data cache). Hot pages are Free (counted free,
// poisoned like any free page, a second free of one is a double free) but
// belong to no free list (they are linked through their descriptors' `next`
// as a stack of their own); they go back to the free lists, coalescing, when
// a larger block cannot be found, before mark_reserved(), and on
// set_hot_capacity(0).
//
// Errors never change state; each records a BuddyErrorDetail (last_error()) the
// kernel can print before it panics.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "kernel/lib/error_or.h"

namespace akuma::mm {

enum class PageState : uint8_t { Reserved = 0, Free = 1, Allocated = 2 };

struct PageDescriptor {
    // Free head: free-list links (page indices in the arena, k_no_page ends).
    // Allocated head: `next` is the number of pages allocated.
    uint32_t next;
    uint32_t prev;
    PageState state;
    uint8_t order; // head of a free or allocated block
    uint8_t owner; // tag given at allocation, on every page of the block
    uint8_t flags; // BuddyArena::k_flag_*
    uint32_t owner_data; // the owner's to use (e.g. the heap)
};
static_assert(sizeof(PageDescriptor) == 16);

// Reaches the contents of a page: the linear map in the kernel, a buffer in
// host tests. Only called for pages the arena is about to poison or check.
class PageAccess {
public:
    virtual uint8_t* page_contents(uint64_t pfn) = 0;

protected:
    ~PageAccess() = default;
};

enum class BuddyErrorKind : uint8_t {
    None,
    DoubleFree, // freed page is already Free
    FreeOfReserved, // freed page is Reserved
    NotBlockHead, // freed page is Allocated but not the head of its block
    OutOfArena, // pfn (or range) outside the arena
    PoisonMismatch, // a free page was written to while free
    LengthMismatch, // free_contiguous count differs from the allocation
    RangeConflict, // add_free_range/mark_reserved over a page in the wrong state
    BrokenInvariant, // check_invariants() found an inconsistency
};

const char* buddy_error_kind_name(BuddyErrorKind kind);

// Meaning of expected/found per kind:
//   DoubleFree, FreeOfReserved, NotBlockHead, RangeConflict: PageState values
//     (NotBlockHead: the flags expected/found instead);
//   OutOfArena: the arena's [base, end) pfns;
//   PoisonMismatch: the poison pattern and the 8-byte word found at byte
//     `offset` of page `pfn`;
//   LengthMismatch: the allocated page count and the count given;
//   BrokenInvariant: `offset` names the check (see check_invariants), the
//     values depend on it.
struct BuddyErrorDetail {
    BuddyErrorKind kind { BuddyErrorKind::None };
    uint64_t pfn { 0 };
    uint64_t offset { 0 };
    uint64_t expected { 0 };
    uint64_t found { 0 };
};

class BuddyArena {
public:
    static constexpr unsigned k_max_order = 10; // 4 MiB blocks
    static constexpr uint64_t k_page_size = 4096;
    static constexpr uint64_t k_max_block_pages = uint64_t { 1 } << k_max_order;
    static constexpr uint32_t k_no_page = UINT32_MAX;
    // Written over every free page when poisoning is on. Little-endian, so a
    // hex dump shows "ee f4 ee f4 ef be ad de"; as a pointer it is
    // non-canonical, so a use-after-free dereference faults.
    static constexpr uint64_t k_poison_pattern = 0xdeadbeef'f4eef4eeull;
    static constexpr uint8_t k_flag_head = 1 << 0;
    static constexpr uint8_t k_flag_run = 1 << 1;
    static constexpr uint8_t k_flag_hot = 1 << 2; // a hot page (see above); never a head
    static constexpr unsigned k_max_hot_pages = 64;

    BuddyArena() = default;
    BuddyArena(const BuddyArena&) = delete;
    BuddyArena& operator=(const BuddyArena&) = delete;

    // All pages start Reserved. `descriptors` needs at least page_count
    // entries and must outlive the arena; page_count < 2^32.
    ErrorOr<void> initialize(
        uint64_t base_pfn, uint64_t page_count, std::span<PageDescriptor> descriptors, PageAccess& access);

    // Reserved -> Free (every page must be Reserved), coalescing into maximal
    // blocks; the pages are poisoned when poisoning is on.
    ErrorOr<void> add_free_range(uint64_t pfn, uint64_t count);
    // Reserved or Free -> Reserved; fails (Error::Busy) if a page is Allocated.
    ErrorOr<void> mark_reserved(uint64_t pfn, uint64_t count);

    // allocate(0, owner) when a hot page is there and poisoning is off (no
    // poison to check), for the page-fault path: the page's pfn, or k_no_page.
    uint64_t take_hot_page(uint8_t owner) {
        if (m_hot_count == 0 || m_poisoning)
            return k_no_page;
        uint64_t pfn = pop_hot();
        page(pfn) = PageDescriptor { 1, k_no_page, PageState::Allocated, 0, owner, k_flag_head, 0 };
        --m_state_pages[static_cast<int>(PageState::Free)];
        ++m_state_pages[static_cast<int>(PageState::Allocated)];
        return pfn;
    }

    // free(pfn) of an allocated single page while the hot stack has room and
    // poisoning is off: true if done. Anything else (including a misuse,
    // which free() then reports) is left to free().
    bool free_to_hot(uint64_t pfn) {
        if (m_hot_count >= m_hot_capacity || m_poisoning || !contains(pfn))
            return false;
        PageDescriptor& descriptor = page(pfn);
        if (descriptor.state != PageState::Allocated || descriptor.flags != k_flag_head || descriptor.next != 1)
            return false;
        descriptor = PageDescriptor { k_no_page, k_no_page, PageState::Free, 0, 0, 0, 0 };
        push_hot(pfn);
        --m_state_pages[static_cast<int>(PageState::Allocated)];
        ++m_state_pages[static_cast<int>(PageState::Free)];
        return true;
    }

    // At most `pages` (≤ k_max_hot_pages) single pages are kept hot; 0, the
    // default, coalesces every free at once. Lowering it returns the excess.
    void set_hot_capacity(unsigned pages);
    unsigned hot_pages() const { return m_hot_count; }

    // Turning poisoning on poisons every page that is free at that moment.
    void set_poisoning(bool enabled);
    bool poisoning() const { return m_poisoning; }

    // A naturally aligned block of 2^order pages; returns its first pfn.
    // Error::Invalid (order > k_max_order), Error::NoMemory, or Error::Fault
    // when the block's poison was overwritten: then the block is quarantined
    // (marked Reserved) and last_error() says where.
    ErrorOr<uint64_t> allocate(unsigned order, uint8_t owner);
    // Frees the block or run whose head is pfn.
    ErrorOr<void> free(uint64_t pfn);

    // Exactly page_count pages (1..k_max_block_pages) starting at a multiple
    // of alignment_pages (a power of two <= k_max_block_pages).
    ErrorOr<uint64_t> allocate_contiguous(uint64_t page_count, uint64_t alignment_pages, uint8_t owner);
    // Like free(), but also checks page_count against the allocation.
    ErrorOr<void> free_contiguous(uint64_t pfn, uint64_t page_count);

    // Sets owner_data on an allocated page.
    ErrorOr<void> set_owner_data(uint64_t pfn, uint32_t data);
    // The owner-data word of an allocated page, for an owner that updates it
    // with atomic operations instead of under the arena's lock; nullptr for
    // a page that is not allocated.
    uint32_t* owner_data_word(uint64_t pfn) {
        return contains(pfn) && page(pfn).state == PageState::Allocated ? &page(pfn).owner_data : nullptr;
    }
    // Changes the owner tag of the allocated block or run whose head is pfn.
    ErrorOr<void> set_owner(uint64_t pfn, uint8_t owner);

    bool contains(uint64_t pfn) const { return pfn >= m_base && pfn - m_base < m_count; }
    const PageDescriptor* descriptor(uint64_t pfn) const { return contains(pfn) ? &page(pfn) : nullptr; }
    uint64_t base_pfn() const { return m_base; }
    uint64_t end_pfn() const { return m_base + m_count; }

    uint64_t total_pages() const { return m_count; }
    uint64_t free_pages() const { return m_state_pages[static_cast<int>(PageState::Free)]; }
    uint64_t reserved_pages() const { return m_state_pages[static_cast<int>(PageState::Reserved)]; }
    uint64_t allocated_pages() const { return m_state_pages[static_cast<int>(PageState::Allocated)]; }
    // Free blocks of each order; hot pages count as blocks of order 0.
    uint64_t free_blocks(unsigned order) const {
        return order > k_max_order ? 0 : m_free_blocks[order] + (order == 0 ? m_hot_count : 0);
    }

    const BuddyErrorDetail& last_error() const { return m_last_error; }

    // Full consistency check, O(pages): descriptors form whole blocks, free
    // lists match the free heads, no two free buddies are left uncoalesced,
    // counters add up. Error::Invalid with a BrokenInvariant detail otherwise.
    ErrorOr<void> check_invariants() const;

private:
    PageDescriptor& page(uint64_t pfn) { return m_pages[pfn - m_base]; }
    const PageDescriptor& page(uint64_t pfn) const { return m_pages[pfn - m_base]; }
    uint32_t index(uint64_t pfn) const { return static_cast<uint32_t>(pfn - m_base); }
    bool contains_range(uint64_t pfn, uint64_t count) const {
        return pfn >= m_base && pfn - m_base <= m_count && count <= m_count - (pfn - m_base);
    }

    Error fail(Error error, BuddyErrorKind kind, uint64_t pfn, uint64_t expected = 0, uint64_t found = 0,
        uint64_t offset = 0) const;
    Error out_of_arena(uint64_t pfn) const;

    void set_state(uint64_t pfn, uint64_t count, PageState state, uint8_t owner);
    void push_free(uint64_t pfn, unsigned order);
    void unlink_free(uint64_t pfn, unsigned order);
    void insert_free_block(uint64_t pfn, unsigned order);
    void release_range(uint64_t pfn, uint64_t count);
    uint64_t take_block(unsigned order);
    // A freed single page (Free, not a head) onto the hot stack, and the
    // last one pushed off it (inline: the PMM's fast paths use them).
    void push_hot(uint64_t pfn) {
        PageDescriptor& descriptor = page(pfn);
        descriptor.flags = k_flag_hot;
        descriptor.next = m_hot_count != 0 ? m_hot_top : k_no_page;
        m_hot_top = index(pfn);
        ++m_hot_count;
    }
    uint64_t pop_hot() {
        uint64_t pfn = m_base + m_hot_top;
        m_hot_top = page(pfn).next;
        page(pfn).next = k_no_page;
        --m_hot_count;
        return pfn;
    }
    void release_hot(unsigned keep);
    uint64_t free_block_head(uint64_t pfn) const;
    ErrorOr<uint64_t> allocate_pages(unsigned order, uint64_t count, uint8_t owner, uint8_t flags);
    ErrorOr<void> free_pages_at(uint64_t pfn, uint64_t expected_count);

    void poison(uint64_t pfn, uint64_t count);
    bool poison_intact(uint64_t pfn, uint64_t count) const;

    uint64_t m_base { 0 };
    uint64_t m_count { 0 };
    PageDescriptor* m_pages { nullptr };
    PageAccess* m_access { nullptr };
    bool m_poisoning { false };
    uint32_t m_free_heads[k_max_order + 1] {};
    uint64_t m_free_blocks[k_max_order + 1] {};
    uint64_t m_state_pages[3] {}; // indexed by PageState
    // The last hot page pushed (when there is one); each links to the one
    // pushed before it through `next`. Zero-initialised, so a constinit
    // arena stays in .bss.
    uint32_t m_hot_top { 0 };
    unsigned m_hot_count { 0 };
    unsigned m_hot_capacity { 0 };
    mutable BuddyErrorDetail m_last_error {};
};

} // namespace akuma::mm
