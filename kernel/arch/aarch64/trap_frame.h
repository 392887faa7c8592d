// Register state saved by the exception vectors (vectors.S). The layout is
// shared with the assembly: keep the offsets in sync.
#pragma once

#include <cstddef>
#include <cstdint>

namespace akuma::arch {

struct TrapFrame {
    uint64_t x[31];  // x0..x30 (x29 = frame pointer, x30 = link register)
    uint64_t sp;     // stack pointer of the interrupted context
    uint64_t elr;    // ELR_EL1: where the exception was taken
    uint64_t spsr;   // SPSR_EL1
    uint64_t esr;    // ESR_EL1: syndrome
    uint64_t far;    // FAR_EL1: faulting address (aborts)
};
static_assert(sizeof(TrapFrame) == 288);
static_assert(offsetof(TrapFrame, elr) == 256);

// Which of the 16 vector table entries was taken (ARM ARM D1.10.2).
enum class VectorKind : uint64_t {
    CurrentSp0Sync = 0, CurrentSp0Irq, CurrentSp0Fiq, CurrentSp0SError,
    CurrentSpxSync, CurrentSpxIrq, CurrentSpxFiq, CurrentSpxSError,
    Lower64Sync, Lower64Irq, Lower64Fiq, Lower64SError,
    Lower32Sync, Lower32Irq, Lower32Fiq, Lower32SError,
    // Not a hardware entry: the EL1h sync entry found SP in a guard page.
    KernelStackOverflow,
};

const char* vector_kind_name(VectorKind kind);

}  // namespace akuma::arch
