// `crashtest=<kind>` boot argument: fault on purpose so system tests can
// check the crash report. Kinds: null, undef, brk, panic, stack,
// stack-thread, wx,
// uaf-page, uaf-heap, double-free, mutex-unlock, sleep-in-spinlock.
#pragma once

#include <string_view>

namespace akuma::ktest {

// Triggers the named crash. Returns only if the kind is unknown.
void run_crashtest(std::string_view kind);

}  // namespace akuma::ktest
