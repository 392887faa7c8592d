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

// The bytes of one write(2), pwrite64(2), writev(2) or sendmsg(2): user
// segments read front to back, capped at k_max_transfer as Linux caps them.
class UserWriteSource final : public fs::WriteSource {
public:
    UserWriteSource(const linux_abi::Iovec* vectors, size_t count);
    size_t total() const override { return m_total; }
    // Linux's access_ok: every segment lies in the user half.
    bool in_user_range() const;
    // How many bytes from the start the process can read: up to the first
    // byte in unmapped (or PROT_NONE) memory.
    size_t readable() const override;
    // The next `size` bytes; Fault if any of them cannot be read.
    ErrorOr<void> copy_next(uint8_t* to, size_t size) override;

private:
    const linux_abi::Iovec* m_vectors;
    size_t m_count;
    size_t m_total { 0 };
    size_t m_index { 0 };   // the segment copy_next reads
    size_t m_offset { 0 };  // bytes of it already read
};

constexpr size_t k_max_vectors = 1024;  // IOV_MAX

// An iovec array copied into the kernel, then `use(array, count)`.
// Linux's import_iovec: the whole array first (EFAULT), no length may be
// negative (EINVAL), at most IOV_MAX segments; then `use(array, count)`.
template <typename Use>
ErrorOr<size_t> import_vectors(mm::UserPtr<const linux_abi::Iovec> vectors, uint64_t count, Use&& use) {
    if (count > k_max_vectors)
        return Error::Invalid;
    if (count == 0)
        return size_t { 0 };
    auto* array = static_cast<linux_abi::Iovec*>(mm::kmalloc(count * sizeof(linux_abi::Iovec)));
    if (!array)
        return Error::NoMemory;
    auto imported = [&]() -> ErrorOr<size_t> {
        TRY(mm::copy_from_user(array, vectors.cast<const void>(), count * sizeof(linux_abi::Iovec)));
        for (uint64_t i = 0; i < count; ++i) {
            if (static_cast<int64_t>(array[i].len) < 0)
                return Error::Invalid;
            array[i].base = mm::untag_user_address(array[i].base);
        }
        return use(array, count);
    }();
    mm::kfree(array);
    return imported;
}

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
