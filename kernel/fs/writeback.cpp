#include "kernel/fs/writeback.h"

#include "kernel/fs/vfs.h"
#include "kernel/lib/kprint.h"
#include "kernel/sched/scheduler.h"
#include "kernel/sched/wait_queue.h"

namespace akuma::fs {

namespace {

constinit bool g_started = false;
constinit bool g_due = false;  // a write-back is wanted and not yet begun
constinit sched::WaitQueue g_idle;

uint64_t writeback_thread(void*) {
    for (;;) {
        {
            sched::SchedulerLockGuard guard;
            while (!__atomic_load_n(&g_due, __ATOMIC_ACQUIRE))
                g_idle.wait(guard);
        }
        sched::sleep_ns(k_write_back_delay_ns);
        // Whatever is dirtied from here on asks for the next round.
        __atomic_store_n(&g_due, false, __ATOMIC_RELEASE);
        write_back_file_systems();
    }
    return 0;
}

}  // namespace

void writeback_init() {
    auto thread = sched::spawn("writeback", writeback_thread, nullptr);
    if (thread.is_error()) {
        kprintln("[VFS] no write-back thread ({}): dirty data waits for sync or memory pressure",
                 error_name(thread.error()));
        return;
    }
    __atomic_store_n(&g_started, true, __ATOMIC_RELEASE);
}

void write_back_soon() {
    if (!__atomic_load_n(&g_started, __ATOMIC_ACQUIRE) || __atomic_load_n(&g_due, __ATOMIC_RELAXED))
        return;
    if (__atomic_exchange_n(&g_due, true, __ATOMIC_ACQ_REL))
        return;
    sched::SchedulerLockGuard guard;
    g_idle.wake_all(guard);
}

}  // namespace akuma::fs
