// What the calls that wait for readiness share (ppoll, pselect6,
// epoll_pwait, epoll_pwait2): the timeout argument and the signal mask in
// force while waiting.
#pragma once

#include "kernel/arch/aarch64/timer.h"
#include "kernel/proc/process.h"
#include "kernel/syscalls/linux_abi.h"
#include "kernel/syscalls/time_helpers.h"

namespace akuma::sys {

// A timeout argument: NULL waits forever, zero does not wait.
struct Timeout {
    bool given;            // a timespec was passed
    bool zero;
    uint64_t deadline_ns;  // monotonic; 0: none (NULL); time::k_never: too far away to come
};

inline ErrorOr<Timeout> read_timeout(mm::UserPtr<const linux_abi::Timespec> user) {
    if (user.is_null())
        return Timeout { false, false, 0 };
    auto duration = TRY(read_timespec_ns(user));
    if (duration == 0)
        return Timeout { true, true, 0 };
    return Timeout { true, false, time::deadline_after(arch::monotonic_ns(), duration) };
}

// Linux writes the time left back into the timespec (poll_select_finish),
// except for a zero timeout, and ignores a fault doing so.
inline void write_time_left(mm::UserPtr<const linux_abi::Timespec> user, const Timeout& timeout) {
    if (!timeout.given || timeout.zero || timeout.deadline_ns == time::k_never)
        return;  // a wait too long to end: what is left is still what was given
    uint64_t left = time::time_left(timeout.deadline_ns, arch::monotonic_ns());
    (void)mm::write_user(mm::UserPtr<linux_abi::Timespec>(user.address()), to_timespec(left));
}

// ppoll/pselect6's signal mask: in force while waiting; proc restores the
// previous one on the way back to user space (after a handler, if one runs).
inline ErrorOr<void> apply_signal_mask(mm::UserPtr<const linux_abi::Sigset> user, uint64_t size) {
    if (user.is_null())
        return {};
    if (size != sizeof(linux_abi::Sigset))
        return Error::Invalid;
    proc::set_temporary_signal_mask(TRY(mm::read_user(user)));
    return {};
}

}  // namespace akuma::sys
