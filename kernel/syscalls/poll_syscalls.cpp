// ppoll: readiness of descriptors. Files and memory devices are always
// ready; the console is readable when the line discipline has input. There
// is no wake-up source other than console input yet (pipes come with issue
// 6), so a blocking poll re-checks in short sleeps until ready or timed out.
#include "kernel/arch/aarch64/timer.h"
#include "kernel/drivers/console_tty.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/sched/scheduler.h"
#include "kernel/syscalls/file_helpers.h"

namespace akuma::sys {

namespace abi = linux_abi;

namespace {

constexpr uint64_t k_poll_interval_ns = 5'000'000;

int16_t ready_events(int fd, int16_t requested) {
    if (fd < 0)
        return 0;
    auto file = FileRef::from_fd(fd);
    if (file.is_error())
        return abi::k_pollnval;
    int16_t ready = abi::k_pollout | abi::k_pollwrnorm;
    if (file.value()->kind != fs::FileKind::Console || console::tty_has_input())
        ready |= abi::k_pollin | abi::k_pollrdnorm;
    return static_cast<int16_t>(ready & (requested | abi::k_pollerr | abi::k_pollhup));
}

}  // namespace

int64_t sys_ppoll(const SyscallArgs& args) {
    uint64_t count = args.a[1];
    if (count > static_cast<uint64_t>(fs::FdTable::k_max_fds))
        return error_result(Error::Invalid);
    std::optional<uint64_t> deadline;
    if (args.a[2] != 0) {
        auto timeout = mm::read_user(args.ptr<const abi::Timespec>(2));
        if (timeout.is_error())
            return error_result(Error::Fault);
        if (timeout.value().sec < 0 || timeout.value().nsec < 0 || timeout.value().nsec >= 1'000'000'000)
            return error_result(Error::Invalid);
        deadline = arch::monotonic_ns() + static_cast<uint64_t>(timeout.value().sec) * 1'000'000'000 +
                   static_cast<uint64_t>(timeout.value().nsec);
    }
    if (args.a[3] != 0 && args.a[4] != sizeof(abi::Sigset))
        return error_result(Error::Invalid);
    auto* fds = static_cast<abi::PollFd*>(mm::kmalloc(count ? count * sizeof(abi::PollFd) : 1));
    if (!fds)
        return error_result(Error::NoMemory);
    int64_t result;
    if (mm::copy_from_user(fds, args.ptr<const void>(0), count * sizeof(abi::PollFd)).is_error()) {
        result = error_result(Error::Fault);
    } else {
        for (;;) {
            int64_t ready = 0;
            for (uint64_t i = 0; i < count; ++i) {
                fds[i].revents = ready_events(fds[i].fd, fds[i].events);
                ready += fds[i].revents ? 1 : 0;
            }
            uint64_t now = arch::monotonic_ns();
            if (ready || (deadline && now >= *deadline)) {
                result = ready;
                break;
            }
            if (current().fatal_signal) {
                result = error_result(Error::Interrupted);
                break;
            }
            uint64_t step = deadline && *deadline - now < k_poll_interval_ns ? *deadline - now : k_poll_interval_ns;
            sched::sleep_ns(step);
        }
        if (result >= 0 && mm::copy_to_user(args.ptr<void>(0), fds, count * sizeof(abi::PollFd)).is_error())
            result = error_result(Error::Fault);
    }
    mm::kfree(fds);
    return result;
}

int64_t sys_pselect6(const SyscallArgs&) { return error_result(Error::NotImplemented); }  // TODO(issue 6)

}  // namespace akuma::sys
