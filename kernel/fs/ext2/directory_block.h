// One block of an ext2 directory: a chain of records (inode, record length,
// name length, file type, name) that covers the block exactly. A record
// with inode 0 is unused space; a record longer than its name needs has
// room for another after it. Every record is checked before use: length a
// multiple of 4, at least the header and name, inside the block; name
// length non-zero for used records; inode number valid.
//
// Hashed directories (dir_index) keep this shape in every block (index
// nodes look like one unused record), so reading them linearly is correct;
// a writer clears the directory's index flag (as Linux's ext2 does).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "kernel/fs/ext2/ext2_format.h"
#include "kernel/lib/error_or.h"

namespace akuma::fs::ext2 {

struct DirRecord {
    uint32_t offset;
    uint32_t inode; // 0: unused
    uint32_t length; // rec_len
    DirType type;
    std::string_view name; // points into the block
};

class DirectoryBlock {
public:
    // `filetype`: the feature (else the type byte is the name length's high byte).
    DirectoryBlock(std::span<uint8_t> bytes, bool filetype, uint32_t first_ino, uint32_t inodes_count)
        : m_bytes(bytes)
        , m_filetype(filetype)
        , m_first_ino(first_ino)
        , m_inodes_count(inodes_count) { }

    // The record at `offset` (a record boundary), checked; Corrupted with a
    // log line (naming `directory` and `block`) otherwise.
    ErrorOr<DirRecord> record_at(uint32_t offset, uint64_t directory, uint32_t block) const;
    // Calls visit(record) for each record in order while it returns true.
    // Returns whether all were visited (false: stopped), Corrupted if one is bad.
    template <typename F> ErrorOr<bool> for_each(uint64_t directory, uint32_t block, F&& visit) const {
        for (uint32_t offset = 0; offset < m_bytes.size();) {
            DirRecord record = TRY(record_at(offset, directory, block));
            if (!visit(record))
                return false;
            offset += record.length;
        }
        return true;
    }

    // The record (and its predecessor in the block) with this name, or nullopt.
    struct Found {
        DirRecord record;
        std::optional<uint32_t> previous;
    };
    ErrorOr<std::optional<Found>> find(std::string_view name, uint64_t directory, uint32_t block) const;
    // Checks every record (Corrupted with a log line at the first bad one).
    ErrorOr<void> validate(uint64_t directory, uint32_t block) const;
    // find() in a block validate() passed and nobody changed since: no
    // checks per record, and names compared only when their lengths match
    // (a lookup in a big directory visits every record before its name).
    std::optional<Found> find_in_valid(std::string_view name) const;
    // Places a record for `name` in the block if it has room: an unused
    // record long enough, or the slack at the end of a used one (split).
    // Returns whether it did.
    ErrorOr<bool> insert(
        std::string_view name, uint32_t inode, DirType type, uint64_t directory, uint32_t block);
    // Removes a found record: merged into its predecessor, or (first in the
    // block) marked unused.
    void remove(const Found& found);
    // Changes a record's inode and type in place (rename over a name).
    void retarget(uint32_t offset, uint32_t inode, DirType type);
    // Makes the block one unused record (a new directory block), or "." and
    // ".." (a new directory's first block).
    void format_empty();
    void format_first(uint32_t self, uint32_t parent);

private:
    void write_record(uint32_t offset, uint32_t inode, uint32_t length, DirType type, std::string_view name);

    std::span<uint8_t> m_bytes;
    bool m_filetype;
    uint32_t m_first_ino;
    uint32_t m_inodes_count;
};

} // namespace akuma::fs::ext2
