#include "kernel/ipc/msg_queue.h"

#include <new>

#include "kernel/fs/procfs/text_buffer.h"
#include "kernel/ipc/ipc_ids.h"
#include "kernel/ipc/ipc_wait.h"
#include "kernel/ipc/msg_select.h"
#include "kernel/proc/process.h"
#include "kernel/proc/process_credentials.h"

namespace akuma::ipc {

namespace {

struct Message {
    ListNode link;
    int64_t type;
    uint64_t size;
    uint8_t* text() { return reinterpret_cast<uint8_t*>(this + 1); }
};

Message* allocate_message(uint64_t size) {
    void* memory = mm::kmalloc(sizeof(Message) + (size ? size : 1));
    return memory ? new (memory) Message { {}, 0, size } : nullptr;
}

void free_message(Message* message) {
    message->~Message();
    mm::kfree(message);
}

struct MessageQueue : IpcObject {
    IntrusiveList<Message, &Message::link> messages;
    uint64_t bytes { 0 };             // msg_cbytes
    uint64_t max_bytes { k_msgmnb };  // msg_qbytes
    int64_t send_time { 0 }, receive_time { 0 };
    int32_t send_pid { 0 }, receive_pid { 0 };
    // Senders waiting for room and receivers waiting for a message; every
    // change wakes all of them to look again.
    WaiterList waiters;
};

constinit sched::Mutex g_lock;
constinit IpcIdsSlot g_ids;  // under g_lock
IpcIds& ids() { return g_ids.get(); }

MessageQueue* queue_of(IpcObject* object) { return static_cast<MessageQueue*>(object); }

void free_queue(MessageQueue* queue) {
    while (Message* message = queue->messages.pop_front())
        free_message(message);
    queue->~MessageQueue();
    mm::kfree(queue);
}

// A sleeper leaves: the last one out of a removed queue frees it.
void drop_sleeper(MessageQueue* queue) {
    if (--queue->sleepers == 0 && queue->removed)
        free_queue(queue);
}

int32_t current_pid() { return proc::current_process()->pid; }

Message* next_message(MessageQueue& queue, Message* message) { return queue.messages.next(*message); }

// Linux's msg_fits_inqueue: both the bytes and the number of messages are
// bounded by msg_qbytes.
bool fits(const MessageQueue& queue, uint64_t size) {
    return queue.bytes + size <= queue.max_bytes && queue.messages.size() + 1 <= queue.max_bytes;
}

void remove_queue_locked(MessageQueue* queue) {
    ids().remove(*queue);
    queue->removed = true;
    wake_waiters(queue->waiters);
    if (queue->sleepers == 0)
        free_queue(queue);
}

Msqid64Ds stat_of(const MessageQueue& queue) {
    Msqid64Ds out {};
    out.msg_perm = perm_of(queue);
    out.msg_stime = queue.send_time;
    out.msg_rtime = queue.receive_time;
    out.msg_ctime = queue.ctime;
    out.msg_cbytes = queue.bytes;
    out.msg_qnum = queue.messages.size();
    out.msg_qbytes = queue.max_bytes;
    out.msg_lspid = queue.send_pid;
    out.msg_lrpid = queue.receive_pid;
    return out;
}

}  // namespace

ErrorOr<int32_t> msg_get(int32_t key, uint32_t flags) {
    auto credentials = proc::current_credentials();
    sched::MutexGuard guard(g_lock);
    IpcObject* found;
    auto outcome = TRY(look_up_key(
        ids(), key, flags, credentials, [](IpcObject&) -> ErrorOr<void> { return {}; }, &found));
    if (outcome == GetOutcome::Found)
        return found->id();
    auto* queue = static_cast<MessageQueue*>(mm::kmalloc(sizeof(MessageQueue)));
    if (!queue)
        return Error::NoMemory;
    new (queue) MessageQueue();
    init_owner(*queue, key, flags, credentials);
    if (auto added = ids().add(*queue, k_msgmni); added.is_error()) {
        free_queue(queue);
        return added.error();
    }
    return queue->id();
}

ErrorOr<void> msg_send(int32_t id, uint64_t buffer, uint64_t size, uint32_t flags) {
    if (size > k_msgmax || static_cast<int64_t>(size) < 0 || id < 0)
        return Error::Invalid;
    int64_t type = TRY(mm::read_user(mm::UserPtr<const int64_t>(buffer)));
    if (type < 1)
        return Error::Invalid;
    Message* message = allocate_message(size);
    if (!message)
        return Error::NoMemory;
    message->type = type;
    if (auto copied = mm::copy_from_user(message->text(), mm::UserPtr<const void>(buffer + 8), size);
        copied.is_error()) {
        free_message(message);
        return copied.error();
    }
    auto credentials = proc::current_credentials();
    sched::MutexGuard guard(g_lock);
    auto* queue = queue_of(ids().find_id(id));
    if (!queue) {
        free_message(message);
        return Error::Invalid;
    }
    if (!permitted(*queue, credentials, k_access_write)) {
        free_message(message);
        return Error::AccessDenied;
    }
    ++queue->sleepers;  // keeps the record while we may sleep
    ErrorOr<void> result {};
    for (;;) {
        if (queue->removed) {
            result = Error::IdentifierRemoved;
            break;
        }
        if (fits(*queue, size)) {
            queue->messages.push_back(*message);
            message = nullptr;
            queue->bytes += size;
            queue->send_pid = current_pid();
            queue->send_time = now_seconds();
            wake_waiters(queue->waiters);  // receivers
            break;
        }
        if (flags & k_ipc_nowait) {
            result = Error::TryAgain;
            break;
        }
        IpcWaiter waiter;
        if (sleep_on(g_lock, queue->waiters, waiter, 0) != sched::WaitResult::Woken) {
            result = Error::Interrupted;
            break;
        }
    }
    drop_sleeper(queue);
    if (message)
        free_message(message);
    return result;
}

ErrorOr<uint64_t> msg_receive(int32_t id, uint64_t buffer, uint64_t size, int64_t type, uint32_t flags) {
    if (id < 0 || static_cast<int64_t>(size) < 0)
        return Error::Invalid;
    bool copy = flags & k_msg_copy;
    // MSG_COPY (Linux with CONFIG_CHECKPOINT_RESTORE, as Debian's) peeks at
    // the message at position `type`, without waiting.
    if (copy && ((flags & k_msg_except) || !(flags & k_ipc_nowait)))
        return Error::Invalid;
    auto credentials = proc::current_credentials();
    Message* taken = nullptr;
    Message* duplicate = nullptr;
    {
        sched::MutexGuard guard(g_lock);
        auto* queue = queue_of(ids().find_id(id));
        if (!queue)
            return Error::Invalid;
        if (!permitted(*queue, credentials, k_access_read))
            return Error::AccessDenied;
        ++queue->sleepers;
        ErrorOr<void> result {};
        for (;;) {
            if (queue->removed) {
                result = Error::IdentifierRemoved;
                break;
            }
            Message* found = select_message(
                queue->messages.front(), [queue](Message* m) { return next_message(*queue, m); }, type, flags);
            if (found) {
                if (size < found->size && !(flags & k_msg_noerror)) {
                    result = Error::TooBig;  // the message stays
                } else if (copy) {
                    // Linux's copy_msg refuses a buffer smaller than the
                    // message even with MSG_NOERROR.
                    if (found->size > size) {
                        result = Error::Invalid;
                    } else if (!(duplicate = allocate_message(found->size))) {
                        result = Error::NoMemory;
                    } else {
                        duplicate->type = found->type;
                        __builtin_memcpy(duplicate->text(), found->text(), found->size);
                    }
                } else {
                    queue->messages.remove(*found);
                    queue->bytes -= found->size;
                    queue->receive_pid = current_pid();
                    queue->receive_time = now_seconds();
                    taken = found;
                    wake_waiters(queue->waiters);  // senders
                }
                break;
            }
            if (flags & k_ipc_nowait) {
                result = Error::NoMessage;
                break;
            }
            IpcWaiter waiter;
            if (sleep_on(g_lock, queue->waiters, waiter, 0) != sched::WaitResult::Woken) {
                result = Error::Interrupted;
                break;
            }
        }
        drop_sleeper(queue);
        TRY(result);
    }
    Message* message = taken ? taken : duplicate;
    uint64_t length = message->size < size ? message->size : size;
    // As Linux, a message that cannot be stored is lost (EFAULT).
    auto stored = mm::write_user(mm::UserPtr<int64_t>(buffer), message->type);
    if (!stored.is_error())
        stored = mm::copy_to_user(mm::UserPtr<void>(buffer + 8), message->text(), length);
    free_message(message);
    TRY(stored);
    return length;
}

ErrorOr<int64_t> msg_control(int32_t id, int command, uint64_t buffer) {
    if (id < 0)
        return Error::Invalid;
    auto credentials = proc::current_credentials();
    switch (command) {
    case k_ipc_info:
    case k_msg_info: {
        MsgInfo info {};
        info.msgmax = k_msgmax;
        info.msgmnb = k_msgmnb;
        info.msgmni = k_msgmni;
        info.msgssz = k_msgssz;
        info.msgseg = k_msgseg;
        int32_t highest;
        {
            sched::MutexGuard guard(g_lock);
            if (command == k_msg_info) {
                // Linux's MSG_INFO: queues, messages and bytes in use.
                uint64_t messages = 0, bytes = 0;
                ids().for_each([&](IpcObject& object) {
                    messages += queue_of(&object)->messages.size();
                    bytes += queue_of(&object)->bytes;
                });
                info.msgpool = static_cast<int32_t>(ids().count());
                info.msgmap = static_cast<int32_t>(messages);
                info.msgtql = static_cast<int32_t>(bytes);
            } else {
                info.msgpool = k_msgpool;
                info.msgmap = k_msgmnb;
                info.msgtql = k_msgmnb;
            }
            highest = ids().max_index();
        }
        TRY(mm::write_user(mm::UserPtr<MsgInfo>(buffer), info));
        return highest < 0 ? 0 : highest;
    }
    case k_ipc_stat:
    case k_msg_stat:
    case k_msg_stat_any: {
        Msqid64Ds out;
        int64_t result = 0;
        {
            sched::MutexGuard guard(g_lock);
            IpcObject* object =
                TRY(find_for_stat(ids(), command == k_ipc_stat, id, credentials, command == k_msg_stat_any));
            out = stat_of(*queue_of(object));
            result = command == k_ipc_stat ? 0 : object->id();
        }
        TRY(mm::write_user(mm::UserPtr<Msqid64Ds>(buffer), out));
        return result;
    }
    case k_ipc_set: {
        auto wanted = TRY(mm::read_user(mm::UserPtr<const Msqid64Ds>(buffer)));
        sched::MutexGuard guard(g_lock);
        auto* queue = queue_of(TRY(find_for_control(ids(), id, credentials)));
        if (wanted.msg_qbytes > k_msgmnb && !credentials.capable(proc::Capability::SysResource))
            return Error::NotPermitted;
        TRY(set_owner(*queue, wanted.msg_perm));
        queue->max_bytes = wanted.msg_qbytes;
        wake_waiters(queue->waiters);  // senders may fit now
        return 0;
    }
    case k_ipc_rmid: {
        sched::MutexGuard guard(g_lock);
        remove_queue_locked(queue_of(TRY(find_for_control(ids(), id, credentials))));
        return 0;
    }
    default: return Error::Invalid;
    }
}

ErrorOr<void> write_proc_sysvipc_msg(procfs::TextBuffer& out) {
    out.append("       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      stime      rtime      ctime\n");
    sched::MutexGuard guard(g_lock);
    ids().for_each([&](IpcObject& object) {
        auto& queue = *queue_of(&object);
        out.format("{:10} {:10}  {:4o}  {:10} {:10} {:5} {:5} {:5} {:5} {:5} {:5} {:10} {:10} {:10}\n", queue.key,
                   queue.id(), queue.mode, queue.bytes, queue.messages.size(), queue.send_pid, queue.receive_pid,
                   queue.uid, queue.gid, queue.cuid, queue.cgid, queue.send_time, queue.receive_time, queue.ctime);
    });
    return out.status();
}

}  // namespace akuma::ipc
