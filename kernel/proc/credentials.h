// Credentials: who a process is (Linux's struct cred). Real, effective,
// saved and file-system user and group IDs, the supplementary groups and the
// capability sets. Akuma has no capabilities beyond what uid 0 implies: a
// process gets them all when it is root and loses them as Linux's
// "root emulation" (security/commoncap.c) takes them away, so capset can
// drop some and every privilege check asks `capable()`.
//
// The rules here are hardware-independent and host-tested
// (tests/host/credentials_test.cpp): the set*id transitions of Linux's
// kernel/sys.c, the capability fix-ups that follow them, and the change an
// execve of a set-user-ID or set-group-ID file makes. Where a process keeps
// its credentials and how they are read is process_credentials.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "kernel/lib/error_or.h"

namespace akuma::proc {

// Linux's capability numbers (include/uapi/linux/capability.h): those a
// check of Akuma's asks for, or CAP_FS_MASK names.
enum class Capability : unsigned {
    Chown = 0,
    DacOverride = 1,
    DacReadSearch = 2,
    Fowner = 3,
    Fsetid = 4,
    Kill = 5,
    Setgid = 6,
    Setuid = 7,
    Setpcap = 8,
    LinuxImmutable = 9,
    NetBindService = 10,
    NetAdmin = 12,
    IpcLock = 14,
    IpcOwner = 15,
    SysChroot = 18,
    SysPtrace = 19,
    SysAdmin = 21,
    SysBoot = 22,
    SysNice = 23,
    SysResource = 24,
    SysTime = 25,
    Mknod = 27,
    MacOverride = 32,
    WakeAlarm = 35,
};
constexpr unsigned k_capability_count = 41;  // CAP_LAST_CAP (40) + 1 in Linux 6.1
constexpr uint64_t k_all_capabilities = (uint64_t { 1 } << k_capability_count) - 1;
constexpr uint64_t capability_bit(Capability capability) { return uint64_t { 1 } << static_cast<unsigned>(capability); }

// The capabilities a change of the file-system user ID from or to 0 takes
// away or gives back (Linux's CAP_FS_MASK).
constexpr uint64_t k_fs_capabilities =
    capability_bit(Capability::Chown) | capability_bit(Capability::DacOverride) |
    capability_bit(Capability::DacReadSearch) | capability_bit(Capability::Fowner) |
    capability_bit(Capability::Fsetid) | capability_bit(Capability::LinuxImmutable) |
    capability_bit(Capability::Mknod) | capability_bit(Capability::MacOverride);

struct CapabilitySets {
    uint64_t effective;
    uint64_t permitted;
    uint64_t inheritable;
};

// The supplementary groups: an immutable, sorted list shared by reference
// (credentials are copied at every fork and every permission check, a
// group list is made only by setgroups).
class GroupList {
public:
    GroupList() = default;  // no groups
    // Sorted (Linux's groups_sort: getgroups answers in that order);
    // NoMemory if the list cannot be allocated.
    static ErrorOr<GroupList> create(std::span<const uint32_t> groups);
    GroupList(const GroupList& other);
    GroupList(GroupList&& other) : m_block(other.m_block) { other.m_block = nullptr; }
    GroupList& operator=(const GroupList& other);
    GroupList& operator=(GroupList&& other);
    ~GroupList() { release(); }

    std::span<const uint32_t> view() const;
    size_t size() const { return view().size(); }
    bool contains(uint32_t gid) const;

private:
    struct Block;
    explicit GroupList(Block* block) : m_block(block) {}
    void release();
    Block* m_block { nullptr };
};

// A process's credentials (a value: copy it to keep a consistent view).
struct Credentials {
    uint32_t uid { 0 }, euid { 0 }, suid { 0 }, fsuid { 0 };
    uint32_t gid { 0 }, egid { 0 }, sgid { 0 }, fsgid { 0 };
    CapabilitySets capabilities { k_all_capabilities, k_all_capabilities, 0 };
    // prctl(PR_SET_KEEPCAPS): the permitted set survives the change of every
    // user ID from 0 (cleared by execve, as on Linux).
    bool keep_capabilities { false };
    GroupList groups;

    bool capable(Capability capability) const { return capabilities.effective & capability_bit(capability); }
    // Linux's in_group_p: the file-system group or a supplementary one
    // (file access, chown, the set-group-ID bit).
    bool in_group(uint32_t group) const { return group == fsgid || groups.contains(group); }
};

// Root with every capability and no supplementary groups: the first process
// (Linux's init_cred).
Credentials root_credentials();

// "-1": leave this ID as it is (setreuid, setresuid, ...).
constexpr uint32_t k_id_unchanged = 0xffffffff;

// The set*id calls' rules (Linux 6.1 kernel/sys.c): NotPermitted when an
// unprivileged caller (without CAP_SETUID / CAP_SETGID) asks for an ID it
// does not hold; the capability fix-ups of commoncap.c follow a user ID
// change. The file-system ID follows every change of the effective one.
ErrorOr<void> set_uid(Credentials& credentials, uint32_t uid);
ErrorOr<void> set_reuid(Credentials& credentials, uint32_t ruid, uint32_t euid);
ErrorOr<void> set_resuid(Credentials& credentials, uint32_t ruid, uint32_t euid, uint32_t suid);
ErrorOr<void> set_gid(Credentials& credentials, uint32_t gid);
ErrorOr<void> set_regid(Credentials& credentials, uint32_t rgid, uint32_t egid);
ErrorOr<void> set_resgid(Credentials& credentials, uint32_t rgid, uint32_t egid, uint32_t sgid);
// setfsuid/setfsgid: the previous file-system ID, always; the change is
// made only if allowed (one of the four IDs, or the capability), as Linux.
uint32_t set_fsuid(Credentials& credentials, uint32_t fsuid);
uint32_t set_fsgid(Credentials& credentials, uint32_t fsgid);
// setgroups: CAP_SETGID only.
ErrorOr<void> set_groups(Credentials& credentials, GroupList groups);

// What execve does to the credentials (Linux's bprm_fill_uid and
// cap_bprm_creds_from_file): a set-user-ID file makes its owner the
// effective user, a set-group-ID and group-executable one its group the
// effective group, unless the mount is nosuid or the process has
// no_new_privs; root gets every capability (effective only as effective
// root); the saved and file-system IDs become the effective ones.
struct ExecutableFile {
    uint32_t mode;
    uint32_t uid;
    uint32_t gid;
    bool on_nosuid_mount;
};
// Returns whether the program gained privileges (AT_SECURE).
bool apply_exec(Credentials& credentials, const ExecutableFile& file, bool no_new_privs);

// Linux's is_dumpability_changed (commit_creds, execve): the effective or
// file-system IDs changed, or the permitted capabilities grew. The process
// then stops being dumpable.
bool changes_dumpability(const Credentials& old, const Credentials& changed);

// kill(2)'s rule (Linux's kill_ok_by_cred): the sender's real or effective
// user ID is the target's real or saved one, or the sender has CAP_KILL.
bool may_signal(const Credentials& sender, const Credentials& target);

}  // namespace akuma::proc
