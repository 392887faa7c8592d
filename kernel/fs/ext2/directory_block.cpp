#include "kernel/fs/ext2/directory_block.h"

#include "kernel/lib/kprint.h"

namespace akuma::fs::ext2 {

ErrorOr<DirRecord> DirectoryBlock::record_at(uint32_t offset, uint64_t directory, uint32_t block) const {
    const char* problem = nullptr;
    DirEntryHeader header {};
    uint32_t name_length = 0;
    if (offset % 4 != 0 || m_bytes.size() - offset < k_dir_entry_header) {
        problem = "record outside the block";
    } else {
        __builtin_memcpy(&header, m_bytes.data() + offset, sizeof header);
        name_length = m_filetype ? header.name_length : header.name_length | uint32_t(header.file_type) << 8;
        if (header.record_length < dir_entry_size(0) + 4 || header.record_length % 4 != 0)
            problem = "bad record length";
        else if (header.record_length > m_bytes.size() - offset)
            problem = "record crosses the block end";
        else if (k_dir_entry_header + name_length > header.record_length)
            problem = "name longer than its record";
        else if (header.inode != 0 && name_length == 0)
            problem = "empty name";
        else if (header.inode != 0 && header.inode != k_root_ino
            && (header.inode < m_first_ino || header.inode > m_inodes_count))
            problem = "invalid inode number";
        else if (m_filetype && header.file_type > k_dir_type_max)
            problem = "invalid file type";
    }
    if (problem) {
        kprintln("[ext2] corrupt directory {} (block {}, offset {}): {}", directory, block, offset, problem);
        return Error::Corrupted;
    }
    return DirRecord {
        .offset = offset,
        .inode = header.inode,
        .length = header.record_length,
        .type = m_filetype ? DirType(header.file_type) : DirType::Unknown,
        .name = { reinterpret_cast<const char*>(m_bytes.data() + offset + k_dir_entry_header), name_length },
    };
}

ErrorOr<std::optional<DirectoryBlock::Found>> DirectoryBlock::find(
    std::string_view name, uint64_t directory, uint32_t block) const {
    std::optional<Found> found;
    std::optional<uint32_t> previous;
    TRY(for_each(directory, block, [&](const DirRecord& record) {
        if (record.inode != 0 && record.name == name) {
            found = Found { record, previous };
            return false;
        }
        previous = record.offset;
        return true;
    }));
    return found;
}

ErrorOr<void> DirectoryBlock::validate(uint64_t directory, uint32_t block) const {
    TRY(for_each(directory, block, [](const DirRecord&) { return true; }));
    return {};
}

namespace {
// Names are short and mostly differ early: a loop beats a call to memcmp.
bool same_bytes(const char* a, const char* b, size_t count) {
    for (size_t i = 0; i < count; ++i) {
        if (a[i] != b[i])
            return false;
    }
    return true;
}
}  // namespace

std::optional<DirectoryBlock::Found> DirectoryBlock::find_in_valid(std::string_view name) const {
    std::optional<uint32_t> previous;
    for (uint32_t offset = 0; offset < m_bytes.size();) {
        DirEntryHeader header;
        __builtin_memcpy(&header, m_bytes.data() + offset, sizeof header);
        uint32_t name_length = m_filetype ? header.name_length : header.name_length | uint32_t(header.file_type) << 8;
        const char* record_name = reinterpret_cast<const char*>(m_bytes.data() + offset + k_dir_entry_header);
        if (header.inode != 0 && name_length == name.size() && same_bytes(record_name, name.data(), name_length)) {
            DirRecord record {
                .offset = offset,
                .inode = header.inode,
                .length = header.record_length,
                .type = m_filetype ? DirType(header.file_type) : DirType::Unknown,
                .name = { record_name, name_length },
            };
            return Found { record, previous };
        }
        previous = offset;
        offset += header.record_length;
    }
    return std::nullopt;
}

void DirectoryBlock::write_record(
    uint32_t offset, uint32_t inode, uint32_t length, DirType type, std::string_view name) {
    DirEntryHeader header {
        .inode = inode,
        .record_length = uint16_t(length),
        .name_length = uint8_t(name.size()),
        .file_type = m_filetype ? uint8_t(type) : uint8_t(0),
    };
    __builtin_memcpy(m_bytes.data() + offset, &header, sizeof header);
    if (!name.empty())
        __builtin_memcpy(m_bytes.data() + offset + k_dir_entry_header, name.data(), name.size());
}

ErrorOr<bool> DirectoryBlock::insert(
    std::string_view name, uint32_t inode, DirType type, uint64_t directory, uint32_t block) {
    uint32_t needed = uint32_t(dir_entry_size(name.size()));
    std::optional<DirRecord> room;
    TRY(for_each(directory, block, [&](const DirRecord& record) {
        uint32_t used = record.inode == 0 ? 0 : uint32_t(dir_entry_size(record.name.size()));
        if (record.length - used >= needed) {
            room = record;
            return false;
        }
        return true;
    }));
    if (!room)
        return false;
    if (room->inode == 0) {
        write_record(room->offset, inode, room->length, type, name);
    } else {
        uint32_t used = uint32_t(dir_entry_size(room->name.size()));
        // Shorten the used record to its name, then the new one takes the rest.
        DirEntryHeader header;
        __builtin_memcpy(&header, m_bytes.data() + room->offset, sizeof header);
        header.record_length = uint16_t(used);
        __builtin_memcpy(m_bytes.data() + room->offset, &header, sizeof header);
        write_record(room->offset + used, inode, room->length - used, type, name);
    }
    return true;
}

void DirectoryBlock::remove(const Found& found) {
    if (found.previous) {
        DirEntryHeader header;
        __builtin_memcpy(&header, m_bytes.data() + *found.previous, sizeof header);
        header.record_length = uint16_t(header.record_length + found.record.length);
        __builtin_memcpy(m_bytes.data() + *found.previous, &header, sizeof header);
    } else {
        write_record(found.record.offset, 0, found.record.length, DirType::Unknown, {});
    }
}

void DirectoryBlock::retarget(uint32_t offset, uint32_t inode, DirType type) {
    DirEntryHeader header;
    __builtin_memcpy(&header, m_bytes.data() + offset, sizeof header);
    header.inode = inode;
    if (m_filetype)
        header.file_type = uint8_t(type);
    __builtin_memcpy(m_bytes.data() + offset, &header, sizeof header);
}

void DirectoryBlock::format_empty() {
    __builtin_memset(m_bytes.data(), 0, m_bytes.size());
    write_record(0, 0, uint32_t(m_bytes.size()), DirType::Unknown, {});
}

void DirectoryBlock::format_first(uint32_t self, uint32_t parent) {
    __builtin_memset(m_bytes.data(), 0, m_bytes.size());
    uint32_t dot = uint32_t(dir_entry_size(1));
    write_record(0, self, dot, DirType::Directory, ".");
    write_record(dot, parent, uint32_t(m_bytes.size()) - dot, DirType::Directory, "..");
}

} // namespace akuma::fs::ext2
