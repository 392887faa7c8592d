#include "kernel/fs/permission.h"

namespace akuma::fs {

using proc::Capability;

ErrorOr<void> check_access(const proc::Credentials& credentials, uint32_t mode, uint32_t uid, uint32_t gid,
                           bool directory, unsigned mask) {
    mask &= k_may_read | k_may_write | k_may_exec;
    uint32_t granted;
    if (credentials.fsuid == uid)
        granted = mode >> 6;
    else if (credentials.in_group(gid))
        granted = mode >> 3;
    else
        granted = mode;
    if ((mask & ~granted & 7) == 0)
        return {};
    if (directory) {
        if (!(mask & k_may_write) && credentials.capable(Capability::DacReadSearch))
            return {};
        if (credentials.capable(Capability::DacOverride))
            return {};
        return Error::AccessDenied;
    }
    if ((!(mask & k_may_exec) || (mode & k_mode_any_exec)) && credentials.capable(Capability::DacOverride))
        return {};
    if (mask == k_may_read && credentials.capable(Capability::DacReadSearch))
        return {};
    return Error::AccessDenied;
}

ErrorOr<void> check_access(const proc::Credentials& credentials, const Inode& inode, unsigned mask) {
    return check_access(credentials, inode.mode(), inode.uid(), inode.gid(), inode.is_directory(), mask);
}

bool owns_or_capable(const proc::Credentials& credentials, const Inode& inode) {
    return credentials.fsuid == inode.uid() || credentials.capable(Capability::Fowner);
}

ErrorOr<void> check_may_create(const proc::Credentials& credentials, const Inode& directory) {
    return check_access(credentials, directory, k_may_write | k_may_exec);
}

ErrorOr<void> check_may_delete(const proc::Credentials& credentials, const Inode& directory, const Inode& victim) {
    TRY(check_access(credentials, directory, k_may_write | k_may_exec));
    if ((directory.mode() & k_mode_sticky) && credentials.fsuid != victim.uid() &&
        credentials.fsuid != directory.uid() && !credentials.capable(Capability::Fowner))
        return Error::NotPermitted;
    return {};
}

ErrorOr<uint32_t> mode_for_chmod(const proc::Credentials& credentials, const Inode& inode, uint32_t mode) {
    if (!owns_or_capable(credentials, inode))
        return Error::NotPermitted;
    mode &= k_mode_permission_mask;
    if ((mode & k_mode_set_gid) && !credentials.in_group(inode.gid()) && !credentials.capable(Capability::Fsetid))
        mode &= ~k_mode_set_gid;
    return mode;
}

ErrorOr<void> check_chown(const proc::Credentials& credentials, const Inode& inode, uint32_t uid, uint32_t gid) {
    bool privileged = credentials.capable(Capability::Chown);
    bool owner = credentials.fsuid == inode.uid();
    if (uid != proc::k_id_unchanged && !privileged && !(owner && uid == inode.uid()))
        return Error::NotPermitted;
    if (gid != proc::k_id_unchanged && !privileged && !(owner && (credentials.in_group(gid) || gid == inode.gid())))
        return Error::NotPermitted;
    // chown clears a non-directory's set-ID bits, which is a mode change:
    // only for its owner or CAP_FOWNER (Linux's notify_change turns the
    // kill into ATTR_MODE, which setattr_prepare checks), even when no ID
    // changes.
    uint32_t mode = inode.mode();
    bool clears = (mode & k_mode_set_uid) || (mode & (k_mode_set_gid | k_mode_group_exec)) == (k_mode_set_gid | k_mode_group_exec);
    if (!inode.is_directory() && clears && !owns_or_capable(credentials, inode))
        return Error::NotPermitted;
    return {};
}

NewInodeOwner owner_for_new_inode(const proc::Credentials& credentials, const Inode& directory, uint32_t mode) {
    NewInodeOwner owner { credentials.fsuid, credentials.fsgid, mode };
    if (directory.mode() & k_mode_set_gid) {
        owner.gid = directory.gid();
        if ((mode & k_mode_type_mask) == k_mode_directory)
            owner.mode |= k_mode_set_gid;
        else if ((mode & (k_mode_set_gid | k_mode_group_exec)) == (k_mode_set_gid | k_mode_group_exec) &&
                 !credentials.in_group(owner.gid) && !credentials.capable(Capability::Fsetid))
            owner.mode &= ~k_mode_set_gid;
    }
    return owner;
}

std::optional<uint32_t> mode_after_unprivileged_write(const proc::Credentials& credentials, const Inode& inode) {
    if (inode.type() != InodeType::Regular || credentials.capable(Capability::Fsetid))
        return std::nullopt;
    uint32_t mode = inode.mode() & k_mode_permission_mask;
    uint32_t kept = mode & ~k_mode_set_uid;
    // Set-group-ID goes if group-executable; without group execute (a
    // locking mark) only for a writer outside the group (Linux 6.1's
    // setattr_should_drop_sgid).
    if ((mode & k_mode_set_gid) && ((mode & k_mode_group_exec) || !credentials.in_group(inode.gid())))
        kept &= ~k_mode_set_gid;
    if (kept == mode)
        return std::nullopt;
    return kept;
}

}  // namespace akuma::fs
