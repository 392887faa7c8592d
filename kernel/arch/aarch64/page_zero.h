// Zeroing whole 4 KiB pages: every demand-zero fault, new page table and
// kernel VM page pays for it, so it uses DC ZVA (one instruction zeroes a
// whole block, 64 bytes on Cortex-A53/A57/A72/A76) when the CPU allows it.
#pragma once

namespace akuma::arch {

// Reads DCZID_EL0. Until it has run, zero_page() uses plain stores.
void page_zero_init();

// Zeroes the page at `page` (page-aligned, Normal cacheable memory such as
// the linear map: DC ZVA faults on Device memory).
void zero_page(void* page);

// Bytes one DC ZVA zeroes; 0 if the kernel does not use it (prohibited,
// or a block size that does not divide a page into at least 4 blocks).
unsigned zero_block_bytes();

// Zeroes the page with ordinary stores, never DC ZVA. For pages that held
// code: QEMU's TCG forgets the code it translated from a page only for the
// bytes that stores cover, and it checks a DC ZVA at the block's first byte
// only (docs/PERFORMANCE.md, "Wall clock under TCG").
void zero_page_by_stores(void* page);

}  // namespace akuma::arch
