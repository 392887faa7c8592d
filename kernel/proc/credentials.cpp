#include "kernel/proc/credentials.h"

#include <atomic>
#include <new>

#include "kernel/fs/inode.h"
#include "kernel/mm/kmalloc.h"

namespace akuma::proc {

// ---- GroupList ----

struct GroupList::Block {
    std::atomic<uint32_t> references;
    uint32_t count;
    uint32_t groups[];
};

ErrorOr<GroupList> GroupList::create(std::span<const uint32_t> groups) {
    if (groups.empty())
        return GroupList();
    void* memory = mm::kmalloc(sizeof(Block) + groups.size() * sizeof(uint32_t));
    if (!memory)
        return Error::NoMemory;
    auto* block = new (memory) Block;
    block->references.store(1, std::memory_order_relaxed);
    block->count = static_cast<uint32_t>(groups.size());
    // Insertion sort: lists are short (NGROUPS_MAX is 65536, but a login
    // has a handful), and the kernel has no sort of its own.
    for (size_t i = 0; i < groups.size(); ++i) {
        size_t j = i;
        while (j > 0 && block->groups[j - 1] > groups[i]) {
            block->groups[j] = block->groups[j - 1];
            --j;
        }
        block->groups[j] = groups[i];
    }
    return GroupList(block);
}

GroupList::GroupList(const GroupList& other) : m_block(other.m_block) {
    if (m_block)
        m_block->references.fetch_add(1, std::memory_order_relaxed);
}

GroupList& GroupList::operator=(const GroupList& other) {
    if (this != &other) {
        GroupList copy(other);
        *this = std::move(copy);
    }
    return *this;
}

GroupList& GroupList::operator=(GroupList&& other) {
    if (this != &other) {
        release();
        m_block = other.m_block;
        other.m_block = nullptr;
    }
    return *this;
}

void GroupList::release() {
    if (m_block && m_block->references.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        m_block->~Block();
        mm::kfree(m_block);
    }
    m_block = nullptr;
}

std::span<const uint32_t> GroupList::view() const {
    if (!m_block)
        return {};
    return { m_block->groups, m_block->count };
}

bool GroupList::contains(uint32_t gid) const {
    auto groups = view();
    size_t low = 0, high = groups.size();
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (groups[middle] == gid)
            return true;
        if (groups[middle] < gid)
            low = middle + 1;
        else
            high = middle;
    }
    return false;
}

// ---- The rules ----

Credentials root_credentials() { return Credentials {}; }

namespace {

// Linux's cap_emulate_setxuid: what a change of user IDs does to the
// capability sets of a process that was or becomes root.
void fix_capabilities_after_uid_change(Credentials& credentials, const Credentials& old) {
    bool was_root = old.uid == 0 || old.euid == 0 || old.suid == 0;
    bool is_root = credentials.uid == 0 || credentials.euid == 0 || credentials.suid == 0;
    if (was_root && !is_root && !credentials.keep_capabilities)
        credentials.capabilities.permitted = credentials.capabilities.effective = 0;
    if (old.euid == 0 && credentials.euid != 0)
        credentials.capabilities.effective = 0;
    if (old.euid != 0 && credentials.euid == 0)
        credentials.capabilities.effective = credentials.capabilities.permitted;
}

// Linux's cap_task_fix_setuid for LSM_SETID_FS.
void fix_capabilities_after_fsuid_change(Credentials& credentials, uint32_t old_fsuid) {
    if (old_fsuid == 0 && credentials.fsuid != 0)
        credentials.capabilities.effective &= ~k_fs_capabilities;
    if (old_fsuid != 0 && credentials.fsuid == 0)
        credentials.capabilities.effective |= credentials.capabilities.permitted & k_fs_capabilities;
}

bool one_of(uint32_t id, uint32_t a, uint32_t b, uint32_t c) { return id == a || id == b || id == c; }

}  // namespace

ErrorOr<void> set_uid(Credentials& credentials, uint32_t uid) {
    if (uid == k_id_unchanged)
        return Error::Invalid;
    Credentials old = credentials;
    if (old.capable(Capability::Setuid)) {
        credentials.uid = credentials.suid = uid;
    } else if (uid != old.uid && uid != old.suid) {
        return Error::NotPermitted;
    }
    credentials.euid = credentials.fsuid = uid;
    fix_capabilities_after_uid_change(credentials, old);
    return {};
}

ErrorOr<void> set_reuid(Credentials& credentials, uint32_t ruid, uint32_t euid) {
    Credentials old = credentials;
    bool privileged = old.capable(Capability::Setuid);
    if (ruid != k_id_unchanged) {
        if (ruid != old.uid && ruid != old.euid && !privileged)
            return Error::NotPermitted;
        credentials.uid = ruid;
    }
    if (euid != k_id_unchanged) {
        if (!one_of(euid, old.uid, old.euid, old.suid) && !privileged)
            return Error::NotPermitted;
        credentials.euid = euid;
    }
    // The saved ID follows the effective one when the real one is set or
    // the effective one becomes something other than the old real one.
    if (ruid != k_id_unchanged || (euid != k_id_unchanged && euid != old.uid))
        credentials.suid = credentials.euid;
    credentials.fsuid = credentials.euid;
    fix_capabilities_after_uid_change(credentials, old);
    return {};
}

