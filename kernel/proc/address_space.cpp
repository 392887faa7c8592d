#include "kernel/proc/address_space.h"

#include <new>

#include "kernel/arch/aarch64/user_mode.h"
#include "kernel/lib/kprint.h"
#include "kernel/mm/pmm.h"
#include "kernel/mm/user_access.h"
#include "kernel/proc/user_layout.h"

namespace akuma::proc {

using mm::k_page_size;
using mm::PhysAddr;
using mm::Vma;
using mm::VirtAddr;

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

}  // namespace

void set_mapped_file_ops(const MappedFileOps& ops) { g_file_ops = ops; }

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
    __builtin_memset(mm::phys_to_virt(page.value()), 0, k_page_size);
    return page.value();
}

uint64_t* UserTableEnv::table_pointer(PhysAddr table) const { return static_cast<uint64_t*>(mm::phys_to_virt(table)); }

void UserTableEnv::free_table(PhysAddr table) { mm::free_pages(table); }

void UserTableEnv::invalidate_tlb(VirtAddr va) const { arch::invalidate_user_page(asid, va); }

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
        space->release_pages(0, mm::k_user_space_end);
        arch::release_asid(space->m_env.asid, space->m_root);
        mm::free_pages(space->m_root);
    }
    for (auto& pinned : space->m_pinned_files)
        g_file_ops.unpin(pinned.pin);
    delete space;
}

uint64_t AddressSpace::ttbr0() const { return arch::make_ttbr0(m_root, m_env.asid); }

void AddressSpace::release_pages(VirtAddr start, VirtAddr end) {
    mm::PageTable<UserTableEnv> table(m_env, m_root);
    // Unmapping whole user pages never splits a block, so this cannot fail.
    auto result = table.unmap(start, end - start, [this](VirtAddr, PhysAddr pa, uint64_t) {
        mm::free_pages(pa);
        --m_resident_pages;
    });
    (void)result;
}

ErrorOr<void> AddressSpace::pin_file(const void* file) {
    for (auto& pinned : m_pinned_files) {
        if (pinned.file == file)
            return {};
    }
    TRY(m_pinned_files.try_reserve(m_pinned_files.size() + 1));
    void* pin = g_file_ops.pin(file);
    if (!pin)
        return Error::NoMemory;
    TRY(m_pinned_files.try_append(PinnedFile { file, pin }));
    return {};
}

namespace {

// Linux's default overcommit heuristic: one request for more memory than
// the machine has fails at once instead of succeeding lazily.
bool exceeds_physical_memory(uint64_t bytes) { return bytes / k_page_size > mm::pmm_stats().total_pages; }

}  // namespace

