// User address spaces from the kernel side: demand paging, unmap/protect
// splitting, brk, page accounting and teardown, and the user-copy routines'
// refusal of bad pointers. Processes are exercised end to end by the
// programs in tests/system/programs.list.
#include "kernel/arch/aarch64/user_mode.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/pmm.h"
#include "kernel/mm/user_access.h"
#include "kernel/proc/address_space.h"
#include "kernel/proc/user_layout.h"
#include "kernel/sched/scheduler.h"
#include "kernel/tests/ktest.h"

using namespace akuma;
using namespace akuma::proc;
using mm::k_page_size;

namespace {

constexpr uint32_t k_rw = mm::k_prot_read | mm::k_prot_write;

MapRequest anonymous(uint64_t length, uint32_t prot = k_rw) {
    return { 0, length, prot, MapPlacement::Anywhere, mm::VmaKind::Anonymous, nullptr, 0, 0 };
}

// Runs `body` with `space` as the current user address space (no
// preemption, so the scheduler cannot switch TTBR0 back meanwhile).
template <typename F>
void with_space(AddressSpace& space, F&& body) {
    sched::PreemptionDisabled no_preemption;
    arch::switch_user_translation(space.ttbr0());
    body();
    arch::switch_user_translation(0);
}

}  // namespace

KTEST(user_space_demand_paging, "Process: anonymous memory is mapped on first touch, zero-filled") {
    auto space = AddressSpace::create();
    KEXPECT(!space.is_error());
    auto start = space.value()->map(anonymous(4 * k_page_size));
    KEXPECT(!start.is_error());
    KEXPECT_EQ(start.value(), k_user_mmap_base);
    KEXPECT_EQ(space.value()->resident_pages(), 0u);
    const char* reason = nullptr;
    KEXPECT(!space.value()->handle_fault(start.value() + 5, FaultAccess::Write, &reason).is_error());
    KEXPECT(!space.value()->handle_fault(start.value() + 100, FaultAccess::Read, &reason).is_error());
    KEXPECT_EQ(space.value()->resident_pages(), 1u);
    bool zeroed = true;
    with_space(*space.value(), [&] {
        auto* bytes = reinterpret_cast<volatile uint8_t*>(start.value());
        for (size_t i = 0; i < k_page_size; ++i)
            zeroed = zeroed && bytes[i] == 0;
        bytes[7] = 42;
        zeroed = zeroed && bytes[7] == 42;
    });
    KEXPECT(zeroed);
    AddressSpace::destroy(space.value());
}

KTEST(user_space_faults_refused, "Process: faults outside a VMA or against its permissions are refused") {
    auto space = AddressSpace::create();
    KEXPECT(!space.is_error());
    auto start = space.value()->map(anonymous(3 * k_page_size));
    KEXPECT(!start.is_error());
    const char* reason = nullptr;
    KEXPECT(space.value()->handle_fault(0x10, FaultAccess::Read, &reason).is_error());
    KEXPECT(!space.value()->unmap(start.value() + k_page_size, k_page_size).is_error());
    KEXPECT(space.value()->handle_fault(start.value() + k_page_size, FaultAccess::Read, &reason).is_error());
    KEXPECT(!space.value()->handle_fault(start.value() + 2 * k_page_size, FaultAccess::Write, &reason).is_error());
    KEXPECT(!space.value()->protect(start.value(), k_page_size, mm::k_prot_read).is_error());
    KEXPECT(space.value()->handle_fault(start.value(), FaultAccess::Write, &reason).is_error());
    KEXPECT(space.value()->handle_fault(start.value(), FaultAccess::Execute, &reason).is_error());
    KEXPECT(!space.value()->handle_fault(start.value(), FaultAccess::Read, &reason).is_error());
    AddressSpace::destroy(space.value());
}

