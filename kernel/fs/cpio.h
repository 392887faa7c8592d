// Reader for cpio "newc" archives (magic 070701) and their "crc" variant
// (070702, data checksum verified): the initramfs format. The archive bytes
// are untrusted; every header is validated before an entry is returned and
// nothing is read outside the span. Nothing allocates.
//
// Decisions (Linux init/initramfs.c is the reference consumer):
// - Padding: header+name and data are each padded to a multiple of 4 bytes
//   from the start of the archive. The padding must lie inside the archive,
//   but its contents are not checked (Linux skips it unread too).
// - End: the entry named "TRAILER!!!" ends the archive. After it only zero
//   bytes may follow (archives are often padded to 512 bytes); anything else
//   is rejected, so concatenated archives are not supported.
// - Names: leading "/" and "./" are dropped, empty and "." components are
//   removed, ".." anywhere is rejected (nothing may escape the root). "." or
//   "/" therefore yields the empty name: the root, which must be a directory.
// - Hard links: for regular files with nlink > 1, newc stores the data only
//   with the LAST entry of the set sharing (dev_major, dev_minor, inode);
//   the earlier ones have filesize 0. Such zero-length entries are flagged
//   `hardlink_data_pending`: the consumer keys the set by (dev, inode), links
//   every name to one file, and takes the data from the entry that has it.
//   If none has data, the file really is empty.
// - Directories, devices, FIFOs and sockets must have filesize 0. Symlinks
//   carry their target as data: non-empty, no NUL, shorter than k_max_path.
// - The newc check field must be hex but is otherwise ignored; in the crc
//   format it must equal the byte sum of a regular file's data (GNU cpio
//   writes 0 for every other type, so it is not checked there).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "kernel/lib/error_or.h"

namespace akuma {

enum class CpioFileType : uint8_t { Regular, Directory, Symlink, CharDevice, BlockDevice, Fifo, Socket };

struct CpioEntry {
    // Normalised (see above); points into the reader, valid until next().
    std::string_view name;
    uint32_t mode; // full st_mode, type bits included
    CpioFileType type;
    uint32_t inode;
    uint32_t uid;
    uint32_t gid;
    uint32_t nlink;
    uint32_t mtime;
    uint32_t dev_major;
    uint32_t dev_minor;
    uint32_t rdev_major;
    uint32_t rdev_minor;
    // File contents or symlink target; points into the archive.
    std::span<const uint8_t> data;
    // A regular file with nlink > 1 and no data here: the data, if any,
    // comes with a later entry with the same (dev_major, dev_minor, inode).
    bool hardlink_data_pending;
    size_t header_offset; // of this entry's header in the archive
};

class CpioReader {
public:
    static constexpr size_t k_header_size = 110;
    // Longest raw name including its NUL, and longest symlink target + 1
    // (Linux's PATH_MAX).
    static constexpr size_t k_max_path = 4096;

    // The reader holds a k_max_path name buffer: allocate it statically or
    // on the heap rather than on a 16 KiB kernel stack.
    explicit CpioReader(std::span<const uint8_t> archive)
        : m_archive(archive) { }
    CpioReader(const CpioReader&) = delete;
    CpioReader& operator=(const CpioReader&) = delete;

    // The next entry, or nullopt after "TRAILER!!!". Errors: Invalid
    // (malformed archive), NameTooLong (namesize or symlink target above
    // k_max_path). Errors are sticky: later calls return the same one.
    ErrorOr<std::optional<CpioEntry>> next();

    // After an error: why, and the offset of the offending header (for data
    // after the trailer: of its first non-zero byte).
    const char* error_reason() const { return m_error_reason; }
    size_t error_offset() const { return m_error_offset; }

private:
    enum class State : uint8_t { Reading, Done, Failed };

    ErrorOr<std::optional<CpioEntry>> read_entry();
    Error fail(Error error, const char* reason, size_t offset);
    std::optional<std::string_view> normalise_name(std::string_view raw);

    std::span<const uint8_t> m_archive;
    size_t m_offset { 0 };
    State m_state { State::Reading };
    Error m_error { Error::Invalid };
    const char* m_error_reason { nullptr };
    size_t m_error_offset { 0 };
    std::array<char, k_max_path> m_name_buffer;
};

} // namespace akuma
