// Pieces shared by libakuma's allocators. The allocators are templates over
// a PageSource so the same code runs on Akuma (raw syscalls) and in host
// tests (real mmap plus an emulated brk). A PageSource provides:
//
//   void* map(size_t bytes);                 // anonymous, RW, zero-filled, page-aligned; nullptr on failure
//   void unmap(void* address, size_t bytes); // page-aligned range inside earlier maps
//   bool protect(void* address, size_t bytes, Protection protection);
//   uintptr_t current_break();               // brk(0)
//   uintptr_t set_break(uintptr_t address);  // brk(address): the new break, or the old one on failure
//   [[noreturn]] void fatal(const char* what, const void* address); // heap corruption, misuse
//
// All sizes passed to map/unmap/protect are multiples of k_page_size.
#pragma once

#include <cstddef>
#include <cstdint>

namespace akuma::user {

// glibc's malloc alignment on AArch64 (alignof(max_align_t)).
inline constexpr size_t k_min_alignment = 16;
// 4 KiB granule: what Akuma and Debian's arm64 kernel use.
inline constexpr size_t k_page_size = 4096;
// glibc rejects requests above PTRDIFF_MAX so pointer differences stay defined.
inline constexpr size_t k_max_request = static_cast<size_t>(PTRDIFF_MAX);

enum class Protection { None, Read, ReadWrite };

constexpr bool is_power_of_two(size_t value) { return value != 0 && (value & (value - 1)) == 0; }

// align must be a power of two; callers keep value + align - 1 in range.
constexpr size_t align_up(size_t value, size_t align) { return (value + align - 1) & ~(align - 1); }
constexpr size_t align_down(size_t value, size_t align) { return value & ~(align - 1); }

inline uintptr_t to_address(const void* pointer) { return reinterpret_cast<uintptr_t>(pointer); }
inline void* to_pointer(uintptr_t address) { return reinterpret_cast<void*>(address); }

// Overflow-checked addition for size computations on untrusted sizes.
constexpr bool add_overflows(size_t a, size_t b, size_t* sum) { return __builtin_add_overflow(a, b, sum); }

// Maps `bytes` (a page multiple) so that `base + offset` is a multiple of
// `align` (a power of two >= k_page_size; offset a page multiple): maps
// bytes + align, then unmaps the unused head and tail. Returns the base of
// the kept range, or 0.
template <typename PageSource>
uintptr_t map_with_aligned_point(PageSource& source, size_t bytes, size_t align, size_t offset) {
    size_t total;
    if (add_overflows(bytes, align, &total))
        return 0;
    void* raw_pointer = source.map(total);
    if (!raw_pointer)
        return 0;
    uintptr_t raw = to_address(raw_pointer);
    uintptr_t point = (raw + offset + align - 1) & ~(static_cast<uintptr_t>(align) - 1);
    uintptr_t base = point - offset;
    if (base > raw)
        source.unmap(raw_pointer, base - raw);
    uintptr_t end = base + bytes;
    if (raw + total > end)
        source.unmap(to_pointer(end), raw + total - end);
    return base;
}

} // namespace akuma::user
