// Shared between scheduler.cpp, thread.cpp and wait_queue.cpp only.
#pragma once

#include "kernel/sched/scheduler.h"

namespace akuma::sched {

// A Thread record without a stack (the boot thread uses the boot stack).
ErrorOr<Thread*> allocate_thread_record(const char* name);
// Frees exited detached threads (called by the idle thread).
void reap_detached_threads();
// Called by a new thread, which starts holding the scheduler lock.
void release_scheduler_lock_in_new_thread();
SchedulerStats& stats_locked();

}  // namespace akuma::sched
