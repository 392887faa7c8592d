// System V message queues (msgget, msgsnd, msgrcv, msgctl) with Linux 6.1's
// semantics: queues of typed messages of up to MSGMAX bytes, at most
// msg_qbytes bytes (and as many messages) each; a sender waits while the
// queue is full, a receiver while nothing matches, both interruptibly and
// both woken with EIDRM when the queue is removed.
//
// Locking: one mutex for the table and every queue (msg_queue.cpp). Message
// text is copied from user memory before it is taken and to user memory
// after it is released.
#pragma once

#include <cstdint>

#include "kernel/lib/error_or.h"
#include "kernel/mm/user_access.h"

namespace akuma::procfs {
class TextBuffer;
}

namespace akuma::ipc {

ErrorOr<int32_t> msg_get(int32_t key, uint32_t flags);
// `buffer` is struct msgbuf: a long type, then `size` bytes of text.
ErrorOr<void> msg_send(int32_t id, uint64_t buffer, uint64_t size, uint32_t flags);
// The text's length in bytes.
ErrorOr<uint64_t> msg_receive(int32_t id, uint64_t buffer, uint64_t size, int64_t type, uint32_t flags);
// msgctl: the command's result (0, or an ID or slot for the *_STAT and
// *_INFO commands).
ErrorOr<int64_t> msg_control(int32_t id, int command, uint64_t buffer);

ErrorOr<void> write_proc_sysvipc_msg(procfs::TextBuffer& out);

}  // namespace akuma::ipc
