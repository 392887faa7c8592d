#include "kernel/tests/crashtest.h"

#include <cstdint>

#include "kernel/debug/panic.h"
#include "kernel/lib/kprint.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/pmm.h"
#include "kernel/sched/mutex.h"
#include "kernel/sched/scheduler.h"

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

// The same overflow on a thread's own stack (allocated with a guard by
// mm::allocate_kernel_stack): the report names that thread.
uint64_t overflow_thread_entry(void*) {
    return crashtest_stack_recurse(0);
}

[[gnu::noinline]] void crashtest_stack_thread() {
    auto thread = akuma::sched::spawn("overflower", overflow_thread_entry, nullptr);
    if (thread.is_error())
        akuma::panic("crashtest: cannot spawn");
    (void)akuma::sched::join(thread.value());
}

[[gnu::noinline]] void crashtest_wx() {
    // Writing to our own code must fault: text is mapped read-only.
    auto* text = reinterpret_cast<volatile uint32_t*>(&crashtest_wx);
    *text = 0xd503201f;  // NOP
}

// A page written after it was freed: page poisoning catches it when the
// page is handed out again.
[[gnu::noinline]] void crashtest_uaf_page() {
    using namespace akuma::mm;
    auto page = allocate_pages(0, PageOwner::Test);
    if (page.is_error())
        akuma::panic("crashtest: no page");
    free_pages(page.value());
    static_cast<volatile uint64_t*>(phys_to_virt(page.value()))[3] = 0x4b4d;  // the bug
    // Allocate until the freed page comes back (normally at once: the buddy
    // free lists are LIFO); the allocation that hands it out must panic.
    akuma::kprintln("[Crashtest] wrote to freed page {:#x}; allocating it again", page.value());
    for (int i = 0; i < 4096; ++i) {
        auto again = allocate_pages(0, PageOwner::Test);
        if (!again.is_error() && again.value() == page.value())
            break;
    }
}

// A heap object written after kfree: heap poisoning catches it when the
// slot is allocated again.
[[gnu::noinline]] void crashtest_uaf_heap() {
    using namespace akuma::mm;
    auto* object = static_cast<volatile uint8_t*>(kmalloc(64));
    kfree(const_cast<uint8_t*>(object));
    object[10] = 0x41;  // the bug
    akuma::kprintln("[Crashtest] wrote to freed heap object {:#x}; allocating its slot again",
                    reinterpret_cast<uint64_t>(object));
    for (int i = 0; i < 4096; ++i) {
        if (kmalloc(64) == const_cast<uint8_t*>(object))
            break;
    }
}

[[gnu::noinline]] void crashtest_double_free() {
    using namespace akuma::mm;
    void* object = kmalloc(32);
    kfree(object);
    kfree(object);  // the bug
    asm volatile("" ::: "memory");  // no tail call: keep this frame in the backtrace
}

[[gnu::noinline]] void crashtest_mutex_unlock() {
    static akuma::sched::Mutex mutex;
    mutex.unlock();  // the bug: not held
    asm volatile("" ::: "memory");  // no tail call: keep this frame in the backtrace
}

[[gnu::noinline]] void crashtest_sleep_in_spinlock() {
    static constinit akuma::IrqSpinLock lock {};
    akuma::SpinLockGuard guard(lock);
    akuma::sched::yield();  // the bug: blocking with a spinlock held
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
        { "stack-thread", crashtest_stack_thread },
        { "wx", crashtest_wx },
        { "uaf-page", crashtest_uaf_page },
        { "uaf-heap", crashtest_uaf_heap },
        { "double-free", crashtest_double_free },
        { "mutex-unlock", crashtest_mutex_unlock },
        { "sleep-in-spinlock", crashtest_sleep_in_spinlock },
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
