// Kernel virtual address map (TTBR1, upper half). See docs/MEMORY_LAYOUT.md.
#pragma once

#include <cstdint>

namespace akuma::mm {

// All RAM, mapped at PA + k_linear_map_base (Normal, RW, NX).
constexpr uint64_t k_linear_map_base = 0xffff000000000000ull;
constexpr uint64_t k_linear_map_limit = 0xffff800000000000ull;
// Kernel virtual memory: page-granular mappings of fresh pages (vm_allocate),
// each followed by an unmapped guard page.
constexpr uint64_t k_kernel_vm_base = 0xffff800000000000ull;
constexpr uint64_t k_kernel_vm_size = 1ull << 40;
// Kernel stacks: 2 * KERNEL_STACK_SIZE slots, lower half an unmapped guard.
constexpr uint64_t k_kernel_stacks_base = 0xffff900000000000ull;
constexpr uint64_t k_kernel_stacks_size = 1ull << 36;
// Device MMIO windows, handed out upward by mmio_map() (Device-nGnRE, NX).
constexpr uint64_t k_mmio_base = 0xffffffff00000000ull;
constexpr uint64_t k_mmio_limit = 0xffffffff7f000000ull;
// The device tree blob, mapped read-only by the boot code before the MMU is on.
constexpr uint64_t k_dtb_window = 0xffffffff7f000000ull;
constexpr uint64_t k_dtb_window_size = 2ull << 20;  // Linux boot protocol: DTB <= 2 MiB
// The kernel image, as linked (kernel.ld).
constexpr uint64_t k_kernel_virtual_base = 0xffffffff80000000ull;

}  // namespace akuma::mm
