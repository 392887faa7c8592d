// AArch64 stage-1 translation tables, 4 KiB granule, 48-bit VA (4 levels).
//
// Hardware-independent: the tables are reached through an Env, so the same
// code builds the boot tables with the MMU off, the live kernel tables, and
// tables over simulated physical memory in host tests. Env provides:
//   std::optional<PhysAddr> allocate_table();   // a zeroed 4 KiB page
//   uint64_t* table_pointer(PhysAddr table);    // where the CPU can reach it
// TLB maintenance is the caller's job (it knows whether the tables are live).
//
// Descriptor format: ARM ARM D8.3 (VMSAv8-64 translation table format).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "kernel/lib/error_or.h"

namespace akuma::mm {

using PhysAddr = uint64_t;
using VirtAddr = uint64_t;

constexpr size_t k_page_size = 4096;
constexpr unsigned k_page_shift = 12;
constexpr unsigned k_levels = 4;
constexpr size_t k_entries_per_table = 512;

// Memory permissions and type of a mapping. Write|Execute together is
// refused: no page is both writable and executable (W^X).
enum PageFlags : uint32_t {
    k_page_read = 1u << 0,
    k_page_write = 1u << 1,
    k_page_execute = 1u << 2,
    k_page_user = 1u << 3,
    k_page_device = 1u << 4,  // Device-nGnRE instead of Normal write-back
};

// MAIR_EL1 attribute indices; boot.S programs MAIR_EL1 to match.
constexpr uint64_t k_mair_index_normal = 0;  // 0xff: Normal, inner/outer WB-WA
constexpr uint64_t k_mair_index_device = 1;  // 0x04: Device-nGnRE
constexpr uint64_t k_mair_value = 0x04ffull << 0;

namespace descriptor {
constexpr uint64_t k_valid = 1ull << 0;
constexpr uint64_t k_table = 1ull << 1;  // levels 0-2: table; level 3: page
constexpr uint64_t k_attr_index_shift = 2;
constexpr uint64_t k_ap_el0 = 1ull << 6;       // AP[1]: EL0 access
constexpr uint64_t k_ap_read_only = 1ull << 7;  // AP[2]
constexpr uint64_t k_sh_inner = 3ull << 8;
constexpr uint64_t k_access_flag = 1ull << 10;
constexpr uint64_t k_not_global = 1ull << 11;
constexpr uint64_t k_pxn = 1ull << 53;
constexpr uint64_t k_uxn = 1ull << 54;
constexpr uint64_t k_address_mask = 0x0000fffffffff000ull;
}  // namespace descriptor

// Size mapped by one entry at each level (level 0 entries only hold tables).
constexpr uint64_t level_entry_size(unsigned level) { return 1ull << (k_page_shift + 9 * (3 - level)); }

constexpr unsigned level_index(VirtAddr va, unsigned level) {
    return static_cast<unsigned>((va >> (k_page_shift + 9 * (3 - level))) & 511);
}

constexpr uint64_t encode_leaf_attributes(uint32_t flags) {
    using namespace descriptor;
    uint64_t attrs = k_access_flag;
    if (flags & k_page_device) {
        attrs |= k_mair_index_device << k_attr_index_shift;
    } else {
        attrs |= (k_mair_index_normal << k_attr_index_shift) | k_sh_inner;
    }
    if (!(flags & k_page_write))
        attrs |= k_ap_read_only;
    if (flags & k_page_user) {
        attrs |= k_ap_el0 | k_not_global | k_pxn;  // the kernel never runs user code
        if (!(flags & k_page_execute))
            attrs |= k_uxn;
    } else {
        attrs |= k_uxn;
        if (!(flags & k_page_execute))
            attrs |= k_pxn;
    }
    return attrs;
}

constexpr uint32_t decode_leaf_flags(uint64_t entry) {
    using namespace descriptor;
    uint32_t flags = k_page_read;
    if (!(entry & k_ap_read_only))
        flags |= k_page_write;
    if (((entry >> k_attr_index_shift) & 7) == k_mair_index_device)
        flags |= k_page_device;
    if (entry & k_ap_el0) {
        flags |= k_page_user;
        if (!(entry & k_uxn))
            flags |= k_page_execute;
    } else if (!(entry & k_pxn)) {
        flags |= k_page_execute;
    }
    return flags;
}

struct Translation {
    PhysAddr physical;   // physical address the queried VA translates to
    uint32_t flags;      // PageFlags of the leaf
    unsigned level;      // 1, 2 (blocks) or 3 (page)
};

template <typename Env>
class PageTable {
public:
    PageTable(Env& env, PhysAddr root) : m_env(env), m_root(root) {}

