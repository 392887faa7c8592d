#include "kernel/ipc/ipc_ids.h"

#include "kernel/time/realtime.h"

#include "kernel/arch/aarch64/timer.h"
#include "kernel/syscalls/time_helpers.h"

namespace akuma::ipc {

IpcObject* IpcIds::find_id(int32_t id) const {
    if (id < 0)
        return nullptr;
    IpcObject* object = find_index(static_cast<uint32_t>(id) % k_ipcmni);
    return object && object->seq == static_cast<uint32_t>(id) / k_ipcmni ? object : nullptr;
}

IpcObject* IpcIds::find_key(int32_t key) const {
    for (IpcObject* object : m_objects) {
        if (object->key == key && key != k_ipc_private)
            return object;
    }
    return nullptr;
}

IpcObject* IpcIds::find_index(uint32_t index) const {
    for (IpcObject* object : m_objects) {
        if (object->index == index)
            return object;
    }
    return nullptr;
}

ErrorOr<void> IpcIds::add(IpcObject& object, uint64_t limit) {
    if (m_objects.size() >= limit)
        return Error::NoSpace;
    TRY(m_objects.try_reserve(m_objects.size() + 1));
    // The next free slot after the last one given (idr_alloc_cyclic).
    uint32_t index = static_cast<uint32_t>(m_last_index + 1) % k_ipcmni;
    while (find_index(index))
        index = (index + 1) % k_ipcmni;
    if (static_cast<int32_t>(index) <= m_last_index && ++m_seq > k_seq_max)
        m_seq = 0;
    m_last_index = static_cast<int32_t>(index);
    object.index = index;
    object.seq = m_seq;
    (void)m_objects.try_append(&object);  // reserved above
    return {};
}

void IpcIds::remove(IpcObject& object) {
    for (size_t i = 0; i < m_objects.size(); ++i) {
        if (m_objects[i] == &object) {
            m_objects.remove(i);
            // The last one gone: the table's memory goes too (no object of
            // a kind is the common state; its pages should not stay taken).
            if (m_objects.is_empty())
                m_objects.shrink_to_fit();
            return;
        }
    }
}

int32_t IpcIds::max_index() const {
    int32_t highest = -1;
    for (IpcObject* object : m_objects)
        highest = static_cast<int32_t>(object->index) > highest ? static_cast<int32_t>(object->index) : highest;
    return highest;
}

void init_owner(IpcObject& object, int32_t key, uint32_t flags, const proc::Credentials& credentials) {
    object.key = key;
    object.uid = object.cuid = credentials.euid;
    object.gid = object.cgid = credentials.egid;
    object.mode = flags & k_mode_permissions;
    object.ctime = now_seconds();
}

bool permitted(const IpcObject& object, const proc::Credentials& credentials, uint32_t access) {
    uint32_t requested = (access >> 6) | (access >> 3) | access;
    uint32_t granted = object.mode;
    if (credentials.euid == object.cuid || credentials.euid == object.uid)
        granted >>= 6;
    else if (credentials.in_group(object.cgid) || credentials.in_group(object.gid))
        granted >>= 3;
    return !(requested & ~granted & 07) || credentials.capable(proc::Capability::IpcOwner);
}

bool may_control(const IpcObject& object, const proc::Credentials& credentials) {
    return credentials.euid == object.cuid || credentials.euid == object.uid ||
           credentials.capable(proc::Capability::SysAdmin);
}

Ipc64Perm perm_of(const IpcObject& object) {
    Ipc64Perm perm {};
    perm.key = object.key;
    perm.uid = object.uid;
    perm.gid = object.gid;
    perm.cuid = object.cuid;
    perm.cgid = object.cgid;
    perm.mode = object.mode;
    perm.seq = static_cast<uint16_t>(object.seq);
    return perm;
}

ErrorOr<void> set_owner(IpcObject& object, const Ipc64Perm& perm) {
    if (perm.uid == ~uint32_t { 0 } || perm.gid == ~uint32_t { 0 })
        return Error::Invalid;  // Linux: not a valid ID in the namespace
    object.uid = perm.uid;
    object.gid = perm.gid;
    object.mode = (object.mode & ~k_mode_permissions) | (perm.mode & k_mode_permissions);
    object.ctime = now_seconds();
    return {};
}

int64_t now_seconds() {
    return static_cast<int64_t>(time::realtime_now_ns() / time::k_ns_per_second);
}

ErrorOr<IpcObject*> find_for_stat(IpcIds& ids, bool by_id, int32_t id, const proc::Credentials& credentials,
                                  bool any) {
    IpcObject* object = by_id ? ids.find_id(id) : ids.find_index(static_cast<uint32_t>(id));
    if (!object)
        return Error::Invalid;
    if (!any && !permitted(*object, credentials, k_access_read))
        return Error::AccessDenied;
    return object;
}

ErrorOr<IpcObject*> find_for_control(IpcIds& ids, int32_t id, const proc::Credentials& credentials) {
    IpcObject* object = ids.find_id(id);
    if (!object)
        return Error::Invalid;
    if (!may_control(*object, credentials))
        return Error::NotPermitted;
    return object;
}

}  // namespace akuma::ipc
