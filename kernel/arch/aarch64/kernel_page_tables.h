// The kernel's translation tables (TTBR1): built by the boot code before the
// MMU is on, then extended at runtime (linear map of RAM, device windows).
// Until the physical memory manager exists, table pages come from a fixed
// pool inside .bss; after that from the PMM. Not yet locked: callers run
// before other CPUs and threads exist (the scheduler issue adds a lock).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "kernel/lib/error_or.h"
#include "kernel/mm/page_table.h"
#include "kernel/mm/physical_ranges.h"

namespace akuma::arch {

// Physical address the boot loader put the kernel at.
uint64_t kernel_physical_base();

// Where the boot code mapped the DTB (0 if x0 held no valid DTB), and its size.
uint64_t dtb_virtual_address();
size_t dtb_size();

// Maps [va, va+size) -> [pa, ...) in the live kernel tables. Only new
// mappings (invalid -> valid) so no break-before-make is needed.
ErrorOr<void> map_kernel(mm::VirtAddr va, mm::PhysAddr pa, uint64_t size, uint32_t flags, bool allow_blocks);

// Maps a RAM range into the linear map (PA + k_linear_map_base), RW+NX.
ErrorOr<void> map_linear_ram(mm::PhysAddr base, uint64_t size);

// Maps device registers; returns the virtual address of `pa`.
ErrorOr<uintptr_t> mmio_map(mm::PhysAddr pa, uint64_t size);

std::optional<mm::Translation> query_kernel(mm::VirtAddr va);

// Removes mappings (break-before-make, TLB invalidated, empty tables freed);
// on_unmapped (may be null) gets each removed physical range, e.g. to free it.
ErrorOr<void> unmap_kernel(mm::VirtAddr va, uint64_t size, void (*on_unmapped)(mm::PhysAddr pa, uint64_t size));

// Changes permissions of mapped pages (break-before-make).
ErrorOr<void> protect_kernel(mm::VirtAddr va, uint64_t size, uint32_t flags);

struct BootTablePoolStats {
    size_t used;
    size_t capacity;
};
BootTablePoolStats boot_table_pool_stats();

// Closes the boot table pool (later kernel tables come from the PMM) and
// returns the physical span of its unused pages, which lie inside the
// kernel image's .bss: the PMM hands them out instead of keeping them
// reserved (about 200 KiB at every RAM size). Call once, just before
// pmm_init; from then on until the PMM is ready no kernel table can be
// allocated.
mm::PhysicalSpan retire_boot_table_pool();

// The in-kernel test suite's code (kernel.ld: its own pages at the end of
// .text), when the suite will not run: unmapped from the kernel image and
// returned as a physical span for the PMM to hand out (about 170 KiB).
// Call before retire_boot_table_pool; the suite must not run afterwards.
mm::PhysicalSpan retire_kernel_test_code();

}  // namespace akuma::arch
