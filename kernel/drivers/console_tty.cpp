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
    g_console.attach({ output_to_uart, nullptr, nullptr, nullptr });
    TRY(arch::irq_register(uart_intid, receive_interrupt, nullptr, "uart"));
    uart_enable_receive_interrupts();
    receive_interrupt(uart_intid, nullptr);  // what arrived before, if the interrupt stays quiet
    return {};
}

fs::PollQueue& tty_poll_queue() { return g_console.poll_queue(); }
bool tty_poll_readable() { return g_console.poll_readable(); }
ErrorOr<size_t> tty_read(std::span<char> out, bool nonblocking) { return g_console.read(out, nonblocking); }
ErrorOr<size_t> tty_write(std::span<const char> bytes) { return g_console.write(bytes, false); }
tty::Termios tty_termios() { return g_console.termios(); }
ErrorOr<void> tty_set_termios(const tty::Termios& termios, bool flush_input) {
    return g_console.set_termios(termios, flush_input);
}
ErrorOr<void> tty_flush(uint32_t queue) { return g_console.flush(queue); }
tty::Winsize tty_winsize() { return g_console.winsize(); }
void tty_set_winsize(const tty::Winsize& winsize) { g_console.set_winsize(winsize); }
size_t tty_bytes_available() { return g_console.bytes_available(); }

ConsoleOwnership console_ownership() {
    auto ownership = g_console.ownership();
    return { ownership.session, ownership.foreground_pgid };
}

ErrorOr<int> tty_foreground_group() { return g_console.foreground_group(); }
ErrorOr<void> tty_set_foreground_group(int pgid) { return g_console.set_foreground_group(pgid); }
ErrorOr<int> tty_session() { return g_console.session(); }
ErrorOr<void> tty_make_controlling(bool steal) { return g_console.make_controlling(steal); }
ErrorOr<void> tty_give_up_controlling() { return g_console.give_up_controlling(); }
void tty_set_foreground(int pgid) { g_console.set_foreground(pgid); }

}  // namespace akuma::console
