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
    // W^X: writable and executable at once is refused.
    KEXPECT(space.value()->map(anonymous(k_page_size, k_rw | mm::k_prot_exec)).error() == Error::AccessDenied);
    KEXPECT(space.value()->protect(start.value(), k_page_size, k_rw | mm::k_prot_exec).error() == Error::AccessDenied);
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
