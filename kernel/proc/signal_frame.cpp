// Signal frames on the user stack: the user-memory side of signal_frame.h
// (the layout and the pure parts are in the header).
#include "kernel/proc/signal_frame.h"

#include "kernel/mm/user_access.h"
#include "kernel/proc/address_space.h"

namespace akuma::proc {

namespace {

using mm::UserPtr;

constexpr uint64_t k_page_size = 4096;

// The sigreturn trampoline. libgcc's unwinder recognises a signal frame by
// exactly these two instructions at the return address, as on Linux's
// vDSO; the nop before them keeps "return address - 1" lookups inside it.
constexpr uint32_t k_insn_nop = 0xd503201f;
constexpr uint32_t k_insn_mov_x8_rt_sigreturn
    = 0xd2800008 | (static_cast<uint32_t>(linux_abi::k_sys_rt_sigreturn) << 5);
constexpr uint32_t k_insn_svc_0 = 0xd4000001;
static_assert(k_insn_mov_x8_rt_sigreturn == 0xd2801168); // movz x8, #139

} // namespace

ErrorOr<void> setup_signal_frame(arch::TrapFrame& frame, const SignalDelivery& delivery) {
    // The kernel never touches FP/SIMD registers (-mgeneral-regs-only), so
    // the live ones are still the interrupted user code's.
    sched::FpState fp;
    fp_state_save(&fp);

    auto placement = sigframe::place_signal_frame(frame.sp, delivery);
    sigframe::SigframeImage image;
    sigframe::build_sigframe_image(image, frame, fp, delivery);
    sigframe::FrameRecord record { frame.x[29], frame.x[30] };

    // Write the whole frame, so an unwritable page anywhere in it fails the
    // delivery as on Linux (access_ok over the frame) rather than leaving a
    // hole in __reserved; the part past the terminator is zeroed.
    TRY(mm::copy_to_user(UserPtr<void>(placement.record), &record, sizeof record));
    TRY(mm::clear_user(
        UserPtr<void>(placement.frame + sizeof image), sizeof(sigframe::RtSigframe) - sizeof image));
    TRY(mm::copy_to_user(UserPtr<void>(placement.frame), &image, sizeof image));

    sigframe::enter_handler(frame, delivery, placement);
    return {};
}

ErrorOr<RestoredSignalState> restore_signal_frame(arch::TrapFrame& frame) {
    uint64_t base = frame.sp;
    if (base % 16 != 0)
        return Error::Invalid;
    if (!mm::is_user_range(base, sizeof(sigframe::RtSigframe)))
        return Error::Fault;

    sigframe::UContextHead uc;
    TRY(mm::copy_from_user(&uc, UserPtr<const void>(base + sigframe::k_uc_offset), sizeof uc));
    sigframe::SigContextRegs regs;
    TRY(mm::copy_from_user(&regs, UserPtr<const void>(base + sigframe::k_mcontext_offset), sizeof regs));
    auto fpsimd = TRY(sigframe::read_fpsimd_record([base](uint64_t offset, void* out, size_t size) {
        return mm::copy_from_user(
            out, UserPtr<const void>(base + sigframe::k_reserved_offset + offset), size);
    }));

    sched::FpState fp;
    auto restored = TRY(sigframe::apply_sigreturn(frame, fp, uc, regs, fpsimd));
    // Preemption after this point saves and restores these values like any
    // other user FP state.
    fp_state_restore(&fp);
    return restored;
}

ErrorOr<uint64_t> install_sigreturn_trampoline(AddressSpace& space) {
    // Written while the page is RW, then made R+X: never both (W^X).
    mm::VirtAddr page = TRY(space.map({ 0, k_page_size, mm::k_prot_read | mm::k_prot_write,
        MapPlacement::Anywhere, mm::VmaKind::Anonymous, nullptr, 0, 0 }));
    const uint32_t code[] = { k_insn_nop, k_insn_mov_x8_rt_sigreturn, k_insn_svc_0 };
    auto installed = [&]() -> ErrorOr<void> {
        TRY(mm::copy_to_user(UserPtr<void>(page), code, sizeof code));
        // protect() makes the page's contents visible to instruction fetch.
        TRY(space.protect(page, k_page_size, mm::k_prot_read | mm::k_prot_exec));
        return {};
    }();
    if (installed.is_error()) {
        (void)space.unmap(page, k_page_size);
        return installed.error();
    }
    return page + sizeof(uint32_t); // the mov
}

} // namespace akuma::proc
