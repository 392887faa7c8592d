// The memory devices of major 1, as Linux's drivers/char/mem.c:
// /dev/null, /dev/zero, /dev/full, /dev/random and /dev/urandom.
#pragma once

#include "kernel/lib/error_or.h"

namespace akuma::drivers {

// Registers them with the character device table. Boot, before the VFS.
ErrorOr<void> register_memory_devices();

}  // namespace akuma::drivers
