// The original Akuma's "Mmap:" tests, run against the kernel page-mapping
// API (vm_allocate / vm_free and containers on PageMapAllocator), plus
// kernel stacks with guard pages.
#include "kernel/arch/aarch64/kernel_page_tables.h"
#include "kernel/arch/aarch64/page_zero.h"
#include "kernel/arch/aarch64/sysregs.h"
#include "kernel/lib/string.h"
#include "kernel/lib/vector.h"
#include "kernel/mm/kernel_vm.h"
#include "kernel/mm/page_map_allocator.h"
#include "kernel/mm/pmm.h"
#include "kernel/tests/ktest.h"

using namespace akuma;
using namespace akuma::mm;

namespace {
bool is_mapped(uint64_t va) { return arch::query_kernel(va).has_value(); }
}  // namespace

KTEST(mmap_single_page, "Mmap: Single page allocation") {
    auto mapping = vm_allocate(k_page_size);
    KEXPECT(!mapping.is_error());
    auto* bytes = static_cast<uint8_t*>(mapping.value());
    for (size_t i = 0; i < k_page_size; ++i)
        KEXPECT_EQ(bytes[i], 0);  // fresh pages are zeroed
    for (size_t i = 0; i < k_page_size; ++i)
        bytes[i] = static_cast<uint8_t>(i * 7);
    for (size_t i = 0; i < k_page_size; ++i)
        KEXPECT_EQ(bytes[i], static_cast<uint8_t>(i * 7));
    auto va = reinterpret_cast<uint64_t>(bytes);
    KEXPECT(!is_mapped(va + k_page_size));  // guard page
    vm_free(bytes, k_page_size);
    KEXPECT(!is_mapped(va));
}

KTEST(mmap_multi_page, "Mmap: Multi-page allocation (12KB)") {
    constexpr size_t size = 12 * 1024;
    auto mapping = vm_allocate(size);
    KEXPECT(!mapping.is_error());
    auto* words = static_cast<uint64_t*>(mapping.value());
    for (size_t i = 0; i < size / 8; ++i)
        words[i] = i ^ 0x5a5a5a5a;
    for (size_t i = 0; i < size / 8; ++i)
        KEXPECT_EQ(words[i], i ^ 0x5a5a5a5a);
    // Three distinct physical pages.
    auto va = reinterpret_cast<uint64_t>(words);
    auto p0 = arch::query_kernel(va)->physical, p1 = arch::query_kernel(va + 4096)->physical,
         p2 = arch::query_kernel(va + 8192)->physical;
    KEXPECT(p0 != p1 && p1 != p2 && p0 != p2);
    vm_free(words, size);
}

KTEST(mmap_page_boundaries, "Mmap: Page boundary writes") {
    auto mapping = vm_allocate(3 * k_page_size);
    KEXPECT(!mapping.is_error());
    auto* bytes = static_cast<volatile uint8_t*>(mapping.value());
    for (size_t boundary = k_page_size; boundary < 3 * k_page_size; boundary += k_page_size) {
        bytes[boundary - 1] = 0xaa;
        bytes[boundary] = 0xbb;
    }
    // An 8-byte store straddling a page boundary.
    auto* straddle = reinterpret_cast<volatile uint64_t*>(const_cast<uint8_t*>(bytes) + k_page_size - 4);
    *straddle = 0x1122334455667788ull;
    KEXPECT_EQ(*straddle, 0x1122334455667788ull);
    KEXPECT_EQ(bytes[2 * k_page_size - 1], 0xaa);
    KEXPECT_EQ(bytes[2 * k_page_size], 0xbb);
    vm_free(const_cast<uint8_t*>(bytes), 3 * k_page_size);
}

KTEST(mmap_rapid_cycles, "Mmap: Rapid alloc/dealloc (100 cycles)") {
    uint64_t free_before = pmm_stats().free_pages;
    auto stats_before = kernel_vm_stats();
    for (int cycle = 0; cycle < 100; ++cycle) {
        size_t size = (1 + cycle % 5) * k_page_size;
        auto mapping = vm_allocate(size);
        KEXPECT(!mapping.is_error());
        static_cast<uint8_t*>(mapping.value())[size - 1] = static_cast<uint8_t>(cycle);
        vm_free(mapping.value(), size);
    }
    KEXPECT_EQ(pmm_stats().free_pages, free_before);  // pages and emptied page tables came back
    KEXPECT_EQ(kernel_vm_stats().mappings, stats_before.mappings);
}