KTEST(user_space_wx_policy, "Process: writable+executable memory allowed as on Linux, refused under user_wx=deny") {
    auto space = AddressSpace::create();
    KEXPECT(!space.is_error());
    auto start = space.value()->map(anonymous(k_page_size));
    KEXPECT(!start.is_error());
    bool refused = AddressSpace::writable_executable_refused();
    AddressSpace::set_writable_executable_refused(true);
    KEXPECT(space.value()->map(anonymous(k_page_size, k_rw | mm::k_prot_exec)).error() == Error::AccessDenied);
    KEXPECT(space.value()->protect(start.value(), k_page_size, k_rw | mm::k_prot_exec).error() == Error::AccessDenied);
    AddressSpace::set_writable_executable_refused(false);
    KEXPECT(!space.value()->map(anonymous(k_page_size, k_rw | mm::k_prot_exec)).is_error());
    KEXPECT(!space.value()->protect(start.value(), k_page_size, k_rw | mm::k_prot_exec).is_error());
    AddressSpace::set_writable_executable_refused(refused);
    AddressSpace::destroy(space.value());
}

KTEST(user_space_brk, "Process: brk grows and shrinks page-wise, freeing pages, and stops at other mappings") {
    auto space = AddressSpace::create();
    KEXPECT(!space.is_error());
    auto& s = *space.value();
    constexpr uint64_t base = 0x500000;
    s.set_break_start(base);
    KEXPECT_EQ(s.set_break(0), base);
    KEXPECT_EQ(s.set_break(base + 3 * k_page_size + 5), base + 3 * k_page_size + 5);
    const char* reason = nullptr;
    for (uint64_t page = 0; page < 4; ++page)
        KEXPECT(!s.handle_fault(base + page * k_page_size, FaultAccess::Write, &reason).is_error());
    KEXPECT_EQ(s.resident_pages(), 4u);
    KEXPECT_EQ(s.set_break(base + k_page_size), base + k_page_size);
    KEXPECT_EQ(s.resident_pages(), 1u);
    // Another mapping just above: growing into it fails and keeps the break.
    MapRequest fixed { base + 8 * k_page_size, k_page_size, k_rw, MapPlacement::Fixed, mm::VmaKind::Anonymous,
                       nullptr, 0, 0 };
    KEXPECT(!s.map(fixed).is_error());
    KEXPECT_EQ(s.set_break(base + 16 * k_page_size), base + k_page_size);
    AddressSpace::destroy(space.value());
}

KTEST(user_space_teardown_returns_pages, "Process: destroying an address space returns every page and table") {
    // The heap keeps empty slabs cached; count only pages it really holds.
    mm::heap_release_cached_memory();
    uint64_t before = mm::pmm_stats().free_pages;
    auto space = AddressSpace::create();
    KEXPECT(!space.is_error());
    auto start = space.value()->map(anonymous(64 * k_page_size));
    KEXPECT(!start.is_error());
    const char* reason = nullptr;
    for (uint64_t page = 0; page < 64; page += 3)
        KEXPECT(!space.value()->handle_fault(start.value() + page * k_page_size, FaultAccess::Write, &reason).is_error());
    KEXPECT(mm::pmm_stats().free_pages < before);
    AddressSpace::destroy(space.value());
    mm::heap_release_cached_memory();
    KEXPECT_EQ(mm::pmm_stats().free_pages, before);
}

KTEST(user_copy_rejects_bad_pointers, "Process: user copies refuse NULL, kernel addresses and wrapping ranges") {
    uint64_t value = 0;
    KEXPECT(mm::copy_from_user(&value, mm::UserPtr<const void>(0), 8).error() == Error::Fault);
    KEXPECT(mm::copy_from_user(&value, mm::UserPtr<const void>(0xffff000000001000), 8).error() == Error::Fault);
    KEXPECT(mm::copy_to_user(mm::UserPtr<void>(mm::k_user_space_end - 4), &value, 8).error() == Error::Fault);
    KEXPECT(mm::copy_to_user(mm::UserPtr<void>(0x10000000), &value, 8).error() == Error::Fault);  // nothing mapped
    char name[16];
    KEXPECT(mm::copy_string_from_user(name, sizeof(name), mm::UserPtr<const char>(0)).error() == Error::Fault);
    KEXPECT(mm::copy_string_from_user(name, sizeof(name), mm::UserPtr<const char>(~0ull)).error() == Error::Fault);
}

