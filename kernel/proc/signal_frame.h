// Signal frames: what the kernel writes on the user stack to run a signal
// handler, and what rt_sigreturn reads back. The layout is Linux arm64's
// (uapi asm/sigcontext.h, asm/ucontext.h, kernel/signal.c), because libc,
// unwinders (libgcc recognises the sigreturn trampoline and reads the
// frame) and programs that inspect ucontext_t depend on it:
//
//   higher addresses   frame record {fp, lr}          <- x29 in the handler
//                      struct rt_sigframe {           <- sp in the handler
//                          siginfo_t info;            <- x1 (SA_SIGINFO)
//                          struct ucontext uc;        <- x2 (SA_SIGINFO)
//                      }
//
// uc.uc_mcontext.__reserved holds a chain of records: the FP/SIMD registers
// (fpsimd_context) and a terminating null header.
//
// This file has the policy-free mechanism only; which signal to deliver,
// masks, SA_RESETHAND and syscall restarting are the caller's (signals.cpp).
// The `sigframe` namespace is the pure part, host-tested
// (tests/host/signal_frame_test.cpp); signal_frame.cpp adds the user copies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "kernel/arch/aarch64/trap_frame.h"
#include "kernel/lib/error_or.h"
#include "kernel/sched/cpu_context.h"
#include "kernel/syscalls/linux_abi.h"

