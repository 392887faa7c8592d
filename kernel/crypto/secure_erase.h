// Erasing secrets (keys, key-stream blocks, extracted seeds) so the bytes
// do not outlive their use. A plain memset of a buffer that is dead
// afterwards may be removed by the compiler; the empty asm that "reads" the
// buffer after the stores keeps them.
#pragma once

#include <cstddef>
#include <span>

namespace akuma::crypto {

inline void secure_erase(void* data, size_t size) {
    __builtin_memset(data, 0, size);
    asm volatile("" : : "r"(data) : "memory");
}

template <typename T, size_t N>
inline void secure_erase(std::span<T, N> data) {
    secure_erase(data.data(), data.size_bytes());
}

}  // namespace akuma::crypto
