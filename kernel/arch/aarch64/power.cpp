#include "kernel/arch/aarch64/power.h"

#include <cstdint>

extern "C" long semihost_call(long operation, const void* parameter_block);
extern "C" long psci_call(uint64_t function, uint64_t arg1, uint64_t arg2, uint64_t arg3, uint64_t use_smc);

namespace akuma::arch {

namespace {
constexpr long k_semihost_sys_exit_extended = 0x20;
constexpr uint64_t k_adp_stopped_application_exit = 0x20026;
constexpr uint64_t k_psci_system_off = 0x84000008;

PsciConduit g_psci_conduit = PsciConduit::None;
}  // namespace

void set_psci_conduit(PsciConduit conduit) { g_psci_conduit = conduit; }

void halt_forever() {
    // Stop the tick first: a pending timer interrupt would end every WFI at
    // once (even with IRQs masked) and keep the host CPU busy.
    asm volatile("msr cntv_ctl_el0, xzr\n msr cntp_ctl_el0, xzr\n isb");
    for (;;)
        asm volatile("msr daifset, #0xf\n wfi");
}

void machine_exit(int status) {
    const uint64_t block[2] = { k_adp_stopped_application_exit, static_cast<uint64_t>(status) };
    semihost_call(k_semihost_sys_exit_extended, block);
    if (g_psci_conduit != PsciConduit::None)
        psci_call(k_psci_system_off, 0, 0, 0, g_psci_conduit == PsciConduit::Smc);
    halt_forever();
}

}  // namespace akuma::arch
