// A kernel buffer that bytes pass through between user memory and a file.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel/mm/kmalloc.h"

namespace akuma::fs {

// Transfers go through a kernel bounce buffer of at most this many bytes
// per step.
constexpr size_t k_bounce_chunk = 16384;

class Bounce {
public:
    explicit Bounce(size_t wanted) {
        m_size = wanted < k_bounce_chunk ? (wanted ? wanted : 1) : k_bounce_chunk;
        m_data = static_cast<uint8_t*>(mm::kmalloc(m_size));
    }
    ~Bounce() { mm::kfree(m_data); }
    Bounce(const Bounce&) = delete;
    Bounce& operator=(const Bounce&) = delete;
    uint8_t* data() const { return m_data; }
    size_t size() const { return m_size; }

private:
    uint8_t* m_data;
    size_t m_size;
};

}  // namespace akuma::fs
