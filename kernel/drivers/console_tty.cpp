#include "kernel/drivers/console_tty.h"

#include "kernel/arch/aarch64/irq.h"
#include "kernel/drivers/console.h"
#include "kernel/drivers/terminal.h"
#include "kernel/sched/scheduler.h"

namespace akuma::console {

namespace {

// The console's terminal: output straight to the UART (never full), input
// from its receive interrupt.
constinit tty::Terminal g_console {};

void output_to_uart(void*, std::span<const char> bytes) { raw_write(bytes); }

void receive_interrupt(uint32_t, void*) {
    {
        sched::SchedulerLockGuard guard;
        char bytes[64];
        size_t count = 0;
        for (int c; (c = uart_try_get_char()) >= 0;) {
            bytes[count++] = static_cast<char>(c);
            if (count == sizeof bytes) {
                g_console.receive_locked(guard, { bytes, count });
                count = 0;
            }
        }
        g_console.receive_locked(guard, { bytes, count });
    }
    g_console.send_pending_signals();
}

}  // namespace

tty::Terminal& console_terminal() { return g_console; }

ErrorOr<void> tty_init(uint32_t uart_intid) {
    g_console.attach({ output_to_uart, nullptr, nullptr, nullptr, 5, 1 });
    TRY(arch::irq_register(uart_intid, receive_interrupt, nullptr, "uart"));
    uart_enable_receive_interrupts();
    receive_interrupt(uart_intid, nullptr);  // what arrived before, if the interrupt stays quiet
    return {};
}

void tty_set_foreground(int pgid) { g_console.set_foreground(pgid); }

}  // namespace akuma::console
