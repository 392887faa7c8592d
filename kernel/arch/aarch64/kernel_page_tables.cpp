// Kernel translation tables. boot_build_page_tables() runs with the MMU off
// at the physical load address: this file is compiled with -mstrict-align
// (with the MMU off every access is Device memory, where unaligned accesses
// fault) and it must not use absolute addresses (code is PC-relative; no
// vtables or pointer tables here). The page-table Env type has internal
// linkage so no instance of the template is shared with other files.
#include "kernel/arch/aarch64/kernel_page_tables.h"

#include "kernel/mm/layout.h"
#include "kernel/mm/pmm.h"

extern "C" char __kernel_start[], __text_end[], __rodata_start[], __rodata_end[], __data_start[],
    __kernel_end[], boot_stack_guard[], boot_stack_bottom[], __ktest_text_start[], __ktest_text_end[];

namespace akuma::arch {

using mm::PhysAddr;
using mm::VirtAddr;

namespace {

constexpr size_t k_pool_pages = 64;
alignas(mm::k_page_size) uint8_t g_pool[k_pool_pages][mm::k_page_size];
size_t g_pool_used;
bool g_pool_retired;  // its unused pages belong to the PMM

uint64_t g_kernel_phys;
PhysAddr g_ttbr1_root;
uint64_t g_dtb_virt;
size_t g_dtb_size;
uint64_t g_next_mmio = mm::k_mmio_base;

// Tables come from g_pool; `delta` converts between the pool's address as
// the running code sees it and its physical address (0 with the MMU off).
struct BootTableEnv {
    uint64_t delta;

    std::optional<PhysAddr> allocate_table() {
        if (g_pool_used == k_pool_pages || g_pool_retired)
            return std::nullopt;
        uint64_t* page = reinterpret_cast<uint64_t*>(g_pool[g_pool_used++]);
        for (size_t i = 0; i < mm::k_entries_per_table; ++i)
            page[i] = 0;
        return reinterpret_cast<uint64_t>(page) + delta;
    }
    uint64_t* table_pointer(PhysAddr table) { return reinterpret_cast<uint64_t*>(table - delta); }
};

using BootPageTable = mm::PageTable<BootTableEnv>;

// The live kernel tables (MMU on): new tables come from the boot pool until
// the PMM is ready, then from the PMM; tables from the pool are reached
// through the image mapping, all others through the linear map.
struct KernelTableEnv {
    uint64_t image_delta;  // physical - virtual for addresses in the image

    // The pool's pages that were handed out as tables (the rest may be PMM
    // pages now, see retire_boot_table_pool).
    bool is_boot_pool_table(PhysAddr pa) const {
        uint64_t pool = reinterpret_cast<uint64_t>(g_pool) + image_delta;
        return pa >= pool && pa < pool + g_pool_used * mm::k_page_size;
    }
    std::optional<PhysAddr> allocate_table() {
        if (!mm::pmm_ready())
            return BootTableEnv { image_delta }.allocate_table();
        auto page = mm::allocate_pages(0, mm::PageOwner::PageTable);
        if (page.is_error())
            return std::nullopt;
        auto* entries = static_cast<uint64_t*>(mm::phys_to_virt(page.value()));
        for (size_t i = 0; i < mm::k_entries_per_table; ++i)
            entries[i] = 0;
        return page.value();
    }
    uint64_t* table_pointer(PhysAddr table) const {
        if (is_boot_pool_table(table))
            return reinterpret_cast<uint64_t*>(table - image_delta);
        return static_cast<uint64_t*>(mm::phys_to_virt(table));
    }
    void free_table(PhysAddr table) {
        if (is_boot_pool_table(table)) {
            ++g_pool_tables_abandoned;  // the boot pool is not recycled
            return;
        }
        mm::free_pages(table);
    }
    void invalidate_tlb(VirtAddr va) {
        // Make the cleared entry visible to the walker, then drop any cached
        // translation (and walk-cache entry) for va on every CPU.
        // TLBI operand: VA[55:12] in bits [43:0] (ARM ARM D8.13.5).
        uint64_t operand = (va >> 12) & ((1ull << 44) - 1);
        asm volatile("dsb ishst\n tlbi vaae1is, %0\n dsb ish\n isb" ::"r"(operand) : "memory");
    }

