#include "kernel/mm/kmalloc.h"
#include "kernel/mm/tests/heap_early_probe.h"
#include "kernel/tests/ktest.h"

namespace akuma::mm {

namespace {

struct EarlyObject {
    uint8_t* pointer;
    size_t size;
};

constexpr size_t k_probe_sizes[] = { 16, 200, 3000, 40000 };
EarlyObject g_early_objects[std::size(k_probe_sizes)];
HeapMode g_mode_at_allocation = HeapMode::Uninitialized;

uint8_t pattern(size_t object, size_t index) { return static_cast<uint8_t>(object * 31 + index * 7 + 1); }

}  // namespace

void heap_early_probe_allocate() {
    g_mode_at_allocation = heap_mode();
    for (size_t i = 0; i < std::size(k_probe_sizes); ++i) {
        auto* bytes = static_cast<uint8_t*>(kmalloc(k_probe_sizes[i]));
        g_early_objects[i] = { bytes, k_probe_sizes[i] };
        for (size_t j = 0; bytes && j < k_probe_sizes[i]; ++j)
            bytes[j] = pattern(i, j);
    }
}

}  // namespace akuma::mm

using namespace akuma;
using namespace akuma::mm;

// Frees memory allocated before the suite started: exempt from the per-test
// leak check (the runner still accounts for it in the suite total).
KTEST_NO_LEAK_CHECK(heap_early_pointers, "Allocator: early-mode pointers stay valid after the switch") {
    if (g_mode_at_allocation != HeapMode::Early)
        KFAIL("probe objects were not allocated in early mode (mode {})", static_cast<int>(g_mode_at_allocation));
    KEXPECT(heap_mode() != HeapMode::Early);
    auto arena = heap_early_arena();
    auto* arena_begin = static_cast<const uint8_t*>(arena.base);
    for (size_t i = 0; i < std::size(g_early_objects); ++i) {
        auto& object = g_early_objects[i];
        KEXPECT(object.pointer != nullptr);
        KEXPECT(object.pointer >= arena_begin && object.pointer < arena_begin + arena.size);
        for (size_t j = 0; j < object.size; ++j)
            KEXPECT_EQ(object.pointer[j], pattern(i, j));
    }
    // Growing an early object moves it into page mode with its contents.
    auto& grown = g_early_objects[1];
    auto* moved = static_cast<uint8_t*>(krealloc(grown.pointer, 5000));
    KEXPECT(moved != nullptr);
    for (size_t j = 0; j < grown.size; ++j)
        KEXPECT_EQ(moved[j], pattern(1, j));
    grown.pointer = moved;
    for (auto& object : g_early_objects) {
        kfree(object.pointer);
        object.pointer = nullptr;
    }
}
