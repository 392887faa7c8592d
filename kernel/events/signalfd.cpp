#include "kernel/events/signalfd.h"

#include <new>

#include "kernel/events/anonymous_file.h"
#include "kernel/fs/poll_queue.h"
#include "kernel/proc/process.h"
#include "kernel/sched/scheduler.h"
#include "kernel/syscalls/linux_abi.h"

namespace akuma::events {

namespace abi = linux_abi;

namespace {

// struct signalfd_siginfo.
struct SignalfdSiginfo {
    uint32_t signo;
    int32_t errno_value;
    int32_t code;
    uint32_t pid;
    uint32_t uid;
    int32_t fd;
    uint32_t tid;
    uint32_t band;
    uint32_t overrun;
    uint32_t trapno;
    int32_t status;
    int32_t int_value;
    uint64_t ptr;
    uint64_t utime;
    uint64_t stime;
    uint64_t addr;
    uint16_t addr_lsb;
    uint16_t pad2;
    int32_t syscall;
    uint64_t call_addr;
    uint32_t arch;
    uint8_t pad[28];
};
static_assert(sizeof(SignalfdSiginfo) == 128);

constexpr uint64_t signal_bit(int signal) { return uint64_t { 1 } << (signal - 1); }
constexpr uint64_t k_never_in_mask = signal_bit(abi::k_sigkill) | signal_bit(abi::k_sigstop);

// Both under the scheduler lock.
constinit sched::WaitQueue g_readers;
constinit fs::PollQueue g_poll;

SignalfdSiginfo record_of(int signal, const proc::SignalInfo& info) {
    SignalfdSiginfo record {};
    record.signo = static_cast<uint32_t>(signal);
    record.errno_value = info.errno_value;
    record.code = info.code;
    if (info.code == abi::k_si_timer) {
        record.tid = static_cast<uint32_t>(info.timer_id);
        record.overrun = static_cast<uint32_t>(info.overrun);
        record.int_value = static_cast<int32_t>(info.value);
        record.ptr = info.value;
        return record;
    }
    if (info.code > 0 && info.code <= abi::k_poll_hup && info.signo != abi::k_sigchld &&
        !proc::sigframe::is_fault_signal(info.signo)) {
        record.band = static_cast<uint32_t>(info.address);
        record.fd = info.status;
        return record;
    }
    record.pid = static_cast<uint32_t>(info.pid);
    record.uid = info.uid;
    record.status = info.status;
    record.addr = info.address;
    record.int_value = static_cast<int32_t>(info.value);
    record.ptr = info.value;
    return record;
}

}  // namespace

class SignalFile final : public AnonymousFile {
public:
    static constexpr const char* k_kind = "[signalfd]";
    SignalFile(uint64_t mask, uint32_t flags) : AnonymousFile(flags, k_kind), m_mask(mask) {}

    fs::ReadContinuation read_continuation() const override { return fs::ReadContinuation::OneCall; }

    ErrorOr<size_t> read_at(std::span<uint8_t> buffer, uint64_t, bool nonblocking) override {
        size_t capacity = buffer.size() / sizeof(SignalfdSiginfo);
        if (capacity == 0)
            return Error::Invalid;
        proc::Task& task = *proc::current_task();
        size_t count = 0;
        bool interrupted = false;
        sched::SchedulerLockGuard guard;
        while (count < capacity) {
            proc::SignalInfo info {};
            int signal = proc::take_signal_locked(task, mask_locked(), info);
            if (signal) {
                SignalfdSiginfo record = record_of(signal, info);
                __builtin_memcpy(buffer.data() + count * sizeof record, &record, sizeof record);
                ++count;
                continue;
            }
            if (count > 0)
                break;  // only the first record is waited for
            if (nonblocking)
                return Error::TryAgain;
            if (interrupted)
                return Error::Interrupted;  // and none of the mask came with it
            interrupted = g_readers.wait_interruptible(guard) == sched::WaitResult::Interrupted;
        }
        proc::recalc_signal_pending(task);
        return count * sizeof(SignalfdSiginfo);
    }

    uint16_t poll_events() override {
        proc::Task& task = *proc::current_task();
        sched::SchedulerLockGuard guard;
        uint64_t pending = task.pending.mask() | task.process->pending.mask();
        return (pending & mask_locked()) ? abi::k_pollin : 0;
    }
    fs::PollQueue* poll_queue() override { return &g_poll; }

    void set_mask(uint64_t mask) {
        sched::SchedulerLockGuard guard;
        m_mask = mask;
        // What is pending may be readable now.
        g_readers.wake_all(guard);
        g_poll.notify(guard, abi::k_pollin);
    }

private:
    uint64_t mask_locked() const { return m_mask & ~k_never_in_mask; }
    uint64_t m_mask;  // scheduler lock
};

ErrorOr<fs::File*> create_signalfd(uint64_t mask, uint32_t file_flags) {
    auto* file = new (std::nothrow) SignalFile(mask, file_flags);
    if (!file)
        return Error::NoMemory;
    return file;
}

SignalFile* as_signalfd(fs::File& file) {
    auto* anonymous = file.anonymous();
    return anonymous && anonymous->kind() == SignalFile::k_kind ? static_cast<SignalFile*>(anonymous) : nullptr;
}

void signalfd_set_mask(SignalFile& file, uint64_t mask) { file.set_mask(mask); }

void signalfd_signal_queued_locked(sched::SchedulerLockGuard& guard) {
    g_readers.wake_all(guard);
    if (!g_poll.is_empty())
        g_poll.notify(guard, abi::k_pollin);
}

}  // namespace akuma::events
