// A process's address space: its own TTBR0 translation tables and ASID,
// the VMA set describing what each range should hold, demand paging, and
// the memory system calls (brk, mmap, munmap, mprotect, madvise).
//
// Pages are only allocated when first touched (handle_fault). Every user
// page is an order-0 PMM page. A page may be mapped by several address
// spaces after fork(2): private pages are then shared read-only and copied
// on the first write (copy-on-write); MAP_SHARED anonymous pages come from
// a SharedMemory object (mm/shared_memory.h) that every fork refers to, so
// they stay shared and writable. The page's PMM descriptor counts its
// holders (owner_data, mm/page_sharing.h), and the last one to drop it
// frees it, so tearing down every space returns every page.
//
// Locking: several threads of a process share one address space and may
// be preempted anywhere, so every public operation that reads or changes
// the VMAs or the page tables holds the space's mutex. None of them touches
// user memory or calls another public operation while holding it (the
// user-copy routines fault into handle_fault, which takes it).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "kernel/lib/error_or.h"
#include "kernel/lib/string.h"
#include "kernel/lib/vector.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/page_table.h"
#include "kernel/mm/shared_memory.h"
#include "kernel/mm/vma_set.h"
#include "kernel/proc/user_layout.h"
#include "kernel/sched/mutex.h"

namespace akuma::proc {

// How the address space reads and pins files it maps (set by the file
// system glue; keeps mm independent of the file system).
struct MappedFileOps {
    ErrorOr<size_t> (*read)(const void* file, uint64_t offset, std::span<uint8_t> out);
    // A pin keeps the file alive while mapped; release() drops it.
    void* (*pin)(const void* file);
    void (*unpin)(void* pin);
    // A running program's file: false (ETXTBSY) if it is open for writing;
    // otherwise it cannot be opened for writing until allow_write.
    bool (*deny_write)(const void* file);
    void (*allow_write)(const void* file);
    // The page cache: calls use(context, frame) with the frame holding page
    // `index` of the file (FileSystem::cache_page), under the lock that
    // keeps the file from dropping it, so `use` can map it and take its
    // share. NotSupported: the file system has no page cache (copy instead);
    // OutOfRange: past the end of the file (SIGBUS).
    ErrorOr<void> (*with_page)(const void* file, uint64_t index, bool writable_share,
                               ErrorOr<void> (*use)(void* context, mm::PhysAddr frame), void* context);
    // Fault-around: use(context, frames) under one hold of that lock, where
    // frames[i] is the cache's frame of page first + i, or 0 where the
    // cache holds none (count ≤ k_max_cached_run).
    static constexpr uint64_t k_max_cached_run = 64;
    void (*with_cached_pages)(const void* file, uint64_t first, uint64_t count,
                              void (*use)(void* context, const mm::PhysAddr* frames), void* context);
    // Linux's i_mmap_writable, per address space: its first shared mapping
    // of the file that may write asks add_writable_mapping (false: the file
    // is write-sealed, EPERM); fork counts the child in; the space's last
    // such mapping leaving calls remove_writable_mapping.
    bool (*add_writable_mapping)(const void* file);
    void (*fork_writable_mapping)(const void* file);
    void (*remove_writable_mapping)(const void* file);
};
void set_mapped_file_ops(const MappedFileOps& ops);
const MappedFileOps& mapped_file_ops();

struct UserTableEnv {
    uint16_t asid;
    std::optional<mm::PhysAddr> allocate_table();
    uint64_t* table_pointer(mm::PhysAddr table) const;
    void free_table(mm::PhysAddr table);
    void invalidate_tlb(mm::VirtAddr va) const;
    // The span of slots a table above the last level ever used, kept in its
    // page's owner-data word, so a teardown reads only those (page_table.h).
    void note_table_slot(mm::PhysAddr table, unsigned index);
    mm::TableSlotSpan table_slot_span(mm::PhysAddr table) const;
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
    // MAP_SHARED|MAP_ANONYMOUS: the pages (made on first touch) stay shared
    // (writable) with the spaces forked from this one.
    bool shared = false;
    // What mprotect may grant later (Vma::max_prot).
    uint32_t max_prot = mm::k_prot_read | mm::k_prot_write | mm::k_prot_exec;
    // The mapped file's path, for /proc/PID/maps (kept with the first
    // mapping of the file in this space).
    std::string_view file_name {};
};

class AddressSpace {
public:
    // User memory that is writable and executable at once (JITs, libffi
    // closures) is allowed, as on Linux; the boot argument user_wx=deny
    // refuses it (mmap, mprotect and exec fail with EACCES). Set once at
    // boot, before the first process. The kernel's own mappings are W^X
    // either way.
    static void set_writable_executable_refused(bool refused);
    static bool writable_executable_refused();

