// Moving bytes between user memory and open files for read(2), write(2)
// and their p- and v- variants, through a kernel bounce buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "kernel/fs/vfs.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/user_access.h"
#include "kernel/syscalls/linux_abi.h"

namespace akuma::sys {

// Transfers go through a kernel bounce buffer of at most this many bytes
// per step.
constexpr size_t k_chunk = 16384;

// Linux caps a single transfer at 0x7ffff000 bytes (MAX_RW_COUNT).
constexpr size_t k_max_transfer = 0x7ffff000;

class Bounce {
public:
    explicit Bounce(size_t wanted) {
        m_size = wanted < k_chunk ? (wanted ? wanted : 1) : k_chunk;
        m_data = static_cast<uint8_t*>(mm::kmalloc(m_size));
    }
    ~Bounce() { mm::kfree(m_data); }
    uint8_t* data() const { return m_data; }
    size_t size() const { return m_size; }

private:
    uint8_t* m_data;
    size_t m_size;
};

// A transfer that fails after some bytes moved reports those bytes, as Linux does.
inline ErrorOr<size_t> partial(size_t done, Error error) {
    return done ? ErrorOr<size_t>(done) : ErrorOr<size_t>(error);
}

// read(2) and pread64(2) (`offset`). `continuing`: an earlier iovec of the
// same readv got bytes.
ErrorOr<size_t> read_to_user(fs::OpenFile& file, uint64_t address, size_t count, std::optional<uint64_t> offset,
                             bool continuing = false);
ErrorOr<size_t> read_vectors(fs::OpenFile& file, mm::UserPtr<const linux_abi::Iovec> vectors, uint64_t count);

// write(2) and pwrite64(2) (`offset`); writev(2).
ErrorOr<size_t> write_from_user(fs::OpenFile& file, uint64_t address, size_t count, std::optional<uint64_t> offset);
ErrorOr<size_t> write_vectors(fs::OpenFile& file, mm::UserPtr<const linux_abi::Iovec> vectors, uint64_t count);

}  // namespace akuma::sys
