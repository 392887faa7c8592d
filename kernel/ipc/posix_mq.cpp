#include "kernel/ipc/posix_mq.h"

#include <new>

#include "kernel/events/anonymous_file.h"
#include "kernel/fs/permission.h"
#include "kernel/fs/poll_queue.h"
#include "kernel/fs/procfs/text_buffer.h"
#include "kernel/ipc/ipc_wait.h"
#include "kernel/lib/format.h"
#include "kernel/lib/intrusive_list.h"
#include "kernel/lib/string.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/proc/process.h"
#include "kernel/proc/process_credentials.h"
#include "kernel/proc/resource_limits.h"
#include "kernel/sched/scheduler.h"
#include "kernel/syscalls/linux_abi.h"

namespace akuma::ipc {

namespace abi = linux_abi;

namespace {

// Linux 6.1's defaults (ipc/mq_sysctl.c, include/linux/ipc_namespace.h).
constexpr int64_t k_msg_default = 10;
constexpr int64_t k_msgsize_default = 8192;
constexpr int64_t k_msg_max = 10;
constexpr int64_t k_msgsize_max = 8192;
constexpr int64_t k_hard_msg_max = 65536;
constexpr int64_t k_hard_msgsize_max = 16 * 1024 * 1024;
constexpr uint32_t k_queues_max = 256;
constexpr uint32_t k_priority_max = 32768;  // MQ_PRIO_MAX
// What Linux charges to RLIMIT_MSGQUEUE per message slot besides the text:
// a struct msg_msg and a struct posix_msg_tree_node (arm64 sizes).
constexpr uint64_t k_message_overhead = 48;
constexpr uint64_t k_tree_node_size = 48;
constexpr int32_t k_sigev_signal = 0;  // (SIGEV_NONE registers and sends nothing)
constexpr int32_t k_si_mesgq = -3;
constexpr uint64_t k_file_size = 80;  // Linux's FILENT_SIZE: a queue's st_size

constexpr const char* k_kind = "mqueue";

struct Message {
    Message* next;
    uint32_t priority;
    uint64_t size;
    uint8_t* bytes() { return reinterpret_cast<uint8_t*>(this + 1); }
};

struct Queue {
    ListNode link;  // the namespace, while it has a name
    uint32_t references { 1 };  // open descriptions, and the name
    BasicString<mm::HeapAllocator> name;
    bool named { true };
    uint64_t ino;
    uint32_t uid, gid, mode;
    int64_t max_messages, message_size;
    uint32_t charged_uid;
    uint64_t charged_bytes;
    Message* head { nullptr };  // highest priority first, oldest first within one
    int64_t count { 0 };
    uint64_t total_bytes { 0 };
    WaiterList senders, receivers;
    fs::PollQueue poll;
    int notify_pid { 0 };  // 0: nobody registered
    int notify_kind { 0 };
    int notify_signal { 0 };
    uint64_t notify_value { 0 };
};

struct UserBytes {
    ListNode link;
    uint32_t uid;
    uint64_t bytes;
};

constinit sched::Mutex g_lock;
constinit IntrusiveList<Queue, &Queue::link> g_names;
constinit IntrusiveList<UserBytes, &UserBytes::link> g_users;
constinit uint32_t g_queue_count { 0 };
constinit uint64_t g_next_ino { 1 };

UserBytes* user_bytes_locked(uint32_t uid) {
    UserBytes* found = nullptr;
    g_users.for_each([&](UserBytes& user) {
        if (user.uid == uid)
            found = &user;
    });
    return found;
}

Queue* find_locked(std::string_view name) {
    Queue* found = nullptr;
    g_names.for_each([&](Queue& queue) {
        if (queue.name.view() == name)
            found = &queue;
    });
    return found;
}

void notify_pollers_locked(Queue& queue) {
    sched::SchedulerLockGuard guard;
    queue.poll.notify(guard);
}

void release_locked(Queue& queue) {
    if (--queue.references)
        return;
    while (Message* message = queue.head) {
        queue.head = message->next;
        mm::kfree(message);
    }
    if (UserBytes* user = user_bytes_locked(queue.charged_uid)) {
        user->bytes -= queue.charged_bytes;
        if (user->bytes == 0) {
            g_users.remove(*user);
            delete user;
        }
    }
    --g_queue_count;
    delete &queue;
}

// Linux's mq_attr_ok.
ErrorOr<uint64_t> charge_of(const MqAttributes& attributes) {
    if (attributes.max_messages <= 0 || attributes.message_size <= 0)
        return Error::Invalid;
    bool privileged = proc::current_capable(proc::Capability::SysResource);
    if (attributes.max_messages > (privileged ? k_hard_msg_max : k_msg_max) ||
        attributes.message_size > (privileged ? k_hard_msgsize_max : k_msgsize_max))
        return Error::Invalid;
    auto slots = static_cast<uint64_t>(attributes.max_messages);
    uint64_t tree = slots * k_message_overhead + (slots < k_priority_max ? slots : k_priority_max) * k_tree_node_size;
    return tree + slots * static_cast<uint64_t>(attributes.message_size);
}

class QueueFile final : public events::AnonymousFile {
public:
    QueueFile(uint32_t flags, Queue& queue) : AnonymousFile(flags, k_kind), m_queue(queue) {}

