// eventfd(2): a 64-bit counter as a file. write adds to it (blocking while
// the sum would pass 2^64 - 2), read takes it whole and resets it, or in
// semaphore mode takes 1; a read of a zero counter blocks (EAGAIN when
// O_NONBLOCK). Reads and writes move exactly 8 bytes (EINVAL for less);
// writing 2^64 - 1 is EINVAL. poll: POLLIN while the counter is above 0,
// POLLOUT while 1 more would fit, as Linux's eventfd_poll.
#pragma once

#include <cstdint>

#include "kernel/fs/file.h"

namespace akuma::events {

// `file_flags`: the description's (O_RDWR plus O_NONBLOCK if asked).
ErrorOr<fs::File*> create_eventfd(uint64_t initial, bool semaphore, uint32_t file_flags);

}  // namespace akuma::events