KTEST(mmap_realloc_pattern, "Mmap: Realloc pattern (grow then use)") {
    Vector<uint32_t, PageMapAllocator> values;
    for (uint32_t i = 0; i < 3000; ++i)
        KEXPECT(!values.try_append(i * 3).is_error());
    for (uint32_t i = 0; i < 3000; ++i)
        KEXPECT_EQ(values[i], i * 3);
}

KTEST(mmap_string_growth, "Mmap: String growth pattern") {
    BasicString<PageMapAllocator> text;
    for (int i = 0; i < 600; ++i)
        KEXPECT(!text.try_append("ab").is_error());
    KEXPECT_EQ(text.length(), 1200u);
    for (size_t i = 0; i < text.length(); ++i)
        KEXPECT_EQ(text[i], i % 2 ? 'b' : 'a');
}

KTEST(mmap_vec_doubling, "Mmap: Vec capacity doubling (1->1024 elements)") {
    Vector<uint64_t, PageMapAllocator> values;
    size_t last_capacity = 0;
    unsigned growths = 0;
    for (uint64_t i = 0; i < 1024; ++i) {
        KEXPECT(!values.try_append(i * i).is_error());
        if (values.capacity() != last_capacity) {
            KEXPECT(values.capacity() >= 2 * last_capacity);
            last_capacity = values.capacity();
            ++growths;
        }
    }
    KEXPECT(growths >= 8);
    for (uint64_t i = 0; i < 1024; ++i)
        KEXPECT_EQ(values[i], i * i);
}

KTEST(mmap_interleaved_strings, "Mmap: Interleaved string operations") {
    BasicString<PageMapAllocator> a, b, c;
    for (int round = 0; round < 200; ++round) {
        KEXPECT(!a.try_append('x').is_error());
        KEXPECT(!b.try_append("yy").is_error());
        if (round % 3 == 0)
            KEXPECT(!c.try_append(a.view()).is_error());
    }
    KEXPECT_EQ(a.length(), 200u);
    KEXPECT_EQ(b.length(), 400u);
    for (size_t i = 0; i < b.length(); ++i)
        KEXPECT_EQ(b[i], 'y');
    size_t expected_c = 0;
    for (int round = 0; round < 200; round += 3)
        expected_c += static_cast<size_t>(round + 1);
    KEXPECT_EQ(c.length(), expected_c);
}

KTEST(kernel_stack_guard, "VM: kernel stacks have an unmapped guard below") {
    uint64_t free_before = pmm_stats().free_pages;
    auto stack = allocate_kernel_stack();
    KEXPECT(!stack.is_error());
    auto s = stack.value();
    KEXPECT_EQ(s.top - s.bottom, uint64_t(KERNEL_STACK_SIZE));
    KEXPECT(is_mapped(s.bottom));
    KEXPECT(is_mapped(s.top - 8));
    KEXPECT(!is_mapped(s.bottom - 8));                     // guard
    KEXPECT(!is_mapped(s.bottom - KERNEL_STACK_SIZE));     // whole lower half
    KEXPECT((s.bottom >> KERNEL_STACK_SHIFT) & 1);         // the vectors' overflow test
    KEXPECT(!((s.bottom - 16) >> KERNEL_STACK_SHIFT & 1));
    static_cast<volatile uint64_t*>(reinterpret_cast<void*>(s.top))[-1] = 42;
    free_kernel_stack(s);
    KEXPECT(!is_mapped(s.bottom));
    KEXPECT_EQ(pmm_stats().free_pages, free_before);
}

KTEST(zero_page_exactly_one, "Mmap: zero_page clears its page and nothing around it") {
    // Four pages of a pattern; the second is zeroed (with DC ZVA where the
    // CPU allows it, which QEMU's Cortex models do: 64-byte blocks).
    auto block = allocate_pages(2, PageOwner::Test);
    KEXPECT(!block.is_error());
    auto* bytes = static_cast<uint8_t*>(phys_to_virt(block.value()));
    for (size_t i = 0; i < 4 * k_page_size; ++i)
        bytes[i] = 0xa5;
    arch::zero_page(bytes + k_page_size);
    size_t wrong = 0;
    for (size_t i = 0; i < 4 * k_page_size; ++i) {
        bool in_zeroed_page = i >= k_page_size && i < 2 * k_page_size;
        wrong += bytes[i] != (in_zeroed_page ? 0 : 0xa5);
    }
    KEXPECT_EQ(wrong, 0u);
    KEXPECT(arch::zero_block_bytes() == 0 || k_page_size % (4 * arch::zero_block_bytes()) == 0);
    free_pages(block.value());
}