    static ErrorOr<PageTable> create(Env& env) {
        auto root = env.allocate_table();
        if (!root)
            return Error::NoMemory;
        return PageTable(env, *root);
    }

    PhysAddr root() const { return m_root; }

    // Maps [va, va+size) to [pa, pa+size). With allow_blocks, 1 GiB and
    // 2 MiB blocks are used where alignment permits. An already-mapped
    // page is an error (remapping needs break-before-make by the caller);
    // on any error, the pages before the failing one stay mapped.
    ErrorOr<void> map(VirtAddr va, PhysAddr pa, uint64_t size, uint32_t flags, bool allow_blocks) {
        if ((va | pa | size) & (k_page_size - 1))
            return Error::Invalid;
        if ((flags & k_page_write) && (flags & k_page_execute))
            return Error::Invalid;
        if (va + size < va || pa + size < pa)
            return Error::Invalid;
        while (size > 0) {
            unsigned level = 3;
            if (allow_blocks) {
                for (unsigned candidate = 1; candidate < 3; ++candidate) {
                    uint64_t block = level_entry_size(candidate);
                    if (((va | pa) & (block - 1)) == 0 && size >= block) {
                        level = candidate;
                        break;
                    }
                }
            }
            uint64_t* slot;
            for (;; ++level) {
                slot = TRY(walk_to(va, level, true));
                // A table already below this block slot: map at a finer level.
                if (level < 3 && (*slot & descriptor::k_valid) && (*slot & descriptor::k_table))
                    continue;
                break;
            }
            if (*slot & descriptor::k_valid)
                return Error::Exists;
            uint64_t type_bits = descriptor::k_valid | (level == 3 ? descriptor::k_table : 0);
            *slot = (pa & descriptor::k_address_mask) | encode_leaf_attributes(flags) | type_bits;
            uint64_t step = level_entry_size(level);
            va += step;
            pa += step;
            size -= step;
        }
        return {};
    }

    std::optional<Translation> query(VirtAddr va) const {
        PhysAddr table = m_root;
        for (unsigned level = 0; level < k_levels; ++level) {
            uint64_t entry = m_env.table_pointer(table)[level_index(va, level)];
            if (!(entry & descriptor::k_valid))
                return std::nullopt;
            bool is_table = (entry & descriptor::k_table) && level < 3;
            if (!is_table) {
                if (level == 0)
                    return std::nullopt;  // level-0 blocks do not exist with 4 KiB granules
                uint64_t offset_mask = level_entry_size(level) - 1;
                PhysAddr base = entry & descriptor::k_address_mask & ~offset_mask;
                return Translation { base | (va & offset_mask), decode_leaf_flags(entry), level };
            }
            table = entry & descriptor::k_address_mask;
        }
        return std::nullopt;
    }

private:
    // Returns the entry for va at target_level, creating tables on the way.
    ErrorOr<uint64_t*> walk_to(VirtAddr va, unsigned target_level, bool create) {
        PhysAddr table = m_root;
        for (unsigned level = 0; level < target_level; ++level) {
            uint64_t* slot = &m_env.table_pointer(table)[level_index(va, level)];
            if (!(*slot & descriptor::k_valid)) {
                if (!create)
                    return Error::NotFound;
                auto next = m_env.allocate_table();
                if (!next)
                    return Error::NoMemory;
                *slot = (*next & descriptor::k_address_mask) | descriptor::k_valid | descriptor::k_table;
            } else if (!(*slot & descriptor::k_table)) {
                return Error::Exists;  // a block already covers this range
            }
            table = *slot & descriptor::k_address_mask;
        }
        return &m_env.table_pointer(table)[level_index(va, target_level)];
    }

    Env& m_env;
    PhysAddr m_root;
};

}  // namespace akuma::mm