    // membarrier(2)'s registrations (MEMBARRIER_CMD_REGISTER_*: Linux's
    // mm->membarrier_state), bits of the registered commands; a fork's copy
    // keeps them, execve's new space has none.
    uint32_t membarrier_registrations() const { return __atomic_load_n(&m_membarrier, __ATOMIC_ACQUIRE); }
    void register_membarrier(uint32_t command) { __atomic_fetch_or(&m_membarrier, command, __ATOMIC_ACQ_REL); }

    static ErrorOr<AddressSpace*> create();
    // Frees the space and drops its share of every page. Nobody else may
    // use it any more (its threads are gone), so this takes no lock.
    static void destroy(AddressSpace* space);

    // fork(2): a new space with the same VMAs, break, stack region, mmap
    // cursor and pinned files. Present private pages are shared read-only
    // by both spaces (the parent's writable entries are write-protected)
    // and copied on the first write; MAP_SHARED pages stay shared. On
    // NoMemory nothing is left allocated; some of this space's pages may
    // then be read-only, which the next write fault undoes without a copy.
    ErrorOr<AddressSpace*> clone_for_fork();

    uint64_t ttbr0() const;
    // Unlocked: only for a space no other thread can change (tests).
    const mm::VmaSet& vmas() const { return m_vmas; }

    // mmap and the program loader. Returns the start address. Errors:
    // Invalid, NoMemory, Exists (FixedNoReplace), AccessDenied (W+X).
    ErrorOr<mm::VirtAddr> map(const MapRequest& request);
    ErrorOr<void> unmap(mm::VirtAddr start, uint64_t length);
    ErrorOr<void> protect(mm::VirtAddr start, uint64_t length, uint32_t prot);
    // The file shrank: unmaps, in every mmap of `file`, the pages that map
    // file offsets at or past `from_offset` (page-aligned), private copies
    // included, as Linux's truncate does (a later touch is SIGBUS).
    void unmap_file_pages(const void* file, uint64_t from_offset);
    // mremap(2) of [old_start, old_start + old_size) (one mapping, else
    // Fault) to new_size bytes: shrinking unmaps the tail; growing extends in
    // place if the pages after it are free, else moves the mapping (its
    // pages, not copies) where there is room if `may_move` (NoMemory
    // otherwise); `fixed` moves it to fixed_address, unmapping what was
    // there. Sizes are page-rounded by the caller. Invalid for overlapping
    // fixed ranges and for growing shared anonymous memory (not supported).
    // `keep_old` (MREMAP_DONTUNMAP; sizes equal, may_move): always moves,
    // and the old range stays mapped, empty (its next touch is a fresh
    // page, or the file's), and no longer locked. An old_size of 0
    // duplicates a shared mapping instead (duplicate_mapping_locked).
    ErrorOr<mm::VirtAddr> remap(mm::VirtAddr old_start, uint64_t old_size, uint64_t new_size, bool may_move,
                                std::optional<mm::VirtAddr> fixed_address, bool keep_old = false);
    // MADV_DONTNEED: drop the pages; the next touch sees zeros (or the
    // file). Shared anonymous pages are kept: as with Linux's shmem, their
    // contents survive and the mapping reads the same afterwards.
    ErrorOr<void> discard(mm::VirtAddr start, uint64_t length);