namespace akuma::proc {

class AddressSpace;

// What goes into siginfo_t. Which union member is written follows Linux's
// siginfo_layout(): faults (SIGSEGV/SIGBUS/SIGILL/SIGTRAP/SIGFPE with a
// positive si_code below SI_KERNEL) get si_addr, SIGCHLD with a CLD_* code
// gets pid/uid/status, everything else (kill, tgkill, SI_KERNEL) pid/uid.
struct SignalInfo {
    int32_t signo;
    int32_t code;
    int32_t errno_value;
    int32_t pid; // sender (kill/tgkill) or child (SIGCHLD)
    uint32_t uid;
    int32_t status; // SIGCHLD: si_status
    int32_t timer_id; // SI_TIMER: si_timerid and si_overrun
    int32_t overrun;
    uint64_t address; // faults: si_addr; I/O signals (POLL_*): si_band, and `status` si_fd
    uint64_t value; // sigqueue(3)'s si_value (SI_QUEUE and the other user codes), a timer's sigev_value
};
// Every pending set holds one per signal: no padding.
static_assert(sizeof(SignalInfo) == 48);

// sigaltstack(2) state of a thread. flags as Linux stores them (0,
// SS_DISABLE, possibly | SS_AUTODISARM); size 0 also means disabled.
struct AltStack {
    uint64_t sp;
    uint64_t size;
    int32_t flags;
};

struct SignalDelivery {
    SignalInfo info;
    uint64_t handler;
    uint64_t flags; // sa_flags
    uint64_t restorer; // used if SA_RESTORER
    uint64_t saved_mask; // restored by rt_sigreturn (stored in uc_sigmask)
    AltStack altstack; // the thread's current alternate stack
    uint64_t trampoline; // the sigreturn trampoline, used without SA_RESTORER
};

// Builds the frame on the user stack (or on the alternate stack for
// SA_ONSTACK when it is enabled and not already in use) and points `frame`
// at the handler: x0 = signo, x1 = &info, x2 = &uc (SA_SIGINFO), sp = the
// frame, x29 = the frame record, x30 = restorer or trampoline, pc = handler.
// FP/SIMD state is taken from the live registers (the current thread's).
// Call it with `frame` the current thread's trap frame, right before the
// return to EL0. Afterwards the caller applies the handler's mask and, if
// the alternate stack has SS_AUTODISARM, disables it (Linux resets it once
// the frame holds a copy in uc_stack).
// Errors: Fault if the frame cannot be written (Linux: force_sigsegv).
ErrorOr<void> setup_signal_frame(arch::TrapFrame& frame, const SignalDelivery& delivery);

struct RestoredSignalState {
    uint64_t mask; // uc_sigmask: the caller applies it minus SIGKILL/SIGSTOP
    AltStack altstack; // uc_stack: the caller applies it as sigaltstack(2)
                       // would (errors ignored, as Linux's restore_altstack)
};

// rt_sigreturn: reads the frame at frame.sp, validates it and restores
// x0-x30, sp, pc, pstate and the FP/SIMD registers. The syscall must then
// return frame.x[0] (the restored x0), not a result of its own.
// Errors: Fault (unreadable), Invalid (misaligned sp, a pstate that is not
// plain EL0t, a malformed record chain). Linux then sends SIGSEGV.
ErrorOr<RestoredSignalState> restore_signal_frame(arch::TrapFrame& frame);

// Maps a read+execute page holding `mov x8, #139; svc #0` (rt_sigreturn)
// into `space`, which must be the current address space. Returns the
// address of the `mov` (the return address to use for handlers).
ErrorOr<uint64_t> install_sigreturn_trampoline(AddressSpace& space);

namespace sigframe {

// ---- The Linux arm64 layout -----------------------------------------------------
// Field names drop Linux's si_/ss_ prefixes: glibc defines those as macros.

constexpr uint32_t k_fpsimd_magic = 0x46508001;
constexpr uint32_t k_esr_magic = 0x45535201;

struct ContextHeader { // struct _aarch64_ctx
    uint32_t magic;
    uint32_t size; // of the whole record, header included
};
static_assert(sizeof(ContextHeader) == 8);

struct alignas(16) FpsimdContext { // struct fpsimd_context
    ContextHeader head;
    uint32_t fpsr;
    uint32_t fpcr;
    __uint128_t vregs[32];
};
static_assert(sizeof(FpsimdContext) == 528 && offsetof(FpsimdContext, fpsr) == 8);
static_assert(offsetof(FpsimdContext, fpcr) == 12 && offsetof(FpsimdContext, vregs) == 16);

struct EsrContext { // struct esr_context (accepted on sigreturn, not produced)
    ContextHeader head;
    uint64_t esr;
};
static_assert(sizeof(EsrContext) == 16);

// siginfo_t: 128 bytes, the union at 16.
struct SiginfoKill { // also SI_TKILL, SI_QUEUE (its sigval at 24)
    int32_t pid;
    uint32_t uid;
    uint64_t value;
};
struct SiginfoChild {
    int32_t pid;
    uint32_t uid;
    int32_t status;
    int32_t pad;
    int64_t utime;
    int64_t stime;
};
struct SiginfoTimer { // SI_TIMER
    int32_t timer_id;
    int32_t overrun;
    uint64_t value;
};
struct SiginfoFault {
    uint64_t addr;
};
struct SiginfoPoll { // SIGPOLL, and the signal F_SETSIG chose
    int64_t band;
    int32_t fd;
};
struct Siginfo {
    int32_t signo;
    int32_t errno_value;
    int32_t code;
    int32_t pad;
    union {
        uint8_t bytes[112];
        SiginfoKill kill;
        SiginfoChild child;
        SiginfoTimer timer;
        SiginfoFault fault;
        SiginfoPoll poll;
    } fields;
};
static_assert(sizeof(Siginfo) == 128 && offsetof(Siginfo, code) == 8 && offsetof(Siginfo, fields) == 16);
static_assert(offsetof(SiginfoChild, status) == 8 && offsetof(SiginfoChild, utime) == 16);

// struct ucontext up to uc_mcontext.
struct UContextHead {
    uint64_t uc_flags;
    uint64_t uc_link;
    linux_abi::SignalStack uc_stack;
    uint64_t uc_sigmask;
    uint8_t unused[1024 / 8 - sizeof(uint64_t)]; // glibc's sigset_t is 1024 bits
};
static_assert(sizeof(UContextHead) == 168 && offsetof(UContextHead, uc_stack) == 16);
static_assert(offsetof(UContextHead, uc_sigmask) == 40);

// struct sigcontext up to __reserved (padded to where __reserved starts).
struct alignas(16) SigContextRegs {
    uint64_t fault_address;
    uint64_t regs[31];
    uint64_t sp;
    uint64_t pc;
    uint64_t pstate;
};
static_assert(sizeof(SigContextRegs) == 288 && offsetof(SigContextRegs, sp) == 256);
static_assert(offsetof(SigContextRegs, pstate) == 272);

constexpr size_t k_reserved_size = 4096;

struct SigContext {
    SigContextRegs r;
    alignas(16) uint8_t reserved[k_reserved_size];
};
static_assert(sizeof(SigContext) == 4384 && offsetof(SigContext, reserved) == 288);

struct UContext {
    UContextHead head;
    SigContext uc_mcontext; // 16-aligned: at 176
};
static_assert(sizeof(UContext) == 4560 && offsetof(UContext, uc_mcontext) == 176);

struct RtSigframe {
    Siginfo info;
    UContext uc;
};
static_assert(sizeof(RtSigframe) == 4688 && offsetof(RtSigframe, uc) == 128);
static_assert(sizeof(RtSigframe) % 16 == 0);

struct FrameRecord { // AAPCS64 frame record: the handler's x29 points here
    uint64_t fp;
    uint64_t lr;
};

constexpr uint64_t k_uc_offset = offsetof(RtSigframe, uc);
constexpr uint64_t k_mcontext_offset = k_uc_offset + offsetof(UContext, uc_mcontext);
constexpr uint64_t k_reserved_offset = k_mcontext_offset + offsetof(SigContext, reserved);

// The part of an rt_sigframe that delivery fills in (about 1.1 KiB, so it
// fits on a kernel stack): siginfo, the ucontext up to __reserved, the
// fpsimd record and the terminator. The rest of __reserved is zeroed.
struct SigframeImage {
    Siginfo info;
    UContextHead uc;
    SigContextRegs mcontext;
    FpsimdContext fpsimd;
    ContextHeader terminator;
    uint64_t terminator_pad; // Linux reserves 16 bytes for the terminator
};
static_assert(offsetof(SigframeImage, uc) == k_uc_offset);
static_assert(offsetof(SigframeImage, mcontext) == k_mcontext_offset);
static_assert(offsetof(SigframeImage, fpsimd) == k_reserved_offset);
static_assert(offsetof(SigframeImage, terminator) == k_reserved_offset + sizeof(FpsimdContext));
static_assert(sizeof(SigframeImage) == 1136 && sizeof(SigframeImage) <= sizeof(RtSigframe));

// ---- PSTATE (SPSR_EL1) bits -----------------------------------------------------
constexpr uint64_t k_pstate_mode_mask = 0xf; // M[3:0]; 0 = EL0t
constexpr uint64_t k_pstate_mode32 = 1u << 4; // AArch32
constexpr uint64_t k_pstate_daif = 0xfu << 6;
constexpr uint64_t k_pstate_btype = 3u << 10;
constexpr uint64_t k_pstate_ssbs = 1u << 12;
constexpr uint64_t k_pstate_ss = 1u << 21;
constexpr uint64_t k_pstate_dit = 1u << 24;
constexpr uint64_t k_pstate_tco = 1u << 25;
constexpr uint64_t k_pstate_nzcv = 0xfu << 28;
// What a sigreturn may carry back to EL0. Linux keeps these plus SS (we do
// not single-step user space) and clears the rest (PAN, UAO, IL, RES0).
constexpr uint64_t k_pstate_user_bits
    = k_pstate_nzcv | k_pstate_tco | k_pstate_dit | k_pstate_ssbs | k_pstate_btype;

// Linux's valid_native_regs(): a pstate from user memory must be EL0t,
// AArch64, with D, A, I and F clear; otherwise the frame is bad. Other
// bits are dropped silently. Never lets user space return to EL1.
inline std::optional<uint64_t> sanitize_user_pstate(uint64_t pstate) {
    if (pstate & (k_pstate_mode_mask | k_pstate_mode32 | k_pstate_daif))
        return std::nullopt;
    return pstate & k_pstate_user_bits;
}

// ---- Delivery -------------------------------------------------------------------

// Linux's on_sig_stack(): is `sp` inside the alternate stack (which grows
// down, so its top address is included and its bottom excluded)?
inline bool on_alt_stack(uint64_t sp, const AltStack& stack) {
    // With SS_AUTODISARM the stack is disabled while in use, so being "on" it
    // can only mean user code set it up while already running there.
    if (static_cast<uint32_t>(stack.flags) & linux_abi::k_ss_autodisarm)
        return false;
    return sp > stack.sp && sp - stack.sp <= stack.size;
}

inline bool alt_stack_enabled(const AltStack& stack) {
    return stack.size != 0 && !(stack.flags & linux_abi::k_ss_disable);
}

struct FramePlacement {
    uint64_t frame; // the rt_sigframe: the handler's sp
    uint64_t record; // the frame record right above it: the handler's x29
};

// Linux's get_sigframe()/sigsp(): below the interrupted sp, or from the top
// of the alternate stack for SA_ONSTACK (if enabled and not already on it).
inline FramePlacement place_signal_frame(uint64_t user_sp, const SignalDelivery& delivery) {
    uint64_t top = user_sp;
    if ((delivery.flags & linux_abi::k_sa_onstack) && alt_stack_enabled(delivery.altstack)
        && !on_alt_stack(user_sp, delivery.altstack))
        top = delivery.altstack.sp + delivery.altstack.size;
    uint64_t record = (top - sizeof(FrameRecord)) & ~uint64_t { 15 };
    return { record - sizeof(RtSigframe), record };
}

inline bool is_fault_signal(int32_t signo) {
    return signo == linux_abi::k_sigsegv || signo == linux_abi::k_sigbus || signo == linux_abi::k_sigill
        || signo == linux_abi::k_sigtrap || signo == linux_abi::k_sigfpe;
}

// Also what waitid(2) and rt_sigtimedwait(2) copy out.
inline void fill_siginfo(Siginfo& out, const SignalInfo& info) {
    out = {};
    out.signo = info.signo;
    out.errno_value = info.errno_value;
    out.code = info.code;
    bool kernel_code = info.code > 0 && info.code < linux_abi::k_si_kernel;
    if (kernel_code && is_fault_signal(info.signo)) {
        out.fields.fault.addr = info.address;
    } else if (kernel_code && info.signo == linux_abi::k_sigchld) {
        out.fields.child.pid = info.pid;
        out.fields.child.uid = info.uid;
        out.fields.child.status = info.status;
    } else if (kernel_code && info.code <= linux_abi::k_poll_hup) {
        // Linux's SIL_POLL: any other signal with a POLL_* code.
        out.fields.poll.band = static_cast<int64_t>(info.address);
        out.fields.poll.fd = info.status;
    } else if (info.code == linux_abi::k_si_timer) {
        out.fields.timer.timer_id = info.timer_id;
        out.fields.timer.overrun = info.overrun;
        out.fields.timer.value = info.value;
    } else {
        out.fields.kill.pid = info.pid;
        out.fields.kill.uid = info.uid;
        out.fields.kill.value = info.value;
    }
}

// Fills the image from the interrupted state (Linux's setup_sigframe).
inline void build_sigframe_image(SigframeImage& out, const arch::TrapFrame& frame, const sched::FpState& fp,
    const SignalDelivery& delivery) {
    out = {};
    fill_siginfo(out.info, delivery.info);
    out.uc.uc_stack.sp = delivery.altstack.sp;
    out.uc.uc_stack.flags = delivery.altstack.flags;
    out.uc.uc_stack.size = delivery.altstack.size;
    out.uc.uc_sigmask = delivery.saved_mask;
    // Linux reports the thread's last fault address; only fault signals
    // have one worth reporting.
    if (is_fault_signal(delivery.info.signo))
        out.mcontext.fault_address = delivery.info.address;
    for (int i = 0; i < 31; ++i)
        out.mcontext.regs[i] = frame.x[i];
    out.mcontext.sp = frame.sp;
    out.mcontext.pc = frame.elr;
    out.mcontext.pstate = frame.spsr;
    out.fpsimd.head = { k_fpsimd_magic, sizeof(FpsimdContext) };
    out.fpsimd.fpsr = static_cast<uint32_t>(fp.fpsr);
    out.fpsimd.fpcr = static_cast<uint32_t>(fp.fpcr);
    for (int i = 0; i < 32; ++i)
        out.fpsimd.vregs[i] = fp.v[i];
    out.terminator = { 0, 0 };
}

// Points the trap frame at the handler (Linux's setup_return).
inline void enter_handler(
    arch::TrapFrame& frame, const SignalDelivery& delivery, const FramePlacement& placement) {
    frame.x[0] = static_cast<uint64_t>(delivery.info.signo);
    if (delivery.flags & linux_abi::k_sa_siginfo) {
        frame.x[1] = placement.frame + offsetof(RtSigframe, info);
        frame.x[2] = placement.frame + k_uc_offset;
    }
    frame.sp = placement.frame;
    frame.x[29] = placement.record;
    frame.x[30] = (delivery.flags & linux_abi::k_sa_restorer) ? delivery.restorer : delivery.trampoline;
    frame.elr = delivery.handler;
    // The handler starts as if called: no pending BTI branch type, no
    // single-step, tag checks on.
    frame.spsr &= ~(k_pstate_btype | k_pstate_ss | k_pstate_tco);
}

// ---- rt_sigreturn ---------------------------------------------------------------

// Walks the record chain in __reserved (Linux's parse_user_sigframe) and
// returns the fpsimd record, which must be present exactly once. Records
// are 16-byte multiples inside the 4096 bytes, the chain must end with a
// null header; an esr record is skipped, anything else is invalid (we never
// produce SVE/ZA/extra records). `read(offset, out, size)` reads from
// __reserved and returns ErrorOr<void>.
template <typename Read> ErrorOr<FpsimdContext> read_fpsimd_record(Read&& read) {
    FpsimdContext fpsimd {};
    bool found = false;
    uint64_t offset = 0;
    for (;;) {
        if (k_reserved_size - offset < sizeof(ContextHeader))
            return Error::Invalid;
        ContextHeader head {};
        TRY(read(offset, &head, sizeof head));
        if (head.magic == 0) {
            if (head.size != 0)
                return Error::Invalid;
            break;
        }
        if (head.size < sizeof(ContextHeader) || head.size % 16 != 0 || head.size > k_reserved_size - offset)
            return Error::Invalid;
        switch (head.magic) {
        case k_fpsimd_magic:
            if (found || head.size != sizeof(FpsimdContext))
                return Error::Invalid;
            TRY(read(offset, &fpsimd, sizeof fpsimd));
            found = true;
            break;
        case k_esr_magic:
            if (head.size != sizeof(EsrContext))
                return Error::Invalid;
            break;
        default:
            return Error::Invalid;
        }
        offset += head.size;
    }
    if (!found)
        return Error::Invalid;
    return fpsimd;
}

// Validates the saved registers and, only if they are acceptable, writes
// them to `frame` and `fp`. Returns the mask and alternate stack to restore.
inline ErrorOr<RestoredSignalState> apply_sigreturn(arch::TrapFrame& frame, sched::FpState& fp,
    const UContextHead& uc, const SigContextRegs& regs, const FpsimdContext& fpsimd) {
    auto pstate = sanitize_user_pstate(regs.pstate);
    if (!pstate)
        return Error::Invalid;
    for (int i = 0; i < 31; ++i)
        frame.x[i] = regs.regs[i];
    frame.sp = regs.sp;
    frame.elr = regs.pc;
    frame.spsr = *pstate;
    fp.fpsr = fpsimd.fpsr;
    fp.fpcr = fpsimd.fpcr;
    for (int i = 0; i < 32; ++i)
        fp.v[i] = fpsimd.vregs[i];
    return RestoredSignalState { uc.uc_sigmask, { uc.uc_stack.sp, uc.uc_stack.size, uc.uc_stack.flags } };
}

} // namespace sigframe

} // namespace akuma::proc
