// Looking at other processes from the outside (/proc/<pid>/...): what a
// reader may hold on to after it let go of the scheduler lock.
//
// The process resources lock (a sleeping mutex) pins, for as long as it is
// held, every Process record (free_reaped_process takes it before freeing
// one), and each process's address space, descriptor table, cwd and
// ProgramInfo: whoever destroys or replaces one of those holds this lock
// while doing so (finish_process, execve's swap of address spaces,
// load_program's ProgramInfo, free_reaped_process). Fields that change
// under the scheduler lock (state, tree, signals) are still read under it.
//
// Lock order: this lock first, then an address space's or descriptor
// table's mutex, the VFS lock, and the scheduler lock last. It is never
// taken with the scheduler lock held.
#pragma once

#include "kernel/sched/mutex.h"

namespace akuma::proc {

sched::Mutex& process_resources_lock();

class ProcessResourcesGuard {
public:
    ProcessResourcesGuard() : m_guard(process_resources_lock()) {}

private:
    sched::MutexGuard m_guard;
};

}  // namespace akuma::proc