    // The program file this space runs (execve, spawn). Its pages are read
    // from it on demand, so as on Linux it cannot be opened for writing
    // while the space lives (and its forks); TextBusy (ETXTBSY) if it is
    // open for writing now. Called once, before the program is parsed.
    ErrorOr<void> set_executable(const void* file);

    // brk(2): the heap starts at `start` (the page after the program image).
    void set_break_start(mm::VirtAddr start);
    // Moves the break if possible and returns the (possibly unchanged) break.
    mm::VirtAddr set_break(mm::VirtAddr requested);

    // The stack VMA grows down on faults into [top - reserve, top).
    void set_stack_region(mm::VirtAddr top, uint64_t reserve);
    // RLIMIT_AS and RLIMIT_DATA (soft limits; ~0: none), enforced by map,
    // remap and set_break with NoMemory (resource_limits.h).
    void set_memory_limits(uint64_t address_space, uint64_t data);

    // Demand paging and copy-on-write. On failure, `reason` says why the
    // access is invalid.
    ErrorOr<void> handle_fault(mm::VirtAddr address, FaultAccess access, const char** reason);

    // Whether the process may read (or write) all of [address, address+size)
    // according to its VMAs; used by the user-copy routines, since the kernel
    // itself could access PROT_NONE pages.
    bool allows(mm::VirtAddr address, uint64_t size, bool write) const;
    // For futexes: the physical address behind `address` if it lies in
    // MAP_SHARED anonymous memory (several processes may wait on it; the
    // page is made if nobody touched it yet), else nothing (the word is
    // private to this address space).
    std::optional<mm::PhysAddr> shared_physical_address(mm::VirtAddr address) const;
    // msync: NoMemory (Linux ENOMEM) unless VMAs cover all of the range.
    ErrorOr<void> check_mapped(mm::VirtAddr start, uint64_t length) const;
    // Whether any VMA covers `address` (SIGSEGV's SEGV_ACCERR vs SEGV_MAPERR).
    bool is_mapped(mm::VirtAddr address) const;
    // How many bytes from `address` on (at most `size`) the process may
    // access: read(2) into a buffer that runs into an unmapped page
    // transfers this much, as on Linux.
    uint64_t accessible_prefix(mm::VirtAddr address, uint64_t size, bool write) const;

    // Pages mapped, shared ones included (they count in every space that
    // maps them, like Linux's RSS).
    uint64_t resident_pages() const { return m_resident_pages; }
    uint64_t peak_resident_pages() const { return m_peak_resident_pages; }
    // Write faults on shared private pages that had to copy the page.
    uint64_t cow_copies() const { return m_cow_copies; }
    void print_map() const;

    // --- For /proc readers, which look at a space from another process
    // (address_space_inspection.cpp). Each holds the space's mutex; the
    // caller keeps the space alive (process_inspection.h). ---

    // Calls visit(const mm::Vma&) for each VMA in address order, under the
    // mutex: `visit` may allocate but must not touch user memory or take
    // another address space's lock.
    template <typename Visit>
    void for_each_vma(Visit&& visit) const {
        sched::MutexGuard guard(m_lock);
        for (const mm::Vma& vma : m_vmas)
            visit(vma);
    }
    // Whether /proc/PID/maps already has a path for mappings of `file` (the
    // first mapping of a file records it: later ones need not look it up).
    bool has_file_name(const void* file) const;
    // for_each_vma, with each file mapping's path ("" if unknown).
    template <typename Visit>
    void for_each_vma_named(Visit&& visit) const {
        sched::MutexGuard guard(m_lock);
        for (const mm::Vma& vma : m_vmas)
            visit(vma, vma.file ? mapped_file_name_locked(vma.file) : std::string_view {});
    }
    // Copies the bytes at `address` as this space's process reads them,
    // through this space's page tables (not the current TTBR0), from the
    // linear map. Stops at the first byte whose page is not present or
    // whose VMA is not readable (nothing is faulted in, unlike Linux's
    // access_remote_vm); returns how many bytes it copied.
    size_t read_present(mm::VirtAddr address, std::span<uint8_t> out) const;
    // process_vm_readv/writev: copies between `data` and this space (not
    // the caller's) at `address`, within one page, making the page first if
    // needed (a write copies a shared page, as a write fault). Fault if no
    // VMA maps it or it does not allow the access; the fault path's errors.
    ErrorOr<void> copy_remote(mm::VirtAddr address, std::span<uint8_t> data, bool write);
    // mincore(2): out[i] is 1 if page i from `start` (page aligned) is in
    // memory: mapped here, or for a file mapping in the file's page cache
    // (Linux reports the cache too); 0 otherwise. NoMemory if a page of the
    // range is not mapped at all.
    ErrorOr<void> residency(mm::VirtAddr start, std::span<uint8_t> out) const;

