#include "kernel/drivers/pl011.h"

namespace akuma::drivers {

namespace {
constexpr size_t k_data = 0x00;
constexpr size_t k_flags = 0x18;
constexpr size_t k_line_control = 0x2c;
constexpr size_t k_control = 0x30;
constexpr size_t k_interrupt_mask = 0x38;

constexpr uint32_t k_interrupt_rx = 1u << 4;
constexpr uint32_t k_interrupt_rx_timeout = 1u << 6;
constexpr uint32_t k_flag_rx_empty = 1u << 4;
constexpr uint32_t k_flag_tx_full = 1u << 5;
constexpr uint32_t k_flag_busy = 1u << 3;
constexpr uint32_t k_lcr_fifo_enable = 1u << 4;
constexpr uint32_t k_lcr_8_bits = 3u << 5;
constexpr uint32_t k_cr_enable = 1u << 0;
constexpr uint32_t k_cr_tx_enable = 1u << 8;
constexpr uint32_t k_cr_rx_enable = 1u << 9;
}  // namespace

void Pl011::init(uintptr_t base) {
    m_base = base;
    // The firmware (or QEMU) has set the baud rate; we only make sure the
    // frame format is 8N1 with FIFOs and that TX/RX are on. Interrupts stay
    // masked until an interrupt-driven console exists.
    while (reg(k_flags) & k_flag_busy) {
    }
    reg(k_control) = 0;
    reg(k_line_control) = k_lcr_fifo_enable | k_lcr_8_bits;
    reg(k_interrupt_mask) = 0;
    reg(k_control) = k_cr_enable | k_cr_tx_enable | k_cr_rx_enable;
}

void Pl011::put_char(char c) {
    while (reg(k_flags) & k_flag_tx_full) {
    }
    reg(k_data) = static_cast<uint8_t>(c);
}

int Pl011::try_get_char() {
    if (reg(k_flags) & k_flag_rx_empty)
        return -1;
    return static_cast<int>(reg(k_data) & 0xff);
}

void Pl011::enable_receive_interrupts() {
    // No clearing first: input that arrived before this (QEMU fills the FIFO
    // from a pipe at once) must still raise the interrupt; reading the data
    // register is what clears it.
    reg(k_interrupt_mask) = k_interrupt_rx | k_interrupt_rx_timeout;
}

}  // namespace akuma::drivers
