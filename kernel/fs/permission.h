// Who may do what to an inode (Linux's generic_permission and the checks
// of fs/namei.c and fs/attr.c), for a caller's credentials. Hardware-
// independent and host-tested (tests/host/permission_test.cpp); the VFS
// (vfs.cpp) and the path walk call these where Linux does.
#pragma once

#include <cstdint>

#include "kernel/fs/inode.h"
#include "kernel/lib/error_or.h"
#include "kernel/proc/credentials.h"

namespace akuma::fs {

// What the caller wants to do (Linux's MAY_*).
constexpr unsigned k_may_exec = 1;
constexpr unsigned k_may_write = 2;
constexpr unsigned k_may_read = 4;

// The owner's, the group's or everyone else's bits of `mode`, whichever
// class the caller falls in (owner first, even if the group's bits would
// allow more), then the capabilities: CAP_DAC_OVERRIDE allows everything
// but executing a file with no execute bit at all, CAP_DAC_READ_SEARCH
// reading anything and searching directories. AccessDenied otherwise.
ErrorOr<void> check_access(const proc::Credentials& credentials, uint32_t mode, uint32_t uid, uint32_t gid,
                           bool directory, unsigned mask);
ErrorOr<void> check_access(const proc::Credentials& credentials, const Inode& inode, unsigned mask);

// The owner, or CAP_FOWNER (Linux's inode_owner_or_capable): chmod,
// utimensat with explicit times, the sticky bit, O_NOATIME.
bool owns_or_capable(const proc::Credentials& credentials, const Inode& inode);

// Creating a name in `directory`: write and search on it.
ErrorOr<void> check_may_create(const proc::Credentials& credentials, const Inode& directory);

// Removing (or renaming away, or replacing) `victim` from `directory`:
// write and search on the directory, and in a sticky directory the caller
// owns the file or the directory, or has CAP_FOWNER (NotPermitted).
ErrorOr<void> check_may_delete(const proc::Credentials& credentials, const Inode& directory, const Inode& victim);

// The permission bits chmod(2) stores: NotPermitted unless owner or
// CAP_FOWNER; the set-group-ID bit of a file whose group the caller is not
// in is dropped without CAP_FSETID (Linux's setattr_prepare).
ErrorOr<uint32_t> mode_for_chmod(const proc::Credentials& credentials, const Inode& inode, uint32_t mode);

// chown(2)'s rule: changing the owner needs CAP_CHOWN (or is a no-op to
// the same owner); the owner may change the group to one of his groups.
// k_id_unchanged (-1) leaves a field. NotPermitted otherwise.
ErrorOr<void> check_chown(const proc::Credentials& credentials, const Inode& inode, uint32_t uid, uint32_t gid);

// The owner and group a new inode in `directory` gets, and its mode: the
// creator's file-system IDs, or the directory's group if the directory is
// set-group-ID (a new directory then inherits the bit; a new file keeps a
// set-group-ID bit only if its creator is in the group or has CAP_FSETID).
struct NewInodeOwner {
    uint32_t uid;
    uint32_t gid;
    uint32_t mode;
};
NewInodeOwner owner_for_new_inode(const proc::Credentials& credentials, const Inode& directory, uint32_t mode);

// What a write or truncate by `credentials` does to the set-ID bits of a
// regular file (Linux's file_remove_privs/should_remove_suid), unless the
// caller has CAP_FSETID: the mode without set-user-ID, and without
// set-group-ID if group-executable or if the writer is outside the file's
// group; nullopt if nothing changes.
std::optional<uint32_t> mode_after_unprivileged_write(const proc::Credentials& credentials, const Inode& inode);

}  // namespace akuma::fs