KTEST(user_copy_sizes_and_edges, "Process: user copies of every size and alignment; a copy into a hole stops at its edge") {
    auto space = AddressSpace::create();
    KEXPECT(!space.is_error());
    auto start = space.value()->map(anonymous(2 * k_page_size));
    KEXPECT(!start.is_error());
    const char* reason = nullptr;
    KEXPECT(!space.value()->handle_fault(start.value(), FaultAccess::Write, &reason).is_error());  // page 2 stays absent
    // On the heap, not in .bss: the kernel must boot in 3 MiB of RAM.
    auto* pattern = static_cast<uint8_t*>(mm::kmalloc(2 * k_page_size));
    KEXPECT(pattern != nullptr);
    struct Release {
        uint8_t* memory;
        ~Release() { mm::kfree(memory); }
    } release { pattern };
    uint8_t* back = pattern + k_page_size;
    for (size_t i = 0; i < k_page_size; ++i)
        pattern[i] = static_cast<uint8_t>(i * 7 + 1);
    bool all_equal = true;
    bool all_succeeded = true;
    with_space(*space.value(), [&] {
        for (size_t size : { 1, 7, 8, 9, 63, 64, 65, 127, 128, 129, 200, 1000, 4000 }) {
            for (size_t shift : { 0, 1, 3, 8, 60 }) {
                mm::UserPtr<void> to(start.value() + shift);
                __builtin_memset(back, 0, k_page_size);
                all_succeeded = all_succeeded && !mm::copy_to_user(to, pattern + shift, size).is_error() &&
                                !mm::copy_from_user(back, mm::UserPtr<const void>(to.address()), size).is_error();
                all_equal = all_equal && __builtin_memcmp(back, pattern + shift, size) == 0;
            }
        }
    });
    KEXPECT(all_succeeded);
    KEXPECT(all_equal);
    // Across into the absent page (no demand paging for a test thread): the
    // copy fails, and what lies before the hole was written all the same.
    bool crossing_refused = false;
    bool prefix_written = false;
    with_space(*space.value(), [&] {
        mm::UserPtr<void> to(start.value() + k_page_size - 100);
        (void)mm::clear_user(to, 100);
        crossing_refused = mm::copy_to_user(to, pattern, 164).error() == Error::Fault &&
                           mm::copy_from_user(back, mm::UserPtr<const void>(to.address()), 164).error() == Error::Fault;
        prefix_written = !mm::copy_from_user(back, mm::UserPtr<const void>(to.address()), 100).is_error() &&
                         __builtin_memcmp(back, pattern, 100) == 0;
    });
    KEXPECT(crossing_refused);
    KEXPECT(prefix_written);
    AddressSpace::destroy(space.value());
}

// ---- fork: copy-on-write and shared anonymous memory ------------------------

namespace {

uint64_t free_page_count() { return mm::pmm_stats().free_pages; }

MapRequest shared_anonymous(uint64_t length) {
    MapRequest request = anonymous(length);
    request.shared = true;
    return request;
}

// Test threads have no process, so a kernel fault on user memory is not
// demand-paged for them: the user-copy routines just fail. That makes a
// copy the probe of what the page tables allow right now.
bool kernel_can_write(AddressSpace& space, uint64_t address, uint64_t value) {
    bool written = false;
    with_space(space, [&] { written = !mm::write_user(mm::UserPtr<uint64_t>(address), value).is_error(); });
    return written;
}

// A user store: the fault it takes first (resolved as the exception
// handler would), then the write.
bool user_write(AddressSpace& space, uint64_t address, uint64_t value) {
    const char* reason = nullptr;
    if (space.handle_fault(address, FaultAccess::Write, &reason).is_error())
        return false;
    return kernel_can_write(space, address, value);
}

uint64_t user_read(AddressSpace& space, uint64_t address) {
    uint64_t value = 0xdead;
    with_space(space, [&] {
        auto read = mm::read_user(mm::UserPtr<const uint64_t>(address));
        if (!read.is_error())
            value = read.value();
    });
    return value;
}

// A user load: the fault it takes first (if the page is absent), then the read.
uint64_t user_load(AddressSpace& space, uint64_t address) {
    const char* reason = nullptr;
    if (space.handle_fault(address, FaultAccess::Read, &reason).is_error())
        return 0xdead;
    return user_read(space, address);
}

}  // namespace

