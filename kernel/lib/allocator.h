// The allocator policy shared by the kernel containers (vector.h, string.h,
// own_ptr.h), so the same container code runs on the kernel heap, on fresh
// page mappings, and on a counting test allocator in host tests.
#pragma once

#include <concepts>
#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace akuma {

// A stateless allocator policy: static functions only. allocate() returns
// nullptr on failure; deallocate() gets the size and alignment the block was
// allocated with.
template <typename A>
concept Allocator = requires(void* pointer, size_t size, size_t align) {
    { A::allocate(size, align) } -> std::same_as<void*>;
    { A::deallocate(pointer, size, align) } -> std::same_as<void>;
};

// Optional extension: reallocate() may move the block; on failure it returns
// nullptr and leaves the old block intact.
template <typename A>
concept ReallocatingAllocator = Allocator<A> && requires(void* pointer, size_t size, size_t align) {
    { A::reallocate(pointer, size, size, align) } -> std::same_as<void*>;
};

// Resizes a block whose contents may be moved with memcpy. A null pointer
// (old_size 0) just allocates. Returns nullptr on failure, leaving the old
// block intact; on success the old block is gone.
template <Allocator A>
void* reallocate_bytes(void* pointer, size_t old_size, size_t new_size, size_t align) {
    if (!pointer)
        return A::allocate(new_size, align);
    if constexpr (ReallocatingAllocator<A>) {
        return A::reallocate(pointer, old_size, new_size, align);
    } else {
        void* moved = A::allocate(new_size, align);
        if (!moved)
            return nullptr;
        __builtin_memcpy(moved, pointer, old_size < new_size ? old_size : new_size);
        A::deallocate(pointer, old_size, align);
        return moved;
    }
}

// Placement construction that also accepts aggregates (clang 14 lacks C++20
// parenthesised aggregate initialisation).
template <typename T, typename... Args>
T* construct_in_place(void* where, Args&&... args) {
    if constexpr (std::is_constructible_v<T, Args...>)
        return new (where) T(std::forward<Args>(args)...);
    else
        return new (where) T {std::forward<Args>(args)...};
}

}  // namespace akuma
