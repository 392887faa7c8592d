#include "kernel/proc/address_space.h"

#include <algorithm>
#include <atomic>
#include <new>
#include <type_traits>

#include "kernel/arch/aarch64/cache.h"
#include "kernel/arch/aarch64/page_zero.h"
#include "kernel/arch/aarch64/user_mode.h"
#include "kernel/lib/assert.h"
#include "kernel/lib/kprint.h"
#include "kernel/mm/page_sharing.h"
#include "kernel/mm/pmm.h"
#include "kernel/mm/user_access.h"
#include "kernel/proc/user_layout.h"
#include "kernel/sched/spinlock.h"

namespace akuma::proc {

using mm::k_page_size;
using mm::PhysAddr;
using mm::Vma;
using mm::VirtAddr;
namespace pte = mm::descriptor;
using mm::add_sharer;
using mm::drop_sharer;
using mm::extra_sharers;
using mm::mark_code_frame;

namespace {

constinit MappedFileOps g_file_ops {};

constexpr VirtAddr page_down(VirtAddr address) { return address & ~(k_page_size - 1); }
constexpr VirtAddr page_up(VirtAddr address) { return (address + k_page_size - 1) & ~(k_page_size - 1); }

bool valid_prot(uint32_t prot) { return (prot & ~(mm::k_prot_read | mm::k_prot_write | mm::k_prot_exec)) == 0; }

// [start, start + length) rounded out to pages, checked to lie in the user half.
ErrorOr<VirtAddr> checked_end(VirtAddr start, uint64_t length) {
    if (start & (k_page_size - 1))
        return Error::Invalid;
    uint64_t rounded = page_up(length);
    if (length == 0 || rounded < length || start + rounded < start || start + rounded > mm::k_user_space_end)
        return Error::Invalid;
    return start + rounded;
}

// ---- Page-table entries ---------------------------------------------------
// User pages are always level-3 entries (map() never uses blocks for them).

bool entry_writable(uint64_t entry) { return !(entry & pte::k_ap_read_only); }
PhysAddr entry_frame(uint64_t entry) { return entry & pte::k_address_mask; }

uint64_t page_entry(PhysAddr frame, uint32_t flags) {
    return (frame & pte::k_address_mask) | mm::encode_leaf_attributes(flags) | pte::k_valid | pte::k_table;
}

// The level-3 entry mapping `va`, or nullptr if it is not mapped.
uint64_t* find_page_entry(const UserTableEnv& env, PhysAddr root, VirtAddr va) {
    PhysAddr table = root;
    for (unsigned level = 0; level < 3; ++level) {
        uint64_t entry = env.table_pointer(table)[mm::level_index(va, level)];
        if (!(entry & pte::k_valid) || !(entry & pte::k_table))
            return nullptr;
        table = entry & pte::k_address_mask;
    }
    uint64_t* slot = &env.table_pointer(table)[mm::level_index(va, 3)];
    return (*slot & pte::k_valid) ? slot : nullptr;
}

// Calls visit_run(entries, first, last, table_base) for each level-3 table
// under [start, end) of the table at `level`, with the run of its slots
// [first, last] that the range covers, skipping absent tables whole; stops
// when visit_run returns false.
template <typename VisitRun>
bool for_each_slot_run(const UserTableEnv& env, PhysAddr table, unsigned level, VirtAddr start, VirtAddr end,
                       VisitRun& visit_run) {
    uint64_t* entries = env.table_pointer(table);
    if (level == 3) {
        // [start, end) lies inside this table: a plain run of slots.
        return visit_run(entries, mm::level_index(start, 3), mm::level_index(end - 1, 3),
                         start & ~(mm::level_entry_size(2) - 1));
    }
    uint64_t entry_size = mm::level_entry_size(level);
    for (VirtAddr va = start; va < end;) {
        VirtAddr entry_end = (va & ~(entry_size - 1)) + entry_size;  // user VAs are < 2^48: no wrap
        VirtAddr stop = entry_end < end ? entry_end : end;
        uint64_t entry = entries[mm::level_index(va, level)];
        if ((entry & pte::k_valid) && (entry & pte::k_table) &&
            !for_each_slot_run(env, entry & pte::k_address_mask, level + 1, va, stop, visit_run))
            return false;
        va = stop;
    }
    return true;
}

// Calls visit(va, entry&) for every mapped page in [start, end) of the table
// at `level`; stops when visit returns false.
template <typename Visit>
bool for_each_page_entry(const UserTableEnv& env, PhysAddr table, unsigned level, VirtAddr start, VirtAddr end,
                         Visit& visit) {
    auto visit_run = [&visit](uint64_t* entries, size_t first, size_t last, VirtAddr table_base) {
        for (size_t i = first; i <= last; ++i) {
            if ((entries[i] & pte::k_valid) && !visit(table_base + i * k_page_size, entries[i]))
                return false;
        }
        return true;
    };
    return for_each_slot_run(env, table, level, start, end, visit_run);
}

// Break-before-make: the old translation is gone from the TLB before the
// new one (another frame, or other permissions) appears.
void replace_page_entry(const UserTableEnv& env, uint64_t& slot, VirtAddr va, uint64_t entry) {
    slot = 0;
    env.invalidate_tlb(va);
    slot = entry;
    // The new entry must be visible to the table walker before the retry.
    asm volatile("dsb ishst" ::: "memory");
}

}  // namespace

void set_mapped_file_ops(const MappedFileOps& ops) { g_file_ops = ops; }
const MappedFileOps& mapped_file_ops() { return g_file_ops; }

namespace {
std::atomic<bool> g_writable_executable_refused { false };
}

void AddressSpace::set_writable_executable_refused(bool refused) {
    g_writable_executable_refused.store(refused, std::memory_order_relaxed);
}

bool AddressSpace::writable_executable_refused() { return g_writable_executable_refused.load(std::memory_order_relaxed); }

uint32_t page_flags_for_prot(uint32_t prot) {
    // PROT_NONE pages stay mapped (their contents survive) but only for the
    // kernel: any EL0 access faults, and the user-copy routines check the VMA.
    if ((prot & (mm::k_prot_read | mm::k_prot_write | mm::k_prot_exec)) == 0)
        return mm::k_page_read;
    uint32_t flags = mm::k_page_user | mm::k_page_read;  // AArch64 has no write-only or exec-only pages
    if (prot & mm::k_prot_write)
        flags |= mm::k_page_write;
    if (prot & mm::k_prot_exec)
        flags |= mm::k_page_execute;
    return flags;
}

std::optional<PhysAddr> UserTableEnv::allocate_table() {
    auto page = mm::allocate_pages(0, mm::PageOwner::UserTable);
    if (page.is_error())
        return std::nullopt;
    arch::zero_page(mm::phys_to_virt(page.value()));
    return page.value();
}

uint64_t* UserTableEnv::table_pointer(PhysAddr table) const { return static_cast<uint64_t*>(mm::phys_to_virt(table)); }

void UserTableEnv::free_table(PhysAddr table) { mm::free_pages(table); }

void UserTableEnv::invalidate_tlb(VirtAddr va) const { arch::invalidate_user_page(asid, va); }

// The word: bit 31 once any slot was used, the first slot in bits 0-8, the
// last in bits 16-24. Changed under the space's lock, as the table is.
namespace {
constexpr uint32_t k_slots_used = 1u << 31;
}

void UserTableEnv::note_table_slot(PhysAddr table, unsigned index) {
    uint32_t& word = mm::allocated_page_owner_data(table);
    unsigned first = index, last = index;
    if (word & k_slots_used) {
        first = std::min(first, unsigned(word & 0x1ff));
        last = std::max(last, unsigned((word >> 16) & 0x1ff));
    }
    word = k_slots_used | first | (last << 16);
}

mm::TableSlotSpan UserTableEnv::table_slot_span(PhysAddr table) const {
    uint32_t word = mm::allocated_page_owner_data(table);
    if (!(word & k_slots_used))
        return { 0, 0 };
    return { word & 0x1ff, ((word >> 16) & 0x1ff) + 1 };
}

ErrorOr<AddressSpace*> AddressSpace::create() {
    auto* space = new (std::nothrow) AddressSpace();
    if (!space)
        return Error::NoMemory;
    if (auto result = space->init(); result.is_error()) {
        delete space;
        return result.error();
    }
    return space;
}

ErrorOr<void> AddressSpace::init() {
    auto root = m_env.allocate_table();
    if (!root)
        return Error::NoMemory;
    m_root = *root;
    m_env.asid = arch::allocate_asid();
    return {};
}

void AddressSpace::destroy(AddressSpace* space) {
    if (space->m_root) {
        // The caller has loaded another table (exit, execve) or never loaded
        // this one, and its threads are gone: nothing translates through it
        // any more, and release_asid() below flushes its ASID whole. So the
        // pages and tables go without a TLB invalidation each, as in Linux's
        // arm64 exit_mmap (under QEMU each one was a trip to its main loop).
        VERIFY(!arch::user_translation_loaded(space->ttbr0()));
        // The pages go VMA by VMA, as in Linux's unmap_vmas: a scan of every
        // slot of every table found mostly empty ones (~45,000 instructions
        // of a `bash -c true`). Every mapped page lies in a VMA and is
        // counted resident; should the counts ever disagree, the whole tree
        // is scanned after all, so nothing can leak.
        uint64_t dropped = 0;
        auto drop_run = [&dropped](uint64_t* entries, size_t first, size_t last, VirtAddr) {
            uint64_t count = 0;
            for (size_t i = first; i <= last; ++i) {
                if (entries[i] & pte::k_valid) {
                    drop_sharer(entry_frame(entries[i]));
                    entries[i] = 0;  // the whole scan below must not find it again
                    ++count;
                }
            }
            dropped += count;
            return true;
        };
        for (const Vma& vma : space->m_vmas)
            for_each_slot_run(space->m_env, space->m_root, 0, vma.start, vma.end, drop_run);
        mm::PageTable<UserTableEnv> table(space->m_env, space->m_root);
        if (dropped == space->m_resident_pages) {
            table.release_tables();
        } else {
            kprintln("[Memory] teardown: {} pages mapped, {} found in VMAs; scanning every table",
                     space->m_resident_pages, dropped);
            table.release_all([](VirtAddr, PhysAddr pa, uint64_t) { drop_sharer(pa); });
        }
        arch::release_asid(space->m_env.asid, space->m_root);
        mm::free_pages(space->m_root);
    }
    for (auto& pinned : space->m_pinned_files) {
        if (pinned.writable_mapping && g_file_ops.remove_writable_mapping)
            g_file_ops.remove_writable_mapping(pinned.file);
        g_file_ops.unpin(pinned.pin);
    }
    if (space->m_executable.file) {
        g_file_ops.allow_write(space->m_executable.file);
        g_file_ops.unpin(space->m_executable.pin);
    }
    for (auto* object : space->m_shared_memory)
        object->release();
    delete space;
}

ErrorOr<void> AddressSpace::set_executable(const void* file) {
    void* pin = g_file_ops.pin(file);
    if (!pin)
        return Error::NoMemory;
    if (!g_file_ops.deny_write(file)) {
        g_file_ops.unpin(pin);
        return Error::TextBusy;
    }
    m_executable.file = file;
    m_executable.pin = pin;
    return {};
}

uint64_t AddressSpace::ttbr0() const { return arch::make_ttbr0(m_root, m_env.asid); }

void AddressSpace::release_pages(VirtAddr start, VirtAddr end) {
    mm::PageTable<UserTableEnv> table(m_env, m_root);
    // Unmapping whole user pages never splits a block, so this cannot fail.
    auto result = table.unmap(start, end - start, [this](VirtAddr, PhysAddr pa, uint64_t) {
        drop_sharer(pa);
        --m_resident_pages;
    });
    (void)result;
}

ErrorOr<void> AddressSpace::pin_file(const void* file, std::string_view name) {
    for (auto& pinned : m_pinned_files) {
        if (pinned.file != file)
            continue;
        if (pinned.name.view().empty() && !name.empty())
            (void)pinned.name.try_append(name);  // only a name for /proc: no failure
        return {};
    }
    TRY(m_pinned_files.try_reserve(m_pinned_files.size() + 1));
    BasicString<mm::HeapAllocator> kept;
    (void)kept.try_append(name);
    void* pin = g_file_ops.pin(file);
    if (!pin)
        return Error::NoMemory;
    TRY(m_pinned_files.try_append(PinnedFile { file, pin, std::move(kept), false }));
    return {};
}

bool AddressSpace::has_file_name(const void* file) const {
    sched::MutexGuard guard(m_lock);
    return !mapped_file_name_locked(file).empty();
}

std::string_view AddressSpace::mapped_file_name_locked(const void* file) const {
    for (auto& pinned : m_pinned_files) {
        if (pinned.file == file)
            return pinned.name.view();
    }
    return {};
}

namespace {

// Linux's default overcommit heuristic: one request for more memory than
// the machine has fails at once instead of succeeding lazily.
bool exceeds_physical_memory(uint64_t bytes) { return bytes / k_page_size > mm::pmm_stats().total_pages; }

}  // namespace

ErrorOr<VirtAddr> AddressSpace::map(const MapRequest& request) {
    VirtAddr start;
    {
        sched::MutexGuard guard(m_lock);
        start = TRY(map_locked(request));
    }
    // mlockall(MCL_FUTURE): made at once, as Linux's mm_populate after a
    // VM_LOCKED mmap (which ignores what it could not make).
    if (locks_new_mappings() && !locks_new_mappings_on_fault())
        (void)populate(start, start + page_up(request.length), true);
    return start;
}

ErrorOr<VirtAddr> AddressSpace::map_locked(const MapRequest& request) {
    if (!valid_prot(request.prot))
        return Error::Invalid;
    // Private memory is charged when writable; shared anonymous memory
    // always (its pages can be made writable by any fork), as Linux's shmem
    // is; a shared file mapping never (its pages are the file's).
    bool shared_file = request.shared && request.file;
    bool charged = ((request.prot & mm::k_prot_write) && !shared_file) || (request.shared && !request.file);
    if (!request.no_reserve && charged && exceeds_physical_memory(request.length))
        return Error::NoMemory;
    if (request.prot & ~request.max_prot)
        return Error::AccessDenied;
    if ((request.prot & mm::k_prot_write) && (request.prot & mm::k_prot_exec) && writable_executable_refused())
        return Error::AccessDenied;  // user_wx=deny: no page is ever writable and executable
    uint64_t length = page_up(request.length);
    if (request.length == 0 || length < request.length || length > m_mmap_limit)
        return Error::NoMemory;
    {
        Vma shape {};
        shape.prot = request.prot;
        shape.shared = request.shared;
        shape.kind = request.kind;
        bool replaces = request.placement == MapPlacement::Fixed;
        TRY(check_memory_limits_locked(shape, length, replaces ? request.address : 0,
                                       replaces ? request.address + length : 0));
    }
    VirtAddr start;
    if (request.placement == MapPlacement::Anywhere) {
        VirtAddr hint = page_up(request.address);
        bool user_hint = hint >= k_user_min_address;
        auto found = m_vmas.find_free(length, k_user_mmap_base, m_mmap_limit, user_hint ? hint : m_mmap_cursor);
        if (!found)
            return Error::NoMemory;
        start = *found;
        if (!user_hint)
            m_mmap_cursor = start + length;
    } else {
        start = request.address;
        VirtAddr end = TRY(checked_end(start, length));
        if (start < k_user_min_address)
            return Error::NotPermitted;
        if (request.placement == MapPlacement::FixedNoReplace && !m_vmas.is_free(start, end))
            return Error::Exists;
    }
    VirtAddr end = start + length;
    if (request.file)
        TRY(pin_file(request.file, request.file_name));
    if (request.placement == MapPlacement::Fixed) {
        TRY(unmap_locked(start, end));
        // The unmap unpins a file no VMA maps any more, this one too if it
        // replaced the file's only mapping: pin it again (a no-op otherwise).
        if (request.file)
            TRY(pin_file(request.file, request.file_name));
    }
    uint64_t file_bytes = request.file ? (request.file_bytes < length ? request.file_bytes : length) : 0;
    Vma vma { start, end, request.prot, request.kind, request.file, request.file_offset, file_bytes };
    vma.max_prot = request.max_prot;
    vma.locked = locks_new_mappings();
    vma.lock_on_fault = vma.locked && locks_new_mappings_on_fault();
    vma.shared = shared_file;  // MAP_SHARED of a file: its pages are the page cache's
    if (request.shared && !request.file) {
        // Shared anonymous memory: the pages are made on first touch, by
        // whichever space forked from this one touches them first.
        TRY(m_shared_memory.try_reserve(m_shared_memory.size() + 1));
        auto* object = TRY(mm::SharedMemory::create(length / k_page_size));
        vma.shared = true;
        vma.file = object;
        vma.file_offset = 0;
        if (auto inserted = m_vmas.insert(vma); inserted.is_error()) {
            object->release();
            return inserted.error();
        }
        (void)m_shared_memory.try_append(object);  // reserved above
        return start;
    }
    if (shared_file && (vma.max_prot & mm::k_prot_write)) {
        if (auto counted = count_writable_mapping_locked(request.file); counted.is_error()) {
            forget_unused_files();  // the pin taken above (a seal came meanwhile)
            return counted.error();
        }
    }
    if (auto inserted = m_vmas.insert(vma); inserted.is_error()) {
        if (request.file)
            forget_unused_files();  // the pin (and count) taken above
        return inserted.error();
    }
    return start;
}

ErrorOr<void> AddressSpace::count_writable_mapping_locked(const void* file) {
    for (auto& pinned : m_pinned_files) {
        if (pinned.file != file || pinned.writable_mapping)
            continue;
        if (g_file_ops.add_writable_mapping && !g_file_ops.add_writable_mapping(file))
            return Error::NotPermitted;  // write-sealed
        pinned.writable_mapping = true;
    }
    return {};
}

ErrorOr<void> AddressSpace::unmap(VirtAddr start, uint64_t length) {
    VirtAddr end = TRY(checked_end(start, length));
    sched::MutexGuard guard(m_lock);
    return unmap_locked(start, end);
}

ErrorOr<void> AddressSpace::unmap_locked(VirtAddr start, VirtAddr end) {
    bool removed_shared = false;
    bool removed_file = false;
    TRY(m_vmas.remove_range(start, end, [&](const Vma& piece) {
        release_pages(piece.start, piece.end);
        bool shared_memory = piece.shared && piece.kind == mm::VmaKind::Anonymous;
        removed_shared |= shared_memory;
        removed_file |= piece.file && !shared_memory;
    }));
    if (removed_shared)
        forget_unused_shared_memory();
    if (removed_file)
        forget_unused_files();
    return {};
}

void AddressSpace::forget_unused_files() {
    for (size_t i = m_pinned_files.size(); i-- > 0;) {
        PinnedFile& pinned = m_pinned_files[i];
        bool used = false;
        bool writable = false;
        for (const Vma& vma : m_vmas) {
            if (vma.file != pinned.file)
                continue;
            used = true;
            writable |= vma.shared && (vma.max_prot & mm::k_prot_write);
        }
        if (pinned.writable_mapping && !writable) {
            pinned.writable_mapping = false;
            if (g_file_ops.remove_writable_mapping)
                g_file_ops.remove_writable_mapping(pinned.file);
        }
        if (!used)
            g_file_ops.unpin(m_pinned_files.remove(i).pin);
    }
}

void AddressSpace::unmap_file_pages(const void* file, uint64_t from_offset) {
    sched::MutexGuard guard(m_lock);
    for (const Vma& vma : m_vmas) {
        if (vma.file != file || vma.kind != mm::VmaKind::File || vma.file_offset + vma.size() <= from_offset)
            continue;
        VirtAddr from = from_offset > vma.file_offset ? vma.start + (from_offset - vma.file_offset) : vma.start;
        release_pages(from, vma.end);
    }
}

ErrorOr<VirtAddr> AddressSpace::remap(VirtAddr old_start, uint64_t old_size, uint64_t new_size, bool may_move,
                                      std::optional<VirtAddr> fixed_address, bool keep_old) {
    sched::MutexGuard guard(m_lock);
    if (old_size == 0) {
        const Vma* found = m_vmas.find(old_start);
        if (!found)
            return Error::Fault;
        return duplicate_mapping_locked(*found, old_start, new_size, may_move, fixed_address);
    }
    VirtAddr old_end = TRY(checked_end(old_start, old_size));
    const Vma* found = m_vmas.find(old_start);
    if (!found || old_end > found->end)
        return Error::Fault;  // Linux: the old range must be one mapping (EFAULT)
    Vma source = *found;
    bool shared_anonymous = source.shared && source.kind == mm::VmaKind::Anonymous;
    if (fixed_address) {
        VirtAddr new_start = *fixed_address;
        VirtAddr new_end = TRY(checked_end(new_start, new_size));
        if (new_start < old_end && old_start < new_end)
            return Error::Invalid;
        if (new_start < k_user_min_address || new_end > m_mmap_limit)
            return Error::NoMemory;
        if (keep_old || new_size > old_size)
            TRY(check_memory_limits_locked(source, keep_old ? new_size : new_size - old_size));
        if (shared_anonymous && new_size > old_size)
            return Error::Invalid;
        TRY(unmap_locked(new_start, new_end));
        if (new_size < old_size) {
            TRY(unmap_locked(old_start + new_size, old_end));
            old_size = new_size;
        }
        return move_mapping_locked(source, old_start, old_size, new_start, new_size, keep_old);
    }
    if (keep_old) {
        TRY(check_memory_limits_locked(source, new_size));
        auto destination = m_vmas.find_free(new_size, k_user_mmap_base, m_mmap_limit, m_mmap_cursor);
        if (!destination)
            return Error::NoMemory;
        return move_mapping_locked(source, old_start, old_size, *destination, new_size, true);
    }
    if (new_size <= old_size) {
        if (new_size < old_size)
            TRY(unmap_locked(old_start + new_size, old_end));
        return old_start;
    }
    if (shared_anonymous)
        return Error::Invalid;  // its object has a fixed size (Linux's shmem would grow)
    TRY(check_memory_limits_locked(source, new_size - old_size));
    VirtAddr grown_end = TRY(checked_end(old_start, new_size));
    if (old_end == source.end && grown_end <= m_mmap_limit && m_vmas.is_free(old_end, grown_end)) {
        TRY(m_vmas.resize_end(source.start, grown_end));
        return old_start;
    }
    if (!may_move)
        return Error::NoMemory;
    auto destination = m_vmas.find_free(new_size, k_user_mmap_base, m_mmap_limit, m_mmap_cursor);
    if (!destination)
        return Error::NoMemory;
    return move_mapping_locked(source, old_start, old_size, *destination, new_size);
}

// mremap with an old size of 0 (Linux's "duplicate shm area"): a second
// mapping of what a shared mapping maps from old_start on, new_size long;
// its pages come from the same file or shared memory object, and the
// original stays. Private mappings have nothing to share: Invalid; without
// may_move there is nowhere to put it: NoMemory (both as Linux).
ErrorOr<VirtAddr> AddressSpace::duplicate_mapping_locked(const Vma& found, VirtAddr old_start, uint64_t new_size,
                                                        bool may_move, std::optional<VirtAddr> fixed_address) {
    Vma source = found;  // the set may change below
    if (!source.shared)
        return Error::Invalid;
    if (!may_move)
        return Error::NoMemory;
    TRY(check_memory_limits_locked(source, new_size));
    VirtAddr new_start;
    if (fixed_address) {
        new_start = *fixed_address;
        VirtAddr new_end = TRY(checked_end(new_start, new_size));
        if (new_start < old_start && old_start < new_end)
            return Error::Invalid;  // Linux: the new range overlaps the old one
        if (new_start < k_user_min_address || new_end > m_mmap_limit)
            return Error::NoMemory;
        if (!m_vmas.is_free(new_start, new_end)) {
            TRY(unmap_locked(new_start, new_end));
            if (!m_vmas.find(old_start))
                return Error::Fault;  // what was to be duplicated went with it
        }
    } else {
        auto found = m_vmas.find_free(new_size, k_user_mmap_base, m_mmap_limit, m_mmap_cursor);
        if (!found)
            return Error::NoMemory;
        new_start = *found;
    }
    Vma copy = mm::vma_slice(source, old_start, source.end);
    copy.start = new_start;
    copy.end = new_start + new_size;
    if (copy.file_bytes > new_size)
        copy.file_bytes = new_size;
    TRY(m_vmas.insert(copy));
    return new_start;
}

// Moves the pages of [old_start, +size) of `source` to new_start (the range
// [new_start, +new_size) is free and new_size >= size): the frames move
// with their shares and flags, nothing is copied, and the old range is
// left unmapped (or, `keep_old`, mapped without pages).
ErrorOr<VirtAddr> AddressSpace::move_mapping_locked(const Vma& source, VirtAddr old_start, uint64_t size,
                                                   VirtAddr new_start, uint64_t new_size, bool keep_old) {
    Vma moved = mm::vma_slice(source, old_start, old_start + size);
    moved.start = new_start;
    moved.end = new_start + new_size;
    TRY(m_vmas.insert(moved));
    mm::PageTable<UserTableEnv> table(m_env, m_root);
    ErrorOr<void> result {};
    auto move_entry = [&](VirtAddr va, uint64_t& slot) {
        result = table.map(new_start + (va - old_start), entry_frame(slot), k_page_size, mm::decode_leaf_flags(slot),
                           false);
        return !result.is_error();
    };
    bool completed = for_each_page_entry(m_env, m_root, 0, old_start, old_start + size, move_entry);
    if (!completed) {
        // Out of page-table memory: put things back as they were.
        (void)table.unmap(new_start, new_size, [](VirtAddr, PhysAddr, uint64_t) {});
        (void)m_vmas.remove_range(new_start, new_start + new_size);
        return result.error();
    }
    // The frames now belong to the new range: the old entries go without
    // giving up their shares.
    (void)table.unmap(old_start, size, [](VirtAddr, PhysAddr, uint64_t) {});
    if (keep_old) {
        // MREMAP_DONTUNMAP: the range stays, empty and unlocked (Linux).
        (void)m_vmas.update_range(
            old_start, old_start + size, [](Vma& vma, const void*) { vma.locked = vma.lock_on_fault = false; },
            nullptr);
    } else {
        (void)m_vmas.remove_range(old_start, old_start + size);
    }
    asm volatile("dsb ishst" ::: "memory");
    return new_start;
}

void AddressSpace::forget_unused_shared_memory() {
    for (size_t i = m_shared_memory.size(); i-- > 0;) {
        bool used = false;
        for (const Vma& vma : m_vmas)
            used |= vma.shared && vma.file == m_shared_memory[i];
        if (!used)
            m_shared_memory.remove(i)->release();
    }
}

ErrorOr<void> AddressSpace::protect(VirtAddr start, uint64_t length, uint32_t prot) {
    if (!valid_prot(prot) || (start & (k_page_size - 1)))
        return Error::Invalid;
    if ((prot & mm::k_prot_write) && (prot & mm::k_prot_exec) && writable_executable_refused())
        return Error::AccessDenied;
    if (length == 0)
        return {};
    VirtAddr end = TRY(checked_end(start, length));
    sched::MutexGuard guard(m_lock);
    // Linux: EACCES if a VMA may not get these protections (a shared file
    // mapping made writable); ENOMEM for holes comes from protect_range.
    for (VirtAddr cursor = start; cursor < end;) {
        const Vma* vma = m_vmas.find(cursor);
        if (!vma)
            break;
        if (prot & ~vma->max_prot)
            return Error::AccessDenied;
        cursor = vma->end;
    }
    TRY(m_vmas.protect_range(start, end, prot));
    // Pages already present get the new permissions now; the rest on fault.
    // A private page that other spaces still share stays read-only: the
    // first write copies it.
    uint32_t flags = page_flags_for_prot(prot);
    for (auto vma = m_vmas.first_ending_after(start); vma != m_vmas.end() && vma->start < end; ++vma) {
        auto update = [&](VirtAddr va, uint64_t& slot) {
            uint32_t page_flags = flags;
            if (!vma->shared && extra_sharers(entry_frame(slot)) != 0)
                page_flags &= ~mm::k_page_write;
            if ((page_flags & mm::k_page_execute) && (slot & pte::k_uxn)) {
                // Becoming executable: what the kernel (or the process) wrote
                // into the page reaches instruction fetch first, as on Linux.
                mark_code_frame(entry_frame(slot));
                arch::sync_icache(mm::phys_to_virt(entry_frame(slot)), k_page_size);
            }
            uint64_t updated = page_entry(entry_frame(slot), page_flags);
            if (updated != slot)
                replace_page_entry(m_env, slot, va, updated);
            return true;
        };
        for_each_page_entry(m_env, m_root, 0, vma->start > start ? vma->start : start, vma->end < end ? vma->end : end,
                            update);
    }
    return {};
}

ErrorOr<void> AddressSpace::discard(VirtAddr start, uint64_t length) {
    VirtAddr end = TRY(checked_end(start, length));
    sched::MutexGuard guard(m_lock);
    TRY(check_mapped_locked(start, end));  // Linux: ENOMEM for unmapped parts
    for (auto vma = m_vmas.first_ending_after(start); vma != m_vmas.end() && vma->start < end; ++vma) {
        if (!vma->shared)
            release_pages(vma->start > start ? vma->start : start, vma->end < end ? vma->end : end);
    }
    return {};
}

void AddressSpace::set_break_start(VirtAddr start) {
    sched::MutexGuard guard(m_lock);
    m_break_start = start;
    m_break = start;
}

VirtAddr AddressSpace::set_break(VirtAddr requested) {
    sched::MutexGuard guard(m_lock);
    if (requested < m_break_start || requested >= m_mmap_limit)
        return m_break;
    VirtAddr old_end = page_up(m_break);
    VirtAddr new_end = page_up(requested);
    if (new_end > old_end) {
        if (exceeds_physical_memory(new_end - old_end))
            return m_break;
        // RLIMIT_DATA bounds the heap itself (Linux's brk check), RLIMIT_AS
        // the whole space.
        if (new_end - m_break_start > m_data_limit)
            return m_break;
        if (m_as_limit != ~uint64_t { 0 } && mapped_bytes_locked() + (new_end - old_end) > m_as_limit)
            return m_break;
        // The new part merges with the heap VMA below it (if any).
        Vma grown { old_end, new_end, mm::k_prot_read | mm::k_prot_write, mm::VmaKind::Heap, nullptr, 0, 0 };
        if (!m_vmas.is_free(old_end, new_end) || m_vmas.insert(grown).is_error())
            return m_break;  // would run into another mapping, or no memory
    } else if (new_end < old_end) {
        auto removed = m_vmas.remove_range(new_end, old_end, [this](const Vma& piece) {
            release_pages(piece.start, piece.end);
        });
        if (removed.is_error())
            return m_break;
    }
    m_break = requested;
    return m_break;
}

void AddressSpace::set_stack_region(VirtAddr top, uint64_t reserve) {
    sched::MutexGuard guard(m_lock);
    m_stack_top = top;
    m_stack_reserve = reserve;
    m_mmap_limit = top - reserve - k_user_stack_guard_gap;
}

void AddressSpace::set_memory_limits(uint64_t address_space, uint64_t data) {
    sched::MutexGuard guard(m_lock);
    m_as_limit = address_space;
    m_data_limit = data;
}

namespace {

// Linux's data_vm (RLIMIT_DATA): private writable mappings, the heap
// included, that are not the stack.
bool counts_as_data(const Vma& vma) {
    return !vma.shared && (vma.prot & mm::k_prot_write) && vma.kind != mm::VmaKind::Stack;
}

}  // namespace

uint64_t AddressSpace::mapped_bytes_locked() const {
    uint64_t total = 0;
    for (auto vma = m_vmas.first_ending_after(0); vma != m_vmas.end(); ++vma)
        total += vma->size();
    return total;
}

// RLIMIT_AS and RLIMIT_DATA for `added` more bytes shaped like `shape`,
// of which the part in [replaced_start, replaced_end) replaces what is
// mapped there now (MAP_FIXED). NoMemory past a limit, as Linux.
ErrorOr<void> AddressSpace::check_memory_limits_locked(const Vma& shape, uint64_t added, VirtAddr replaced_start,
                                                       VirtAddr replaced_end) const {
    constexpr uint64_t k_unlimited = ~uint64_t { 0 };
    if (m_as_limit == k_unlimited && m_data_limit == k_unlimited)
        return {};
    uint64_t total = 0, data = 0;
    for (auto vma = m_vmas.first_ending_after(0); vma != m_vmas.end(); ++vma) {
        VirtAddr start = vma->start, end = vma->end;
        uint64_t size = end - start;
        if (replaced_start < end && start < replaced_end) {  // the part that stays
            size -= (end < replaced_end ? end : replaced_end) - (start > replaced_start ? start : replaced_start);
        }
        total += size;
        if (counts_as_data(*vma))
            data += size;
    }
    if (total + added > m_as_limit || total + added < total)
        return Error::NoMemory;
    if (counts_as_data(shape) && (data + added > m_data_limit || data + added < data))
        return Error::NoMemory;
    return {};
}

void AddressSpace::count_mapped_pages(uint64_t count) {
    m_resident_pages += count;
    if (m_resident_pages > m_peak_resident_pages)
        m_peak_resident_pages = m_resident_pages;
}

ErrorOr<void> AddressSpace::populate_page(const Vma& vma, VirtAddr page) {
    auto frame = TRY(
        mm::allocate_pages(0, (vma.prot & mm::k_prot_exec) ? mm::PageOwner::UserCode : mm::PageOwner::UserPage));
    auto* bytes = static_cast<uint8_t*>(mm::phys_to_virt(frame));
    uint64_t offset_in_vma = page - vma.start;
    uint64_t from_file = 0;
    if (offset_in_vma < vma.file_bytes) {
        from_file = vma.file_bytes - offset_in_vma;
        if (from_file > k_page_size)
            from_file = k_page_size;
        // Reads into the kernel's view of the frame: no user access, so no
        // fault can come back into this (locked) address space.
        auto read = g_file_ops.read(vma.file, vma.file_offset + offset_in_vma, { bytes, from_file });
        if (read.is_error()) {
            mm::free_pages(frame);
            return read.error();
        }
        from_file = read.value();
    }
    if (from_file == 0)
        arch::zero_page(bytes);  // anonymous memory and .bss: the common case
    else
        __builtin_memset(bytes + from_file, 0, k_page_size - from_file);
    // The frame may have held other code before: what the kernel wrote must
    // reach instruction fetch before the page can be executed.
    if (vma.prot & mm::k_prot_exec)
        arch::sync_icache(bytes, k_page_size);
    mm::PageTable<UserTableEnv> table(m_env, m_root);
    if (auto mapped = table.map(page, frame, k_page_size, page_flags_for_prot(vma.prot), false); mapped.is_error()) {
        mm::free_pages(frame);
        return mapped.error();
    }
    // The new entry must be visible to the table walker before the retry.
    asm volatile("dsb ishst" ::: "memory");
    count_mapped_pages(1);
    return {};
}

ErrorOr<void> AddressSpace::map_shared_page(const Vma& vma, VirtAddr page) {
    return with_shared_page(vma, page, [&](PhysAddr frame) -> ErrorOr<void> {
        if (vma.prot & mm::k_prot_exec) {  // as populate_page: what the kernel wrote, visible to fetch
            mark_code_frame(frame);
            arch::sync_icache(mm::phys_to_virt(frame), k_page_size);
        }
        mm::PageTable<UserTableEnv> table(m_env, m_root);
        TRY(table.map(page, frame, k_page_size, page_flags_for_prot(vma.prot), false));
        add_sharer(frame);
        asm volatile("dsb ishst" ::: "memory");  // visible to the walker before the retry
        count_mapped_pages(1);
        return {};
    });
}

// Whether a fault is served by mapping the file's own page (the page cache)
// rather than a private copy: mmap'd files always (a page past the end of
// the file is SIGBUS), ELF segments for the pages wholly inside the file's
// bytes (the page holding the end of .data and the start of .bss is a
// copy, its tail zeroed). A private mapping maps the page read-only and
// copies it on the first write (write_to_present_page), so a write fault
// on a private mapping copies at once.
bool AddressSpace::maps_from_page_cache(const Vma& vma, VirtAddr page, FaultAccess access) const {
    if (!g_file_ops.with_page || !vma.file || (vma.kind != mm::VmaKind::File && vma.kind != mm::VmaKind::Image))
        return false;
    uint64_t offset_in_vma = page - vma.start;
    if ((vma.file_offset + offset_in_vma) % k_page_size != 0)
        return false;  // not page-aligned in the file: only a copy can line it up
    if (!vma.shared && access == FaultAccess::Write)
        return false;
    return vma.kind == mm::VmaKind::File || offset_in_vma + k_page_size <= vma.file_bytes;
}

// The page cache's page behind `page` of a file VMA, handed to `use` under
// the VFS lock (MappedFileOps::with_page).
template <typename Use>
ErrorOr<void> AddressSpace::with_file_page(const Vma& vma, VirtAddr page, Use&& use) const {
    uint64_t index = (vma.file_offset + (page - vma.start)) / k_page_size;
    bool writable_share = vma.shared && (vma.max_prot & mm::k_prot_write);
    using Callable = std::remove_reference_t<Use>;
    auto call = [](void* context, PhysAddr frame) -> ErrorOr<void> { return (*static_cast<Callable*>(context))(frame); };
    return g_file_ops.with_page(vma.file, index, writable_share, call, const_cast<void*>(static_cast<const void*>(&use)));
}

ErrorOr<void> AddressSpace::map_file_page(const Vma& vma, VirtAddr page) {
    TRY(with_file_page(vma, page, [&](PhysAddr frame) { return map_cache_frame(vma, page, frame); }));
    map_around(vma, page);
    asm volatile("dsb ishst" ::: "memory");  // visible to the walker before the retry
    return {};
}

// Inline into fault-around's loop: it runs once a page mapped.
[[gnu::always_inline]] inline uint64_t AddressSpace::take_cache_frame(const CacheFrameMapping& how, PhysAddr frame) {
    if (how.writable)
        mm::set_icache_dirty(frame);  // stores may come through this mapping
    bool clean = mm::add_sharer_and_test_icache_clean(frame);
    if (how.executable && !clean) {
        // What was written into the file, visible to fetch: once per frame
        // until it is written again (the file layer marks it dirty then).
        mark_code_frame(frame);
        arch::sync_icache(mm::phys_to_virt(frame), k_page_size);
        mm::set_icache_clean(frame);
    }
    return (frame & pte::k_address_mask) | how.entry_bits;
}

// Linux's fault-around: a fault of a file mapping also maps the pages
// around it (64 pages, aligned) that the page cache already holds, so a
// program's text costs one fault per 256 KiB instead of one per page.
// Linux takes 64 KiB; here a fault costs ~450 instructions beside ~40 for
// each page mapped, and `bash -c true` measured 113, 97 and 86 faults with
// windows of 16, 32 and 64 pages, 12,700 instructions fewer at 64
// (docs/PERFORMANCE.md).
// Pages it would not map at a fault (maps_from_page_cache) or that are
// mapped already are left alone; nothing is allocated or read.
void AddressSpace::map_around(const Vma& vma, VirtAddr page) {
    constexpr uint64_t k_window = 64 * k_page_size;
    VirtAddr start = page & ~(k_window - 1);
    if (start < vma.start)
        start = vma.start;
    VirtAddr end = (page & ~(k_window - 1)) + k_window;
    if (end > vma.end)
        end = vma.end;
    if (end - start <= k_page_size || (vma.file_offset + (start - vma.start)) % k_page_size != 0)
        return;
    // What maps_from_page_cache() says of each page of the window, at once:
    // the window's pages share the faulting page's file alignment, and an
    // ELF segment's page holding the end of its file bytes is a copy.
    if (vma.kind == mm::VmaKind::Image) {
        VirtAddr whole_pages_end = vma.start + (vma.file_bytes & ~(k_page_size - 1));
        if (whole_pages_end <= start)
            return;
        if (end > whole_pages_end)
            end = whole_pages_end;
    }
    // The window lies in the level-3 table of the page just mapped.
    uint64_t* fault_slot = find_page_entry(m_env, m_root, page);
    if (!fault_slot)
        return;
    struct Context {
        AddressSpace* space;
        CacheFrameMapping how;
        uint64_t* slots;  // the window's first slot in that level-3 table
        uint64_t count;
    } context { this, cache_frame_mapping(vma), fault_slot - mm::level_index(page, 3) + mm::level_index(start, 3),
                (end - start) / k_page_size };
    static_assert(k_window / k_page_size <= MappedFileOps::k_max_cached_run);
    g_file_ops.with_cached_pages(vma.file, (vma.file_offset + (start - vma.start)) / k_page_size, context.count,
        [](void* opaque, const PhysAddr* frames) {
            auto& c = *static_cast<Context*>(opaque);
            // In locals: the calls of the rare paths (icache) would make
            // the compiler reload them from the context at every page.
            const CacheFrameMapping how = c.how;
            uint64_t* const slots = c.slots;
            const uint64_t count = c.count;
            uint64_t mapped = 0;
            for (uint64_t i = 0; i < count; ++i) {
                // Else mapped already (the faulting page among them).
                if (frames[i] && !(slots[i] & pte::k_valid)) {
                    slots[i] = take_cache_frame(how, frames[i]);
                    ++mapped;
                }
            }
            c.space->count_mapped_pages(mapped);
        },
        &context);
}

// Maps the page cache's frame at `page` and takes this space's share
// (under the VFS lock, which keeps the file from dropping it meanwhile).
ErrorOr<void> AddressSpace::map_cache_frame(const Vma& vma, VirtAddr page, PhysAddr frame) {
    mm::PageTable<UserTableEnv> table(m_env, m_root);
    uint64_t* slot = TRY(table.page_slot(page));
    *slot = take_cache_frame(cache_frame_mapping(vma), frame);
    count_mapped_pages(1);
    return {};
}

// This space's share of a page-cache frame it is about to map in `vma`, and
// the entry to map it with: a private mapping never writes the file's page,
// so it is read-only there until the first write copies it.
AddressSpace::CacheFrameMapping AddressSpace::cache_frame_mapping(const Vma& vma) {
    uint32_t prot = vma.shared ? vma.prot : vma.prot & ~mm::k_prot_write;
    return { page_entry(0, page_flags_for_prot(prot)), (prot & mm::k_prot_write) != 0,
             (vma.prot & mm::k_prot_exec) != 0 };
}

// The SharedMemory page behind `page` of a shared VMA, handed to `use`
// under the object's lock (SharedMemory::with_page).
template <typename Use>
ErrorOr<void> AddressSpace::with_shared_page(const Vma& vma, VirtAddr page, Use&& use) const {
    auto* object = const_cast<mm::SharedMemory*>(static_cast<const mm::SharedMemory*>(vma.file));
    return object->with_page((vma.file_offset + (page - vma.start)) / k_page_size, use);
}

// A write to a present read-only page of a writable VMA: copy-on-write.
ErrorOr<void> AddressSpace::write_to_present_page(const Vma& vma, VirtAddr page, uint64_t& slot) {
    PhysAddr frame = entry_frame(slot);
    uint32_t flags = page_flags_for_prot(vma.prot);
    if (vma.shared || extra_sharers(frame) == 0) {
        // The other sharers are gone (exited, unmapped or copied): no copy.
        mm::set_icache_dirty(frame);
        replace_page_entry(m_env, slot, page, page_entry(frame, flags));
        return {};
    }
    auto copy = TRY(mm::allocate_pages(0, mm::PageOwner::UserPage));
    __builtin_memcpy(mm::phys_to_virt(copy), mm::phys_to_virt(frame), k_page_size);
    replace_page_entry(m_env, slot, page, page_entry(copy, flags));
    // Only now: if the other sharers dropped the page meanwhile, this frees it.
    drop_sharer(frame);
    ++m_cow_copies;
    return {};
}

ErrorOr<void> AddressSpace::handle_fault(VirtAddr address, FaultAccess access, const char** reason) {
    sched::MutexGuard guard(m_lock);
    const Vma* vma = m_vmas.find(address);
    if (!vma && address < m_stack_top && address >= m_stack_top - m_stack_reserve) {
        // Below the stack but inside its reserve: grow the stack down.
        const Vma* stack = m_vmas.find(m_stack_top - 1);
        if (stack && stack->kind == mm::VmaKind::Stack && address < stack->start &&
            !m_vmas.extend_down(stack, page_down(address)).is_error())
            vma = m_vmas.find(address);
    }
    if (!vma) {
        *reason = "no mapping at this address";
        return Error::Fault;
    }
    bool allowed = access == FaultAccess::Read    ? (vma->prot & (mm::k_prot_read | mm::k_prot_write | mm::k_prot_exec))
                   : access == FaultAccess::Write ? (vma->prot & mm::k_prot_write)
                                                  : (vma->prot & mm::k_prot_exec);
    if (!allowed) {
        *reason = access == FaultAccess::Write   ? "write to a mapping without PROT_WRITE"
                  : access == FaultAccess::Read  ? "read of a PROT_NONE mapping"
                                                 : "execute in a mapping without PROT_EXEC";
        return Error::Fault;
    }
    VirtAddr page = page_down(address);
    if (uint64_t* slot = find_page_entry(m_env, m_root, page)) {
        // Present: another thread resolved this fault meanwhile, or it is
        // the first write to a page shared copy-on-write.
        if (access != FaultAccess::Write || entry_writable(*slot))
            return {};
        if (auto result = write_to_present_page(*vma, page, *slot); result.is_error()) {
            *reason = "out of memory";
            return result.error();
        }
        return {};
    }
    auto populated = maps_from_page_cache(*vma, page, access) ? map_file_page(*vma, page)
                     : vma->shared                                ? map_shared_page(*vma, page)
                                                                  : populate_page(*vma, page);
    if (populated.is_error()) {
        switch (populated.error()) {
        case Error::NoMemory: *reason = "out of memory"; break;
        case Error::OutOfRange: *reason = "access past the end of the mapped file"; break;
        case Error::NoSpace: *reason = "no space left for the mapped file's page"; break;
        default: *reason = "cannot read the mapped file"; break;
        }
        return populated.error();
    }
    return {};
}

ErrorOr<void> AddressSpace::copy_remote(VirtAddr address, std::span<uint8_t> data, bool write) {
    VERIFY(data.size() <= k_page_size - (address & (k_page_size - 1)));
    VirtAddr page = page_down(address);
    // The fault path makes the page; another thread of the space may undo
    // that before the copy takes the lock again: then once more.
    for (int attempt = 0; attempt < 8; ++attempt) {
        {
            sched::MutexGuard guard(m_lock);
            const Vma* vma = m_vmas.find(address);
            if (!vma || !(vma->prot & (write ? mm::k_prot_write : mm::k_prot_read)))
                return Error::Fault;
            uint64_t* slot = find_page_entry(m_env, m_root, page);
            if (slot && (!write || entry_writable(*slot))) {
                auto* bytes = static_cast<uint8_t*>(mm::phys_to_virt(entry_frame(*slot))) + (address - page);
                if (write) {
                    __builtin_memcpy(bytes, data.data(), data.size());
                    if (vma->prot & mm::k_prot_exec)  // what was written must reach instruction fetch
                        arch::sync_icache(bytes, data.size());
                } else {
                    __builtin_memcpy(data.data(), bytes, data.size());
                }
                return {};
            }
        }
        const char* reason = nullptr;
        TRY(handle_fault(address, write ? FaultAccess::Write : FaultAccess::Read, &reason));
    }
    return Error::Fault;
}

ErrorOr<AddressSpace*> AddressSpace::clone_for_fork() {
    sched::MutexGuard guard(m_lock);
    AddressSpace* child = TRY(create());
    auto copy_state = [&]() -> ErrorOr<void> {
        child->m_vmas = TRY(m_vmas.clone());
        // Locks are not inherited (Linux's dup_mmap), nor is MCL_FUTURE;
        // membarrier registrations are (dup_mm copies the mm).
        child->m_vmas.update_all([](Vma& vma, const void*) { vma.locked = vma.lock_on_fault = false; }, nullptr);
        child->m_membarrier = membarrier_registrations();
        for (auto& pinned : m_pinned_files) {
            TRY(child->pin_file(pinned.file, pinned.name.view()));
            if (pinned.writable_mapping) {
                child->m_pinned_files[child->m_pinned_files.size() - 1].writable_mapping = true;
                if (g_file_ops.fork_writable_mapping)
                    g_file_ops.fork_writable_mapping(pinned.file);
            }
        }
        // Cannot be TextBusy: this space holds the file's writers off.
        if (m_executable.file)
            TRY(child->set_executable(m_executable.file));
        TRY(child->m_shared_memory.try_reserve(m_shared_memory.size()));
        for (auto* object : m_shared_memory) {
            object->retain();
            (void)child->m_shared_memory.try_append(object);  // reserved above
        }
        child->m_mmap_cursor = m_mmap_cursor;
        child->m_break_start = m_break_start;
        child->m_break = m_break;
        child->m_stack_top = m_stack_top;
        child->m_stack_reserve = m_stack_reserve;
        child->m_mmap_limit = m_mmap_limit;
        child->m_as_limit = m_as_limit;
        child->m_data_limit = m_data_limit;
        TRY(copy_pages_into(*child));
        child->m_peak_resident_pages = child->m_resident_pages;
        return {};
    };
    if (auto copied = copy_state(); copied.is_error()) {
        destroy(child);  // drops the shares it took
        return copied.error();
    }
    return child;
}

// Maps every present page of this space into `child` (which has no pages
// yet) and takes a share of it for the child. Writable private pages are
// write-protected here first, so no write after this point reaches a page
// the child sees; the running space's TLB entries are invalidated.
ErrorOr<void> AddressSpace::copy_pages_into(AddressSpace& child) {
    mm::PageTable<UserTableEnv> child_table(child.m_env, child.m_root);
    ErrorOr<void> result {};
    // The child's level-3 table of the 2 MiB region being copied: the pages
    // come in address order, so one walk per table.
    VirtAddr table_region = ~VirtAddr(0);
    uint64_t* child_slots = nullptr;
    for (const Vma& vma : m_vmas) {
        auto share = [&](VirtAddr va, uint64_t& slot) {
            if (!vma.shared && entry_writable(slot)) {
                slot |= pte::k_ap_read_only;  // a permission change needs no break-before-make
                m_env.invalidate_tlb(va);
            }
            VirtAddr region = va & ~(mm::level_entry_size(2) - 1);
            if (region != table_region) {
                auto first = child_table.page_slot(region);
                if (first.is_error()) {
                    result = first.error();
                    return false;
                }
                child_slots = first.value();
                table_region = region;
            }
            child_slots[mm::level_index(va, 3)] = slot;  // the same frame and permissions
            add_sharer(entry_frame(slot));
            child.count_mapped_pages(1);
            return true;
        };
        if (!for_each_page_entry(m_env, m_root, 0, vma.start, vma.end, share))
            return result;
    }
    return {};
}

uint64_t AddressSpace::accessible_prefix(VirtAddr address, uint64_t size, bool write) const {
    sched::MutexGuard guard(m_lock);
    return accessible_prefix_locked(address, size, write);
}

uint64_t AddressSpace::accessible_prefix_locked(VirtAddr address, uint64_t size, bool write) const {
    if (address >= mm::k_user_space_end)
        return 0;
    VirtAddr end = size > mm::k_user_space_end - address ? mm::k_user_space_end : address + size;
    VirtAddr cursor = address;
    while (cursor < end) {
        const Vma* vma = m_vmas.find(cursor);
        if (!vma) {
            // The stack may still grow into its reserve on the copy's fault.
            if (cursor < m_stack_top && cursor >= m_stack_top - m_stack_reserve) {
                cursor = page_down(cursor) + k_page_size;
                continue;
            }
            break;
        }
        if (write ? !(vma->prot & mm::k_prot_write) : (vma->prot == mm::k_prot_none))
            break;
        cursor = vma->end;
    }
    return (cursor < end ? cursor : end) - address;
}

bool AddressSpace::allows(VirtAddr address, uint64_t size, bool write) const {
    if (size == 0)
        return true;
    sched::MutexGuard guard(m_lock);
    return accessible_prefix_locked(address, size, write) == size;
}

std::optional<PhysAddr> AddressSpace::shared_physical_address(VirtAddr address) const {
    sched::MutexGuard guard(m_lock);
    const mm::Vma* vma = m_vmas.find(address);
    if (!vma || !vma->shared)
        return std::nullopt;
    if (uint64_t* slot = find_page_entry(m_env, m_root, page_down(address)))
        return entry_frame(*slot) + (address - page_down(address));
    // Not touched here yet: the object's (or the file's) page, made now if
    // need be, is the one every space sharing it maps.
    PhysAddr frame = 0;
    auto take = [&](PhysAddr page) -> ErrorOr<void> {
        frame = page;
        return {};
    };
    auto made = vma->kind == mm::VmaKind::File ? with_file_page(*vma, page_down(address), take)
                                               : with_shared_page(*vma, page_down(address), take);
    if (made.is_error())
        return std::nullopt;  // out of memory: a private key; the futex read then fails
    return frame + (address - page_down(address));
}

ErrorOr<void> AddressSpace::check_mapped(VirtAddr start, uint64_t length) const {
    VirtAddr end = TRY(checked_end(start, length));
    sched::MutexGuard guard(m_lock);
    return check_mapped_locked(start, end);
}

ErrorOr<void> AddressSpace::check_mapped_locked(VirtAddr start, VirtAddr end) const {
    VirtAddr covered = start;
    for (auto vma = m_vmas.first_ending_after(start); covered < end; ++vma) {
        if (vma == m_vmas.end() || vma->start > covered)
            return Error::NoMemory;
        covered = vma->end;
    }
    return {};
}

bool AddressSpace::is_mapped(VirtAddr address) const {
    sched::MutexGuard guard(m_lock);
    return m_vmas.find(address) != nullptr;
}

void AddressSpace::print_map() const {
    sched::MutexGuard guard(m_lock);
    for (const Vma& vma : m_vmas) {
        kprintln("  {:#014x}-{:#014x} {}{}{}{} {}", vma.start, vma.end, (vma.prot & mm::k_prot_read) ? 'r' : '-',
                 (vma.prot & mm::k_prot_write) ? 'w' : '-', (vma.prot & mm::k_prot_exec) ? 'x' : '-',
                 vma.shared ? 's' : 'p', mm::vma_kind_name(vma.kind));
    }
    if (m_break > m_break_start)
        kprintln("  brk {:#x}-{:#x}", m_break_start, m_break);
}

}  // namespace akuma::proc
