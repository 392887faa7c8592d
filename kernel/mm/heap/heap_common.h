// Types and helpers shared by the kernel heap's allocators: corruption
// reports, debug patterns, alignment arithmetic. Hardware-independent: the
// same source is compiled into the kernel and into the host tests.
#pragma once

#include <cstddef>
#include <cstdint>

namespace akuma {

inline constexpr size_t k_heap_page_size = 4096;
// What an allocation gets when the caller does not ask (max_align_t).
inline constexpr size_t k_heap_default_alignment = 16;

// Debug-mode patterns. Distinct values so a hex dump says which state a
// byte was in: 0xF5 "freed", 0xFD "fence" (redzone), 0xA5 "allocated but
// not yet written".
inline constexpr uint8_t k_heap_free_poison = 0xF5;
inline constexpr uint8_t k_heap_redzone_byte = 0xFD;
inline constexpr uint8_t k_heap_fresh_byte = 0xA5;
// Every debug-mode object has at least this many redzone bytes after it.
inline constexpr size_t k_heap_min_redzone = 16;

enum class HeapCorruptionKind : uint8_t {
    DoubleFree, // the object is already free
    InvalidFree, // not the start of a live object (or not heap memory)
    RedzoneOverwrite, // a byte after the requested size was changed
    WriteAfterFree, // a poisoned free byte was changed before reuse
    HeaderCorrupt, // allocator metadata failed its consistency check
};

constexpr const char* heap_corruption_name(HeapCorruptionKind kind) {
    switch (kind) {
    case HeapCorruptionKind::DoubleFree:
        return "double free";
    case HeapCorruptionKind::InvalidFree:
        return "invalid free";
    case HeapCorruptionKind::RedzoneOverwrite:
        return "redzone overwrite";
    case HeapCorruptionKind::WriteAfterFree:
        return "write after free";
    case HeapCorruptionKind::HeaderCorrupt:
        return "header corrupt";
    }
    return "?";
}

struct HeapCorruption {
    HeapCorruptionKind kind;
    const void* address; // the object (or the pointer passed to free)
    size_t size_class; // slab slot size, 0 for arena/large objects
    ptrdiff_t offset; // first bad byte relative to address (may be < 0
                      // for arena metadata in front of the object)
    uint8_t expected; // pattern byte expected there (0 if not a pattern)
    uint8_t found; // the byte found
};

using HeapCorruptionHandler = void (*)(const HeapCorruption&);

// The debug switches and report hook, shared by reference by the allocators.
struct HeapDebug {
    bool enabled = false;
    HeapCorruptionHandler on_corruption = nullptr;

    void report(HeapCorruptionKind kind, const void* address, size_t size_class = 0, ptrdiff_t offset = 0,
        uint8_t expected = 0, uint8_t found = 0) const {
        if (on_corruption)
            on_corruption(HeapCorruption { kind, address, size_class, offset, expected, found });
    }
};

constexpr bool is_power_of_two(size_t value) {
    return value && !(value & (value - 1));
}

// Rounds up to a power-of-two multiple; false on overflow.
constexpr bool align_up_checked(size_t value, size_t alignment, size_t& out) {
    size_t mask = alignment - 1;
    if (value > SIZE_MAX - mask)
        return false;
    out = (value + mask) & ~mask;
    return true;
}

constexpr size_t align_up(size_t value, size_t alignment) {
    return (value + alignment - 1) & ~(alignment - 1);
}

// Largest block the heap ever asks its backend for (2^k_heap_max_order pages).
inline constexpr unsigned k_heap_max_order = 30;

// Smallest order with (k_heap_page_size << order) >= bytes; callers check
// the result against k_heap_max_order.
constexpr unsigned page_order_for(size_t bytes) {
    unsigned order = 0;
    while (order <= k_heap_max_order && (k_heap_page_size << order) < bytes)
        ++order;
    return order;
}

// First index in [0, count) whose byte differs from pattern, or count.
inline size_t find_mismatch(const uint8_t* bytes, size_t count, uint8_t pattern) {
    size_t i = 0;
    // Word-at-a-time while aligned: debug mode verifies every freed byte.
    uint64_t wide = 0x0101010101010101ull * pattern;
    while (i < count && (reinterpret_cast<uintptr_t>(bytes + i) & 7))
        if (bytes[i] != pattern)
            return i;
        else
            ++i;
    for (; i + 8 <= count; i += 8) {
        uint64_t word;
        __builtin_memcpy(&word, bytes + i, 8);
        if (word != wide)
            break;
    }
    for (; i < count; ++i)
        if (bytes[i] != pattern)
            return i;
    return count;
}

} // namespace akuma