    ~QueueFile() override {
        sched::MutexGuard guard(g_lock);
        // Linux drops the notification when its process closes the queue.
        if (proc::Process* process = proc::current_process(); process && m_queue.notify_pid == process->pid)
            m_queue.notify_pid = 0;
        release_locked(m_queue);
    }

    Queue& queue() { return m_queue; }

    // A queue's file reads as its state, from the file position (Linux's
    // mqueue_read_file).
    bool is_seekable() const override { return true; }
    bool ignores_seek() const override { return false; }
    ErrorOr<size_t> read_at(std::span<uint8_t> buffer, uint64_t offset, bool) override {
        char text[96];
        BufferSink sink(text, sizeof text);
        {
            sched::MutexGuard guard(g_lock);
            format_to(sink, "QSIZE:{:<10} NOTIFY:{:<5} SIGNO:{:<5} NOTIFY_PID:{:<6}\n", m_queue.total_bytes,
                      m_queue.notify_pid ? m_queue.notify_kind : 0,
                      m_queue.notify_pid && m_queue.notify_kind == k_sigev_signal ? m_queue.notify_signal : 0,
                      m_queue.notify_pid);
        }
        std::string_view view = sink.view();
        if (offset >= view.size())
            return size_t { 0 };
        size_t count = view.size() - offset < buffer.size() ? view.size() - offset : buffer.size();
        __builtin_memcpy(buffer.data(), view.data() + offset, count);
        return count;
    }

    uint16_t poll_events() override {
        sched::MutexGuard guard(g_lock);
        uint16_t events = 0;
        if (m_queue.count > 0)
            events |= abi::k_pollin | abi::k_pollrdnorm;
        if (m_queue.count < m_queue.max_messages)
            events |= abi::k_pollout | abi::k_pollwrnorm;
        return events;
    }
    fs::PollQueue* poll_queue() override { return &m_queue.poll; }

    ErrorOr<fs::InodeStat> stat() override {
        sched::MutexGuard guard(g_lock);
        fs::InodeStat stat {};
        stat.ino = m_queue.ino;
        stat.mode = fs::k_mode_regular | m_queue.mode;
        stat.nlink = m_queue.named ? 1 : 0;
        stat.uid = m_queue.uid;
        stat.gid = m_queue.gid;
        stat.size = k_file_size;
        stat.blksize = 4096;
        return stat;
    }

