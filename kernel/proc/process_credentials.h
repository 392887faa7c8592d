// Where a process's credentials live and how they are read and changed.
// Every process has one set (the threads of a process share it: glibc's
// set*id wrappers change all threads anyway, and a raw set*id call in one
// thread changes them for all here, where Linux would change that thread
// only). The credentials lock guards Process::credentials: readers copy
// them out (a consistent snapshot), writers copy, change and put back.
#pragma once

#include <type_traits>
#include <utility>

#include "kernel/lib/error_or.h"
#include "kernel/proc/credentials.h"

namespace akuma::proc {

struct Process;

// A snapshot of `process`'s credentials.
Credentials credentials_of(const Process& process);

// The calling process's credentials; a kernel thread (no process) is root.
Credentials current_credentials();

// Whether the caller has a capability (a kernel thread has all).
bool current_capable(Capability capability);

// Linux's ptrace_may_access(..., PTRACE_MODE_*_REALCREDS) of another
// process (get_robust_list, process_vm_readv/writev): the caller's real
// user and group are each of the target's (real, effective, saved) and the
// target is dumpable; or the caller has CAP_SYS_PTRACE.
bool may_inspect(const Credentials& caller, const Process& target);

// Applies `change` to a copy of the caller's credentials and, if it
// succeeds, makes the copy the process's credentials (atomically with
// respect to other readers and writers). `change` runs under a spinlock:
// it must not sleep or allocate.
template <typename Change>
auto change_current_credentials(Change&& change) -> decltype(change(std::declval<Credentials&>()));

// The non-template part: `apply(context, credentials)` as above.
ErrorOr<void> change_current_credentials_with(ErrorOr<void> (*apply)(void* context, Credentials& credentials),
                                              void* context);

// Replaces a process's credentials: a new one's (fork), or at execve
// once the other threads are gone.
void set_credentials(Process& process, Credentials credentials);

template <typename Change>
auto change_current_credentials(Change&& change) -> decltype(change(std::declval<Credentials&>())) {
    using Function = std::remove_reference_t<Change>;
    return change_current_credentials_with(
        [](void* context, Credentials& credentials) -> ErrorOr<void> {
            return (*static_cast<Function*>(context))(credentials);
        },
        const_cast<void*>(static_cast<const void*>(&change)));
}

}  // namespace akuma::proc
