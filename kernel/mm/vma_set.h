// VmaSet: the virtual memory areas of one user address space, kept sorted by
// start address in a vector (lookups are binary searches). Hardware
// independent: it records what each range should contain; mapping pages and
// handling faults is the address space's job.
//
// Invariants: every VMA is non-empty and page aligned, file_bytes <= its size,
// file_offset and file_bytes are 0 when file is null, and VMAs are sorted and
// do not overlap.
//
// Every mutating operation is all-or-nothing: it either fails (NoMemory,
// Exists, Invalid, ...) and changes nothing, or does all of its work. Adjacent
// VMAs with identical attributes are merged by insert() and protect_range();
// merging never changes what any page reads as.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>

#include "kernel/lib/error_or.h"
#include "kernel/lib/vector.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/page_table.h"

namespace akuma::mm {

// Linux PROT_* bits (mmap/mprotect ABI).
constexpr uint32_t k_prot_none = 0;
constexpr uint32_t k_prot_read = 1;
constexpr uint32_t k_prot_write = 2;
constexpr uint32_t k_prot_exec = 4;

enum class VmaKind : uint8_t {
    Anonymous,
    File,   // private file mapping
    Image,  // an ELF PT_LOAD segment
    Heap,   // the brk area
    Stack,
};

const char* vma_kind_name(VmaKind kind);

struct Vma {
    VirtAddr start;  // page aligned
    VirtAddr end;    // page aligned, exclusive
    uint32_t prot;   // k_prot_* bits
    VmaKind kind;
    // What backs the range (not owned; the address space keeps it alive): a
    // file for File and Image VMAs, the SharedMemory object of a shared one.
    const void* file;
    uint64_t file_offset;  // offset in the file (or object) of the byte at `start`
    uint64_t file_bytes;   // bytes from `start` read from the file; the rest reads as zeros
    // MAP_SHARED anonymous memory: its pages come from the SharedMemory
    // object in `file` and are shared with the other address spaces forked
    // from this one instead of copied on write.
    bool shared = false;
    // The protections mprotect may grant (Linux's VM_MAYREAD/WRITE/EXEC): a
    // MAP_SHARED file mapping cannot become writable, since its writes would
    // not reach the file (there is no page cache to write back from yet).
    uint32_t max_prot = k_prot_read | k_prot_write | k_prot_exec;

    uint64_t size() const { return end - start; }
    bool contains(VirtAddr address) const { return address >= start && address < end; }
    bool operator==(const Vma&) const = default;
};

// The part of `vma` inside [from, to), with file_offset/file_bytes adjusted.
// The range must intersect the VMA.
Vma vma_slice(const Vma& vma, VirtAddr from, VirtAddr to);

class VmaSet {
public:
    VmaSet() = default;
    VmaSet(VmaSet&&) = default;
    VmaSet& operator=(VmaSet&&) = default;

    // Exists if it overlaps a VMA; Invalid if unaligned, empty or wrapping, or
    // if file_bytes exceeds the size (or is non-zero without a file). Without
    // a file, file_offset is stored as 0.
    ErrorOr<void> insert(const Vma& vma);

    // The VMA containing address, or nullptr. Valid until the next change.
    const Vma* find(VirtAddr address) const;
    // True if no VMA intersects [start, end).
    bool is_free(VirtAddr start, VirtAddr end) const;

    // munmap: removes [start, end) from every VMA it intersects (holes are
    // fine), splitting partly covered ones, and calls on_removed(const Vma&)
    // with each removed piece, in address order, before returning. Invalid if
    // unaligned or empty; NoMemory (nothing changed, nothing reported) if the
    // one split that needs an extra slot cannot get it.
    template <typename F>
    ErrorOr<void> remove_range(VirtAddr start, VirtAddr end, F&& on_removed) {
        TRY(prepare_removal(start, end));
        for (size_t i = first_ending_after(start); i < m_vmas.size() && m_vmas[i].start < end;) {
            Vma piece = vma_slice(m_vmas[i], start, end);
            i = cut(i, start, end);
            on_removed(static_cast<const Vma&>(piece));
        }
        return {};
    }
    ErrorOr<void> remove_range(VirtAddr start, VirtAddr end) {
        return remove_range(start, end, [](const Vma&) {});
    }

    // mprotect: sets prot on [start, end), splitting at both ends. Every page
    // must be inside a VMA, else NoMemory (Linux ENOMEM) and nothing changes.
    // Invalid if unaligned; an empty range succeeds without doing anything.
    ErrorOr<void> protect_range(VirtAddr start, VirtAddr end, uint32_t prot);

    // mmap without MAP_FIXED: the lowest page-aligned start >= max(hint,
    // minimum) with [start, start + size) free and ending <= limit; if there is
    // none above a non-zero hint, the lowest from minimum. size is rounded up
    // to whole pages; nullopt if it is 0 or nothing fits.
    std::optional<VirtAddr> find_free(uint64_t size, VirtAddr minimum, VirtAddr limit, VirtAddr hint = 0) const;

    // Moves the end of the VMA starting exactly at start_of_vma (brk).
    // NotFound if there is none; Invalid if new_end is unaligned or would
    // leave it empty; Exists if growing would overlap the next VMA. Shrinking
    // clips file_bytes; the caller unmaps [new_end, old end).
    ErrorOr<void> resize_end(VirtAddr start_of_vma, VirtAddr new_end);

    // Grows an anonymous VMA of this set (the stack) down to new_start.
    // Invalid if unaligned, above its start, or the VMA has a file; Exists if
    // it would overlap the previous VMA.
    ErrorOr<void> extend_down(const Vma* vma, VirtAddr new_start);

    ErrorOr<VmaSet> clone() const;
    void clear() { m_vmas.clear(); }

    size_t size() const { return m_vmas.size(); }
    bool is_empty() const { return m_vmas.is_empty(); }
    const Vma* begin() const { return m_vmas.begin(); }
    const Vma* end() const { return m_vmas.end(); }

private:
    explicit VmaSet(Vector<Vma, HeapAllocator>&& vmas) : m_vmas(std::move(vmas)) {}

    // Index of the first VMA whose end is above address (size() if none).
    size_t first_ending_after(VirtAddr address) const;
    // Validates the range and reserves the slot a split of one VMA needs.
    ErrorOr<void> prepare_removal(VirtAddr start, VirtAddr end);
    // Removes [start, end) from VMA i; returns the index of the next VMA.
    size_t cut(size_t i, VirtAddr start, VirtAddr end);
    // Splits VMA i at address (strictly inside it); capacity must be reserved.
    void split_at(size_t i, VirtAddr address);
    void insert_reserved(size_t index, const Vma& vma);
    void merge_with_next(size_t i);

    Vector<Vma, HeapAllocator> m_vmas;
};

}  // namespace akuma::mm
