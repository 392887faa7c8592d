// Moving bytes between user memory and open files for read(2), write(2)
// and their p- and v- variants, through a kernel bounce buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "kernel/fs/bounce.h"
#include "kernel/fs/file.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/user_access.h"
#include "kernel/syscalls/linux_abi.h"

namespace akuma::sys {

// Linux caps a single transfer at 0x7ffff000 bytes (MAX_RW_COUNT).
constexpr size_t k_max_transfer = 0x7ffff000;

constexpr size_t k_chunk = fs::k_bounce_chunk;
using fs::Bounce;
using fs::partial;

// read(2) and pread64(2) (`offset`). `continuing`: an earlier iovec of the
// same readv got bytes.
ErrorOr<size_t> read_to_user(fs::OpenFile& file, uint64_t address, size_t count, std::optional<uint64_t> offset,
                             bool continuing = false);
ErrorOr<size_t> read_vectors(fs::OpenFile& file, mm::UserPtr<const linux_abi::Iovec> vectors, uint64_t count,
                             std::optional<uint64_t> offset = std::nullopt);

// write(2) and pwrite64(2) (`offset`); writev(2).
ErrorOr<size_t> write_from_user(fs::OpenFile& file, uint64_t address, size_t count, std::optional<uint64_t> offset);
ErrorOr<size_t> write_vectors(fs::OpenFile& file, mm::UserPtr<const linux_abi::Iovec> vectors, uint64_t count,
                              std::optional<uint64_t> offset = std::nullopt);

}  // namespace akuma::sys
