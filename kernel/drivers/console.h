// The kernel console: the PL011 named by the device tree.
#pragma once

#include <cstdint>

namespace akuma::console {

// Starts output on the UART at `mmio_base` (mapped) and replays what was
// printed before.
void start(uintptr_t mmio_base);
bool is_started();

extern uint64_t g_bytes_written;

}  // namespace akuma::console
