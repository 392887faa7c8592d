// Signal-driven I/O of an open file description (file.h): its owner and
// signal (Linux's fown_struct), and with O_ASYNC a hook on the file's poll
// queue that signals the owner whenever the file may have become readable
// or writable (Linux's fasync list and kill_fasync).
#include <new>

#include "kernel/fs/file.h"
#include "kernel/fs/poll_queue.h"
#include "kernel/sched/scheduler.h"
#include "kernel/syscalls/linux_abi.h"

namespace akuma::fs {

namespace abi = linux_abi;

// All fields under the scheduler lock (notify() runs with it held).
class AsyncIo final : public PollHook {
public:
    explicit AsyncIo(File& file) : m_file(file) {}

    bool notify(sched::SchedulerLockGuard& guard, uint16_t events) override {
        constexpr uint16_t k_in = abi::k_pollin | abi::k_pollrdnorm | abi::k_pollrdband | abi::k_pollpri;
        constexpr uint16_t k_out = abi::k_pollout | abi::k_pollwrnorm | abi::k_pollwrband;
        bool readable = m_file.is_readable();
        bool writable = m_file.is_writable();
        // As Linux's pipes and ttys: new data is POLL_IN for readers, room
        // is POLL_OUT for writers; "anything" (a hang-up) is the former.
        bool in = readable && (events == k_poll_any_event || (events & k_in));
        bool out = writable && (events == k_poll_any_event ? !readable : (events & k_out) != 0);
        if (in)
            proc::send_io_signal_locked(guard, owner, signal, abi::k_poll_in, abi::k_pollin | abi::k_pollrdnorm, fd);
        if (out)
            proc::send_io_signal_locked(guard, owner, signal, abi::k_poll_out,
                                        abi::k_pollout | abi::k_pollwrnorm | abi::k_pollwrband, fd);
        return true;
    }

    proc::IoSignalOwner owner;
    int signal { 0 };
    int fd { -1 };
    PollQueue* queue { nullptr };  // where the hook is while O_ASYNC is on

private:
    File& m_file;
};

ErrorOr<AsyncIo*> File::async_io() {
    if (AsyncIo* existing = __atomic_load_n(&m_async, __ATOMIC_ACQUIRE))
        return existing;
    auto* made = new (std::nothrow) AsyncIo(*this);
    if (!made)
        return Error::NoMemory;
    AsyncIo* expected = nullptr;
    if (!__atomic_compare_exchange_n(&m_async, &expected, made, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        delete made;  // another thread's came first
        return expected;
    }
    return made;
}

void File::end_async_io() {
    if (!m_async)
        return;
    {
        sched::SchedulerLockGuard guard;
        if (m_async->queue)
            m_async->queue->remove(guard, *m_async);
    }
    delete m_async;
    m_async = nullptr;
}

proc::IoSignalOwner File::io_owner() const {
    AsyncIo* async = __atomic_load_n(&m_async, __ATOMIC_ACQUIRE);
    if (!async)
        return {};
    sched::SchedulerLockGuard guard;
    return async->owner;
}

int File::io_signal() const {
    AsyncIo* async = __atomic_load_n(&m_async, __ATOMIC_ACQUIRE);
    if (!async)
        return 0;
    sched::SchedulerLockGuard guard;
    return async->signal;
}

ErrorOr<void> File::set_io_owner(const proc::IoSignalOwner& owner) {
    AsyncIo* async = TRY(async_io());
    sched::SchedulerLockGuard guard;
    async->owner = owner;
    return {};
}

ErrorOr<void> File::set_io_signal(int signal) {
    if (signal < 0 || signal > 64)
        return Error::Invalid;
    AsyncIo* async = TRY(async_io());
    sched::SchedulerLockGuard guard;
    async->signal = signal;
    return {};
}

ErrorOr<void> File::set_async(bool on, int fd) {
    PollQueue* queue = signals_readiness() ? poll_queue() : nullptr;
    if (queue) {
        AsyncIo* async = TRY(async_io());
        sched::SchedulerLockGuard guard;
        if (on) {
            async->fd = fd;
            if (!async->queue) {
                queue->add(guard, *async);
                async->queue = queue;
            }
        } else if (async->queue) {
            async->queue->remove(guard, *async);
            async->queue = nullptr;
        }
    }
    change_flags(abi::k_o_fasync, on ? abi::k_o_fasync : 0);
    return {};
}

}  // namespace akuma::fs
