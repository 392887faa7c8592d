#include "kernel/drivers/console.h"

#include <cstddef>

#include "kernel/drivers/pl011.h"
#include "kernel/lib/kprint.h"

namespace akuma::console {

// Bytes sent to the UART. Useful to watch from gdb (docs/DEBUGGING.md).
uint64_t g_bytes_written = 0;

namespace {

drivers::Pl011 g_uart;

// Holds output produced before the UART is mapped (e.g. allocator setup).
constexpr size_t k_early_buffer_size = 4096;
char g_early_buffer[k_early_buffer_size];
size_t g_early_length = 0;
bool g_quiet = false;
bool g_early_truncated = false;

void emit(char c) {
    ++g_bytes_written;
    if (c == '\n')
        g_uart.put_char('\r');
    g_uart.put_char(c);
}

class ConsoleSink final : public FormatSink {
public:
    void write(const char* data, size_t length) override {
        if (g_quiet)
            return;
        if (!g_uart.is_ready()) {
            for (size_t i = 0; i < length; ++i) {
                if (g_early_length == k_early_buffer_size) {
                    g_early_truncated = true;
                    return;
                }
                g_early_buffer[g_early_length++] = data[i];
            }
            return;
        }
        for (size_t i = 0; i < length; ++i)
            emit(data[i]);
    }
};

ConsoleSink g_sink;

}  // namespace

void start(uintptr_t mmio_base) {
    g_uart.init(mmio_base);
    for (size_t i = 0; i < g_early_length; ++i)
        emit(g_early_buffer[i]);
    if (g_early_truncated)
        kprintln("[Console] early output truncated at {} bytes", k_early_buffer_size);
}

bool is_started() { return g_uart.is_ready(); }

void set_quiet(bool quiet) { g_quiet = quiet; }

void raw_write(std::span<const char> bytes) {
    g_bytes_written += bytes.size();
    for (char c : bytes)
        g_uart.put_char(c);
}

int uart_try_get_char() { return g_uart.try_get_char(); }

void uart_enable_receive_interrupts() { g_uart.enable_receive_interrupts(); }

}  // namespace akuma::console

namespace akuma {
FormatSink& console_sink() { return console::g_sink; }
}  // namespace akuma
