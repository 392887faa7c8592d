// In-kernel micro-benchmarks, run with the `bench` boot argument (see
// `./akuma bench`). Each benchmark reports virtual nanoseconds per
// operation; under QEMU -icount shift=0 one virtual nanosecond is one guest
// instruction, which is how the figures in docs/PERFORMANCE.md are taken.
//
//   KBENCH(heap_16, "heap alloc+free 16 B") {
//       for (uint64_t i = 0; i < iterations; ++i) { ... }
//   }
#pragma once

#include <cstdint>
#include <string_view>

namespace akuma::kbench {

struct Benchmark {
    const char* name;
    void (*function)(uint64_t iterations);
    uint64_t iterations;
};

// Runs every benchmark whose name contains `filter`.
void run_benchmarks(std::string_view filter);

}  // namespace akuma::kbench

#define KBENCH(id, name, iterations_count)                                                                 \
    static void kbench_function_##id(uint64_t);                                                            \
    [[gnu::used, gnu::section(".kbench")]] static constexpr ::akuma::kbench::Benchmark kbench_##id {        \
        name, kbench_function_##id, iterations_count                                                       \
    };                                                                                                     \
    static void kbench_function_##id([[maybe_unused]] uint64_t iterations)
