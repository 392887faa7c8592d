#include "kernel/proc/process_credentials.h"

#include "kernel/proc/process.h"
#include "kernel/sched/spinlock.h"

namespace akuma::proc {

namespace {

// Held for copies only (no allocation, no sleep): group lists are shared
// by reference, and the list a change drops is freed after the unlock.
constinit IrqSpinLock g_credentials_lock {};

}  // namespace

Credentials credentials_of(const Process& process) {
    SpinLockGuard guard(g_credentials_lock);
    return process.credentials;
}

Credentials current_credentials() {
    Task* task = current_task();
    if (!task)
        return root_credentials();
    return credentials_of(*task->process);
}

bool current_capable(Capability capability) { return current_credentials().capable(capability); }

bool may_inspect(const Credentials& caller, const Process& target) {
    if (caller.capable(Capability::SysPtrace))
        return true;
    Credentials credentials = credentials_of(target);
    bool same_user = caller.uid == credentials.uid && caller.uid == credentials.euid &&
                     caller.uid == credentials.suid && caller.gid == credentials.gid &&
                     caller.gid == credentials.egid && caller.gid == credentials.sgid;
    return same_user && __atomic_load_n(&target.dumpable, __ATOMIC_RELAXED);
}

ErrorOr<void> change_current_credentials_with(ErrorOr<void> (*apply)(void* context, Credentials& credentials),
                                              void* context) {
    Task* task = current_task();
    VERIFY(task);
    Credentials changed;
    {
        SpinLockGuard guard(g_credentials_lock);
        changed = task->process->credentials;
        TRY(apply(context, changed));
        if (changes_dumpability(task->process->credentials, changed)) {
            __atomic_store_n(&task->process->dumpable, false, __ATOMIC_RELAXED);
            __atomic_store_n(&task->parent_death_signal, 0, __ATOMIC_RELAXED);  // as Linux's commit_creds
        }
        // The old credentials leave in `changed`, freed after the unlock.
        Credentials swapped = std::move(task->process->credentials);
        task->process->credentials = std::move(changed);
        changed = std::move(swapped);
    }
    return {};
}

void set_credentials(Process& process, Credentials credentials) {
    SpinLockGuard guard(g_credentials_lock);
    process.credentials = std::move(credentials);
}

}  // namespace akuma::proc
