// POSIX message queues (ipc/posix_mq.h): mq_open, mq_unlink, mq_timedsend,
// mq_timedreceive, mq_notify, mq_getsetattr. Arguments are checked in
// Linux's order (the attributes or timeout first, then the descriptor).
#include "kernel/ipc/posix_mq.h"
#include "kernel/syscalls/file_helpers.h"
#include "kernel/syscalls/time_helpers.h"

namespace akuma::sys {

namespace abi = linux_abi;

namespace {

// struct mq_attr: four longs, then four reserved.
struct LinuxMqAttr {
    int64_t flags;
    int64_t max_messages;
    int64_t message_size;
    int64_t current_messages;
    int64_t reserved[4];
};
static_assert(sizeof(LinuxMqAttr) == 64);

constexpr int32_t k_sigev_signal = 0;
constexpr int32_t k_sigev_none = 1;

// An absolute CLOCK_REALTIME timeout as a monotonic deadline (EFAULT, EINVAL).
ErrorOr<std::optional<uint64_t>> deadline_of(uint64_t pointer) {
    if (!pointer)
        return std::optional<uint64_t> {};
    uint64_t realtime = TRY(read_timespec_ns(mm::UserPtr<const abi::Timespec>(pointer)));
    return std::optional<uint64_t>(monotonic_from_realtime_ns(realtime));
}

ErrorOr<int> mq_open(const SyscallArgs& args) {
    uint32_t flags = static_cast<uint32_t>(args.a[1]);
    std::optional<ipc::MqAttributes> attributes;
    if (args.a[3]) {
        auto given = TRY(mm::read_user(args.ptr<const LinuxMqAttr>(3)));
        attributes = ipc::MqAttributes { given.flags, given.max_messages, given.message_size, 0 };
    }
    auto name = TRY(UserPath::copy(args.ptr<const char>(0)));
    fs::File* file = TRY(ipc::mq_open(name.view(), flags, static_cast<uint32_t>(args.a[2]), current().umask,
                                      attributes ? &*attributes : nullptr));
    auto fd = current().files->install(file, flags & abi::k_o_cloexec);
    if (fd.is_error())
        fs::release(file);
    return fd;
}

ErrorOr<void> mq_unlink(const SyscallArgs& args) {
    auto name = TRY(UserPath::copy(args.ptr<const char>(0)));
    return ipc::mq_unlink(name.view());
}

ErrorOr<void> mq_timedsend(const SyscallArgs& args) {
    auto deadline = TRY(deadline_of(args.a[4]));
    if (args.a[3] >= 32768)  // MQ_PRIO_MAX
        return Error::Invalid;
    auto file = TRY(FileRef::from_fd(args.fd(0)));
    return ipc::mq_send(*file, args.ptr<const uint8_t>(1), args.a[2], static_cast<uint32_t>(args.a[3]), deadline);
}

ErrorOr<uint64_t> mq_timedreceive(const SyscallArgs& args) {
    auto deadline = TRY(deadline_of(args.a[4]));
    auto file = TRY(FileRef::from_fd(args.fd(0)));
    return ipc::mq_receive(*file, args.ptr<uint8_t>(1), args.a[2], args.ptr<uint32_t>(3), deadline);
}

// SIGEV_THREAD (glibc's helper thread behind a netlink socket) is not
// supported: EINVAL.
ErrorOr<void> mq_notify(const SyscallArgs& args) {
    std::optional<ipc::MqNotification> notification;
    if (args.a[1]) {
        auto event = TRY(mm::read_user(args.ptr<const abi::Sigevent>(1)));
        if (event.notify != k_sigev_signal && event.notify != k_sigev_none)
            return Error::Invalid;
        if (event.notify == k_sigev_signal && (event.signo < 0 || event.signo > 64))
            return Error::Invalid;
        notification = ipc::MqNotification { event.notify, event.signo, event.value };
    }
    auto file = TRY(FileRef::from_fd(args.fd(0)));
    return ipc::mq_notify(*file, notification);
}

ErrorOr<void> mq_getsetattr(const SyscallArgs& args) {
    std::optional<bool> nonblocking;
    if (args.a[1]) {
        auto wanted = TRY(mm::read_user(args.ptr<const LinuxMqAttr>(1)));
        if (wanted.flags & ~int64_t { abi::k_o_nonblock })
            return Error::Invalid;
        nonblocking = (wanted.flags & abi::k_o_nonblock) != 0;
    }
    auto file = TRY(FileRef::from_fd(args.fd(0)));
    auto attributes = TRY(ipc::mq_attributes(*file, nonblocking));
    if (args.a[2])
        TRY(mm::write_user(args.ptr<LinuxMqAttr>(2),
                           LinuxMqAttr { attributes.flags, attributes.max_messages, attributes.message_size,
                                         attributes.current_messages, {} }));
    return {};
}

}  // namespace

int64_t sys_mq_open(const SyscallArgs& args) { return to_result(mq_open(args)); }
int64_t sys_mq_unlink(const SyscallArgs& args) { return to_result(mq_unlink(args)); }
int64_t sys_mq_timedsend(const SyscallArgs& args) { return to_result(mq_timedsend(args)); }
int64_t sys_mq_timedreceive(const SyscallArgs& args) { return to_result(mq_timedreceive(args)); }
int64_t sys_mq_notify(const SyscallArgs& args) { return to_result(mq_notify(args)); }
int64_t sys_mq_getsetattr(const SyscallArgs& args) { return to_result(mq_getsetattr(args)); }

}  // namespace akuma::sys