    static inline size_t g_pool_tables_abandoned = 0;
};

using KernelPageTable = mm::PageTable<KernelTableEnv>;

uint32_t read_be32(uint64_t address) {
    uint32_t v = *reinterpret_cast<volatile uint32_t*>(address);
    return __builtin_bswap32(v);
}

KernelTableEnv live_env() { return KernelTableEnv { g_kernel_phys - mm::k_kernel_virtual_base }; }

}  // namespace

struct BootPageTables {
    uint64_t ttbr1;
    uint64_t ttbr0;
};

// Called from boot.S with the MMU off. The boot stack's guard half stays
// unmapped so an overflow faults (and is reported, see vectors.S). Returns both table roots, or zeros
// if the pool ran out (boot.S then stops).
extern "C" BootPageTables boot_build_page_tables(uint64_t kernel_phys, uint64_t dtb_phys) {
    BootTableEnv env { 0 };
    g_kernel_phys = kernel_phys;
    auto image_offset = [&](const char* symbol) { return static_cast<uint64_t>(symbol - __kernel_start); };
    auto map_image = [&](BootPageTable& table, const char* start, const char* end, uint32_t flags) {
        uint64_t offset = image_offset(start);
        return table.map(mm::k_kernel_virtual_base + offset, kernel_phys + offset, end - start, flags, false);
    };

    auto high = BootPageTable::create(env);
    if (high.is_error())
        return { 0, 0 };
    auto& ttbr1 = high.value();
    using namespace mm;
    if (map_image(ttbr1, __kernel_start, __text_end, k_page_read | k_page_execute).is_error()
        || map_image(ttbr1, __rodata_start, __rodata_end, k_page_read).is_error()
        || map_image(ttbr1, __data_start, boot_stack_guard, k_page_read | k_page_write).is_error()
        || map_image(ttbr1, boot_stack_bottom, __kernel_end, k_page_read | k_page_write).is_error())
        return { 0, 0 };

    // The DTB: the boot protocol puts it 8-byte aligned, at most 2 MiB.
    constexpr uint32_t k_fdt_magic = 0xd00dfeed;
    if (dtb_phys != 0 && (dtb_phys & 7) == 0 && read_be32(dtb_phys) == k_fdt_magic) {
        uint64_t size = read_be32(dtb_phys + 4);
        if (size > k_dtb_window_size - k_page_size)
            size = k_dtb_window_size - k_page_size;
        uint64_t first = dtb_phys & ~(k_page_size - 1);
        uint64_t last = (dtb_phys + size + k_page_size - 1) & ~(k_page_size - 1);
        if (ttbr1.map(k_dtb_window, first, last - first, k_page_read, false).is_error())
            return { 0, 0 };
        g_dtb_virt = k_dtb_window + (dtb_phys - first);
        g_dtb_size = size;
    }

    // Identity map of the kernel text, only for the instructions between
    // turning the MMU on and jumping to the upper half.
    auto low = BootPageTable::create(env);
    if (low.is_error())
        return { 0, 0 };
    uint64_t text_size = image_offset(__text_end);
    if (low.value().map(kernel_phys, kernel_phys, text_size, k_page_read | k_page_execute, false).is_error())
        return { 0, 0 };

    g_ttbr1_root = ttbr1.root();
    return { ttbr1.root(), low.value().root() };
}

uint64_t kernel_physical_base() { return g_kernel_phys; }
uint64_t dtb_virtual_address() { return g_dtb_virt; }
size_t dtb_size() { return g_dtb_size; }

ErrorOr<void> map_kernel(VirtAddr va, PhysAddr pa, uint64_t size, uint32_t flags, bool allow_blocks) {
    auto env = live_env();
    KernelPageTable table(env, g_ttbr1_root);
    TRY(table.map(va, pa, size, flags, allow_blocks));
    // New entries only: make the table writes visible to the walker.
    asm volatile("dsb ishst\n isb" ::: "memory");
    return {};
}

ErrorOr<void> map_linear_ram(PhysAddr base, uint64_t size) {
    if (base + size > mm::k_linear_map_limit - mm::k_linear_map_base)
        return Error::OutOfRange;
    return map_kernel(mm::k_linear_map_base + base, base, size, mm::k_page_read | mm::k_page_write, true);
}

ErrorOr<uintptr_t> mmio_map(PhysAddr pa, uint64_t size) {
    PhysAddr first = pa & ~(mm::k_page_size - 1);
    uint64_t length = ((pa + size + mm::k_page_size - 1) & ~(mm::k_page_size - 1)) - first;
    if (size == 0 || g_next_mmio + length > mm::k_mmio_limit)
        return Error::NoMemory;
    VirtAddr va = g_next_mmio;
    TRY(map_kernel(va, first, length, mm::k_page_read | mm::k_page_write | mm::k_page_device, false));
    g_next_mmio += length;
    return va + (pa - first);
}

std::optional<mm::Translation> query_kernel(VirtAddr va) {
    auto env = live_env();
    KernelPageTable table(env, g_ttbr1_root);
    return table.query(va);
}

ErrorOr<void> unmap_kernel(VirtAddr va, uint64_t size, void (*on_unmapped)(PhysAddr pa, uint64_t size)) {
    auto env = live_env();
    KernelPageTable table(env, g_ttbr1_root);
    return table.unmap(va, size, [&](VirtAddr, PhysAddr pa, uint64_t bytes) {
        if (on_unmapped)
            on_unmapped(pa, bytes);
    });
}

ErrorOr<void> protect_kernel(VirtAddr va, uint64_t size, uint32_t flags) {
    auto env = live_env();
    KernelPageTable table(env, g_ttbr1_root);
    return table.protect(va, size, flags);
}

BootTablePoolStats boot_table_pool_stats() { return { g_pool_used, k_pool_pages }; }

mm::PhysicalSpan retire_kernel_test_code() {
    auto start = reinterpret_cast<uint64_t>(__ktest_text_start);
    uint64_t size = reinterpret_cast<uint64_t>(__ktest_text_end) - start;
    // The image is mapped with pages (no block to split): nothing to allocate.
    if (size == 0 || unmap_kernel(start, size, nullptr).is_error())
        return {};
    return { start + (g_kernel_phys - mm::k_kernel_virtual_base), size };
}

mm::PhysicalSpan retire_boot_table_pool() {
    g_pool_retired = true;  // BootTableEnv::allocate_table now fails instead of handing out PMM pages
    uint64_t virt = reinterpret_cast<uint64_t>(g_pool[g_pool_used]);
    return { virt + (g_kernel_phys - mm::k_kernel_virtual_base), (k_pool_pages - g_pool_used) * mm::k_page_size };
}

}  // namespace akuma::arch
