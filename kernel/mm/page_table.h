// AArch64 stage-1 translation tables, 4 KiB granule, 48-bit VA (4 levels).
//
// Hardware-independent: the tables are reached through an Env, so the same
// code builds the boot tables with the MMU off, the live kernel tables, and
// tables over simulated physical memory in host tests. Env provides:
//   std::optional<PhysAddr> allocate_table();   // a zeroed 4 KiB page
//   uint64_t* table_pointer(PhysAddr table);    // where the CPU can reach it
// TLB maintenance is the caller's job (it knows whether the tables are live).
// Optionally, an Env that keeps the span of slots each table above the last
// level ever had (user address spaces: most of their tables hold one or two
// entries) provides
//   void note_table_slot(PhysAddr table, unsigned index);   // a table entry made
//   TableSlotSpan table_slot_span(PhysAddr table);          // [first, end) of them
// and release_all()/release_tables() scan only that span of such a table.
//
// Descriptor format: ARM ARM D8.3 (VMSAv8-64 translation table format).
#pragma once

#include <cstddef>
#include <cstdint>
#include <concepts>
#include <optional>

#include "kernel/lib/error_or.h"

namespace akuma::mm {

using PhysAddr = uint64_t;
using VirtAddr = uint64_t;

constexpr size_t k_page_size = 4096;
constexpr unsigned k_page_shift = 12;
constexpr unsigned k_levels = 4;
constexpr size_t k_entries_per_table = 512;

struct TableSlotSpan {
    unsigned first;
    unsigned end;
};
template <typename Env>
concept KeepsTableSlotSpans = requires(Env& env, PhysAddr table) {
    env.note_table_slot(table, 0u);
    { env.table_slot_span(table) } -> std::same_as<TableSlotSpan>;
};

// Memory permissions and type of a mapping. Write|Execute together is
// refused for the kernel's own pages: none is writable and executable (W^X).
// User pages may be both (Linux allows it; AddressSpace applies the
// user_wx policy), and the kernel never executes them (PXN).
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

// The one combination no page table ever holds: a kernel page that is
// both writable and executable.
constexpr bool is_kernel_writable_executable(uint32_t flags) {
    return (flags & k_page_write) && (flags & k_page_execute) && !(flags & k_page_user);
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
        if (is_kernel_writable_executable(flags))
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
            PhysAddr containing = 0;
            for (;; ++level) {
                slot = TRY(walk_to(va, level, true, &containing));
                // A table already below this block slot: map at a finer level.
                if (level < 3 && (*slot & descriptor::k_valid) && (*slot & descriptor::k_table))
                    continue;
                break;
            }
            if (*slot & descriptor::k_valid)
                return Error::Exists;
            uint64_t type_bits = descriptor::k_valid | (level == 3 ? descriptor::k_table : 0);
            *slot = (pa & descriptor::k_address_mask) | encode_leaf_attributes(flags) | type_bits;
            if (level < 3)
                note_slot(containing, level_index(va, level));
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

    // Removes every mapping in [va, va+size); holes are skipped. Blocks that
    // are only partly covered are split first. Tables left empty are freed
    // (never the root). on_unmapped(va, pa, bytes) is called per removed leaf.
    template <typename OnUnmapped>
    ErrorOr<void> unmap(VirtAddr va, uint64_t size, OnUnmapped&& on_unmapped) {
        if (((va | size) & (k_page_size - 1)) || va + size < va)
            return Error::Invalid;
        VirtAddr cursor = va;
        TRY(unmap_in(m_root, 0, cursor, va + size, on_unmapped));
        return {};
    }
    ErrorOr<void> unmap(VirtAddr va, uint64_t size) {
        return unmap(va, size, [](VirtAddr, PhysAddr, uint64_t) {});
    }

    // The level-3 slot for va, the tables on the way created: for callers
    // that store page entries themselves, many into one table (a fork's
    // copy, fault-around) without a walk from the root each. A store into
    // an empty slot needs no TLB maintenance. Error::Exists if a block
    // covers va.
    ErrorOr<uint64_t*> page_slot(VirtAddr va) { return walk_to(va, 3, true); }

    // Takes the whole tree down, for a table nothing translates through any
    // more (the caller then flushes its ASID whole): each leaf goes to
    // on_leaf(va, pa, bytes), every table but the root is freed, and no TLB
    // entry is invalidated one by one. Unlike unmap() it keeps no range
    // bookkeeping per slot and never checks whether a table became empty:
    // a dead address space's teardown is one load per slot.
    template <typename OnLeaf>
    void release_all(OnLeaf&& on_leaf) {
        release_entries<true>(m_root, 0, 0, on_leaf);
    }
    // release_all() for a tree whose level-3 entries the caller has already
    // cleared (a dead address space whose pages were dropped VMA by VMA):
    // the level-3 tables are freed without a look at their 512 slots each.
    void release_tables() {
        auto no_leaf = [](VirtAddr, PhysAddr, uint64_t) {};
        release_entries<false>(m_root, 0, 0, no_leaf);
    }

    // Changes the permissions of every page in [va, va+size). A hole is
    // Error::NotFound (pages before it are already changed), W+X kernel
    // pages are refused.
    ErrorOr<void> protect(VirtAddr va, uint64_t size, uint32_t flags) {
        if (((va | size) & (k_page_size - 1)) || va + size < va)
            return Error::Invalid;
        if (is_kernel_writable_executable(flags))
            return Error::Invalid;
        VirtAddr end = va + size;
        while (va < end) {
            unsigned level = 0;
            uint64_t* slot = nullptr;
            PhysAddr table = m_root;
            for (;; ++level) {
                slot = &m_env.table_pointer(table)[level_index(va, level)];
                if (!(*slot & descriptor::k_valid))
                    return Error::NotFound;
                if (level < 3 && (*slot & descriptor::k_table)) {
                    table = *slot & descriptor::k_address_mask;
                    continue;
                }
                break;
            }
            if (level == 0)
                return Error::NotFound;
            uint64_t entry_size = level_entry_size(level);
            VirtAddr entry_start = va & ~(entry_size - 1);
            if (va != entry_start || end - entry_start < entry_size) {
                TRY(split_block(*slot, level, entry_start));
                continue;  // walk again, now one level finer
            }
            uint64_t type_bits = descriptor::k_valid | (level == 3 ? descriptor::k_table : 0);
            uint64_t updated = (*slot & descriptor::k_address_mask) | encode_leaf_attributes(flags) | type_bits;
            if (updated != *slot)
                replace_live_entry(*slot, updated, entry_start);
            va = entry_start + entry_size;
        }
        return {};
    }

private:
    static bool is_table_entry(uint64_t entry, unsigned level) {
        return (entry & descriptor::k_valid) && (entry & descriptor::k_table) && level < 3;
    }

    void replace_live_entry(uint64_t& slot, uint64_t new_entry, VirtAddr va) {
        slot = 0;
        m_env.invalidate_tlb(va);
        slot = new_entry;
    }

    // Replaces a block with a table of next-level entries mapping the same
    // memory with the same attributes.
    ErrorOr<void> split_block(uint64_t& slot, unsigned level, VirtAddr block_va) {
        auto table = m_env.allocate_table();
        if (!table)
            return Error::NoMemory;
        unsigned child_level = level + 1;
        uint64_t child_size = level_entry_size(child_level);
        uint64_t attributes = slot & ~descriptor::k_address_mask & ~(descriptor::k_valid | descriptor::k_table);
        uint64_t child_type = descriptor::k_valid | (child_level == 3 ? descriptor::k_table : 0);
        PhysAddr base = slot & descriptor::k_address_mask & ~(level_entry_size(level) - 1);
        uint64_t* entries = m_env.table_pointer(*table);
        for (size_t i = 0; i < k_entries_per_table; ++i)
            entries[i] = ((base + i * child_size) & descriptor::k_address_mask) | attributes | child_type;
        if (child_level < 3) {
            note_slot(*table, 0);
            note_slot(*table, k_entries_per_table - 1);
        }
        replace_live_entry(slot, (*table & descriptor::k_address_mask) | descriptor::k_valid | descriptor::k_table,
                           block_va);
        return {};
    }

    bool table_is_empty(PhysAddr table) {
        uint64_t* entries = m_env.table_pointer(table);
        for (size_t i = 0; i < k_entries_per_table; ++i) {
            if (entries[i] & descriptor::k_valid)
                return false;
        }
        return true;
    }

    // Unmaps [va, end) inside the table at `level`; `va` advances. Returns
    // whether the table is empty afterwards.
    template <typename OnUnmapped>
    ErrorOr<bool> unmap_in(PhysAddr table, unsigned level, VirtAddr& va, VirtAddr end, OnUnmapped& on_unmapped) {
        if (level == 3) {
            // [va, end) lies inside this table, whose entries are all pages:
            // a plain run of slots (ranges are mostly empty: a program's
            // loader unmaps the gaps of its reservations).
            uint64_t* entries = m_env.table_pointer(table);
            VirtAddr table_base = va & ~(level_entry_size(2) - 1);
            for (size_t i = level_index(va, 3), last = level_index(end - 1, 3); i <= last; ++i) {
                uint64_t entry = entries[i];
                if (!(entry & descriptor::k_valid))
                    continue;
                entries[i] = 0;
                VirtAddr page = table_base + i * k_page_size;
                m_env.invalidate_tlb(page);
                on_unmapped(page, entry & descriptor::k_address_mask, k_page_size);
            }
            va = end;
            return table_is_empty(table);
        }
        while (va < end) {
            uint64_t& slot = m_env.table_pointer(table)[level_index(va, level)];
            uint64_t entry_size = level_entry_size(level);
            VirtAddr entry_start = va & ~(entry_size - 1);
            VirtAddr entry_end = entry_start + entry_size;
            VirtAddr stop = (entry_end == 0 || entry_end > end) ? end : entry_end;  // entry_end 0: top of VA
            if (!(slot & descriptor::k_valid)) {
                va = stop;
            } else if (is_table_entry(slot, level)) {
                PhysAddr child = slot & descriptor::k_address_mask;
                if (TRY(unmap_in(child, level + 1, va, stop, on_unmapped))) {
                    slot = 0;
                    m_env.invalidate_tlb(entry_start);
                    m_env.free_table(child);
                }
            } else if (va == entry_start && stop == entry_end) {
                PhysAddr pa = slot & descriptor::k_address_mask & ~(entry_size - 1);
                slot = 0;
                m_env.invalidate_tlb(entry_start);
                on_unmapped(entry_start, pa, entry_size);
                va = entry_end;
            } else {
                TRY(split_block(slot, level, entry_start));  // then handle the table
            }
        }
        return table_is_empty(table);
    }

    template <bool scan_last_level, typename OnLeaf>
    void release_entries(PhysAddr table, unsigned level, VirtAddr base, OnLeaf& on_leaf) {
        uint64_t* entries = m_env.table_pointer(table);
        uint64_t entry_size = level_entry_size(level);
        // Most slots of a user table are empty: eight at a time (one cache
        // line, four paired loads) are skipped when none is valid.
        constexpr size_t k_group = 8;
        static_assert(k_entries_per_table % k_group == 0);
        size_t first = 0;
        size_t end = k_entries_per_table;
        if constexpr (KeepsTableSlotSpans<Env>) {
            if (level < 3) {
                TableSlotSpan span = m_env.table_slot_span(table);
                first = span.first & ~(k_group - 1);
                end = span.end;
            }
        }
        for (size_t i = first; i < end; ++i) {
            if (i % k_group == 0) {
                uint64_t any = 0;
                for (size_t j = 0; j < k_group; ++j)
                    any |= entries[i + j];
                if (!(any & descriptor::k_valid)) {
                    i += k_group - 1;
                    continue;
                }
            }
            uint64_t entry = entries[i];
            if (!(entry & descriptor::k_valid))
                continue;
            entries[i] = 0;  // a table goes back to the allocator empty
            VirtAddr va = base + i * entry_size;
            PhysAddr pa = entry & descriptor::k_address_mask;
            if (is_table_entry(entry, level)) {
                if (scan_last_level || level + 1 < 3)
                    release_entries<scan_last_level>(pa, level + 1, va, on_leaf);
                m_env.free_table(pa);
            } else {
                on_leaf(va, pa & ~(entry_size - 1), entry_size);
            }
        }
    }

    void note_slot(PhysAddr table, unsigned index) {
        if constexpr (KeepsTableSlotSpans<Env>)
            m_env.note_table_slot(table, index);
    }

    // Returns the entry for va at target_level, creating tables on the way
    // (and the table holding it in *containing, if asked).
    ErrorOr<uint64_t*> walk_to(VirtAddr va, unsigned target_level, bool create, PhysAddr* containing = nullptr) {
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
                note_slot(table, level_index(va, level));
            } else if (!(*slot & descriptor::k_table)) {
                return Error::Exists;  // a block already covers this range
            }
            table = *slot & descriptor::k_address_mask;
        }
        if (containing)
            *containing = table;
        return &m_env.table_pointer(table)[level_index(va, target_level)];
    }

    Env& m_env;
    PhysAddr m_root;
};

}  // namespace akuma::mm
