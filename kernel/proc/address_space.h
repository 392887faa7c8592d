// A process's address space: its own TTBR0 translation tables and ASID,
// the VMA set describing what each range should hold, demand paging, and
// the memory system calls (brk, mmap, munmap, mprotect, madvise).
//
// Pages are only allocated when first touched (handle_fault). Every user
// page is an order-0 PMM page owned by exactly one address space, so
// tearing it down returns every page it ever took.
#pragma once

#include <cstdint>
#include <span>

#include "kernel/lib/error_or.h"
#include "kernel/lib/vector.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/page_table.h"
#include "kernel/mm/vma_set.h"

namespace akuma::proc {

// How the address space reads and pins files it maps (set by the file
// system glue; keeps mm independent of the file system).
struct MappedFileOps {
    ErrorOr<size_t> (*read)(const void* file, uint64_t offset, std::span<uint8_t> out);
    // A pin keeps the file alive while mapped; release() drops it.
    void* (*pin)(const void* file);
    void (*unpin)(void* pin);
};
void set_mapped_file_ops(const MappedFileOps& ops);

struct UserTableEnv {
    uint16_t asid;
    std::optional<mm::PhysAddr> allocate_table();
    uint64_t* table_pointer(mm::PhysAddr table) const;
    void free_table(mm::PhysAddr table);
    void invalidate_tlb(mm::VirtAddr va) const;
};

enum class FaultAccess : uint8_t { Read, Write, Execute };

enum class MapPlacement : uint8_t {
    Anywhere,        // hint is only a hint
    Fixed,           // MAP_FIXED: replace whatever is there
    FixedNoReplace,  // MAP_FIXED_NOREPLACE: Exists if anything is there
};

struct MapRequest {
    mm::VirtAddr address;  // hint or fixed address
    uint64_t length;
    uint32_t prot;         // k_prot_* bits
    MapPlacement placement;
    mm::VmaKind kind;      // Anonymous, File, Image, Stack
    const void* file;      // nullptr for anonymous memory
    uint64_t file_offset;
    uint64_t file_bytes;   // bytes of the file visible from `address` (rest zero)
    bool no_reserve = false;  // MAP_NORESERVE: exempt from the overcommit check
};

class AddressSpace {
public:
    static ErrorOr<AddressSpace*> create();
    static void destroy(AddressSpace* space);

    uint64_t ttbr0() const;
    const mm::VmaSet& vmas() const { return m_vmas; }

    // mmap and the program loader. Returns the start address. Errors:
    // Invalid, NoMemory, Exists (FixedNoReplace), AccessDenied (W+X).
    ErrorOr<mm::VirtAddr> map(const MapRequest& request);
    ErrorOr<void> unmap(mm::VirtAddr start, uint64_t length);
    ErrorOr<void> protect(mm::VirtAddr start, uint64_t length, uint32_t prot);
    // MADV_DONTNEED: drop the pages; the next touch sees zeros (or the file).
    ErrorOr<void> discard(mm::VirtAddr start, uint64_t length);

    // brk(2): the heap starts at `start` (the page after the program image).
    void set_break_start(mm::VirtAddr start);
    // Moves the break if possible and returns the (possibly unchanged) break.
    mm::VirtAddr set_break(mm::VirtAddr requested);

    // The stack VMA grows down on faults into [top - reserve, top).
    void set_stack_region(mm::VirtAddr top, uint64_t reserve);

    // Demand paging. On failure, `reason` says why the access is invalid.
    ErrorOr<void> handle_fault(mm::VirtAddr address, FaultAccess access, const char** reason);

    // Whether the process may read (or write) all of [address, address+size)
    // according to its VMAs; used by the user-copy routines, since the kernel
    // itself could access PROT_NONE pages.
    bool allows(mm::VirtAddr address, uint64_t size, bool write) const;
    // How many bytes from `address` on (at most `size`) the process may
    // access: read(2) into a buffer that runs into an unmapped page
    // transfers this much, as on Linux.
    uint64_t accessible_prefix(mm::VirtAddr address, uint64_t size, bool write) const;

    uint64_t resident_pages() const { return m_resident_pages; }
    uint64_t peak_resident_pages() const { return m_peak_resident_pages; }
    void print_map() const;

private:
    AddressSpace() = default;
    ErrorOr<void> init();
    void release_pages(mm::VirtAddr start, mm::VirtAddr end);
    ErrorOr<void> pin_file(const void* file);
    ErrorOr<void> populate_page(const mm::Vma& vma, mm::VirtAddr page);

    UserTableEnv m_env {};
    mm::PhysAddr m_root { 0 };
    mm::VmaSet m_vmas;
    struct PinnedFile {
        const void* file;
        void* pin;
    };
    Vector<PinnedFile, mm::HeapAllocator> m_pinned_files;
    // Next-fit for mmap without a hint: the search starts where the last
    // such mapping ended (Linux's free-area cache), so a program with
    // thousands of mappings does not rescan them all each time.
    mm::VirtAddr m_mmap_cursor { 0 };
    mm::VirtAddr m_break_start { 0 };
    mm::VirtAddr m_break { 0 };
    mm::VirtAddr m_stack_top { 0 };
    uint64_t m_stack_reserve { 0 };
    uint64_t m_resident_pages { 0 };
    uint64_t m_peak_resident_pages { 0 };
};

// Page-table flags for a VMA's protection.
uint32_t page_flags_for_prot(uint32_t prot);

}  // namespace akuma::proc