ErrorOr<void> set_resuid(Credentials& credentials, uint32_t ruid, uint32_t euid, uint32_t suid) {
    Credentials old = credentials;
    if (!old.capable(Capability::Setuid)) {
        for (uint32_t id : { ruid, euid, suid }) {
            if (id != k_id_unchanged && !one_of(id, old.uid, old.euid, old.suid))
                return Error::NotPermitted;
        }
    }
    if (ruid != k_id_unchanged)
        credentials.uid = ruid;
    if (euid != k_id_unchanged)
        credentials.euid = euid;
    if (suid != k_id_unchanged)
        credentials.suid = suid;
    credentials.fsuid = credentials.euid;
    fix_capabilities_after_uid_change(credentials, old);
    return {};
}

ErrorOr<void> set_gid(Credentials& credentials, uint32_t gid) {
    if (gid == k_id_unchanged)
        return Error::Invalid;
    if (credentials.capable(Capability::Setgid))
        credentials.gid = credentials.sgid = gid;
    else if (gid != credentials.gid && gid != credentials.sgid)
        return Error::NotPermitted;
    credentials.egid = credentials.fsgid = gid;
    return {};
}

ErrorOr<void> set_regid(Credentials& credentials, uint32_t rgid, uint32_t egid) {
    Credentials old = credentials;
    bool privileged = old.capable(Capability::Setgid);
    if (rgid != k_id_unchanged) {
        if (rgid != old.gid && rgid != old.egid && !privileged)
            return Error::NotPermitted;
        credentials.gid = rgid;
    }
    if (egid != k_id_unchanged) {
        if (!one_of(egid, old.gid, old.egid, old.sgid) && !privileged)
            return Error::NotPermitted;
        credentials.egid = egid;
    }
    if (rgid != k_id_unchanged || (egid != k_id_unchanged && egid != old.gid))
        credentials.sgid = credentials.egid;
    credentials.fsgid = credentials.egid;
    return {};
}

ErrorOr<void> set_resgid(Credentials& credentials, uint32_t rgid, uint32_t egid, uint32_t sgid) {
    if (!credentials.capable(Capability::Setgid)) {
        for (uint32_t id : { rgid, egid, sgid }) {
            if (id != k_id_unchanged && !one_of(id, credentials.gid, credentials.egid, credentials.sgid))
                return Error::NotPermitted;
        }
    }
    if (rgid != k_id_unchanged)
        credentials.gid = rgid;
    if (egid != k_id_unchanged)
        credentials.egid = egid;
    if (sgid != k_id_unchanged)
        credentials.sgid = sgid;
    credentials.fsgid = credentials.egid;
    return {};
}

uint32_t set_fsuid(Credentials& credentials, uint32_t fsuid) {
    uint32_t old = credentials.fsuid;
    if (fsuid == k_id_unchanged)
        return old;
    bool allowed = one_of(fsuid, credentials.uid, credentials.euid, credentials.suid) || fsuid == old ||
                   credentials.capable(Capability::Setuid);
    if (allowed && fsuid != old) {
        credentials.fsuid = fsuid;
        fix_capabilities_after_fsuid_change(credentials, old);
    }
    return old;
}

uint32_t set_fsgid(Credentials& credentials, uint32_t fsgid) {
    uint32_t old = credentials.fsgid;
    if (fsgid == k_id_unchanged)
        return old;
    bool allowed = one_of(fsgid, credentials.gid, credentials.egid, credentials.sgid) || fsgid == old ||
                   credentials.capable(Capability::Setgid);
    if (allowed)
        credentials.fsgid = fsgid;
    return old;
}

ErrorOr<void> set_groups(Credentials& credentials, GroupList groups) {
    if (!credentials.capable(Capability::Setgid))
        return Error::NotPermitted;
    credentials.groups = std::move(groups);
    return {};
}

bool apply_exec(Credentials& credentials, const ExecutableFile& file, bool no_new_privs) {
    Credentials old = credentials;
    if (!file.on_nosuid_mount && !no_new_privs) {
        if (file.mode & fs::k_mode_set_uid)
            credentials.euid = file.uid;
        // A set-group-ID file that is not group-executable is a mandatory
        // locking marker, not a set-ID program.
        if ((file.mode & (fs::k_mode_set_gid | fs::k_mode_group_exec)) == (fs::k_mode_set_gid | fs::k_mode_group_exec))
            credentials.egid = file.gid;
    }
    // No file capabilities: root (real or effective) gets every
    // capability permitted, effective only if it is the effective user.
    bool effective_root = credentials.euid == 0;
    credentials.capabilities.permitted = (effective_root || credentials.uid == 0) ? k_all_capabilities : 0;
    credentials.capabilities.effective = effective_root ? credentials.capabilities.permitted : 0;
    credentials.keep_capabilities = false;
    credentials.suid = credentials.fsuid = credentials.euid;
    credentials.sgid = credentials.fsgid = credentials.egid;
    bool set_id = credentials.euid != old.uid || credentials.egid != old.gid;
    return set_id || (credentials.uid != 0 && effective_root);
}

bool changes_dumpability(const Credentials& old, const Credentials& changed) {
    return old.euid != changed.euid || old.egid != changed.egid || old.fsuid != changed.fsuid ||
           old.fsgid != changed.fsgid ||
           (changed.capabilities.permitted & ~old.capabilities.permitted) != 0;
}

bool may_signal(const Credentials& sender, const Credentials& target) {
    if (sender.euid == target.suid || sender.euid == target.uid || sender.uid == target.suid ||
        sender.uid == target.uid)
        return true;
    return sender.capable(Capability::Kill);
}

}  // namespace akuma::proc
