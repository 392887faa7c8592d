#include "kernel/tests/crashtest.h"

#include <cstdint>

#include "kernel/debug/panic.h"
#include "kernel/lib/kprint.h"

// Each crash lives in its own non-inlined function so the report can be
// checked for the function's name. extern "C" keeps the names simple.
extern "C" {

[[gnu::noinline]] void crashtest_null() {
    volatile uint64_t* pointer = nullptr;
    asm volatile("" : "+r"(pointer));  // hide the constant: the compiler may not assume UB
    *pointer = 0x4b4d;
}

[[gnu::noinline]] void crashtest_undef() {
    asm volatile(".inst 0x00000000");  // UDF #0: permanently undefined
}

[[gnu::noinline]] void crashtest_brk() {
    asm volatile("brk #0x4b4d");
}

// Recurses with a frame big enough that the guard page is reached quickly.
[[gnu::noinline]] uint64_t crashtest_stack_recurse(uint64_t depth) {
    volatile uint8_t frame[512];
    frame[0] = static_cast<uint8_t>(depth);
    if (depth == UINT64_MAX)  // never: keeps the recursion formally finite
        return frame[0];
    return crashtest_stack_recurse(depth + 1) + frame[0];
}

[[gnu::noinline]] void crashtest_stack() {
    crashtest_stack_recurse(0);
}

[[gnu::noinline]] void crashtest_wx() {
    // Writing to our own code must fault: text is mapped read-only.
    auto* text = reinterpret_cast<volatile uint32_t*>(&crashtest_wx);
    *text = 0xd503201f;  // NOP
}

[[gnu::noinline]] void crashtest_panic() {
    akuma::panic("crashtest: deliberate panic ({})", 42);
}

}  // extern "C"

namespace akuma::ktest {

void run_crashtest(std::string_view kind) {
    struct Crash {
        std::string_view name;
        void (*trigger)();
    };
    static constexpr Crash crashes[] = {
        { "null", crashtest_null },
        { "undef", crashtest_undef },
        { "brk", crashtest_brk },
        { "panic", crashtest_panic },
        { "stack", crashtest_stack },
        { "wx", crashtest_wx },
    };
    for (auto& crash : crashes) {
        if (crash.name == kind) {
            kprintln("[Crashtest] triggering '{}'", kind);
            crash.trigger();
            kprintln("[Crashtest] '{}' did not crash", kind);
            return;
        }
    }
    kprint("[Crashtest] unknown kind '{}'; known:", kind);
    for (auto& crash : crashes)
        kprint(" {}", crash.name);
    kprintln("");
}

}  // namespace akuma::ktest
