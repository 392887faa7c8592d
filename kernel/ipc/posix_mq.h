// POSIX message queues (mq_overview(7)): mq_open, mq_unlink, mq_timedsend,
// mq_timedreceive, mq_notify, mq_getsetattr, with Linux 6.1's limits and
// errors. A queue holds at most mq_maxmsg messages of up to mq_msgsize
// bytes, taken highest priority first (oldest first within a priority);
// senders wait while it is full, receivers while it is empty. Names live
// in one namespace of their own (Linux's mqueue file system, without the
// mount: /dev/mqueue does not list them); a descriptor is an open file of
// the queue that read(2) shows the state of and poll(2) watches.
//
// Limits: /proc/sys/fs/mqueue (Linux's defaults; CAP_SYS_RESOURCE may
// exceed msg_max and msgsize_max up to Linux's hard limits, and
// queues_max), and RLIMIT_MSGQUEUE on the bytes a user's queues may hold,
// counted as Linux does.
//
// Locking: one mutex over the namespace and every queue (posix_mq.cpp);
// message bytes are copied from user memory before it is taken and to user
// memory after it is let go.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "kernel/fs/file.h"
#include "kernel/lib/error_or.h"
#include "kernel/mm/user_access.h"

namespace akuma::procfs {
class TextBuffer;
}

namespace akuma::ipc {

struct MqAttributes {
    int64_t flags;  // O_NONBLOCK or 0
    int64_t max_messages;
    int64_t message_size;
    int64_t current_messages;
};

// mq_open: `name` as the kernel gets it (glibc drops the leading '/');
// `attributes` only matter with O_CREAT (nullptr: the defaults). The new
// description, O_CLOEXEC is the caller's.
ErrorOr<fs::File*> mq_open(std::string_view name, uint32_t flags, uint32_t mode, uint32_t umask,
                           const MqAttributes* attributes);
ErrorOr<void> mq_unlink(std::string_view name);

// `deadline_ns`: monotonic, nullopt for none; O_NONBLOCK of the description
// decides whether to wait at all. BadFd for anything but a queue opened
// for the direction.
ErrorOr<void> mq_send(fs::File& file, mm::UserPtr<const uint8_t> data, uint64_t size, uint32_t priority,
                      std::optional<uint64_t> deadline_ns);
// The message's size; its priority to `priority` (if not null).
ErrorOr<uint64_t> mq_receive(fs::File& file, mm::UserPtr<uint8_t> buffer, uint64_t size,
                             mm::UserPtr<uint32_t> priority, std::optional<uint64_t> deadline_ns);

struct MqNotification {
    int kind;  // SIGEV_SIGNAL or SIGEV_NONE
    int signal;
    uint64_t value;
};
// mq_notify: registers the calling process (EBUSY if another is), or with
// nullopt removes its registration.
ErrorOr<void> mq_notify(fs::File& file, std::optional<MqNotification> notification);
// mq_getsetattr: the attributes; `nonblocking` sets O_NONBLOCK first.
ErrorOr<MqAttributes> mq_attributes(fs::File& file, std::optional<bool> nonblocking);

// /proc/sys/fs/mqueue.
ErrorOr<void> write_sysctl_mq_msg_max(procfs::TextBuffer& out);
ErrorOr<void> write_sysctl_mq_msgsize_max(procfs::TextBuffer& out);
ErrorOr<void> write_sysctl_mq_queues_max(procfs::TextBuffer& out);
ErrorOr<void> write_sysctl_mq_msg_default(procfs::TextBuffer& out);
ErrorOr<void> write_sysctl_mq_msgsize_default(procfs::TextBuffer& out);

}  // namespace akuma::ipc
