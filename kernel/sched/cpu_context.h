// Saved CPU state of a thread that is not running (context_switch.S).
#pragma once

#include <cstddef>
#include <cstdint>

namespace akuma::sched {

struct CpuContext {
    uint64_t x19_to_x28[10];
    uint64_t fp;  // x29
    uint64_t lr;  // x30: where switch_context returns to
    uint64_t sp;
};
static_assert(offsetof(CpuContext, fp) == 80 && offsetof(CpuContext, sp) == 96);

// FP/SIMD registers of a thread that uses them (user threads; kernel code is
// built with -mgeneral-regs-only and never touches them).
struct alignas(16) FpState {
    __uint128_t v[32];
    uint64_t fpcr;
    uint64_t fpsr;
};
static_assert(sizeof(FpState) == 528);

}  // namespace akuma::sched

extern "C" void switch_context(akuma::sched::CpuContext* from, akuma::sched::CpuContext* to);
extern "C" void thread_trampoline();
extern "C" void fp_state_save(akuma::sched::FpState* state);
extern "C" void fp_state_restore(const akuma::sched::FpState* state);
