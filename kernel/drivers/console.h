// The kernel console: the PL011 named by the device tree.
#pragma once

#include <cstdint>
#include <span>

namespace akuma::console {

// Starts output on the UART at `mmio_base` (mapped) and replays what was
// printed before.
void start(uintptr_t mmio_base);
bool is_started();

// Quiet: kernel log output (kprint) is dropped, so only what processes
// write reaches the terminal (./akuma exec). Panics turn it off again.
void set_quiet(bool quiet);

// Bytes exactly as given (the TTY layer has done output processing).
void raw_write(std::span<const char> bytes);
int uart_try_get_char();
void uart_enable_receive_interrupts();

extern uint64_t g_bytes_written;

}  // namespace akuma::console
