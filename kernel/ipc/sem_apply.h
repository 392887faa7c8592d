// semop's all-or-nothing step (Linux's perform_atomic_semop), apart from the
// semaphore sets so that host tests can check it. The operations are
// applied in order to the values (and, for SEM_UNDO ones, to the caller's
// adjustments); the first one that cannot proceed undoes those before it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel/ipc/ipc_abi.h"

namespace akuma::ipc {

enum class SemOutcome : uint8_t {
    Done,        // every operation applied
    WouldBlock,  // sleep until the set changes (`blocking` says on what)
    TryAgain,    // would block, and that operation has IPC_NOWAIT (EAGAIN)
    OutOfRange,  // a value past SEMVMX or an adjustment past SEMAEM (ERANGE)
};

struct SemResult {
    SemOutcome outcome;
    size_t blocking;  // the operation that could not proceed
};

// `values` has an entry for every sem_num in `ops` (checked by the caller);
// `adjustments` likewise, and may be null if no operation has SEM_UNDO.
inline SemResult apply_semaphore_operations(int32_t* values, int16_t* adjustments, const SemBuf* ops, size_t count) {
    size_t done = 0;
    SemResult result { SemOutcome::Done, 0 };
    for (; done < count; ++done) {
        const SemBuf& op = ops[done];
        int32_t value = values[op.sem_num];
        if ((op.sem_op == 0 && value != 0) || value + op.sem_op < 0) {
            result = { (op.sem_flg & k_ipc_nowait) ? SemOutcome::TryAgain : SemOutcome::WouldBlock, done };
            break;
        }
        if (value + op.sem_op > k_semvmx) {
            result = { SemOutcome::OutOfRange, done };
            break;
        }
        if (op.sem_flg & k_sem_undo) {
            int32_t adjustment = adjustments[op.sem_num] - op.sem_op;
            if (adjustment < -k_semaem - 1 || adjustment > k_semaem) {
                result = { SemOutcome::OutOfRange, done };
                break;
            }
            adjustments[op.sem_num] = static_cast<int16_t>(adjustment);
        }
        values[op.sem_num] = value + op.sem_op;
    }
    if (result.outcome == SemOutcome::Done)
        return result;
    while (done-- > 0) {  // undo, latest first
        const SemBuf& op = ops[done];
        values[op.sem_num] -= op.sem_op;
        if (op.sem_flg & k_sem_undo)
            adjustments[op.sem_num] = static_cast<int16_t>(adjustments[op.sem_num] + op.sem_op);
    }
    return result;
}

}  // namespace akuma::ipc
