// What every System V IPC object has (Linux's kern_ipc_perm) and the table
// of one kind's objects (Linux's ipc_ids): keys, IDs, IPC_PRIVATE,
// IPC_CREAT|IPC_EXCL and the permission checks against the caller's
// credentials. Each kind (msg_queue, semaphores, shared_memory) keeps its
// table behind its own mutex and calls these with it held.
#pragma once

#include <cstdint>
#include <new>

#include "kernel/ipc/ipc_abi.h"
#include "kernel/lib/error_or.h"
#include "kernel/lib/vector.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/proc/credentials.h"

namespace akuma::ipc {

struct IpcObject {
    int32_t key { k_ipc_private };
    uint32_t uid { 0 }, gid { 0 }, cuid { 0 }, cgid { 0 };
    uint32_t mode { 0 };  // permission bits, plus SHM_DEST/SHM_LOCKED for segments
    uint32_t seq { 0 };
    uint32_t index { 0 };
    int64_t ctime { 0 };  // creation or last IPC_SET, seconds
    // IPC_RMID ran: the object is out of the table; threads that slept on
    // it wake to EIDRM and the last of them frees it.
    bool removed { false };
    uint32_t sleepers { 0 };

    int32_t id() const { return static_cast<int32_t>(seq * k_ipcmni + index); }
};

class IpcIds {
public:
    IpcIds() = default;
    // Objects by ID (nullptr: EINVAL, as Linux's ipc_obtain_object_check),
    // by key (never IPC_PRIVATE) and by slot (the *_STAT commands).
    IpcObject* find_id(int32_t id) const;
    IpcObject* find_key(int32_t key) const;
    IpcObject* find_index(uint32_t index) const;
    // Gives `object` a slot and sequence number, as Linux 6.1: slots are
    // handed out cyclically, and the sequence number grows when the slots
    // wrap, so a removed ID is not soon reused. NoSpace past `limit`.
    ErrorOr<void> add(IpcObject& object, uint64_t limit);
    void remove(IpcObject& object);
    size_t count() const { return m_objects.size(); }
    // The highest slot in use, -1 if none (the *_INFO commands' result).
    int32_t max_index() const;
    template <typename Visit>
    void for_each(Visit&& visit) const {
        for (IpcObject* object : m_objects)
            visit(*object);
    }

private:
    Vector<IpcObject*, mm::HeapAllocator> m_objects;
    uint32_t m_seq { 0 };
    int32_t m_last_index { -1 };
};

// A kind's table, made at its first use (under the kind's lock) in static
// storage: the kernel has no global constructors or destructors to make
// or unmake a Vector at boot.
class IpcIdsSlot {
public:
    IpcIds& get() {
        if (!m_made) {
            new (m_storage) IpcIds();
            m_made = true;
        }
        return *reinterpret_cast<IpcIds*>(m_storage);
    }

private:
    alignas(IpcIds) uint8_t m_storage[sizeof(IpcIds)] {};
    bool m_made = false;
};

// A new object's owner and mode (the low 9 bits of the get flags).
void init_owner(IpcObject& object, int32_t key, uint32_t flags, const proc::Credentials& credentials);
// Linux's ipcperms: `access` is in S_IRUGO/S_IWUGO form (or a get's flags);
// the owner, then the group, then others' bits decide; CAP_IPC_OWNER
// overrides.
bool permitted(const IpcObject& object, const proc::Credentials& credentials, uint32_t access);
// IPC_SET and IPC_RMID: the creator, the owner or CAP_SYS_ADMIN.
bool may_control(const IpcObject& object, const proc::Credentials& credentials);
Ipc64Perm perm_of(const IpcObject& object);
// IPC_SET's owner and mode change. Invalid for IDs that do not exist (-1).
ErrorOr<void> set_owner(IpcObject& object, const Ipc64Perm& perm);

int64_t now_seconds();

// The *_STAT commands' look-up (the kind's lock held): by ID for IPC_STAT,
// by slot for the others; Invalid if none, AccessDenied without read
// permission unless `any` (*_STAT_ANY).
ErrorOr<IpcObject*> find_for_stat(IpcIds& ids, bool by_id, int32_t id, const proc::Credentials& credentials,
                                  bool any);
// IPC_SET's and IPC_RMID's: by ID; Invalid if none, NotPermitted unless
// may_control.
ErrorOr<IpcObject*> find_for_control(IpcIds& ids, int32_t id, const proc::Credentials& credentials);

// The look-up half of semget/msgget/shmget (Linux's ipcget): the object
// with `key`, or Create for a new one. Errors: NotFound (no IPC_CREAT),
// Exists (IPC_CREAT|IPC_EXCL), AccessDenied. `check` is the kind's own test
// of an existing object (size, number of semaphores), made before the
// permissions, as Linux.
enum class GetOutcome : uint8_t { Found, Create };
template <typename Check>
ErrorOr<GetOutcome> look_up_key(IpcIds& ids, int32_t key, uint32_t flags, const proc::Credentials& credentials,
                                Check&& check, IpcObject** found) {
    *found = nullptr;
    if (key == k_ipc_private)
        return GetOutcome::Create;
    IpcObject* object = ids.find_key(key);
    if (!object)
        return (flags & k_ipc_creat) ? ErrorOr<GetOutcome>(GetOutcome::Create) : Error::NotFound;
    if ((flags & k_ipc_creat) && (flags & k_ipc_excl))
        return Error::Exists;
    TRY(check(*object));
    if (!permitted(*object, credentials, flags))
        return Error::AccessDenied;
    *found = object;
    return GetOutcome::Found;
}

}  // namespace akuma::ipc