    // ---- mlock (address_space_lock.cpp) ----
    // Akuma never pages out memory that is mapped, so a locked VMA differs
    // in that its pages are all made at once (unless on_fault) and that it
    // counts as locked (VmLck, RLIMIT_MEMLOCK).
    // mlock/mlock2/munlock's flags over [start, end) (page aligned):
    // NoMemory if a page is not mapped (or past the VMA limit). The caller
    // makes the pages (populate).
    ErrorOr<void> set_locked(mm::VirtAddr start, mm::VirtAddr end, bool locked, bool on_fault);
    // mlockall: every VMA now (current) and the ones mapped later (future);
    // munlockall: none, now or later.
    void lock_all(bool current, bool future, bool on_fault);
    void unlock_all();
    // Bytes of locked VMAs, all or within [start, end); all mapped bytes.
    uint64_t locked_bytes(mm::VirtAddr start = 0, mm::VirtAddr end = ~mm::VirtAddr { 0 }) const;
    uint64_t mapped_bytes() const;
    // Whether mappings made now are to be locked (mlockall(MCL_FUTURE)).
    bool locks_new_mappings() const { return __atomic_load_n(&m_lock_future, __ATOMIC_RELAXED); }
    bool locks_new_mappings_on_fault() const { return __atomic_load_n(&m_lock_future_on_fault, __ATOMIC_RELAXED); }
    // Makes every accessible page of [start, end) (as mlock and MAP_LOCKED
    // do): a write fault for private writable memory, so it is its own.
    // Fault (PROT_NONE) or OutOfRange past a mapped file's end, NoMemory
    // when memory runs out; with `keep_going` a VMA that fails is left and
    // the next one made (mlockall, MCL_FUTURE's mmap).
    ErrorOr<void> populate(mm::VirtAddr start, mm::VirtAddr end, bool keep_going = false);
    // Where the brk heap starts (start_brk).
    mm::VirtAddr break_start() const;

private:
    AddressSpace() = default;
    ErrorOr<void> init();
    // The *_locked helpers expect m_lock to be held.
    uint64_t mapped_bytes_locked() const;
    ErrorOr<void> check_memory_limits_locked(const mm::Vma& shape, uint64_t added, mm::VirtAddr replaced_start = 0,
                                             mm::VirtAddr replaced_end = 0) const;
    ErrorOr<mm::VirtAddr> map_locked(const MapRequest& request);
    ErrorOr<void> unmap_locked(mm::VirtAddr start, mm::VirtAddr end);
    uint64_t accessible_prefix_locked(mm::VirtAddr address, uint64_t size, bool write) const;
    void release_pages(mm::VirtAddr start, mm::VirtAddr end);
    ErrorOr<void> pin_file(const void* file, std::string_view name = {});
    std::string_view mapped_file_name_locked(const void* file) const;
    ErrorOr<void> populate_page(const mm::Vma& vma, mm::VirtAddr page);
    ErrorOr<void> map_shared_page(const mm::Vma& vma, mm::VirtAddr page);
    ErrorOr<mm::VirtAddr> duplicate_mapping_locked(const mm::Vma& source, mm::VirtAddr old_start, uint64_t new_size,
                                                   bool may_move, std::optional<mm::VirtAddr> fixed_address);
    ErrorOr<mm::VirtAddr> move_mapping_locked(const mm::Vma& source, mm::VirtAddr old_start, uint64_t size,
                                              mm::VirtAddr new_start, uint64_t new_size, bool keep_old = false);
    bool maps_from_page_cache(const mm::Vma& vma, mm::VirtAddr page, FaultAccess access) const;
    ErrorOr<void> map_file_page(const mm::Vma& vma, mm::VirtAddr page);
    void map_around(const mm::Vma& vma, mm::VirtAddr page);
    ErrorOr<void> map_cache_frame(const mm::Vma& vma, mm::VirtAddr page, mm::PhysAddr frame);
    // How a VMA maps the page cache's frames, worked out once per fault.
    struct CacheFrameMapping {
        uint64_t entry_bits;  // a level-3 entry's bits besides the frame
        bool writable;
        bool executable;
    };
    static CacheFrameMapping cache_frame_mapping(const mm::Vma& vma);
    // Takes a share of the frame for a new mapping and returns its entry;
    // the caller stores it and counts the page (count_mapped_pages).
    static uint64_t take_cache_frame(const CacheFrameMapping& how, mm::PhysAddr frame);
    template <typename Use>
    ErrorOr<void> with_file_page(const mm::Vma& vma, mm::VirtAddr page, Use&& use) const;
    template <typename Use>
    ErrorOr<void> with_shared_page(const mm::Vma& vma, mm::VirtAddr page, Use&& use) const;
    // Drops this space's references to the shared memory objects no VMA of
    // it uses any more (after an unmap).
    void forget_unused_shared_memory();
    // Unpins the files no VMA maps any more (after an unmap), so nothing
    // keeps an unmapped file (and its file system: umount) busy.
    // Unpins the files no VMA maps any more, and takes the space's count
    // off a file it no longer maps shared and writable.
    void forget_unused_files();
    ErrorOr<void> count_writable_mapping_locked(const void* file);
    ErrorOr<void> check_mapped_locked(mm::VirtAddr start, mm::VirtAddr end) const;
    ErrorOr<void> write_to_present_page(const mm::Vma& vma, mm::VirtAddr page, uint64_t& entry);
    ErrorOr<void> copy_pages_into(AddressSpace& child);
    void count_mapped_pages(uint64_t count);

