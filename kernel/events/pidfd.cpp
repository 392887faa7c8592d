#include "kernel/events/pidfd.h"

#include <new>

#include "kernel/events/anonymous_file.h"
#include "kernel/fs/poll_queue.h"
#include "kernel/proc/process.h"
#include "kernel/sched/scheduler.h"
#include "kernel/syscalls/linux_abi.h"

namespace akuma::events {

namespace abi = linux_abi;

namespace {

// All pidfds' pollers (scheduler lock), notified at every exit: spurious
// wake-ups instead of a queue per process that pidfds would keep alive.
constinit fs::PollQueue g_exits;

class PidFile final : public AnonymousFile {
public:
    static constexpr const char* k_kind = "[pidfd]";
    PidFile(int pid, uint32_t flags) : AnonymousFile(flags, k_kind), m_pid(pid) {}

    uint16_t poll_events() override {
        sched::SchedulerLockGuard guard;
        proc::Process* process = proc::find_process_locked(pid());
        bool exited = !process || process->state == proc::ProcessState::Zombie;
        return exited ? abi::k_pollin | abi::k_pollrdnorm : 0;
    }
    fs::PollQueue* poll_queue() override { return &g_exits; }

    int pid() const { return __atomic_load_n(&m_pid, __ATOMIC_ACQUIRE); }
    void set_pid(int pid) { __atomic_store_n(&m_pid, pid, __ATOMIC_RELEASE); }

private:
    int m_pid;  // k_pidfd_unborn until clone names the child
};

}  // namespace

ErrorOr<fs::File*> create_pidfd(int pid, uint32_t file_flags) {
    auto* file = new (std::nothrow) PidFile(pid, file_flags);
    if (!file)
        return Error::NoMemory;
    return static_cast<fs::File*>(file);
}

std::optional<int> pidfd_pid(fs::File& file) {
    auto* anonymous = file.anonymous();
    if (!anonymous || anonymous->kind() != PidFile::k_kind)
        return std::nullopt;
    return static_cast<PidFile*>(anonymous)->pid();
}

void set_pidfd_pid(fs::File& file, int pid) {
    auto* anonymous = file.anonymous();
    if (anonymous && anonymous->kind() == PidFile::k_kind)
        static_cast<PidFile*>(anonymous)->set_pid(pid);
}

void pidfd_process_exited_locked(sched::SchedulerLockGuard& guard) {
    if (!g_exits.is_empty())
        g_exits.notify(guard, abi::k_pollin | abi::k_pollrdnorm);
}

}  // namespace akuma::events