KTEST(user_space_fork_copy_on_write, "Process: fork shares pages read-only and copies one page per first write") {
    mm::heap_release_cached_memory();
    uint64_t baseline = free_page_count();
    auto created = AddressSpace::create();
    KEXPECT(!created.is_error());
    AddressSpace& parent = *created.value();
    auto start = parent.map(anonymous(4 * k_page_size));
    KEXPECT(!start.is_error());
    uint64_t base = start.value();
    for (uint64_t i = 0; i < 4; ++i)
        KEXPECT(user_write(parent, base + i * k_page_size, 100 + i));

    auto forked = parent.clone_for_fork();
    KEXPECT(!forked.is_error());
    AddressSpace& child = *forked.value();
    uint64_t after_fork = free_page_count();
    KEXPECT_EQ(parent.resident_pages(), 4u);
    KEXPECT_EQ(child.resident_pages(), 4u);
    KEXPECT_EQ(child.vmas().size(), parent.vmas().size());
    // Both sides are write-protected; reads (and read faults) copy nothing.
    KEXPECT(!kernel_can_write(parent, base, 1));
    KEXPECT(!kernel_can_write(child, base, 1));
    const char* reason = nullptr;
    for (uint64_t i = 0; i < 4; ++i) {
        KEXPECT(!child.handle_fault(base + i * k_page_size, FaultAccess::Read, &reason).is_error());
        KEXPECT_EQ(user_read(child, base + i * k_page_size), 100 + i);
    }
    KEXPECT_EQ(free_page_count(), after_fork);

    // First writes copy exactly one page each and stay on their side.
    KEXPECT(user_write(child, base, 200));
    KEXPECT_EQ(free_page_count(), after_fork - 1);
    KEXPECT_EQ(user_read(parent, base), 100u);
    KEXPECT_EQ(user_read(child, base), 200u);
    KEXPECT(user_write(parent, base + k_page_size, 300));
    KEXPECT_EQ(free_page_count(), after_fork - 2);
    KEXPECT_EQ(user_read(child, base + k_page_size), 101u);
    // The other side already has its own copy: the page is no longer
    // shared, so these writes take it back without copying.
    KEXPECT(user_write(parent, base, 400));
    KEXPECT(user_write(child, base + k_page_size, 500));
    KEXPECT_EQ(free_page_count(), after_fork - 2);
    KEXPECT_EQ(user_read(parent, base), 400u);
    KEXPECT_EQ(user_read(child, base), 200u);
    KEXPECT_EQ(user_read(parent, base + k_page_size), 300u);
    KEXPECT_EQ(user_read(child, base + k_page_size), 500u);
    KEXPECT_EQ(parent.cow_copies(), 1u);
    KEXPECT_EQ(child.cow_copies(), 1u);
    // Untouched pages are still shared.
    KEXPECT_EQ(user_read(child, base + 3 * k_page_size), 103u);
    KEXPECT(!kernel_can_write(child, base + 3 * k_page_size, 1));

    AddressSpace::destroy(&parent);
    AddressSpace::destroy(&child);
    mm::heap_release_cached_memory();
    KEXPECT_EQ(free_page_count(), baseline);
}

