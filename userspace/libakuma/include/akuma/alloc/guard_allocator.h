// The `guard` allocator: every block gets a mapping of its own, placed so
// the block ENDS at a page boundary followed by an inaccessible guard page.
//
//   small block (its header fits in the head slack of its page):
//   +--------+------------+----------------+------------+
//   | header | head slack | user block     | guard page |
//   +--------+------------+----------------+------------+
//   base                   pointer          pointer + rounded
//
//   otherwise (large blocks, page-aligned blocks, malloc(0)):
//   +-------------+------------+----------------+------------+
//   | header page | head slack | user block ... | guard page |
//   | (read-only) |            |                | PROT_NONE  |
//   +-------------+------------+----------------+------------+
//
// - an overflow past the rounded size faults at once (guard page);
// - the size is rounded up to the alignment (16 by default, as glibc
//   promises), so the up-to-15 bytes between `size` and the guard page are
//   slack, filled with a pattern that free() checks: an overflow into them
//   aborts at free() with the address;
// - the head slack is checked the same way; the header carries a checksum,
//   and where it has a page of its own that page is read-only;
// - free() unmaps everything, so a use after free faults (until the kernel
//   reuses the address for a later mapping);
// - malloc_usable_size() is the requested size, so the slack is never
//   legitimately writable;
// - malloc(0) returns the guard page's address itself: unique, and any
//   access faults.
// The header is always at align_down(pointer - k_header_size, page): in the
// block's own page when the head slack holds it, else the page before.
// Costs one to two pages of memory, two VMAs and two to three syscalls per
// allocation: a debugging tool (Linux's default vm.max_map_count of 65530,
// which Akuma enforces too, bounds it to ~32000 live blocks). Not
// thread-safe: the caller serialises.
#pragma once

#include <cstring>

#include "akuma/alloc/common.h"

namespace akuma::user {

template <typename PageSource>
class GuardAllocator {
public:
    static constexpr const char* k_name = "guard";
    static constexpr unsigned char k_slack_pattern = 0xA5;

    constexpr GuardAllocator() = default;
    explicit GuardAllocator(const PageSource& source) : m_source(source) {}

    PageSource& source() { return m_source; }
    size_t mapping_count() const { return m_mapping_count; }

    void* allocate(size_t size, size_t alignment) {
        size_t rounded;
        if (add_overflows(size, alignment - 1, &rounded))
            return nullptr;
        rounded = align_down(rounded, alignment);
        size_t data_bytes, bytes;
        if (add_overflows(rounded, k_page_size - 1, &data_bytes))
            return nullptr;
        data_bytes = align_down(data_bytes, k_page_size);
        // Above page alignment, rounded == data_bytes: no head slack, so the
        // header takes the page before, and the block start must be aligned.
        bool header_page = data_bytes - rounded < k_header_size;
        size_t header_bytes = header_page ? k_page_size : 0;
        if (add_overflows(data_bytes, header_bytes + k_page_size, &bytes))
            return nullptr;
        uintptr_t base = alignment <= k_page_size
            ? to_address(m_source.map(bytes))
            : map_with_aligned_point(m_source, bytes, alignment, header_bytes);
        if (!base)
            return nullptr;
        uintptr_t data = base + header_bytes;
        uintptr_t guard = data + data_bytes;
        uintptr_t user = guard - rounded;
        if (!m_source.protect(to_pointer(guard), k_page_size, Protection::None))
            m_source.fatal("guard allocator: cannot protect the guard page (mprotect failed)", to_pointer(guard));
        uintptr_t head_slack = header_page ? data : base + k_header_size;
        std::memset(to_pointer(head_slack), k_slack_pattern, user - head_slack);
        std::memset(to_pointer(user + size), k_slack_pattern, rounded - size);
        auto* header = reinterpret_cast<Header*>(base);
        header->magic = k_magic;
        header->base = base;
        header->map_bytes = bytes;
        header->size = size;
        header->user = user;
        header->head_slack = head_slack;
        header->check = checksum(*header);
        if (header_page && !m_source.protect(to_pointer(base), k_page_size, Protection::Read))
            m_source.fatal("guard allocator: cannot protect the header page (mprotect failed)", to_pointer(base));
        m_mapping_count++;
        return to_pointer(user);
    }

    // Fresh anonymous mappings are zero.
    void* allocate_zeroed(size_t size) { return allocate(size, k_min_alignment); }

    void deallocate(void* pointer) {
        const Header& header = header_of(pointer, "free(): invalid pointer");
        uintptr_t user = header.user;
        uintptr_t guard = header.base + header.map_bytes - k_page_size;
        check_slack(header.head_slack, user, "heap buffer underflow: bytes before the block changed");
        check_slack(user + header.size, guard, "heap buffer overflow: bytes after the block changed");
        m_source.unmap(to_pointer(header.base), header.map_bytes);
        m_mapping_count--;
    }

    // Always moves, so the old address faults afterwards.
    void* reallocate(void* pointer, size_t size) {
        size_t old_size = header_of(pointer, "realloc(): invalid pointer").size;
        void* moved = allocate(size, k_min_alignment);
        if (!moved)
            return nullptr;
        std::memcpy(moved, pointer, old_size < size ? old_size : size);
        deallocate(pointer);
        return moved;
    }

    size_t usable_size(const void* pointer) { return header_of(pointer, "malloc_usable_size(): invalid pointer").size; }

private:
    static constexpr uint64_t k_magic = 0x4755415244424c4bULL; // "GUARDBLK"

    struct Header {
        uint64_t magic;
        uintptr_t base;
        size_t map_bytes;
        size_t size;
        uintptr_t user;
        uintptr_t head_slack; // start of the pattern-filled bytes before the block
        uint64_t check;
    };
    static constexpr size_t k_header_size = 64;
    static_assert(sizeof(Header) <= k_header_size);

    static uint64_t checksum(const Header& header) {
        return header.magic ^ (header.base * 3) ^ (header.map_bytes * 5) ^ (header.size * 7) ^ (header.user * 11)
            ^ (header.head_slack * 13);
    }

    const Header& header_of(const void* pointer, const char* what) {
        uintptr_t address = to_address(pointer);
        const auto* header = reinterpret_cast<const Header*>(align_down(address - k_header_size, k_page_size));
        if (header->magic != k_magic || header->user != address || header->check != checksum(*header))
            m_source.fatal(what, pointer);
        return *header;
    }

    void check_slack(uintptr_t begin, uintptr_t end, const char* what) {
        for (uintptr_t address = begin; address < end; address++) {
            if (*reinterpret_cast<const unsigned char*>(address) != k_slack_pattern)
                m_source.fatal(what, to_pointer(address));
        }
    }

    PageSource m_source {};
    size_t m_mapping_count = 0;
};

} // namespace akuma::user
