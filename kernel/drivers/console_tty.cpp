#include "kernel/drivers/console_tty.h"

#include "kernel/arch/aarch64/irq.h"
#include "kernel/drivers/console.h"
#include "kernel/proc/process.h"
#include "kernel/sched/scheduler.h"
#include "kernel/sched/spinlock.h"
#include "kernel/sched/wait_queue.h"

namespace akuma::console {

namespace {

// Line discipline state is touched by the receive IRQ and by readers; the
// scheduler lock (which masks IRQs) guards it, so a reader can check for
// input and start waiting without missing a wake-up.
constinit tty::LineDiscipline g_line {};
constinit sched::WaitQueue g_readers {};
constinit int g_foreground_pid = 0;
constinit int g_pending_signal = 0;

void output_sink(void*, std::span<const char> bytes) { raw_write(bytes); }

void signal_sink(void*, int signal) { g_pending_signal = signal; }

void feed(std::span<const char> bytes, sched::SchedulerLockGuard& guard) {
    for (char c : bytes)
        g_line.receive(c);
    if (g_pending_signal && g_foreground_pid)
        proc::send_signal_from_irq(g_foreground_pid, g_pending_signal);
    g_pending_signal = 0;
    g_readers.wake_all(guard);
}

void receive_interrupt(uint32_t, void*) {
    char buffer[64];
    size_t count = 0;
    sched::SchedulerLockGuard guard;
    for (int c; (c = uart_try_get_char()) >= 0;) {
        buffer[count++] = static_cast<char>(c);
        if (count == sizeof(buffer)) {
            feed({ buffer, count }, guard);
            count = 0;
        }
    }
    feed({ buffer, count }, guard);
}

}  // namespace

ErrorOr<void> tty_init(uint32_t uart_intid) {
    g_line.set_output_sink(output_sink, nullptr);
    g_line.set_signal_sink(signal_sink, nullptr);
    TRY(arch::irq_register(uart_intid, receive_interrupt, nullptr, "uart"));
    uart_enable_receive_interrupts();
    receive_interrupt(uart_intid, nullptr);  // what arrived before, if the interrupt stays quiet
    return {};
}

bool tty_has_input() {
    sched::SchedulerLockGuard guard;
    return g_line.readable();
}

ErrorOr<size_t> tty_read(std::span<char> out, bool nonblocking) {
    sched::SchedulerLockGuard guard;
    for (;;) {
        if (auto result = g_line.read(out))
            return *result;
        if (nonblocking)
            return Error::TryAgain;
        if (auto* process = proc::current_process(); process && process->fatal_signal)
            return Error::Interrupted;
        g_readers.wait(guard);
    }
}

void tty_write(std::span<const char> bytes) {
    // In pieces, so a long write does not keep interrupts masked throughout.
    constexpr size_t k_piece = 256;
    for (size_t done = 0; done < bytes.size(); done += k_piece) {
        sched::SchedulerLockGuard guard;
        g_line.write(bytes.subspan(done, bytes.size() - done < k_piece ? bytes.size() - done : k_piece));
    }
}

tty::Termios tty_termios() {
    sched::SchedulerLockGuard guard;
    return g_line.termios();
}

void tty_set_termios(const tty::Termios& termios) {
    sched::SchedulerLockGuard guard;
    g_line.set_termios(termios);
    g_readers.wake_all(guard);  // switching to raw mode may make input readable
}

tty::Winsize tty_winsize() {
    sched::SchedulerLockGuard guard;
    return g_line.winsize();
}

void tty_set_winsize(const tty::Winsize& winsize) {
    sched::SchedulerLockGuard guard;
    g_line.set_winsize(winsize);
}

size_t tty_bytes_available() {
    sched::SchedulerLockGuard guard;
    return g_line.bytes_available();
}

void tty_set_foreground(int pid) {
    sched::SchedulerLockGuard guard;
    g_foreground_pid = pid;
}

}  // namespace akuma::console
