#include <gtest/gtest.h>

#include <string>

#include "kernel/arch/aarch64/esr.h"

using namespace akuma::arch;

TEST(Esr, NamesExceptionClasses) {
    EXPECT_STREQ(exception_class_name(0x25), "Data Abort (same EL)");
    EXPECT_STREQ(exception_class_name(0x3c), "BRK instruction (AArch64)");
    EXPECT_STREQ(exception_class_name(0x00), "Unknown reason (undefined instruction)");
    EXPECT_STREQ(exception_class_name(0x15), "SVC (AArch64)");
    EXPECT_STREQ(exception_class_name(0x3f), "Reserved/unrecognised exception class");
    for (uint32_t ec = 0; ec < 64; ++ec)
        EXPECT_NE(exception_class_name(ec), nullptr);
}

TEST(Esr, DecodesNullWriteDataAbort) {
    // QEMU's report for "str x9, [x8]" with x8 = 0 and TTBR0 walks disabled:
    // EC 0x25, IL, WnR, DFSC 0b000100 (translation fault, level 0).
    uint64_t esr = 0x96000044;
    EXPECT_EQ(esr_exception_class(esr), 0x25u);
    auto info = decode_abort(esr);
    EXPECT_EQ(info.kind, FaultKind::Translation);
    EXPECT_EQ(info.level, 0);
    EXPECT_TRUE(info.is_write);
    EXPECT_TRUE(info.far_valid);
    EXPECT_STREQ(fault_kind_name(info.kind), "translation fault");
}

TEST(Esr, DecodesFaultStatusGroups) {
    struct Case {
        uint32_t status;
        FaultKind kind;
        int level;
    } cases[] = {
        { 0x03, FaultKind::AddressSize, 3 }, { 0x07, FaultKind::Translation, 3 },
        { 0x09, FaultKind::AccessFlag, 1 },  { 0x0f, FaultKind::Permission, 3 },
        { 0x10, FaultKind::SyncExternal, -1 }, { 0x15, FaultKind::SyncExternalOnWalk, 1 },
        { 0x21, FaultKind::Alignment, -1 },  { 0x30, FaultKind::TlbConflict, -1 },
        { 0x3f, FaultKind::Other, -1 },
    };
    for (auto& c : cases) {
        uint64_t esr = (0x24ull << 26) | c.status;  // data abort, lower EL, read
        auto info = decode_abort(esr);
        EXPECT_EQ(info.kind, c.kind) << "status " << c.status;
        EXPECT_EQ(info.level, c.level) << "status " << c.status;
        EXPECT_FALSE(info.is_write);
    }
}

TEST(Esr, CacheMaintenanceFaultIsARead) {
    // DC CVAU / IC IVAU fault with WnR and CM set (ARM ARM: cache
    // maintenance reports WnR = 1). Linux treats them as reads, so cleaning
    // a read-only code page (__builtin___clear_cache) is no write fault.
    uint64_t esr = (0x24ull << 26) | (1u << 8) | (1u << 6) | 0x07;
    auto info = decode_abort(esr);
    EXPECT_FALSE(info.is_write);
    EXPECT_EQ(info.kind, FaultKind::Translation);
    // DC ZVA is reported as an ordinary write (CM clear).
    EXPECT_TRUE(decode_abort((0x24ull << 26) | (1u << 6) | 0x07).is_write);
}

TEST(Esr, InstructionAbortHasNoWriteAndFnvClears) {
    uint64_t esr = (0x21ull << 26) | (1u << 6) | (1u << 10) | 0x0e;  // bit 6 is not WnR here
    auto info = decode_abort(esr);
    EXPECT_FALSE(info.is_write);
    EXPECT_FALSE(info.far_valid);
    EXPECT_EQ(info.kind, FaultKind::Permission);
    EXPECT_EQ(info.level, 2);
    EXPECT_TRUE(is_abort_class(0x21));
    EXPECT_FALSE(is_abort_class(0x3c));
}