KTEST(user_space_fork_last_sharer, "Process: a copy-on-write page whose other sharers are gone is not copied") {
    auto created = AddressSpace::create();
    KEXPECT(!created.is_error());
    AddressSpace* parent = created.value();
    auto start = parent->map(anonymous(3 * k_page_size));
    KEXPECT(!start.is_error());
    uint64_t base = start.value();
    for (uint64_t i = 0; i < 3; ++i)
        KEXPECT(user_write(*parent, base + i * k_page_size, 10 + i));
    // Page 2 read-only before the fork: making it writable again must not
    // make the shared page writable.
    KEXPECT(!parent->protect(base + 2 * k_page_size, k_page_size, mm::k_prot_read).is_error());
    auto forked = parent->clone_for_fork();
    KEXPECT(!forked.is_error());
    AddressSpace* child = forked.value();
    uint64_t after_fork = free_page_count();

    KEXPECT(!child->protect(base + 2 * k_page_size, k_page_size, k_rw).is_error());
    KEXPECT(!kernel_can_write(*child, base + 2 * k_page_size, 1));
    KEXPECT(user_write(*child, base + 2 * k_page_size, 99));
    KEXPECT_EQ(free_page_count(), after_fork - 1);
    KEXPECT_EQ(user_read(*parent, base + 2 * k_page_size), 12u);

    // The parent unmaps page 0 (the page stays: the child maps it) and
    // drops page 1 with MADV_DONTNEED: the child is their last user.
    KEXPECT(!parent->unmap(base, k_page_size).is_error());
    KEXPECT(!parent->discard(base + k_page_size, k_page_size).is_error());
    KEXPECT_EQ(free_page_count(), after_fork - 1);
    KEXPECT_EQ(parent->resident_pages(), 1u);
    KEXPECT(user_write(*child, base, 20));
    KEXPECT(user_write(*child, base + k_page_size, 21));
    KEXPECT_EQ(free_page_count(), after_fork - 1);
    KEXPECT_EQ(child->cow_copies(), 1u);
    // The parent reads zeros where it dropped the page.
    KEXPECT(user_write(*parent, base + k_page_size + 8, 0));
    KEXPECT_EQ(user_read(*parent, base + k_page_size), 0u);

    // A parent that exits leaves the child the sole owner of the rest.
    auto grandchild = child->clone_for_fork();
    KEXPECT(!grandchild.is_error());
    AddressSpace::destroy(parent);
    uint64_t before_writes = free_page_count();
    KEXPECT(user_write(*grandchild.value(), base, 30));  // shared with the child: copied
    KEXPECT_EQ(free_page_count(), before_writes - 1);
    AddressSpace::destroy(child);
    KEXPECT(user_write(*grandchild.value(), base + k_page_size, 31));  // the child is gone: not copied
    KEXPECT_EQ(grandchild.value()->cow_copies(), 1u);
    KEXPECT_EQ(user_read(*grandchild.value(), base), 30u);
    KEXPECT_EQ(user_read(*grandchild.value(), base + k_page_size), 31u);
    KEXPECT_EQ(user_read(*grandchild.value(), base + 2 * k_page_size), 99u);
    AddressSpace::destroy(grandchild.value());
}

KTEST(user_space_shared_anonymous, "Process: MAP_SHARED anonymous memory is shared, never copied, after fork") {
    auto created = AddressSpace::create();
    KEXPECT(!created.is_error());
    AddressSpace* parent = created.value();
    auto start = parent->map(shared_anonymous(3 * k_page_size));
    KEXPECT(!start.is_error());
    uint64_t base = start.value();
    // Made on first touch, writable, zero-filled.
    KEXPECT_EQ(parent->resident_pages(), 0u);
    KEXPECT_EQ(user_load(*parent, base + 2 * k_page_size), 0u);
    KEXPECT(user_write(*parent, base, 5));
    KEXPECT_EQ(parent->resident_pages(), 2u);
    // A private page next to it keeps the parent's tables alive when the
    // shared part is unmapped below, so the free count shows only pages.
    auto neighbour = parent->map(anonymous(k_page_size));
    KEXPECT(!neighbour.is_error());
    KEXPECT_EQ(neighbour.value(), base + 3 * k_page_size);
    KEXPECT(user_write(*parent, neighbour.value(), 1));
    auto forked = parent->clone_for_fork();
    KEXPECT(!forked.is_error());
    AddressSpace* child = forked.value();
    KEXPECT_EQ(child->resident_pages(), 3u);
    uint64_t after_fork = free_page_count();

    KEXPECT_EQ(user_read(*child, base), 5u);
    // A page first touched after the fork, by the child: one page, which
    // the parent then sees too.
    KEXPECT(user_write(*child, base + k_page_size, 7));
    KEXPECT(user_write(*parent, base + 2 * k_page_size, 8));
    KEXPECT_EQ(user_load(*parent, base + k_page_size), 7u);
    KEXPECT_EQ(user_read(*child, base + 2 * k_page_size), 8u);
    KEXPECT_EQ(free_page_count(), after_fork - 1);

    // mprotect is per space; MADV_DONTNEED keeps shared contents.
    KEXPECT(!child->protect(base, k_page_size, mm::k_prot_read).is_error());
    KEXPECT(!kernel_can_write(*child, base, 6));
    KEXPECT(kernel_can_write(*parent, base, 6));
    KEXPECT_EQ(user_read(*child, base), 6u);
    KEXPECT(!child->discard(base, 3 * k_page_size).is_error());
    KEXPECT_EQ(user_read(*child, base + k_page_size), 7u);

    // Unmapping in one space leaves the pages to the other.
    KEXPECT(!parent->unmap(base, 3 * k_page_size).is_error());
    KEXPECT_EQ(parent->resident_pages(), 1u);
    KEXPECT_EQ(free_page_count(), after_fork - 1);
    KEXPECT_EQ(user_read(*child, base + 2 * k_page_size), 8u);
    KEXPECT_EQ(child->cow_copies(), 0u);
    KEXPECT_EQ(parent->cow_copies(), 0u);
    AddressSpace::destroy(child);
    AddressSpace::destroy(parent);
}

