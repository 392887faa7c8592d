// Futexes from the kernel side: the wake-up that must not be lost.
#include "kernel/arch/aarch64/timer.h"
#include "kernel/arch/aarch64/user_mode.h"
#include "kernel/mm/user_access.h"
#include "kernel/proc/address_space.h"
#include "kernel/proc/futex.h"
#include "kernel/sched/scheduler.h"
#include "kernel/tests/ktest.h"

using namespace akuma;
using namespace akuma::proc;

namespace {

AddressSpace* g_space = nullptr;
uint64_t g_word = 0;
uint64_t g_woken_by_hook = 0;

// What another thread could do while the waiter is between reading the
// word and sleeping: change the word and wake the futex.
void waker_in_the_window() {
    (void)mm::write_user(mm::UserPtr<uint32_t>(g_word), 0u);
    g_woken_by_hook = futex_wake(g_space, g_word, 1);
}

}  // namespace

KTEST(futex_wake_in_window_not_lost,
      "Futex: a wake between the waiter's read of the word and its sleep is not lost") {
    auto space = AddressSpace::create();
    KEXPECT(!space.is_error());
    auto start = space.value()->map({ 0, mm::k_page_size, mm::k_prot_read | mm::k_prot_write, MapPlacement::Anywhere,
                                      mm::VmaKind::Anonymous, nullptr, 0, 0 });
    KEXPECT(!start.is_error());
    g_space = space.value();
    g_word = start.value();
    const char* reason = nullptr;  // no process here to demand-page for: map the page now
    KEXPECT(!space.value()->handle_fault(g_word, FaultAccess::Write, &reason).is_error());
    ErrorOr<void> result = Error::IoError;
    {
        sched::PreemptionDisabled no_preemption;  // keep this TTBR0 loaded
        arch::switch_user_translation(space.value()->ttbr0());
        KEXPECT(!mm::write_user(mm::UserPtr<uint32_t>(g_word), 1u).is_error());
        futex_wait_window_hook = waker_in_the_window;
        // Expecting 1: the waker has set 0 by the time the waiter would
        // sleep, so the waiter must not sleep (its 50 ms timeout would show it).
        result = futex_wait(space.value(), g_word, 1, arch::monotonic_ns() + 50'000'000);
        futex_wait_window_hook = nullptr;
        arch::switch_user_translation(0);
    }
    AddressSpace::destroy(space.value());
    bool slept_through_the_wake = result.is_error() && result.error() == Error::TimedOut;
    KEXPECT(!slept_through_the_wake);
    KEXPECT_EQ(g_woken_by_hook, 1u);  // the waiter was already findable when the waker ran
}
