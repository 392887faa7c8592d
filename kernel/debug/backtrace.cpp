#include "kernel/debug/backtrace.h"

#include "kernel/arch/aarch64/kernel_page_tables.h"
#include "kernel/debug/symbols.h"
#include "kernel/lib/kprint.h"

namespace akuma::debug {

namespace {

// A frame record must be 16-byte aligned and lie in mapped, writable kernel
// memory (any kernel stack); checking the tables means a garbage frame
// pointer ends the walk instead of faulting inside the crash report.
bool is_plausible_frame(uint64_t fp) {
    if (fp == 0 || (fp & 15) != 0)
        return false;
    auto translation = arch::query_kernel(fp);
    return translation && (translation->flags & mm::k_page_write) && !(translation->flags & mm::k_page_device);
}

}  // namespace

void print_backtrace(uint64_t fp, unsigned index, unsigned max_frames) {
    uint64_t previous = 0;
    unsigned repeats = 0;  // deep recursion prints one line, not 32 identical ones
    auto flush_repeats = [&] {
        if (repeats > 0)
            kprintln("  ... the same frame {} more time(s)", repeats);
        repeats = 0;
    };
    // Frame pointers strictly increase inside mapped memory, so the walk ends;
    // the raw-frame cap only bounds the time spent on a pathological chain.
    constexpr unsigned k_max_raw_frames = 8192;
    unsigned printed = 0;
    for (unsigned count = 0; count < k_max_raw_frames && printed < max_frames && is_plausible_frame(fp); ++count) {
        auto* record = reinterpret_cast<const uint64_t*>(fp);
        uint64_t return_address = record[1];
        if (return_address == 0)
            break;
        if (return_address == previous) {
            ++repeats;
            ++index;
        } else {
            flush_repeats();
            // The return address points after the call; report the call itself.
            kprintln("  #{:<2} {}", index++, SymbolizedAddress { return_address - 4 });
            ++printed;
            previous = return_address;
        }
        uint64_t caller_fp = record[0];
        if (caller_fp <= fp)  // stacks grow down: callers live higher
            break;
        fp = caller_fp;
    }
    flush_repeats();
}

}  // namespace akuma::debug