namespace {

// The frame behind a mapped user page, as the MMU translates an EL0 read.
mm::PhysAddr frame_of(AddressSpace& space, uint64_t address) {
    uint64_t par = 1;
    with_space(space, [&] { asm volatile("at s1e0r, %1\n isb\n mrs %0, par_el1" : "=r"(par) : "r"(address)); });
    return (par & 1) ? 0 : (par & 0x0000fffffffff000ull);
}

bool tagged(mm::PhysAddr frame, mm::PageOwner owner) {
    return frame && mm::page_descriptor(frame)->owner == static_cast<uint8_t>(owner);
}

}  // namespace

KTEST(user_space_code_frame_cleared, "Process: a frame that was mapped executable is overwritten when freed") {
    constexpr uint32_t k_rx = mm::k_prot_read | mm::k_prot_exec;
    auto created = AddressSpace::create();
    KEXPECT(!created.is_error());
    AddressSpace& space = *created.value();
    auto code = space.map(anonymous(k_page_size, k_rx));
    auto data = space.map(anonymous(k_page_size));
    auto later = space.map(anonymous(k_page_size, mm::k_prot_read));
    KEXPECT(!code.is_error() && !data.is_error() && !later.is_error());
    const char* reason = nullptr;
    KEXPECT(!space.handle_fault(code.value(), FaultAccess::Execute, &reason).is_error());
    KEXPECT(!space.handle_fault(data.value(), FaultAccess::Write, &reason).is_error());
    KEXPECT(!space.handle_fault(later.value(), FaultAccess::Read, &reason).is_error());
    mm::PhysAddr code_frame = frame_of(space, code.value());
    mm::PhysAddr later_frame = frame_of(space, later.value());
    // Executable pages are tagged as code, from the fault or from mprotect;
    // data pages are not (they are freed as they are).
    KEXPECT(tagged(code_frame, mm::PageOwner::UserCode));
    KEXPECT(tagged(frame_of(space, data.value()), mm::PageOwner::UserPage));
    KEXPECT(tagged(later_frame, mm::PageOwner::UserPage));
    KEXPECT(!space.protect(later.value(), k_page_size, k_rx).is_error());
    KEXPECT(tagged(later_frame, mm::PageOwner::UserCode));
    // Made read-only again, the frame still held code: it stays tagged.
    KEXPECT(!space.protect(later.value(), k_page_size, mm::k_prot_read).is_error());
    KEXPECT(tagged(later_frame, mm::PageOwner::UserCode));

    // "Code" the kernel wrote into both frames (as exec's loader would).
    for (mm::PhysAddr frame : { code_frame, later_frame })
        __builtin_memset(mm::phys_to_virt(frame), 0x5a, k_page_size);
    bool overwritten = true;
    {
        // Nobody may allocate the frames before they are looked at.
        sched::PreemptionDisabled no_preemption;
        AddressSpace::destroy(&space);
        // Zeroed, or poisoned when memory_debug is on: no byte survives.
        for (mm::PhysAddr frame : { code_frame, later_frame }) {
            auto* bytes = static_cast<const volatile uint8_t*>(mm::phys_to_virt(frame));
            for (size_t i = 0; i < k_page_size; ++i)
                overwritten = overwritten && bytes[i] != 0x5a;
        }
    }
    KEXPECT(overwritten);
}