    mutable sched::Mutex m_lock;

    UserTableEnv m_env {};
    mm::PhysAddr m_root { 0 };
    mm::VmaSet m_vmas;
    struct PinnedFile {
        const void* file;
        void* pin;
        BasicString<mm::HeapAllocator> name;  // its path, if known
        bool writable_mapping;  // counted with add_writable_mapping
    };
    Vector<PinnedFile, mm::HeapAllocator> m_pinned_files;
    // mlockall(MCL_FUTURE): new VMAs are locked (on fault with MCL_ONFAULT).
    // Atomic: mmap reads them under m_lock, mlockall sets them without.
    bool m_lock_future { false };
    bool m_lock_future_on_fault { false };
    // set_executable: the program file, pinned and denied writes.
    PinnedFile m_executable {};
    // The SharedMemory objects its shared VMAs use, one reference each.
    Vector<mm::SharedMemory*, mm::HeapAllocator> m_shared_memory;
    // Next-fit for mmap without a hint: the search starts where the last
    // such mapping ended (Linux's free-area cache), so a program with
    // thousands of mappings does not rescan them all each time.
    mm::VirtAddr m_mmap_cursor { 0 };
    mm::VirtAddr m_break_start { 0 };
    mm::VirtAddr m_break { 0 };
    mm::VirtAddr m_stack_top { 0 };
    uint64_t m_stack_reserve { 0 };
    // The top of the mmap area: below the stack reserve and its gap.
    mm::VirtAddr m_mmap_limit { k_user_mmap_limit };
    uint64_t m_as_limit { ~uint64_t { 0 } };
    uint64_t m_data_limit { ~uint64_t { 0 } };
    uint64_t m_resident_pages { 0 };
    uint64_t m_peak_resident_pages { 0 };
    uint64_t m_cow_copies { 0 };
    uint32_t m_membarrier { 0 };
};

// Page-table flags for a VMA's protection.
uint32_t page_flags_for_prot(uint32_t prot);

}  // namespace akuma::proc
