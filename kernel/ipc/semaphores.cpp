#include "kernel/ipc/semaphores.h"

#include <new>

#include "kernel/arch/aarch64/timer.h"
#include "kernel/fs/procfs/text_buffer.h"
#include "kernel/ipc/ipc_ids.h"
#include "kernel/mm/user_access.h"
#include "kernel/ipc/ipc_wait.h"
#include "kernel/ipc/sem_apply.h"
#include "kernel/proc/process.h"
#include "kernel/proc/process_credentials.h"
#include "kernel/time/duration.h"

namespace akuma::ipc {

namespace {

struct SemaphoreSet : IpcObject {
    uint32_t count { 0 };
    int64_t operation_time { 0 };  // sem_otime
    WaiterList waiters;            // semop callers that must wait
    int32_t* values { nullptr };   // `count` each, after the record
    int32_t* pids { nullptr };     // sempid: the last process to change it
};

// One process's SEM_UNDO adjustments for one set (Linux's sem_undo).
struct UndoRecord {
    ListNode link;
    const proc::Process* owner;
    int32_t set_id;
    uint32_t count;
    int16_t* adjustments() { return reinterpret_cast<int16_t*>(this + 1); }
};

constinit sched::Mutex g_lock;
constinit IntrusiveList<UndoRecord, &UndoRecord::link> g_undo_records {};
constinit uint64_t g_total_semaphores = 0;

constinit IpcIdsSlot g_ids;  // under g_lock
IpcIds& ids() { return g_ids.get(); }

SemaphoreSet* set_of(IpcObject* object) { return static_cast<SemaphoreSet*>(object); }

SemaphoreSet* allocate_set(uint32_t count) {
    size_t bytes = sizeof(SemaphoreSet) + 2 * sizeof(int32_t) * count;
    auto* memory = static_cast<uint8_t*>(mm::kmalloc(bytes));
    if (!memory)
        return nullptr;
    __builtin_memset(memory, 0, bytes);
    auto* set = new (memory) SemaphoreSet();
    set->count = count;
    set->values = reinterpret_cast<int32_t*>(memory + sizeof(SemaphoreSet));
    set->pids = set->values + count;
    return set;
}

void free_set(SemaphoreSet* set) {
    set->~SemaphoreSet();
    mm::kfree(set);
}

void drop_sleeper(SemaphoreSet* set) {
    if (--set->sleepers == 0 && set->removed)
        free_set(set);
}

template <typename Visit>
void for_each_undo(Visit&& visit) {
    for (UndoRecord* record = g_undo_records.front(); record;) {
        UndoRecord* next = g_undo_records.next(*record);
        visit(*record);
        record = next;
    }
}

void free_undo(UndoRecord& record) {
    g_undo_records.remove(record);
    mm::kfree(&record);
}

UndoRecord* find_undo(const proc::Process* owner, int32_t set_id) {
    for (UndoRecord* record = g_undo_records.front(); record; record = g_undo_records.next(*record)) {
        if (record->owner == owner && record->set_id == set_id)
            return record;
    }
    return nullptr;
}

UndoRecord* find_or_make_undo(const proc::Process* owner, const SemaphoreSet& set) {
    if (UndoRecord* record = find_undo(owner, set.id()))
        return record;
    size_t bytes = sizeof(UndoRecord) + sizeof(int16_t) * set.count;
    auto* memory = static_cast<uint8_t*>(mm::kmalloc(bytes));
    if (!memory)
        return nullptr;
    __builtin_memset(memory, 0, bytes);
    auto* record = new (memory) UndoRecord { {}, owner, set.id(), set.count };
    g_undo_records.push_back(*record);
    return record;
}

// SETVAL / SETALL: the value is what it was set to, so nobody's exit may
// adjust it (number < 0: the whole set).
void clear_adjustments(int32_t set_id, int32_t number) {
    for_each_undo([&](UndoRecord& record) {
        if (record.set_id != set_id)
            return;
        if (number < 0)
            __builtin_memset(record.adjustments(), 0, sizeof(int16_t) * record.count);
        else
            record.adjustments()[number] = 0;
    });
}

void remove_set_locked(SemaphoreSet* set) {
    int32_t id = set->id();
    for_each_undo([&](UndoRecord& record) {
        if (record.set_id == id)
            free_undo(record);
    });
    ids().remove(*set);
    g_total_semaphores -= set->count;
    set->removed = true;
    wake_waiters(set->waiters);
    if (set->sleepers == 0)
        free_set(set);
}

int32_t current_pid() { return proc::current_process()->pid; }

Semid64Ds stat_of(const SemaphoreSet& set) {
    Semid64Ds out {};
    out.sem_perm = perm_of(set);
    out.sem_otime = set.operation_time;
    out.sem_ctime = set.ctime;
    out.sem_nsems = set.count;
    return out;
}

// The operations, copied in: on the stack for a few, else from the heap.
class OperationBuffer {
public:
    ErrorOr<void> load(uint64_t user, size_t count) {
        m_ops = count <= k_inline ? m_inline : static_cast<SemBuf*>(mm::kmalloc(sizeof(SemBuf) * count));
        if (!m_ops)
            return Error::NoMemory;
        return mm::copy_from_user(m_ops, mm::UserPtr<const void>(user), sizeof(SemBuf) * count);
    }
    ~OperationBuffer() {
        if (m_ops && m_ops != m_inline)
            mm::kfree(m_ops);
    }
    SemBuf* data() { return m_ops; }

private:
    static constexpr size_t k_inline = 16;
    SemBuf m_inline[k_inline];
    SemBuf* m_ops { nullptr };
};

}  // namespace

ErrorOr<int32_t> sem_get(int32_t key, int32_t count, uint32_t flags) {
    if (count < 0 || static_cast<uint64_t>(count) > k_semmsl)
        return Error::Invalid;
    auto credentials = proc::current_credentials();
    sched::MutexGuard guard(g_lock);
    IpcObject* found;
    auto check = [count](IpcObject& object) -> ErrorOr<void> {
        if (static_cast<uint32_t>(count) > set_of(&object)->count)
            return Error::Invalid;
        return {};
    };
    auto outcome = TRY(look_up_key(ids(), key, flags, credentials, check, &found));
    if (outcome == GetOutcome::Found)
        return found->id();
    if (count == 0)
        return Error::Invalid;
    if (g_total_semaphores + static_cast<uint64_t>(count) > k_semmns)
        return Error::NoSpace;
    SemaphoreSet* set = allocate_set(static_cast<uint32_t>(count));
    if (!set)
        return Error::NoMemory;
    init_owner(*set, key, flags, credentials);
    if (auto added = ids().add(*set, k_semmni); added.is_error()) {
        free_set(set);
        return added.error();
    }
    g_total_semaphores += set->count;
    return set->id();
}

ErrorOr<void> sem_operate(int32_t id, uint64_t operations, uint64_t count, std::optional<uint64_t> timeout_ns) {
    if (count < 1 || id < 0)
        return Error::Invalid;
    if (count > k_semopm)
        return Error::TooBig;
    OperationBuffer buffer;
    TRY(buffer.load(operations, count));
    SemBuf* ops = buffer.data();
    uint32_t highest = 0;
    bool undo = false, alter = false;
    for (size_t i = 0; i < count; ++i) {
        highest = ops[i].sem_num > highest ? ops[i].sem_num : highest;
        undo |= (ops[i].sem_flg & k_sem_undo) != 0;
        alter |= ops[i].sem_op != 0;
    }
    uint64_t deadline = 0;
    if (timeout_ns)
        deadline = time::deadline_after(arch::monotonic_ns(), *timeout_ns ? *timeout_ns : 1);
    auto credentials = proc::current_credentials();
    const proc::Process* self = proc::current_process();

    sched::MutexGuard guard(g_lock);
    auto* set = set_of(ids().find_id(id));
    if (!set)
        return Error::Invalid;
    if (highest >= set->count)
        return Error::FileTooBig;
    if (!permitted(*set, credentials, alter ? k_access_write : k_access_read))
        return Error::AccessDenied;
    UndoRecord* record = nullptr;
    if (undo && !(record = find_or_make_undo(self, *set)))
        return Error::NoMemory;
    ++set->sleepers;
    ErrorOr<void> result {};
    for (;;) {
        if (set->removed) {
            result = Error::IdentifierRemoved;
            break;
        }
        SemResult applied = apply_semaphore_operations(set->values, record ? record->adjustments() : nullptr, ops, count);
        if (applied.outcome == SemOutcome::Done) {
            int32_t pid = current_pid();
            for (size_t i = 0; i < count; ++i)
                set->pids[ops[i].sem_num] = pid;
            set->operation_time = now_seconds();
            if (alter)
                wake_waiters(set->waiters);
            break;
        }
        if (applied.outcome == SemOutcome::OutOfRange) {
            result = Error::OutOfRange;
            break;
        }
        if (applied.outcome == SemOutcome::TryAgain) {
            result = Error::TryAgain;
            break;
        }
        IpcWaiter waiter;
        waiter.sem_num = ops[applied.blocking].sem_num;
        waiter.for_zero = ops[applied.blocking].sem_op == 0;
        auto woke = sleep_on(g_lock, set->waiters, waiter, deadline);
        if (woke == sched::WaitResult::TimedOut) {
            result = Error::TryAgain;  // semtimedop's timeout is EAGAIN
            break;
        }
        if (woke == sched::WaitResult::Interrupted) {
            result = Error::Interrupted;
            break;
        }
    }
    drop_sleeper(set);
    return result;
}

ErrorOr<int64_t> sem_control(int32_t id, int32_t number, int command, uint64_t argument) {
    if (id < 0)
        return Error::Invalid;
    auto credentials = proc::current_credentials();
    switch (command) {
    case k_ipc_info:
    case k_sem_info: {
        SemInfo info {};
        info.semmni = k_semmni;
        info.semmns = k_semmns;
        info.semmsl = k_semmsl;
        info.semopm = k_semopm;
        info.semume = k_semume;
        info.semmap = k_semmns;
        info.semmnu = k_semmns;
        info.semvmx = k_semvmx;
        info.semusz = k_semusz;
        info.semaem = k_semaem;
        int32_t highest;
        {
            sched::MutexGuard guard(g_lock);
            if (command == k_sem_info) {  // Linux: sets and semaphores in use
                info.semusz = static_cast<int32_t>(ids().count());
                info.semaem = static_cast<int32_t>(g_total_semaphores);
            }
            highest = ids().max_index();
        }
        TRY(mm::write_user(mm::UserPtr<SemInfo>(argument), info));
        return highest < 0 ? 0 : highest;
    }
    case k_ipc_stat:
    case k_sem_stat:
    case k_sem_stat_any: {
        Semid64Ds out;
        int64_t result;
        {
            sched::MutexGuard guard(g_lock);
            IpcObject* object =
                TRY(find_for_stat(ids(), command == k_ipc_stat, id, credentials, command == k_sem_stat_any));
            out = stat_of(*set_of(object));
            result = command == k_ipc_stat ? 0 : object->id();
        }
        TRY(mm::write_user(mm::UserPtr<Semid64Ds>(argument), out));
        return result;
    }
    case k_ipc_set: {
        auto wanted = TRY(mm::read_user(mm::UserPtr<const Semid64Ds>(argument)));
        sched::MutexGuard guard(g_lock);
        TRY(set_owner(*TRY(find_for_control(ids(), id, credentials)), wanted.sem_perm));
        return 0;
    }
    case k_ipc_rmid: {
        sched::MutexGuard guard(g_lock);
        remove_set_locked(set_of(TRY(find_for_control(ids(), id, credentials))));
        return 0;
    }
    case k_setval: {
        // The low half of the register is semun's int (little-endian).
        int32_t value = static_cast<int32_t>(argument);
        if (value < 0 || value > k_semvmx)
            return Error::OutOfRange;
        sched::MutexGuard guard(g_lock);
        auto* set = set_of(ids().find_id(id));
        if (!set)
            return Error::Invalid;
        if (number < 0 || static_cast<uint32_t>(number) >= set->count)
            return Error::Invalid;
        if (!permitted(*set, credentials, k_access_write))
            return Error::AccessDenied;
        clear_adjustments(id, number);
        set->values[number] = value;
        set->pids[number] = current_pid();
        set->ctime = now_seconds();
        wake_waiters(set->waiters);
        return 0;
    }
    case k_getval:
    case k_getpid:
    case k_getncnt:
    case k_getzcnt: {
        sched::MutexGuard guard(g_lock);
        auto* set = set_of(ids().find_id(id));
        if (!set)
            return Error::Invalid;
        if (!permitted(*set, credentials, k_access_read))
            return Error::AccessDenied;
        if (number < 0 || static_cast<uint32_t>(number) >= set->count)
            return Error::Invalid;
        if (command == k_getval)
            return set->values[number];
        if (command == k_getpid)
            return set->pids[number];
        int64_t waiting = 0;
        for (IpcWaiter* waiter = set->waiters.front(); waiter; waiter = set->waiters.next(*waiter))
            waiting += waiter->sem_num == number && waiter->for_zero == (command == k_getzcnt);
        return waiting;
    }
    case k_getall:
    case k_setall: {
        uint32_t count;
        {
            sched::MutexGuard guard(g_lock);
            auto* set = set_of(ids().find_id(id));
            if (!set)
                return Error::Invalid;
            if (!permitted(*set, credentials, command == k_getall ? k_access_read : k_access_write))
                return Error::AccessDenied;
            count = set->count;
        }
        auto* values = static_cast<uint16_t*>(mm::kmalloc(sizeof(uint16_t) * count));
        if (!values)
            return Error::NoMemory;
        struct Free {
            void* pointer;
            ~Free() { mm::kfree(pointer); }
        } free_values { values };
        if (command == k_setall) {
            TRY(mm::copy_from_user(values, mm::UserPtr<const void>(argument), sizeof(uint16_t) * count));
            for (uint32_t i = 0; i < count; ++i) {
                if (values[i] > k_semvmx)
                    return Error::OutOfRange;
            }
        }
        {
            sched::MutexGuard guard(g_lock);
            auto* set = set_of(ids().find_id(id));
            if (!set || set->count != count)
                return Error::IdentifierRemoved;  // removed while we copied
            if (command == k_getall) {
                for (uint32_t i = 0; i < count; ++i)
                    values[i] = static_cast<uint16_t>(set->values[i]);
            } else {
                clear_adjustments(id, -1);
                int32_t pid = current_pid();
                for (uint32_t i = 0; i < count; ++i) {
                    set->values[i] = values[i];
                    set->pids[i] = pid;
                }
                set->ctime = now_seconds();
                wake_waiters(set->waiters);
            }
        }
        if (command == k_getall)
            TRY(mm::copy_to_user(mm::UserPtr<void>(argument), values, sizeof(uint16_t) * count));
        return 0;
    }
    default: return Error::Invalid;
    }
}

void sem_exit(const proc::Process& process) {
    sched::MutexGuard guard(g_lock);
    for_each_undo([&](UndoRecord& record) {
        if (record.owner != &process)
            return;
        if (auto* set = set_of(ids().find_id(record.set_id))) {
            for (uint32_t i = 0; i < record.count && i < set->count; ++i) {
                if (!record.adjustments()[i])
                    continue;
                int32_t value = set->values[i] + record.adjustments()[i];
                set->values[i] = value < 0 ? 0 : value > k_semvmx ? k_semvmx : value;
                set->pids[i] = process.pid;
            }
            set->operation_time = now_seconds();
            wake_waiters(set->waiters);
        }
        free_undo(record);
    });
}

ErrorOr<void> write_proc_sysvipc_sem(procfs::TextBuffer& out) {
    out.append("       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime\n");
    sched::MutexGuard guard(g_lock);
    ids().for_each([&](IpcObject& object) {
        auto& set = *set_of(&object);
        out.format("{:10} {:10}  {:4o} {:10} {:5} {:5} {:5} {:5} {:10} {:10}\n", set.key, set.id(), set.mode,
                   set.count, set.uid, set.gid, set.cuid, set.cgid, set.operation_time, set.ctime);
    });
    return out.status();
}

}  // namespace akuma::ipc
