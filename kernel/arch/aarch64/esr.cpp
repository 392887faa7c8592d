#include "kernel/arch/aarch64/esr.h"

namespace akuma::arch {

const char* exception_class_name(uint32_t ec) {
    switch (ec) {
    case 0x00: return "Unknown reason (undefined instruction)";
    case 0x01: return "Trapped WFI/WFE";
    case 0x03: return "Trapped MCR/MRC (coproc 15)";
    case 0x04: return "Trapped MCRR/MRRC (coproc 15)";
    case 0x05: return "Trapped MCR/MRC (coproc 14)";
    case 0x06: return "Trapped LDC/STC";
    case 0x07: return "Trapped SVE/SIMD/FP access";
    case 0x0c: return "Trapped MRRC (coproc 14)";
    case 0x0d: return "Branch Target Exception";
    case 0x0e: return "Illegal Execution state";
    case 0x11: return "SVC (AArch32)";
    case 0x15: return "SVC (AArch64)";
    case 0x16: return "HVC (AArch64)";
    case 0x17: return "SMC (AArch64)";
    case 0x18: return "Trapped MSR/MRS/system instruction";
    case 0x19: return "Trapped SVE access";
    case 0x1c: return "Pointer authentication failure";
    case 0x20: return "Instruction Abort (lower EL)";
    case 0x21: return "Instruction Abort (same EL)";
    case 0x22: return "PC alignment fault";
    case 0x24: return "Data Abort (lower EL)";
    case 0x25: return "Data Abort (same EL)";
    case 0x26: return "SP alignment fault";
    case 0x28: return "Trapped FP exception (AArch32)";
    case 0x2c: return "Trapped FP exception (AArch64)";
    case 0x2f: return "SError interrupt";
    case 0x30: return "Breakpoint (lower EL)";
    case 0x31: return "Breakpoint (same EL)";
    case 0x32: return "Software Step (lower EL)";
    case 0x33: return "Software Step (same EL)";
    case 0x34: return "Watchpoint (lower EL)";
    case 0x35: return "Watchpoint (same EL)";
    case 0x38: return "BKPT (AArch32)";
    case 0x3c: return "BRK instruction (AArch64)";
    default: return "Reserved/unrecognised exception class";
    }
}

AbortInfo decode_abort(uint64_t esr) {
    uint32_t iss = esr_iss(esr);
    uint32_t status = iss & 0x3f;
    AbortInfo info { FaultKind::Other, -1, false, true, status };
    uint32_t ec = esr_exception_class(esr);
    if (ec == exception_class::k_data_abort_lower || ec == exception_class::k_data_abort_same)
        // WnR; cache maintenance (CM) also sets WnR but only reads, as
        // Linux treats it.
        info.is_write = ((iss >> 6) & 1) && !((iss >> 8) & 1);
    info.far_valid = !((iss >> 10) & 1); // FnV

    uint32_t group = status >> 2;
    int level = static_cast<int>(status & 3);
    switch (group) {
    case 0x0: info.kind = FaultKind::AddressSize; info.level = level; break;
    case 0x1: info.kind = FaultKind::Translation; info.level = level; break;
    case 0x2: info.kind = FaultKind::AccessFlag; info.level = level; break;
    case 0x3: info.kind = FaultKind::Permission; info.level = level; break;
    case 0x5: info.kind = FaultKind::SyncExternalOnWalk; info.level = level; break;
    default:
        if (status == 0x10)
            info.kind = FaultKind::SyncExternal;
        else if (status == 0x21)
            info.kind = FaultKind::Alignment;
        else if (status == 0x30)
            info.kind = FaultKind::TlbConflict;
        break;
    }
    return info;
}

const char* fault_kind_name(FaultKind kind) {
    switch (kind) {
    case FaultKind::AddressSize: return "address size fault";
    case FaultKind::Translation: return "translation fault";
    case FaultKind::AccessFlag: return "access flag fault";
    case FaultKind::Permission: return "permission fault";
    case FaultKind::SyncExternal: return "synchronous external abort";
    case FaultKind::SyncExternalOnWalk: return "synchronous external abort on table walk";
    case FaultKind::Alignment: return "alignment fault";
    case FaultKind::TlbConflict: return "TLB conflict abort";
    case FaultKind::Other: return "other fault";
    }
    return "?";
}

}  // namespace akuma::arch
