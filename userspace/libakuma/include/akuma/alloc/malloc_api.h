// The C allocation functions' semantics (glibc's where the standard leaves a
// choice) over any libakuma allocator, so they are host-testable apart from
// the symbol definitions in src/malloc.cpp. An Allocator provides
//
//   void* allocate(size_t size, size_t alignment);  // alignment: power of two >= 16
//   void* allocate_zeroed(size_t size);
//   void deallocate(void* pointer);                 // non-null
//   void* reallocate(void* pointer, size_t size);   // non-null, size > 0; nullptr keeps the block
//   size_t usable_size(const void* pointer);        // non-null
//
// and returns nullptr when out of memory; errno is set here only.
#pragma once

#include <cerrno>

#include "akuma/alloc/common.h"

namespace akuma::user {

template <typename Allocator>
void* api_malloc(Allocator& allocator, size_t size) {
    void* pointer = size <= k_max_request ? allocator.allocate(size, k_min_alignment) : nullptr;
    if (!pointer)
        errno = ENOMEM;
    return pointer;
}

template <typename Allocator>
void api_free(Allocator& allocator, void* pointer) {
    if (pointer)
        allocator.deallocate(pointer);
}

template <typename Allocator>
void* api_calloc(Allocator& allocator, size_t count, size_t size) {
    size_t total;
    void* pointer = nullptr;
    if (!__builtin_mul_overflow(count, size, &total) && total <= k_max_request)
        pointer = allocator.allocate_zeroed(total);
    if (!pointer)
        errno = ENOMEM;
    return pointer;
}

// glibc: realloc(nullptr, n) is malloc(n); realloc(p, 0) frees p and
// returns nullptr; on failure p is left alone.
template <typename Allocator>
void* api_realloc(Allocator& allocator, void* pointer, size_t size) {
    if (!pointer)
        return api_malloc(allocator, size);
    if (size == 0) {
        allocator.deallocate(pointer);
        return nullptr;
    }
    void* moved = size <= k_max_request ? allocator.reallocate(pointer, size) : nullptr;
    if (!moved)
        errno = ENOMEM;
    return moved;
}

template <typename Allocator>
void* aligned_or_enomem(Allocator& allocator, size_t alignment, size_t size) {
    if (alignment < k_min_alignment)
        alignment = k_min_alignment;
    void* pointer = size <= k_max_request ? allocator.allocate(size, alignment) : nullptr;
    if (!pointer)
        errno = ENOMEM;
    return pointer;
}

// C17/C23 and glibc >= 2.38: the alignment must be a power of two.
template <typename Allocator>
void* api_aligned_alloc(Allocator& allocator, size_t alignment, size_t size) {
    if (!is_power_of_two(alignment)) {
        errno = EINVAL;
        return nullptr;
    }
    return aligned_or_enomem(allocator, alignment, size);
}

// glibc: a non-power-of-two alignment is rounded up to one; one above
// SIZE_MAX / 2 + 1 cannot be and is EINVAL.
template <typename Allocator>
void* api_memalign(Allocator& allocator, size_t alignment, size_t size) {
    if (alignment > ~size_t(0) / 2 + 1) {
        errno = EINVAL;
        return nullptr;
    }
    if (!is_power_of_two(alignment))
        alignment = alignment == 0 ? 1 : size_t(1) << (64 - __builtin_clzll(alignment));
    return aligned_or_enomem(allocator, alignment, size);
}

// POSIX: EINVAL unless a power-of-two multiple of sizeof(void*); errors are
// returned, not stored in errno, and *out is untouched on failure.
template <typename Allocator>
int api_posix_memalign(Allocator& allocator, void** out, size_t alignment, size_t size) {
    if (!is_power_of_two(alignment) || alignment % sizeof(void*))
        return EINVAL;
    if (alignment < k_min_alignment)
        alignment = k_min_alignment;
    void* pointer = size <= k_max_request ? allocator.allocate(size, alignment) : nullptr;
    if (!pointer)
        return ENOMEM;
    *out = pointer;
    return 0;
}

template <typename Allocator>
void* api_valloc(Allocator& allocator, size_t size) {
    return aligned_or_enomem(allocator, k_page_size, size);
}

// glibc: the size is rounded up to whole pages.
template <typename Allocator>
void* api_pvalloc(Allocator& allocator, size_t size) {
    size_t rounded;
    if (add_overflows(size, k_page_size - 1, &rounded)) {
        errno = ENOMEM;
        return nullptr;
    }
    return aligned_or_enomem(allocator, k_page_size, align_down(rounded, k_page_size));
}

template <typename Allocator>
size_t api_usable_size(Allocator& allocator, void* pointer) {
    return pointer ? allocator.usable_size(pointer) : 0;
}

} // namespace akuma::user
