// ARM PrimeCell PL011 UART (DDI 0183), polled transmit and receive.
#pragma once

#include <cstddef>
#include <cstdint>

namespace akuma::drivers {

class Pl011 {
public:
    // base: the UART's registers, already mapped as device memory.
    void init(uintptr_t base);
    bool is_ready() const { return m_base != 0; }
    void put_char(char c);
    // Returns -1 when no character is waiting.
    int try_get_char();
    // Receive (and receive-timeout) interrupts on/off; reading the data
    // register until the FIFO is empty clears them.
    void enable_receive_interrupts();

private:
    volatile uint32_t& reg(size_t offset) const { return *reinterpret_cast<volatile uint32_t*>(m_base + offset); }
    uintptr_t m_base { 0 };
};

}  // namespace akuma::drivers