ErrorOr<VirtAddr> AddressSpace::map(const MapRequest& request) {
    if (!valid_prot(request.prot))
        return Error::Invalid;
    if (!request.no_reserve && (request.prot & mm::k_prot_write) && exceeds_physical_memory(request.length))
        return Error::NoMemory;
    if ((request.prot & mm::k_prot_write) && (request.prot & mm::k_prot_exec))
        return Error::AccessDenied;  // W^X: no page is ever writable and executable
    uint64_t length = page_up(request.length);
    if (request.length == 0 || length < request.length || length > k_user_mmap_limit)
        return Error::NoMemory;
    VirtAddr start;
    if (request.placement == MapPlacement::Anywhere) {
        VirtAddr hint = page_up(request.address);
        bool user_hint = hint >= k_user_min_address;
        auto found = m_vmas.find_free(length, k_user_mmap_base, k_user_mmap_limit, user_hint ? hint : m_mmap_cursor);
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
        TRY(pin_file(request.file));
    if (request.placement == MapPlacement::Fixed)
        TRY(unmap(start, length));
    uint64_t file_bytes = request.file ? (request.file_bytes < length ? request.file_bytes : length) : 0;
    TRY(m_vmas.insert(Vma { start, end, request.prot, request.kind, request.file, request.file_offset, file_bytes }));
    return start;
}

ErrorOr<void> AddressSpace::unmap(VirtAddr start, uint64_t length) {
    VirtAddr end = TRY(checked_end(start, length));
    TRY(m_vmas.remove_range(start, end, [this](const Vma& piece) { release_pages(piece.start, piece.end); }));
    return {};
}

ErrorOr<void> AddressSpace::protect(VirtAddr start, uint64_t length, uint32_t prot) {
    if (!valid_prot(prot) || (start & (k_page_size - 1)))
        return Error::Invalid;
    if ((prot & mm::k_prot_write) && (prot & mm::k_prot_exec))
        return Error::AccessDenied;
    if (length == 0)
        return {};
    VirtAddr end = TRY(checked_end(start, length));
    TRY(m_vmas.protect_range(start, end, prot));
    // Pages already present get the new permissions now; the rest on fault.
    mm::PageTable<UserTableEnv> table(m_env, m_root);
    uint32_t flags = page_flags_for_prot(prot);
    for (VirtAddr page = start; page < end; page += k_page_size) {
        if (table.query(page))
            TRY(table.protect(page, k_page_size, flags));
    }
    return {};
}

ErrorOr<void> AddressSpace::discard(VirtAddr start, uint64_t length) {
    VirtAddr end = TRY(checked_end(start, length));
    for (VirtAddr page = start; page < end; page += k_page_size) {
        if (!m_vmas.find(page))
            return Error::NoMemory;  // Linux: ENOMEM for unmapped parts
    }
    release_pages(start, end);
    return {};
}

void AddressSpace::set_break_start(VirtAddr start) {
    m_break_start = start;
    m_break = start;
}

VirtAddr AddressSpace::set_break(VirtAddr requested) {
    if (requested < m_break_start || requested >= k_user_mmap_limit)
        return m_break;
    VirtAddr old_end = page_up(m_break);
    VirtAddr new_end = page_up(requested);
    if (new_end > old_end) {
        if (exceeds_physical_memory(new_end - old_end))
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
    m_stack_top = top;
    m_stack_reserve = reserve;
}

ErrorOr<void> AddressSpace::populate_page(const Vma& vma, VirtAddr page) {
    auto frame = TRY(mm::allocate_pages(0, mm::PageOwner::UserPage));
    auto* bytes = static_cast<uint8_t*>(mm::phys_to_virt(frame));
    uint64_t offset_in_vma = page - vma.start;
    uint64_t from_file = 0;
    if (offset_in_vma < vma.file_bytes) {
        from_file = vma.file_bytes - offset_in_vma;
        if (from_file > k_page_size)
            from_file = k_page_size;
        auto read = g_file_ops.read(vma.file, vma.file_offset + offset_in_vma, { bytes, from_file });
        if (read.is_error()) {
            mm::free_pages(frame);
            return read.error();
        }
        from_file = read.value();
    }
    __builtin_memset(bytes + from_file, 0, k_page_size - from_file);
    mm::PageTable<UserTableEnv> table(m_env, m_root);
    if (auto mapped = table.map(page, frame, k_page_size, page_flags_for_prot(vma.prot), false); mapped.is_error()) {
        mm::free_pages(frame);
        return mapped.error();
    }
    // The new entry must be visible to the table walker before the retry.
    asm volatile("dsb ishst" ::: "memory");
    if (++m_resident_pages > m_peak_resident_pages)
        m_peak_resident_pages = m_resident_pages;
    return {};
}

ErrorOr<void> AddressSpace::handle_fault(VirtAddr address, FaultAccess access, const char** reason) {
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
    mm::PageTable<UserTableEnv> table(m_env, m_root);
    if (table.query(page_down(address)))
        return {};  // present with the right permissions: another path mapped it already
    if (auto result = populate_page(*vma, page_down(address)); result.is_error()) {
        *reason = result.error() == Error::NoMemory ? "out of memory" : "cannot read the mapped file";
        return result.error();
    }
    return {};
}

uint64_t AddressSpace::accessible_prefix(VirtAddr address, uint64_t size, bool write) const {
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
    return size == 0 || accessible_prefix(address, size, write) == size;
}

void AddressSpace::print_map() const {
    for (const Vma& vma : m_vmas) {
        kprintln("  {:#014x}-{:#014x} {}{}{} {}", vma.start, vma.end, (vma.prot & mm::k_prot_read) ? 'r' : '-',
                 (vma.prot & mm::k_prot_write) ? 'w' : '-', (vma.prot & mm::k_prot_exec) ? 'x' : '-',
                 mm::vma_kind_name(vma.kind));
    }
    if (m_break > m_break_start)
        kprintln("  brk {:#x}-{:#x}", m_break_start, m_break);
}

}  // namespace akuma::proc
