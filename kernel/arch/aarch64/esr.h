// Decoding of ESR_EL1 (exception syndrome) for crash reports.
// Pure functions over integers, so host tests cover them too.
// Reference: ARM ARM D17.2.37 (ESR_EL1), "ISS encoding for an exception
// from a Data Abort / Instruction Abort".
#pragma once

#include <cstdint>

namespace akuma::arch {

namespace exception_class {
constexpr uint32_t k_unknown = 0x00;
constexpr uint32_t k_svc64 = 0x15;
constexpr uint32_t k_instruction_abort_lower = 0x20;
constexpr uint32_t k_instruction_abort_same = 0x21;
constexpr uint32_t k_pc_alignment = 0x22;
constexpr uint32_t k_data_abort_lower = 0x24;
constexpr uint32_t k_data_abort_same = 0x25;
constexpr uint32_t k_sp_alignment = 0x26;
constexpr uint32_t k_brk64 = 0x3c;
}  // namespace exception_class

constexpr uint32_t esr_exception_class(uint64_t esr) { return static_cast<uint32_t>((esr >> 26) & 0x3f); }
constexpr uint32_t esr_iss(uint64_t esr) { return static_cast<uint32_t>(esr & 0x1ffffff); }

constexpr bool is_abort_class(uint32_t ec) {
    return ec == exception_class::k_instruction_abort_lower || ec == exception_class::k_instruction_abort_same
        || ec == exception_class::k_data_abort_lower || ec == exception_class::k_data_abort_same;
}

// Human-readable name of an exception class, e.g. "Data Abort (same EL)".
const char* exception_class_name(uint32_t ec);

enum class FaultKind {
    AddressSize,
    Translation,
    AccessFlag,
    Permission,
    SyncExternal,
    SyncExternalOnWalk,
    Alignment,
    TlbConflict,
    Other,
};

struct AbortInfo {
    FaultKind kind;
    int level;             // translation level 0..3, or -1 when not applicable
    bool is_write;         // WnR (data aborts only)
    bool far_valid;        // FnV clear: FAR holds the faulting address
    uint32_t fault_status; // DFSC/IFSC, 6 bits
};

// Decodes the ISS of an instruction or data abort.
AbortInfo decode_abort(uint64_t esr);

// "translation fault", "permission fault", ...
const char* fault_kind_name(FaultKind kind);

}  // namespace akuma::arch
