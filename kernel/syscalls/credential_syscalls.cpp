// Who a process is: the user and group ID calls (real, effective, saved
// and file-system IDs; the supplementary groups), capget/capset and chroot.
// The rules are proc/credentials.h's; this file moves values in and out.
#include "kernel/fs/permission.h"
#include "kernel/fs/vfs.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/proc/process.h"
#include "kernel/proc/process_credentials.h"
#include "kernel/sched/scheduler.h"
#include "kernel/syscalls/file_helpers.h"
#include "kernel/syscalls/syscall.h"
#include "kernel/syscalls/transfer.h"

namespace akuma::sys {

namespace {

constexpr int k_max_groups = 65536;  // NGROUPS_MAX

proc::Credentials mine() { return proc::current_credentials(); }

uint32_t id_argument(uint64_t value) { return static_cast<uint32_t>(value); }

template <typename Change>
int64_t change(Change&& apply) {
    return to_result(proc::change_current_credentials(apply));
}

ErrorOr<void> write_three(const SyscallArgs& args, uint32_t a, uint32_t b, uint32_t c) {
    TRY(mm::write_user(args.ptr<uint32_t>(0), a));
    TRY(mm::write_user(args.ptr<uint32_t>(1), b));
    return mm::write_user(args.ptr<uint32_t>(2), c);
}

ErrorOr<int> getgroups(const SyscallArgs& args) {
    int size = static_cast<int>(args.a[0]);
    if (size < 0)
        return Error::Invalid;
    proc::Credentials credentials = mine();
    auto groups = credentials.groups.view();
    if (size == 0)
        return static_cast<int>(groups.size());
    if (static_cast<size_t>(size) < groups.size())
        return Error::Invalid;
    TRY(mm::copy_to_user(args.ptr<void>(1), groups.data(), groups.size() * sizeof(uint32_t)));
    return static_cast<int>(groups.size());
}

ErrorOr<void> setgroups(const SyscallArgs& args) {
    // Linux: the privilege first, then the size, then the list.
    if (!proc::current_capable(proc::Capability::Setgid))
        return Error::NotPermitted;
    int size = static_cast<int>(args.a[0]);
    if (size < 0 || size > k_max_groups)
        return Error::Invalid;
    proc::GroupList groups;
    if (size > 0) {
        auto* list = static_cast<uint32_t*>(mm::kmalloc(static_cast<size_t>(size) * sizeof(uint32_t)));
        if (!list)
            return Error::NoMemory;
        auto copied = mm::copy_from_user(list, args.ptr<const void>(1), static_cast<size_t>(size) * sizeof(uint32_t));
        auto made = copied.is_error() ? ErrorOr<proc::GroupList>(copied.error())
                                      : proc::GroupList::create({ list, static_cast<size_t>(size) });
        mm::kfree(list);
        groups = TRY(std::move(made));
    }
    return proc::change_current_credentials(
        [&](proc::Credentials& credentials) { return proc::set_groups(credentials, groups); });
}

// chroot(2): Linux's order: the lookup, search permission, then
// CAP_SYS_CHROOT.
ErrorOr<void> chroot(const SyscallArgs& args) {
    auto path = TRY(UserPath::copy(args.ptr<const char>(0)));
    auto base = TRY(directory_for(linux_abi::k_at_fdcwd, path.view()));
    auto directory = TRY(fs::resolve_path(base, path.view(), true));
    if (!directory->is_directory())
        return Error::NotADirectory;
    TRY(fs::check_current_access(directory, fs::k_may_exec));
    if (!proc::current_capable(proc::Capability::SysChroot))
        return Error::NotPermitted;
    return fs::change_root(directory);
}

constexpr uint32_t k_capability_v1 = 0x19980330;  // one 32-bit set
constexpr uint32_t k_capability_v2 = 0x20071026;  // two (deprecated, as v3)
constexpr uint32_t k_capability_v3 = 0x20080522;  // two

struct CapabilityHeader {
    uint32_t version;
    int32_t pid;
};
struct CapabilityData {
    uint32_t effective;
    uint32_t permitted;
    uint32_t inheritable;
};

// How many data structs the header's version takes; Invalid (with the
// preferred version written back, as Linux's cap_validate_magic) otherwise.
ErrorOr<size_t> capability_words(uint64_t header) {
    auto value = TRY(mm::read_user(mm::UserPtr<const CapabilityHeader>(header)));
    if (value.version == k_capability_v1)
        return size_t { 1 };
    if (value.version == k_capability_v2 || value.version == k_capability_v3)
        return size_t { 2 };
    TRY(mm::write_user(mm::UserPtr<uint32_t>(header), k_capability_v3));
    return Error::Invalid;
}

ErrorOr<void> capget(const SyscallArgs& args) {
    auto words = capability_words(args.a[0]);
    if (args.a[1] == 0)  // asking which version is preferred
        return words.is_error() && words.error() != Error::Invalid ? ErrorOr<void>(words.error()) : ErrorOr<void> {};
    size_t count = TRY(std::move(words));
    int pid = TRY(mm::read_user(mm::UserPtr<const CapabilityHeader>(args.a[0]))).pid;
    if (pid < 0)
        return Error::Invalid;
    proc::CapabilitySets sets;
    {
        sched::SchedulerLockGuard guard;
        proc::Process* target = pid == 0 ? &current() : proc::find_process_locked(pid);
        if (!target || target->state == proc::ProcessState::Zombie)
            return Error::NoSuchProcess;
        sets = proc::credentials_of(*target).capabilities;
    }
    CapabilityData data[2];
    for (size_t i = 0; i < 2; ++i) {
        unsigned shift = 32 * static_cast<unsigned>(i);
        data[i] = { static_cast<uint32_t>(sets.effective >> shift), static_cast<uint32_t>(sets.permitted >> shift),
                    static_cast<uint32_t>(sets.inheritable >> shift) };
    }
    return mm::copy_to_user(args.ptr<void>(1), data, count * sizeof(CapabilityData));
}

ErrorOr<void> capset(const SyscallArgs& args) {
    size_t count = TRY(capability_words(args.a[0]));
    int pid = TRY(mm::read_user(mm::UserPtr<const CapabilityHeader>(args.a[0]))).pid;
    CapabilityData data[2] {};
    TRY(mm::copy_from_user(data, args.ptr<const void>(1), count * sizeof(CapabilityData)));
    auto combine = [&](uint32_t CapabilityData::*field) {
        return uint64_t { data[0].*field } | (count > 1 ? uint64_t { data[1].*field } << 32 : 0);
    };
    // Only the caller's own sets (Linux: EPERM for another process).
    if (pid != 0 && pid != current().pid)
        return Error::NotPermitted;
    uint64_t effective = combine(&CapabilityData::effective);
    uint64_t permitted = combine(&CapabilityData::permitted);
    uint64_t inheritable = combine(&CapabilityData::inheritable);
    return proc::change_current_credentials([&](proc::Credentials& credentials) -> ErrorOr<void> {
        proc::CapabilitySets& sets = credentials.capabilities;
        // v1 sets only the low 32 bits; the others stay.
        if (count == 1) {
            effective |= sets.effective & ~uint64_t { 0xffffffff };
            permitted |= sets.permitted & ~uint64_t { 0xffffffff };
            inheritable |= sets.inheritable & ~uint64_t { 0xffffffff };
        }
        // Linux's cap_capset: the inheritable set grows only within the
        // permitted one, or anywhere in the bounding set (all) with
        // CAP_SETPCAP effective; nothing beyond what is permitted now;
        // nothing effective that is not permitted.
        bool setpcap = credentials.capable(proc::Capability::Setpcap);
        uint64_t inheritable_room = sets.inheritable | (setpcap ? proc::k_all_capabilities : sets.permitted);
        if ((inheritable & ~inheritable_room) || (permitted & ~sets.permitted) || (effective & ~permitted))
            return Error::NotPermitted;
        sets = { effective, permitted, inheritable };
        return {};
    });
}

}  // namespace

int64_t sys_getuid(const SyscallArgs&) { return mine().uid; }
int64_t sys_geteuid(const SyscallArgs&) { return mine().euid; }
int64_t sys_getgid(const SyscallArgs&) { return mine().gid; }
int64_t sys_getegid(const SyscallArgs&) { return mine().egid; }

int64_t sys_getresuid(const SyscallArgs& args) {
    auto credentials = mine();
    return to_result(write_three(args, credentials.uid, credentials.euid, credentials.suid));
}

int64_t sys_getresgid(const SyscallArgs& args) {
    auto credentials = mine();
    return to_result(write_three(args, credentials.gid, credentials.egid, credentials.sgid));
}

int64_t sys_setuid(const SyscallArgs& args) {
    return change([&](proc::Credentials& c) { return proc::set_uid(c, id_argument(args.a[0])); });
}

int64_t sys_setgid(const SyscallArgs& args) {
    return change([&](proc::Credentials& c) { return proc::set_gid(c, id_argument(args.a[0])); });
}

int64_t sys_setreuid(const SyscallArgs& args) {
    return change([&](proc::Credentials& c) { return proc::set_reuid(c, id_argument(args.a[0]), id_argument(args.a[1])); });
}

int64_t sys_setregid(const SyscallArgs& args) {
    return change([&](proc::Credentials& c) { return proc::set_regid(c, id_argument(args.a[0]), id_argument(args.a[1])); });
}

int64_t sys_setresuid(const SyscallArgs& args) {
    return change([&](proc::Credentials& c) {
        return proc::set_resuid(c, id_argument(args.a[0]), id_argument(args.a[1]), id_argument(args.a[2]));
    });
}

int64_t sys_setresgid(const SyscallArgs& args) {
    return change([&](proc::Credentials& c) {
        return proc::set_resgid(c, id_argument(args.a[0]), id_argument(args.a[1]), id_argument(args.a[2]));
    });
}

// setfsuid/setfsgid answer the previous ID whether or not they changed it.
int64_t sys_setfsuid(const SyscallArgs& args) {
    uint32_t previous = 0;
    (void)proc::change_current_credentials([&](proc::Credentials& c) -> ErrorOr<void> {
        previous = proc::set_fsuid(c, id_argument(args.a[0]));
        return {};
    });
    return previous;
}

int64_t sys_setfsgid(const SyscallArgs& args) {
    uint32_t previous = 0;
    (void)proc::change_current_credentials([&](proc::Credentials& c) -> ErrorOr<void> {
        previous = proc::set_fsgid(c, id_argument(args.a[0]));
        return {};
    });
    return previous;
}

int64_t sys_getgroups(const SyscallArgs& args) { return to_result(getgroups(args)); }
int64_t sys_setgroups(const SyscallArgs& args) { return to_result(setgroups(args)); }
int64_t sys_capget(const SyscallArgs& args) { return to_result(capget(args)); }
int64_t sys_capset(const SyscallArgs& args) { return to_result(capset(args)); }
int64_t sys_chroot(const SyscallArgs& args) { return to_result(chroot(args)); }

}  // namespace akuma::sys
