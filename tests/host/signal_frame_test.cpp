// Host tests for the signal frame mechanism (kernel/proc/signal_frame.h):
// the layout is checked against the byte offsets Linux arm64 uses, a frame
// is built into simulated user memory exactly as the kernel glue does, read
// back through the handler's x1/x2 as a program would, and restored; then
// rt_sigreturn's validation is attacked (privileged pstate, bad records).
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "kernel/proc/signal_frame.h"

namespace akuma::proc {
namespace {

using namespace linux_abi;
using namespace sigframe;

// User memory [top - size, top), bounds-checked.
class UserMemory {
public:
    UserMemory(size_t size, uint64_t top)
        : m_bytes(size, 0xcc)
        , m_top(top) { }
    uint64_t low() const { return m_top - m_bytes.size(); }

    void write(uint64_t address, const void* data, size_t size) {
        ASSERT_TRUE(contains(address, size));
        std::memcpy(&m_bytes[address - low()], data, size);
    }
    bool read(uint64_t address, void* out, size_t size) const {
        if (!contains(address, size))
            return false;
        std::memcpy(out, &m_bytes[address - low()], size);
        return true;
    }
    template <typename T> T at(uint64_t address) const {
        T value {};
        EXPECT_TRUE(read(address, &value, sizeof value));
        return value;
    }

private:
    bool contains(uint64_t address, size_t size) const { return address >= low() && size <= m_top - address; }
    std::vector<uint8_t> m_bytes;
    uint64_t m_top;
};

constexpr uint64_t k_top = 0x0000'ffff'ffff'0000;
constexpr uint64_t k_pstate_el0_zc_ssbs = 0x6000'1000;

arch::TrapFrame sample_frame() {
    arch::TrapFrame frame {};
    for (int i = 0; i < 31; ++i)
        frame.x[i] = 0x1000 + static_cast<uint64_t>(i);
    frame.sp = k_top - 0x123; // unaligned on purpose: the frame is aligned anyway
    frame.elr = 0x400abc;
    frame.spsr = k_pstate_el0_zc_ssbs;
    frame.esr = 0x92000046;
    frame.far = 0xdead;
    return frame;
}

sched::FpState sample_fp() {
    sched::FpState fp {};
    for (int i = 0; i < 32; ++i)
        fp.v[i] = (static_cast<__uint128_t>(0xfeed0000 + i) << 64) | (0xbeef0000u + static_cast<unsigned>(i));
    fp.fpcr = 0x03c00000; // RMode, FZ, DN
    fp.fpsr = 0x0800001f;
    return fp;
}

SignalDelivery sample_delivery() {
    SignalDelivery d {};
    d.info = { .signo = k_sigusr1, .code = k_si_user, .pid = 42, .uid = 1000 };
    d.handler = 0x401000;
    d.flags = k_sa_siginfo;
    d.restorer = 0x402000;
    d.saved_mask = sigset_bit(k_sigusr2) | sigset_bit(k_sigchld);
    d.altstack = { 0, 0, k_ss_disable };
    d.trampoline = 0x7000'0004;
    return d;
}

// What setup_signal_frame does, with UserMemory for copy_to_user.
FramePlacement deliver(
    UserMemory& memory, arch::TrapFrame& frame, const sched::FpState& fp, const SignalDelivery& delivery) {
    auto placement = place_signal_frame(frame.sp, delivery);
    SigframeImage image;
    build_sigframe_image(image, frame, fp, delivery);
    FrameRecord record { frame.x[29], frame.x[30] };
    memory.write(placement.record, &record, sizeof record);
    std::vector<uint8_t> zeros(sizeof(RtSigframe) - sizeof image, 0);
    memory.write(placement.frame + sizeof image, zeros.data(), zeros.size());
    memory.write(placement.frame, &image, sizeof image);
    enter_handler(frame, delivery, placement);
    return placement;
}

// What restore_signal_frame does.
ErrorOr<RestoredSignalState> sigreturn(const UserMemory& memory, arch::TrapFrame& frame, sched::FpState& fp) {
    uint64_t base = frame.sp;
    if (base % 16)
        return Error::Invalid;
    UContextHead uc;
    SigContextRegs regs;
    if (!memory.read(base + k_uc_offset, &uc, sizeof uc)
        || !memory.read(base + k_mcontext_offset, &regs, sizeof regs))
        return Error::Fault;
    auto fpsimd = TRY(read_fpsimd_record([&](uint64_t offset, void* out, size_t size) -> ErrorOr<void> {
        if (!memory.read(base + k_reserved_offset + offset, out, size))
            return Error::Fault;
        return {};
    }));
    return apply_sigreturn(frame, fp, uc, regs, fpsimd);
}

bool same_user_registers(const arch::TrapFrame& a, const arch::TrapFrame& b) {
    return std::memcmp(a.x, b.x, sizeof a.x) == 0 && a.sp == b.sp && a.elr == b.elr && a.spsr == b.spsr;
}

TEST(SignalFrame, LayoutMatchesLinuxArm64) {
    // Offsets a program sees (glibc's ucontext_t / siginfo_t on aarch64).
    EXPECT_EQ(sizeof(RtSigframe), 4688u);
    EXPECT_EQ(k_uc_offset, 128u);
    EXPECT_EQ(offsetof(UContext, head.uc_stack), 16u);
    EXPECT_EQ(offsetof(UContext, head.uc_sigmask), 40u);
    EXPECT_EQ(offsetof(UContext, uc_mcontext), 176u);
    EXPECT_EQ(offsetof(SigContext, r.regs), 8u);
    EXPECT_EQ(offsetof(SigContext, r.pc), 264u);
    EXPECT_EQ(offsetof(SigContext, r.pstate), 272u);
    EXPECT_EQ(offsetof(SigContext, reserved), 288u);
    EXPECT_EQ(k_reserved_offset, 128u + 176u + 288u);
    EXPECT_EQ(offsetof(Siginfo, fields.fault.addr), 16u);
    EXPECT_EQ(offsetof(Siginfo, fields.kill.uid), 20u);
    EXPECT_EQ(offsetof(Siginfo, fields.child.status), 24u);
    EXPECT_EQ(offsetof(Siginfo, fields.child.stime), 40u);
    EXPECT_EQ(sizeof(FpsimdContext), 528u);
}

TEST(SignalFrame, SiginfoUnionFollowsSignalAndCode) {
    Siginfo si;
    fill_siginfo(si, { .signo = k_sigsegv, .code = k_segv_accerr, .address = 0x1234'5678'9abc });
    uint8_t bytes[128];
    std::memcpy(bytes, &si, sizeof si);
    uint64_t addr;
    std::memcpy(&addr, bytes + 16, 8);
    EXPECT_EQ(addr, 0x1234'5678'9abcu);
    EXPECT_EQ(si.signo, k_sigsegv);
    EXPECT_EQ(si.code, k_segv_accerr);

    fill_siginfo(si, { .signo = k_sigusr1, .code = k_si_user, .pid = 77, .uid = 1000, .address = 0xffff });
    std::memcpy(bytes, &si, sizeof si);
    int32_t pid;
    uint32_t uid;
    std::memcpy(&pid, bytes + 16, 4);
    std::memcpy(&uid, bytes + 20, 4);
    EXPECT_EQ(pid, 77);
    EXPECT_EQ(uid, 1000u);
    for (size_t i = 24; i < 128; ++i)
        EXPECT_EQ(bytes[i], 0) << i; // no address leaks into a kill layout

    fill_siginfo(si, { .signo = k_sigchld, .code = k_cld_exited, .pid = 55, .status = 3 });
    EXPECT_EQ(si.fields.child.pid, 55);
    EXPECT_EQ(si.fields.child.status, 3);

    // SI_KERNEL (force_sigsegv) uses the kill layout: pid 0, not an address.
    fill_siginfo(si, { .signo = k_sigsegv, .code = k_si_kernel, .address = 0x5000 });
    EXPECT_EQ(si.fields.fault.addr, 0u);

    // SI_TIMER: si_timerid at 16, si_overrun at 20, si_value at 24.
    fill_siginfo(si, { .signo = k_sigusr1, .code = akuma::linux_abi::k_si_timer, .timer_id = 3, .overrun = 9,
                       .value = 0x1122'3344'5566'7788 });
    std::memcpy(bytes, &si, sizeof si);
    int32_t timer_id, overrun;
    uint64_t value;
    std::memcpy(&timer_id, bytes + 16, 4);
    std::memcpy(&overrun, bytes + 20, 4);
    std::memcpy(&value, bytes + 24, 8);
    EXPECT_EQ(timer_id, 3);
    EXPECT_EQ(overrun, 9);
    EXPECT_EQ(value, 0x1122'3344'5566'7788u);
}

TEST(SignalFrame, PlacementBelowTheStackAligned) {
    auto d = sample_delivery();
    for (uint64_t sp : { k_top, k_top - 1, k_top - 8, k_top - 0x123 }) {
        auto p = place_signal_frame(sp, d);
        EXPECT_EQ(p.record % 16, 0u);
        EXPECT_LE(p.record + sizeof(FrameRecord), sp);
        EXPECT_GT(p.record + 32, sp); // no more than alignment below
        EXPECT_EQ(p.frame, p.record - sizeof(RtSigframe));
        EXPECT_EQ(p.frame % 16, 0u);
    }
}

TEST(SignalFrame, PlacementOnTheAlternateStack) {
    auto d = sample_delivery();
    d.altstack = { 0x5000'0000, 0x4000, 0 };
    uint64_t alt_top = 0x5000'4000;
    // Without SA_ONSTACK: the normal stack.
    EXPECT_EQ(place_signal_frame(k_top, d).record, k_top - 16);
    d.flags |= k_sa_onstack;
    EXPECT_EQ(place_signal_frame(k_top, d).record, alt_top - 16);
    // Already on it (a nested signal): continue below the current sp.
    EXPECT_TRUE(on_alt_stack(alt_top - 0x800, d.altstack));
    EXPECT_EQ(place_signal_frame(alt_top - 0x800, d).record, alt_top - 0x810);
    EXPECT_TRUE(on_alt_stack(alt_top, d.altstack));
    EXPECT_FALSE(on_alt_stack(d.altstack.sp, d.altstack));
    // Disabled: the normal stack.
    d.altstack.flags = k_ss_disable;
    EXPECT_EQ(place_signal_frame(k_top, d).record, k_top - 16);
    d.altstack = { 0x5000'0000, 0, 0 };
    EXPECT_EQ(place_signal_frame(k_top, d).record, k_top - 16);
    // SS_AUTODISARM: never "on" it, so a fresh frame from its top.
    d.altstack = { 0x5000'0000, 0x4000, static_cast<int32_t>(k_ss_autodisarm) };
    EXPECT_EQ(place_signal_frame(alt_top - 0x800, d).record, alt_top - 16);
}

TEST(SignalFrame, HandlerSeesTheInterruptedState) {
    UserMemory memory(64 * 1024, k_top);
    auto original = sample_frame();
    auto frame = original;
    auto fp = sample_fp();
    auto d = sample_delivery();
    d.altstack = { 0x5000'0000, 0x4000, static_cast<int32_t>(k_ss_autodisarm) };
    auto p = deliver(memory, frame, fp, d);

    EXPECT_EQ(frame.x[0], static_cast<uint64_t>(k_sigusr1));
    EXPECT_EQ(frame.x[1], p.frame);
    EXPECT_EQ(frame.x[2], p.frame + 128);
    EXPECT_EQ(frame.sp, p.frame);
    EXPECT_EQ(frame.x[29], p.record);
    EXPECT_EQ(frame.x[30], d.trampoline);
    EXPECT_EQ(frame.elr, d.handler);
    EXPECT_EQ(frame.spsr, original.spsr);
    EXPECT_EQ(frame.x[3], original.x[3]); // the rest is left as it was

    // Read as a handler would, by Linux's byte offsets.
    uint64_t si = frame.x[1], uc = frame.x[2], mc = uc + 176;
    EXPECT_EQ(memory.at<int32_t>(si), k_sigusr1);
    EXPECT_EQ(memory.at<int32_t>(si + 8), k_si_user);
    EXPECT_EQ(memory.at<int32_t>(si + 16), 42);
    EXPECT_EQ(memory.at<uint64_t>(uc + 0), 0u); // uc_flags
    EXPECT_EQ(memory.at<uint64_t>(uc + 8), 0u); // uc_link
    EXPECT_EQ(memory.at<uint64_t>(uc + 16), d.altstack.sp);
    EXPECT_EQ(memory.at<uint32_t>(uc + 24), k_ss_autodisarm);
    EXPECT_EQ(memory.at<uint64_t>(uc + 32), d.altstack.size);
    EXPECT_EQ(memory.at<uint64_t>(uc + 40), d.saved_mask);
    for (int i = 0; i < 31; ++i)
        EXPECT_EQ(memory.at<uint64_t>(mc + 8 + 8 * static_cast<uint64_t>(i)), original.x[i]);
    EXPECT_EQ(memory.at<uint64_t>(mc + 256), original.sp);
    EXPECT_EQ(memory.at<uint64_t>(mc + 264), original.elr);
    EXPECT_EQ(memory.at<uint64_t>(mc + 272), original.spsr);
    uint64_t fpsimd = mc + 288;
    EXPECT_EQ(memory.at<uint32_t>(fpsimd), k_fpsimd_magic);
    EXPECT_EQ(memory.at<uint32_t>(fpsimd + 4), 528u);
    EXPECT_EQ(memory.at<uint32_t>(fpsimd + 8), fp.fpsr);
    EXPECT_EQ(memory.at<uint32_t>(fpsimd + 12), fp.fpcr);
    EXPECT_EQ(memory.at<uint64_t>(fpsimd + 16 + 8 * 16), 0xbeef0008u); // v8, low half
    EXPECT_EQ(memory.at<uint64_t>(fpsimd + 16 + 8 * 16 + 8), 0xfeed0008u); // v8, high half
    EXPECT_EQ(memory.at<uint64_t>(fpsimd + 528), 0u); // terminator
    EXPECT_EQ(memory.at<uint64_t>(p.record), original.x[29]);
    EXPECT_EQ(memory.at<uint64_t>(p.record + 8), original.x[30]);
    EXPECT_EQ(p.record, p.frame + sizeof(RtSigframe));
}

TEST(SignalFrame, RegistersForPlainHandlerAndRestorer) {
    UserMemory memory(64 * 1024, k_top);
    auto frame = sample_frame();
    frame.spsr |= k_pstate_btype | k_pstate_ss;
    auto d = sample_delivery();
    d.flags = k_sa_restorer; // no SA_SIGINFO
    deliver(memory, frame, sample_fp(), d);
    EXPECT_EQ(frame.x[1], 0x1001u); // untouched, as on Linux
    EXPECT_EQ(frame.x[2], 0x1002u);
    EXPECT_EQ(frame.x[30], d.restorer);
    EXPECT_EQ(frame.spsr & (k_pstate_btype | k_pstate_ss), 0u);
    EXPECT_EQ(frame.spsr & k_pstate_nzcv, sample_frame().spsr & k_pstate_nzcv);
}

TEST(SignalFrame, SigreturnRestoresEverything) {
    UserMemory memory(64 * 1024, k_top);
    auto original = sample_frame();
    auto frame = original;
    auto fp = sample_fp();
    auto d = sample_delivery();
    d.altstack = { 0x5000'0000, 0x4000, 0 };
    auto p = deliver(memory, frame, fp, d);

    // The handler clobbers registers; the trampoline's svc arrives with sp
    // back at the frame.
    for (auto& x : frame.x)
        x = 0xbad;
    frame.sp = p.frame;
    frame.spsr = 0x8000'0000;
    sched::FpState restored_fp {};
    auto restored = sigreturn(memory, frame, restored_fp);
    ASSERT_FALSE(restored.is_error());
    EXPECT_TRUE(same_user_registers(frame, original));
    EXPECT_EQ(std::memcmp(&restored_fp, &fp, sizeof fp), 0);
    EXPECT_EQ(restored.value().mask, d.saved_mask);
    EXPECT_EQ(restored.value().altstack.sp, d.altstack.sp);
    EXPECT_EQ(restored.value().altstack.size, d.altstack.size);
    EXPECT_EQ(restored.value().altstack.flags, 0);
}

TEST(SignalFrame, SigreturnSeesHandlerChanges) {
    UserMemory memory(64 * 1024, k_top);
    auto frame = sample_frame();
    auto p = deliver(memory, frame, sample_fp(), sample_delivery());
    // A handler may edit uc_mcontext (siglongjmp-free recovery) and the mask.
    uint64_t mc = p.frame + k_mcontext_offset;
    uint64_t new_pc = 0x400ac0, new_mask = sigset_bit(k_sigint);
    memory.write(mc + 264, &new_pc, 8);
    memory.write(p.frame + k_uc_offset + 40, &new_mask, 8);
    __uint128_t v0 = 7;
    memory.write(p.frame + k_reserved_offset + 16, &v0, 16);
    sched::FpState fp {};
    auto restored = sigreturn(memory, frame, fp);
    ASSERT_FALSE(restored.is_error());
    EXPECT_EQ(frame.elr, new_pc);
    EXPECT_EQ(restored.value().mask, new_mask);
    EXPECT_TRUE(fp.v[0] == 7);
}

TEST(SignalFrame, PstateSanitising) {
    EXPECT_EQ(sanitize_user_pstate(0), std::optional<uint64_t>(0));
    EXPECT_EQ(sanitize_user_pstate(k_pstate_nzcv | k_pstate_ssbs),
        std::optional<uint64_t>(k_pstate_nzcv | k_pstate_ssbs));
    // Rejected: any mode but EL0t (EL1t, EL1h, SPSel alone, EL2h), AArch32,
    // any of D, A, I, F.
    for (uint64_t bad :
        { 0x4ull, 0x5ull, 0x1ull, 0x9ull, 0xdull, 0x10ull, 1ull << 6, 1ull << 7, 1ull << 8, 1ull << 9 })
        EXPECT_FALSE(sanitize_user_pstate(bad | k_pstate_nzcv).has_value()) << bad;
    // Dropped silently: SS, IL, PAN, UAO, RES0 bits.
    uint64_t noisy = (1ull << 21) | (1ull << 20) | (1ull << 22) | (1ull << 23) | (1ull << 5) | (1ull << 40)
        | (1ull << 28);
    EXPECT_EQ(sanitize_user_pstate(noisy), std::optional<uint64_t>(1ull << 28));
}

// A frame built by deliver(), then corrupted by `mutate`; sigreturn must
// fail with `expected` and leave the registers alone.
void expect_bad_frame(void (*mutate)(UserMemory&, uint64_t frame), Error expected) {
    UserMemory memory(64 * 1024, k_top);
    auto frame = sample_frame();
    auto p = deliver(memory, frame, sample_fp(), sample_delivery());
    mutate(memory, p.frame);
    auto before = frame;
    sched::FpState fp {};
    auto restored = sigreturn(memory, frame, fp);
    ASSERT_TRUE(restored.is_error());
    EXPECT_EQ(restored.error(), expected);
    EXPECT_TRUE(same_user_registers(frame, before));
}

void put32(UserMemory& memory, uint64_t address, uint32_t value) {
    memory.write(address, &value, 4);
}
void put64(UserMemory& memory, uint64_t address, uint64_t value) {
    memory.write(address, &value, 8);
}

TEST(SignalFrame, SigreturnRejectsPrivilegedPstate) {
    expect_bad_frame(
        [](UserMemory& m, uint64_t f) { put64(m, f + k_mcontext_offset + 272, 0x3c5); }, Error::Invalid);
    expect_bad_frame(
        [](UserMemory& m, uint64_t f) { put64(m, f + k_mcontext_offset + 272, 0x4); }, Error::Invalid);
    expect_bad_frame(
        [](UserMemory& m, uint64_t f) { put64(m, f + k_mcontext_offset + 272, 0x1); }, Error::Invalid);
    expect_bad_frame(
        [](UserMemory& m, uint64_t f) { put64(m, f + k_mcontext_offset + 272, 0x80); }, Error::Invalid);
}

TEST(SignalFrame, SigreturnRejectsBadRecords) {
    constexpr uint64_t r = k_reserved_offset;
    // Wrong magic, wrong fpsimd size, size not a multiple of 16.
    expect_bad_frame([](UserMemory& m, uint64_t f) { put32(m, f + r, 0x46508002); }, Error::Invalid);
    expect_bad_frame([](UserMemory& m, uint64_t f) { put32(m, f + r + 4, 512); }, Error::Invalid);
    expect_bad_frame([](UserMemory& m, uint64_t f) { put32(m, f + r + 4, 520); }, Error::Invalid);
    // Size 0 on a non-terminator would loop forever.
    expect_bad_frame([](UserMemory& m, uint64_t f) { put32(m, f + r + 4, 0); }, Error::Invalid);
    // Terminator with a size.
    expect_bad_frame([](UserMemory& m, uint64_t f) { put32(m, f + r + 528 + 4, 16); }, Error::Invalid);
    // No fpsimd record at all.
    expect_bad_frame([](UserMemory& m, uint64_t f) { put64(m, f + r, 0); }, Error::Invalid);
    // Two fpsimd records.
    expect_bad_frame(
        [](UserMemory& m, uint64_t f) {
            std::vector<uint8_t> copy(528);
            m.read(f + r, copy.data(), copy.size());
            m.write(f + r + 528, copy.data(), copy.size());
            put64(m, f + r + 1056, 0);
        },
        Error::Invalid);
    // A record running past __reserved.
    expect_bad_frame(
        [](UserMemory& m, uint64_t f) {
            put32(m, f + r + 528, k_esr_magic);
            put32(m, f + r + 528 + 4, 4096);
        },
        Error::Invalid);
    // No terminator: esr records up to the very end of __reserved.
    expect_bad_frame(
        [](UserMemory& m, uint64_t f) {
            for (uint64_t off = 528; off < k_reserved_size; off += 16) {
                put32(m, f + r + off, k_esr_magic);
                put32(m, f + r + off + 4, 16);
            }
        },
        Error::Invalid);
    // Misaligned sp.
    UserMemory memory(64 * 1024, k_top);
    auto frame = sample_frame();
    deliver(memory, frame, sample_fp(), sample_delivery());
    frame.sp += 8;
    sched::FpState fp {};
    EXPECT_EQ(sigreturn(memory, frame, fp).error(), Error::Invalid);
}

TEST(SignalFrame, SigreturnAcceptsAnEsrRecordAnywhere) {
    UserMemory memory(64 * 1024, k_top);
    auto frame = sample_frame();
    auto fp = sample_fp();
    auto p = deliver(memory, frame, fp, sample_delivery());
    // Move the fpsimd record after an esr record, as a frame from Linux
    // could be edited to look.
    std::vector<uint8_t> record(528);
    uint64_t r = p.frame + k_reserved_offset;
    memory.read(r, record.data(), record.size());
    EsrContext esr { { k_esr_magic, 16 }, 0x92000047 };
    memory.write(r, &esr, sizeof esr);
    memory.write(r + 16, record.data(), record.size());
    put64(memory, r + 16 + 528, 0);
    sched::FpState restored {};
    ASSERT_FALSE(sigreturn(memory, frame, restored).is_error());
    EXPECT_EQ(std::memcmp(&restored, &fp, sizeof fp), 0);
}

TEST(SignalFrame, SigreturnPropagatesFaults) {
    UserMemory memory(64 * 1024, k_top);
    auto frame = sample_frame();
    deliver(memory, frame, sample_fp(), sample_delivery());
    frame.sp = memory.low() - 4096; // unmapped
    sched::FpState fp {};
    EXPECT_EQ(sigreturn(memory, frame, fp).error(), Error::Fault);
}

} // namespace
} // namespace akuma::proc