    // /proc/<pid>/fd: the name under the mqueue file system's root.
    ErrorOr<size_t> anonymous_name(std::span<char> buffer) override {
        sched::MutexGuard guard(g_lock);
        BufferSink sink(buffer.data(), buffer.size());
        format_to(sink, "/{}", m_queue.name.view());
        if (sink.truncated())
            return Error::OutOfRange;
        return sink.view().size();
    }

private:
    Queue& m_queue;
};

ErrorOr<QueueFile*> queue_file(fs::File& file, bool writes) {
    events::AnonymousFile* anonymous = file.anonymous();
    if (!anonymous || anonymous->kind() != k_kind)
        return Error::BadFd;
    if (writes ? !file.is_writable() : !file.is_readable())
        return Error::BadFd;
    return static_cast<QueueFile*>(anonymous);
}

// Linux's lookup_one_len and the mqueue file system's lookup.
ErrorOr<void> check_name(std::string_view name) {
    if (name.empty())
        return Error::NotFound;  // getname() refuses an empty string
    if (name == "." || name == ".." || name.find('/') != std::string_view::npos)
        return Error::AccessDenied;
    if (name.size() > fs::k_max_name)
        return Error::NameTooLong;
    return {};
}

// The message arrived in an empty queue nobody waits on: the registered
// process hears of it once (Linux's __do_notify).
void notify_locked(Queue& queue) {
    if (!queue.notify_pid || queue.count != 1 || !queue.receivers.is_empty())
        return;
    int pid = queue.notify_pid;
    queue.notify_pid = 0;
    if (queue.notify_kind != k_sigev_signal || queue.notify_signal == 0)
        return;
    proc::SignalInfo info {};
    info.signo = queue.notify_signal;
    info.code = k_si_mesgq;
    info.pid = proc::current_process()->pid;
    info.uid = proc::current_credentials().uid;
    info.value = queue.notify_value;
    (void)proc::send_signal(pid, queue.notify_signal, &info, proc::SignalSender::Kernel);
}

void insert_locked(Queue& queue, Message* message) {
    Message** slot = &queue.head;
    while (*slot && (*slot)->priority >= message->priority)
        slot = &(*slot)->next;
    message->next = *slot;
    *slot = message;
    ++queue.count;
    queue.total_bytes += message->size;
}

ErrorOr<void> wait_locked(WaiterList& list, std::optional<uint64_t> deadline_ns) {
    IpcWaiter waiter;
    // A deadline already past still waits for nothing: 1 is long gone.
    uint64_t deadline = deadline_ns ? (*deadline_ns ? *deadline_ns : 1) : 0;
    auto result = sleep_on(g_lock, list, waiter, deadline);
    if (result == sched::WaitResult::Interrupted)
        return Error::Interrupted;
    if (result == sched::WaitResult::TimedOut)
        return Error::TimedOut;
    return {};
}

}  // namespace

ErrorOr<fs::File*> mq_open(std::string_view name, uint32_t flags, uint32_t mode, uint32_t umask,
                           const MqAttributes* attributes) {
    TRY(check_name(name));
    uint32_t access = flags & abi::k_o_accmode;
    proc::Credentials credentials = proc::current_credentials();
    sched::MutexGuard guard(g_lock);
    Queue* queue = find_locked(name);
    bool created = !queue;
    if (!queue) {
        if (!(flags & abi::k_o_creat))
            return Error::NotFound;
        MqAttributes wanted = attributes ? *attributes : MqAttributes { 0, k_msg_default, k_msgsize_default, 0 };
        uint64_t charge = TRY(charge_of(wanted));
        if (g_queue_count >= k_queues_max && !proc::current_capable(proc::Capability::SysResource))
            return Error::NoSpace;
        if (access == 3)
            return Error::Invalid;
        uint64_t limit = proc::soft_limit(*proc::current_process(), abi::k_rlimit_msgqueue);
        UserBytes* user = user_bytes_locked(credentials.uid);
        uint64_t used = user ? user->bytes : 0;
        if (used + charge < used || used + charge > limit)
            return Error::TooManyOpenFiles;  // Linux's EMFILE
        if (!user) {
            user = new (std::nothrow) UserBytes { {}, credentials.uid, 0 };
            if (!user)
                return Error::NoMemory;
            g_users.push_back(*user);
        }
        queue = new (std::nothrow) Queue {};
        if (!queue) {
            if (user->bytes == 0) {
                g_users.remove(*user);
                delete user;
            }
            return Error::NoMemory;
        }
        if (auto named = BasicString<mm::HeapAllocator>::try_from(name); !named.is_error()) {
            queue->name = named.release_value();
        } else {
            delete queue;
            return named.error();
        }
        queue->ino = g_next_ino++;
        queue->uid = credentials.fsuid;
        queue->gid = credentials.fsgid;
        queue->mode = mode & ~umask & 0777;
        queue->max_messages = wanted.max_messages;
        queue->message_size = wanted.message_size;
        queue->charged_uid = credentials.uid;
        queue->charged_bytes = charge;
        user->bytes += charge;
        ++g_queue_count;
        g_names.push_back(*queue);
    } else {
        if ((flags & abi::k_o_creat) && (flags & abi::k_o_excl))
            return Error::Exists;
        if (access == 3)
            return Error::Invalid;
        unsigned wanted = access == abi::k_o_rdonly   ? fs::k_may_read
                          : access == abi::k_o_wronly ? fs::k_may_write
                                                      : fs::k_may_read | fs::k_may_write;
        TRY(fs::check_access(credentials, queue->mode, queue->uid, queue->gid, false, wanted));
    }
    auto* file = new (std::nothrow) QueueFile(access | (flags & abi::k_o_nonblock), *queue);
    if (!file) {
        if (created) {  // made just now for this open: take it back
            g_names.remove(*queue);
            queue->named = false;
            release_locked(*queue);
        }
        return Error::NoMemory;
    }
    ++queue->references;
    return static_cast<fs::File*>(file);
}

ErrorOr<void> mq_unlink(std::string_view name) {
    TRY(check_name(name));
    proc::Credentials credentials = proc::current_credentials();
    sched::MutexGuard guard(g_lock);
    Queue* queue = find_locked(name);
    if (!queue)
        return Error::NotFound;
    // The mqueue root is sticky (01777): its owner or CAP_FOWNER (EPERM).
    if (credentials.fsuid != queue->uid && !credentials.capable(proc::Capability::Fowner))
        return Error::NotPermitted;
    g_names.remove(*queue);
    queue->named = false;
    release_locked(*queue);
    return {};
}

ErrorOr<void> mq_send(fs::File& file, mm::UserPtr<const uint8_t> data, uint64_t size, uint32_t priority,
                      std::optional<uint64_t> deadline_ns) {
    Queue& queue = TRY(queue_file(file, true))->queue();
    {
        sched::MutexGuard guard(g_lock);
        if (size > static_cast<uint64_t>(queue.message_size))
            return Error::MessageTooLong;
    }
    auto* message = static_cast<Message*>(mm::kmalloc(sizeof(Message) + size));
    if (!message)
        return Error::NoMemory;
    message->priority = priority;
    message->size = size;
    if (auto copied = mm::copy_from_user(message->bytes(), mm::UserPtr<const void>(data.address()), size); copied.is_error()) {
        mm::kfree(message);
        return copied.error();
    }
    sched::MutexGuard guard(g_lock);
    while (queue.count >= queue.max_messages) {
        if (file.is_nonblocking()) {
            mm::kfree(message);
            return Error::TryAgain;
        }
        if (auto waited = wait_locked(queue.senders, deadline_ns); waited.is_error()) {
            mm::kfree(message);
            return waited.error();
        }
    }
    insert_locked(queue, message);
    notify_locked(queue);
    wake_waiters(queue.receivers);
    notify_pollers_locked(queue);
    return {};
}

ErrorOr<uint64_t> mq_receive(fs::File& file, mm::UserPtr<uint8_t> buffer, uint64_t size,
                             mm::UserPtr<uint32_t> priority, std::optional<uint64_t> deadline_ns) {
    Queue& queue = TRY(queue_file(file, false))->queue();
    Message* message;
    {
        sched::MutexGuard guard(g_lock);
        if (size < static_cast<uint64_t>(queue.message_size))
            return Error::MessageTooLong;
        while (queue.count == 0) {
            if (file.is_nonblocking())
                return Error::TryAgain;
            TRY(wait_locked(queue.receivers, deadline_ns));
        }
        message = queue.head;
        queue.head = message->next;
        --queue.count;
        queue.total_bytes -= message->size;
        wake_waiters(queue.senders);
        notify_pollers_locked(queue);
    }
    // As Linux: the message is gone even if the caller's memory is not there.
    ErrorOr<void> copied = mm::copy_to_user(mm::UserPtr<void>(buffer.address()), message->bytes(), message->size);
    if (!copied.is_error() && !priority.is_null())
        copied = mm::write_user(priority, message->priority);
    uint64_t length = message->size;
    mm::kfree(message);
    TRY(copied);
    return length;
}

ErrorOr<void> mq_notify(fs::File& file, std::optional<MqNotification> notification) {
    events::AnonymousFile* anonymous = file.anonymous();
    if (!anonymous || anonymous->kind() != k_kind)
        return Error::BadFd;
    Queue& queue = static_cast<QueueFile*>(anonymous)->queue();
    int pid = proc::current_process()->pid;
    sched::MutexGuard guard(g_lock);
    if (!notification) {
        if (queue.notify_pid == pid)
            queue.notify_pid = 0;
        return {};
    }
    if (queue.notify_pid)
        return Error::Busy;
    queue.notify_pid = pid;
    queue.notify_kind = notification->kind;
    queue.notify_signal = notification->signal;
    queue.notify_value = notification->value;
    return {};
}

ErrorOr<MqAttributes> mq_attributes(fs::File& file, std::optional<bool> nonblocking) {
    events::AnonymousFile* anonymous = file.anonymous();
    if (!anonymous || anonymous->kind() != k_kind)
        return Error::BadFd;
    Queue& queue = static_cast<QueueFile*>(anonymous)->queue();
    MqAttributes attributes {};
    attributes.flags = file.flags() & abi::k_o_nonblock;
    if (nonblocking)
        file.change_flags(abi::k_o_nonblock, *nonblocking ? abi::k_o_nonblock : 0);
    sched::MutexGuard guard(g_lock);
    attributes.max_messages = queue.max_messages;
    attributes.message_size = queue.message_size;
    attributes.current_messages = queue.count;
    return attributes;
}

ErrorOr<void> write_sysctl_mq_msg_max(procfs::TextBuffer& out) { return out.number_line(k_msg_max); }
ErrorOr<void> write_sysctl_mq_msgsize_max(procfs::TextBuffer& out) { return out.number_line(k_msgsize_max); }
ErrorOr<void> write_sysctl_mq_queues_max(procfs::TextBuffer& out) { return out.number_line(k_queues_max); }
ErrorOr<void> write_sysctl_mq_msg_default(procfs::TextBuffer& out) { return out.number_line(k_msg_default); }
ErrorOr<void> write_sysctl_mq_msgsize_default(procfs::TextBuffer& out) { return out.number_line(k_msgsize_default); }

}  // namespace akuma::ipc
