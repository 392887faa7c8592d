// System V IPC: msgget/msgsnd/msgrcv/msgctl, semget/semop/semtimedop/
// semctl, shmget/shmat/shmdt/shmctl (kernel/ipc/). Arguments are taken as
// Linux's prototypes declare them (int IDs and commands, so the upper
// halves of those registers are ignored).
#include "kernel/ipc/ipc_abi.h"
#include "kernel/ipc/msg_queue.h"
#include "kernel/ipc/semaphores.h"
#include "kernel/ipc/shared_memory.h"
#include "kernel/syscalls/syscall.h"
#include "kernel/syscalls/time_helpers.h"

namespace akuma::sys {

namespace {

int32_t int_argument(const SyscallArgs& args, unsigned index) { return static_cast<int32_t>(args.a[index]); }

}  // namespace

int64_t sys_msgget(const SyscallArgs& args) {
    return to_result(ipc::msg_get(int_argument(args, 0), static_cast<uint32_t>(args.a[1])));
}

int64_t sys_msgsnd(const SyscallArgs& args) {
    return to_result(ipc::msg_send(int_argument(args, 0), args.a[1], args.a[2], static_cast<uint32_t>(args.a[3])));
}

int64_t sys_msgrcv(const SyscallArgs& args) {
    return to_result(ipc::msg_receive(int_argument(args, 0), args.a[1], args.a[2], static_cast<int64_t>(args.a[3]),
                                      static_cast<uint32_t>(args.a[4])));
}

int64_t sys_msgctl(const SyscallArgs& args) {
    return to_result(ipc::msg_control(int_argument(args, 0), int_argument(args, 1), args.a[2]));
}

int64_t sys_semget(const SyscallArgs& args) {
    return to_result(ipc::sem_get(int_argument(args, 0), int_argument(args, 1), static_cast<uint32_t>(args.a[2])));
}

int64_t sys_semop(const SyscallArgs& args) {
    return to_result(ipc::sem_operate(int_argument(args, 0), args.a[1], args.a[2], std::nullopt));
}

int64_t sys_semtimedop(const SyscallArgs& args) {
    int32_t id = int_argument(args, 0);
    uint64_t count = args.a[2];
    std::optional<uint64_t> timeout;
    if (args.a[3]) {
        // Linux checks the count before it reads the timeout.
        if (count < 1 || id < 0)
            return error_result(Error::Invalid);
        if (count > ipc::k_semopm)
            return error_result(Error::TooBig);
        auto value = read_timespec_ns(args.ptr<const linux_abi::Timespec>(3));
        if (value.is_error())
            return error_result(value.error());
        timeout = value.value();
    }
    return to_result(ipc::sem_operate(id, args.a[1], count, timeout));
}

int64_t sys_semctl(const SyscallArgs& args) {
    return to_result(ipc::sem_control(int_argument(args, 0), int_argument(args, 1), int_argument(args, 2), args.a[3]));
}

int64_t sys_shmget(const SyscallArgs& args) {
    return to_result(ipc::shm_get(int_argument(args, 0), args.a[1], static_cast<uint32_t>(args.a[2])));
}

int64_t sys_shmat(const SyscallArgs& args) {
    return to_result(ipc::shm_attach(int_argument(args, 0), args.a[1], static_cast<uint32_t>(args.a[2])));
}

int64_t sys_shmdt(const SyscallArgs& args) { return to_result(ipc::shm_detach(args.a[0])); }

int64_t sys_shmctl(const SyscallArgs& args) {
    return to_result(ipc::shm_control(int_argument(args, 0), int_argument(args, 1), args.a[2]));
}

}  // namespace akuma::sys
