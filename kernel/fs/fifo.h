// FIFOs (named pipes, mkfifo(3)): a FIFO node of any file system opens onto
// one Pipe (pipe.h), shared by every open description of that node while
// any is open, as Linux's fifo_open:
//   O_RDONLY  waits until a writer has opened it (O_NONBLOCK: never waits)
//   O_WRONLY  waits until a reader has opened it; O_NONBLOCK with no reader
//             open is ENXIO
//   O_RDWR    never waits
// A waiting open is interrupted by a signal (EINTR; restarted under
// SA_RESTART, as openat is). When the last description closes, the pipe
// and whatever it still held are gone: the next open starts empty.
#pragma once

#include <cstdint>

#include "kernel/fs/file.h"
#include "kernel/fs/inode.h"
#include "kernel/lib/error_or.h"

namespace akuma::fs {

ErrorOr<File*> open_fifo(InodeRef node, uint32_t flags);

}  // namespace akuma::fs
