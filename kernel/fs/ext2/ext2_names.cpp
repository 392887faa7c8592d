// Ext2FileSystem: directories and every change of names (lookup, listing,
// create, mkdir, symlink, mknod, link, unlink, rmdir, rename, readlink).
#include "kernel/fs/ext2/directory_block.h"
#include "kernel/fs/ext2/ext2_file_system.h"
#include "kernel/fs/path_walk.h"
#include "kernel/lib/kprint.h"

namespace akuma::fs {

// Literals as string_views: their length is known, no strlen call (the
// kernel is freestanding, so strlen of a literal is not folded).
using namespace std::string_view_literals;

using namespace ext2;

namespace {

constexpr uint32_t k_link_max = 32000; // EXT2_LINK_MAX

Ext2Inode& node(const InodeRef& inode) {
    return static_cast<Ext2Inode&>(*inode);
}

DirType dir_type_of(InodeType type) {
    switch (type) {
    case InodeType::Regular:
        return DirType::Regular;
    case InodeType::Directory:
        return DirType::Directory;
    case InodeType::Symlink:
        return DirType::Symlink;
    case InodeType::CharDevice:
        return DirType::CharDevice;
    case InodeType::BlockDevice:
        return DirType::BlockDevice;
    case InodeType::Fifo:
        return DirType::Fifo;
    case InodeType::Socket:
        return DirType::Socket;
    }
    return DirType::Unknown;
}

std::optional<InodeType> inode_type_of(DirType type) {
    switch (type) {
    case DirType::Regular:
        return InodeType::Regular;
    case DirType::Directory:
        return InodeType::Directory;
    case DirType::Symlink:
        return InodeType::Symlink;
    case DirType::CharDevice:
        return InodeType::CharDevice;
    case DirType::BlockDevice:
        return InodeType::BlockDevice;
    case DirType::Fifo:
        return InodeType::Fifo;
    case DirType::Socket:
        return InodeType::Socket;
    case DirType::Unknown:
        break;
    }
    return std::nullopt;
}

} // namespace

ErrorOr<uint32_t> Ext2FileSystem::directory_block(Ext2Inode& directory, uint64_t logical) {
    uint32_t block = TRY(m_map.lookup(directory.m_slots, logical));
    if (block == 0) {
        kprintln("[ext2] corrupt directory {}: hole at block {}", directory.ino(), logical);
        return Error::Corrupted;
    }
    return block;
}

void Ext2FileSystem::directory_changed(Ext2Inode& directory) {
    ++m_directory_generation;
    directory.m_flags &= ~k_flag_index; // the hash index no longer matches
    directory.m_mtime = directory.m_ctime = now();
}

ErrorOr<std::optional<Ext2FileSystem::EntryLocation>> Ext2FileSystem::find_entry(
    Ext2Inode& directory, std::string_view name) {
    uint32_t block_size = m_geometry.block_size;
    for (uint64_t logical = 0; logical < directory.m_size / block_size; ++logical) {
        uint32_t block = TRY(directory_block(directory, logical));
        uint8_t* bytes = TRY(m_cache.get(block));
        DirectoryBlock records(
            { bytes, block_size }, m_geometry.filetype, m_geometry.first_ino, m_geometry.inodes_count);
        // A block is checked whole once, then searched without checks until
        // it changes (BlockCache::validated).
        if (!m_cache.validated(block)) {
            TRY(records.validate(directory.ino(), block));
            m_cache.set_validated(block);
        }
        auto found = records.find_in_valid(name);
        if (found)
            return std::optional(
                EntryLocation { block, found->record.offset, found->previous, found->record.inode });
    }
    return std::optional<EntryLocation>();
}

ErrorOr<void> Ext2FileSystem::add_entry(Ext2Inode& directory, std::string_view name, Ext2Inode& inode) {
    uint32_t block_size = m_geometry.block_size;
    DirType type = dir_type_of(inode.type());
    uint64_t blocks = directory.m_size / block_size;
    for (uint64_t logical = 0; logical < blocks; ++logical) {
        uint32_t block = TRY(directory_block(directory, logical));
        uint8_t* bytes = TRY(m_cache.get(block));
        DirectoryBlock records(
            { bytes, block_size }, m_geometry.filetype, m_geometry.first_ino, m_geometry.inodes_count);
        if (TRY(records.insert(name, uint32_t(inode.ino()), type, directory.ino(), block))) {
            m_cache.mark_dirty(block);
            directory_changed(directory);
            return store_inode(directory);
        }
    }
    // No room: a new block at the end.
    if ((blocks + 1) * block_size > 0xffffffffu)
        return Error::NoSpace;
    auto allocated = TRY(m_map.allocate(pointers(directory), blocks, directory.m_slots[0]));
    uint8_t* bytes = TRY(m_cache.get_zeroed(allocated.block));
    DirectoryBlock records(
        { bytes, block_size }, m_geometry.filetype, m_geometry.first_ino, m_geometry.inodes_count);
    records.format_empty();
    bool inserted = TRY(records.insert(name, uint32_t(inode.ino()), type, directory.ino(), allocated.block));
    VERIFY(inserted);
    m_cache.mark_dirty(allocated.block);
    directory.m_size += block_size;
    directory_changed(directory);
    return store_inode(directory);
}

ErrorOr<void> Ext2FileSystem::remove_entry(Ext2Inode& directory, const EntryLocation& entry) {
    uint8_t* bytes = TRY(m_cache.get(entry.block));
    DirectoryBlock records(
        { bytes, m_geometry.block_size }, m_geometry.filetype, m_geometry.first_ino, m_geometry.inodes_count);
    DirRecord record = TRY(records.record_at(entry.offset, directory.ino(), entry.block));
    records.remove({ record, entry.previous });
    m_cache.mark_dirty(entry.block);
    directory_changed(directory);
    return store_inode(directory);
}

ErrorOr<void> Ext2FileSystem::retarget_entry(
    Ext2Inode& directory, const EntryLocation& entry, Ext2Inode& inode) {
    uint8_t* bytes = TRY(m_cache.get(entry.block));
    DirectoryBlock records(
        { bytes, m_geometry.block_size }, m_geometry.filetype, m_geometry.first_ino, m_geometry.inodes_count);
    records.retarget(entry.offset, uint32_t(inode.ino()), dir_type_of(inode.type()));
    m_cache.mark_dirty(entry.block);
    directory_changed(directory);
    return store_inode(directory);
}

ErrorOr<bool> Ext2FileSystem::is_empty_directory(Ext2Inode& directory) {
    uint32_t block_size = m_geometry.block_size;
    for (uint64_t logical = 0; logical < directory.m_size / block_size; ++logical) {
        uint32_t block = TRY(directory_block(directory, logical));
        uint8_t* bytes = TRY(m_cache.get(block));
        DirectoryBlock records(
            { bytes, block_size }, m_geometry.filetype, m_geometry.first_ino, m_geometry.inodes_count);
        bool empty = TRY(records.for_each(directory.ino(), block, [](const DirRecord& record) {
            return record.inode == 0 || record.name == "."sv || record.name == ".."sv;
        }));
        if (!empty)
            return false;
    }
    return true;
}

ErrorOr<uint32_t> Ext2FileSystem::dot_dot(Ext2Inode& directory) {
    uint32_t block = TRY(directory_block(directory, 0));
    uint8_t* bytes = TRY(m_cache.get(block));
    DirectoryBlock records(
        { bytes, m_geometry.block_size }, m_geometry.filetype, m_geometry.first_ino, m_geometry.inodes_count);
    auto found = TRY(records.find("..", directory.ino(), block));
    if (!found) {
        kprintln("[ext2] corrupt directory {}: no '..'", directory.ino());
        return Error::Corrupted;
    }
    return found->record.inode;
}

ErrorOr<void> Ext2FileSystem::set_dot_dot(Ext2Inode& directory, uint32_t parent) {
    uint32_t block = TRY(directory_block(directory, 0));
    uint8_t* bytes = TRY(m_cache.get(block));
    DirectoryBlock records(
        { bytes, m_geometry.block_size }, m_geometry.filetype, m_geometry.first_ino, m_geometry.inodes_count);
    auto found = TRY(records.find("..", directory.ino(), block));
    if (!found) {
        kprintln("[ext2] corrupt directory {}: no '..'", directory.ino());
        return Error::Corrupted;
    }
    records.retarget(found->record.offset, parent, DirType::Directory);
    m_cache.mark_dirty(block);
    return {};
}

// ---- Looking up ----

ErrorOr<InodeRef> Ext2FileSystem::lookup(const InodeRef& directory, std::string_view name) {
    ReleaseGuard release_guard { *this };
    if (!directory->is_directory())
        return Error::NotADirectory;
    if (name.size() > k_max_name)
        return Error::NameTooLong;
    if (node(directory).m_nlink == 0)
        return Error::NotFound;
    if (name == "."sv)
        return directory;
    if (name == ".."sv)
        return parent(directory);
    auto entry = TRY(find_entry(node(directory), name));
    if (!entry)
        return Error::NotFound;
    return get_inode(entry->inode);
}

ErrorOr<InodeRef> Ext2FileSystem::parent(const InodeRef& directory) {
    if (!directory->is_directory())
        return Error::NotADirectory;
    if (node(directory).m_nlink == 0)
        return Error::NotFound;
    if (directory->ino() == k_root_ino)
        return directory;
    InodeRef parent = TRY(get_inode(TRY(dot_dot(node(directory)))));
    if (!parent->is_directory()) {
        kprintln("[ext2] corrupt directory {}: '..' is not a directory", directory->ino());
        return Error::Corrupted;
    }
    return parent;
}

ErrorOr<std::optional<DirEntryView>> Ext2FileSystem::directory_entry(
    const InodeRef& directory, size_t index) {
    ReleaseGuard release_guard { *this };
    if (!directory->is_directory())
        return Error::NotADirectory;
    Ext2Inode& dir = node(directory);
    if (index == 0)
        return std::optional(DirEntryView { "."sv, dir.ino(), InodeType::Directory });
    if (index == 1) {
        uint64_t parent_ino = dir.ino();
        if (dir.m_nlink != 0 && dir.ino() != k_root_ino)
            parent_ino = TRY(dot_dot(dir));
        return std::optional(DirEntryView { ".."sv, parent_ino, InodeType::Directory });
    }
    if (dir.m_nlink == 0)
        return std::optional<DirEntryView>();
    // Continue after the entry returned last when that is what is asked
    // (a listing), else count from the start.
    uint32_t block_size = m_geometry.block_size;
    uint64_t position = 0;
    size_t skip = index - 2;
    if (m_cursor.ino == dir.ino() && m_cursor.generation == m_directory_generation
        && m_cursor.index + 1 == index) {
        position = m_cursor.next_offset;
        skip = 0;
    }
    while (position < dir.m_size) {
        uint64_t logical = position / block_size;
        uint32_t block = TRY(directory_block(dir, logical));
        uint8_t* bytes = TRY(m_cache.get(block));
        DirectoryBlock records(
            { bytes, block_size }, m_geometry.filetype, m_geometry.first_ino, m_geometry.inodes_count);
        DirRecord record = TRY(records.record_at(uint32_t(position % block_size), dir.ino(), block));
        position += record.length;
        if (record.inode == 0 || record.name == "."sv || record.name == ".."sv)
            continue;
        if (skip > 0) {
            --skip;
            continue;
        }
        __builtin_memcpy(m_entry_name, record.name.data(), record.name.size());
        std::string_view name(m_entry_name, record.name.size());
        auto type = inode_type_of(record.type);
        uint32_t ino = record.inode;
        if (!type) {
            InodeRef child = TRY(get_inode(ino)); // no filetype feature: ask the inode
            type = child->type();
        }
        m_cursor = { dir.ino(), m_directory_generation, index, position };
        return std::optional(DirEntryView { name, ino, *type });
    }
    return std::optional<DirEntryView>();
}

ErrorOr<std::string_view> Ext2FileSystem::readlink(const InodeRef& inode) {
    if (inode->type() != InodeType::Symlink)
        return Error::Invalid;
    Ext2Inode& link = node(inode);
    if (!link.m_target_loaded) {
        size_t length = link.m_size; // checked at load: < block size, < 4096
        bool fast = link.m_sectors <= (link.m_file_acl ? m_geometry.sectors_per_block : 0);
        std::string_view target;
        if (fast) {
            target = { reinterpret_cast<const char*>(link.m_slots), length };
        } else {
            uint32_t block = TRY(m_map.lookup(link.m_slots, 0));
            if (block == 0) {
                kprintln("[ext2] corrupt symlink {}: no data block", link.ino());
                return Error::Corrupted;
            }
            TRY(m_cache.read_blocks(block, { m_scratch, m_geometry.block_size }));
            target = { reinterpret_cast<const char*>(m_scratch), length };
        }
        link.m_target = TRY(BasicString<mm::HeapAllocator>::try_from(target));
        link.m_target_loaded = true;
    }
    return link.m_target.view();
}

// ---- Changing names ----

ErrorOr<Ext2Inode*> Ext2FileSystem::live_directory(const InodeRef& directory, std::string_view name) {
    if (!directory->is_directory())
        return Error::NotADirectory;
    TRY(check_name(name));
    if (node(directory).m_nlink == 0)
        return Error::NotFound;
    TRY(writable());
    return &node(directory);
}

ErrorOr<InodeRef> Ext2FileSystem::create_node(const InodeRef& directory, std::string_view name, uint32_t mode,
    uint32_t uid, uint32_t gid, DeviceNumber rdev, std::string_view target) {
    Ext2Inode* parent = TRY(live_directory(directory, name));
    if (TRY(find_entry(*parent, name)))
        return Error::Exists;
    bool is_directory = (mode & k_mode_type_mask) == k_mode_directory;
    if (is_directory && parent->m_nlink >= k_link_max)
        return Error::TooManyLinks;
    InodeRef made = TRY(new_inode(*parent, mode, uid, gid));
    Ext2Inode& inode = node(made);
    auto set_up = [&]() -> ErrorOr<void> {
        uint32_t block_size = m_geometry.block_size;
        if (is_directory) {
            auto allocated = TRY(m_map.allocate(pointers(inode), 0, parent->m_slots[0]));
            uint8_t* bytes = TRY(m_cache.get_zeroed(allocated.block));
            DirectoryBlock records(
                { bytes, block_size }, m_geometry.filetype, m_geometry.first_ino, m_geometry.inodes_count);
            records.format_first(uint32_t(inode.ino()), uint32_t(parent->ino()));
            m_cache.mark_dirty(allocated.block);
            inode.m_size = block_size;
            inode.m_nlink = 2;
        } else if (inode.type() == InodeType::Symlink) {
            inode.m_nlink = 1;
            if (target.size() < k_fast_symlink_max) {
                __builtin_memcpy(inode.m_slots, target.data(), target.size());
            } else {
                auto allocated = TRY(m_map.allocate(pointers(inode), 0, parent->m_slots[0]));
                __builtin_memset(m_scratch, 0, block_size);
                __builtin_memcpy(m_scratch, target.data(), target.size());
                TRY(m_cache.write_blocks(allocated.block, { m_scratch, block_size }));
            }
            inode.m_size = target.size();
        } else {
            inode.m_nlink = 1;
            if (inode.type() == InodeType::CharDevice || inode.type() == InodeType::BlockDevice) {
                DeviceSlots slots = encode_device_slots(rdev.major, rdev.minor);
                inode.m_slots[0] = slots.first;
                inode.m_slots[1] = slots.second;
                inode.m_rdev = rdev;
            }
        }
        TRY(store_inode(inode));
        TRY(add_entry(*parent, name, inode));
        return {};
    };
    if (auto done = set_up(); done.is_error()) {
        inode.m_nlink = 0; // freed with its last reference
        return done.error();
    }
    if (is_directory) {
        ++parent->m_nlink;
        TRY(store_inode(*parent));
    }
    return made;
}

ErrorOr<InodeRef> Ext2FileSystem::create_file(
    const InodeRef& directory, std::string_view name, uint32_t mode, uint32_t uid, uint32_t gid) {
    ReleaseGuard release_guard { *this };
    return create_node(directory, name, k_mode_regular | (mode & k_mode_permission_mask), uid, gid, {}, {});
}

ErrorOr<InodeRef> Ext2FileSystem::mkdir(
    const InodeRef& directory, std::string_view name, uint32_t mode, uint32_t uid, uint32_t gid) {
    ReleaseGuard release_guard { *this };
    return create_node(directory, name, k_mode_directory | (mode & k_mode_permission_mask), uid, gid, {}, {});
}

ErrorOr<InodeRef> Ext2FileSystem::symlink(
    const InodeRef& directory, std::string_view name, std::string_view target, uint32_t uid, uint32_t gid) {
    ReleaseGuard release_guard { *this };
    if (target.empty())
        return Error::NotFound;
    // The target and its NUL fit one block (Linux's ext2: ENAMETOOLONG).
    if (target.size() >= k_max_path || target.size() >= m_geometry.block_size)
        return Error::NameTooLong;
    return create_node(directory, name, k_mode_symlink | 0777, uid, gid, {}, target);
}

ErrorOr<InodeRef> Ext2FileSystem::mknod(const InodeRef& directory, std::string_view name, uint32_t mode,
    DeviceNumber rdev, uint32_t uid, uint32_t gid) {
    ReleaseGuard release_guard { *this };
    uint32_t type = mode & k_mode_type_mask;
    if (type != k_mode_char_device && type != k_mode_block_device && type != k_mode_fifo
        && type != k_mode_socket)
        return Error::Invalid;
    return create_node(directory, name, type | (mode & k_mode_permission_mask), uid, gid, rdev, {});
}

ErrorOr<void> Ext2FileSystem::link(const InodeRef& directory, std::string_view name, const InodeRef& inode) {
    ReleaseGuard release_guard { *this };
    Ext2Inode* parent = TRY(live_directory(directory, name));
    if (&inode->file_system() != this)
        return Error::CrossDevice;
    if (inode->is_directory())
        return Error::NotPermitted;
    Ext2Inode& target = node(inode);
    if (target.m_nlink == 0)
        return Error::NotFound; // Linux: no resurrecting unlinked files
    if (target.m_nlink >= k_link_max)
        return Error::TooManyLinks;
    if (TRY(find_entry(*parent, name)))
        return Error::Exists;
    TRY(add_entry(*parent, name, target));
    ++target.m_nlink;
    target.m_ctime = now();
    return store_inode(target);
}

ErrorOr<void> Ext2FileSystem::unlink(const InodeRef& directory, std::string_view name) {
    ReleaseGuard release_guard { *this };
    Ext2Inode* parent = TRY(live_directory(directory, name));
    auto entry = TRY(find_entry(*parent, name));
    if (!entry)
        return Error::NotFound;
    InodeRef child = TRY(get_inode(entry->inode));
    if (child->is_directory())
        return Error::IsADirectory;
    TRY(remove_entry(*parent, *entry));
    Ext2Inode& file = node(child);
    if (file.m_nlink > 0)
        --file.m_nlink;
    file.m_ctime = now();
    return store_inode(file);
}

ErrorOr<void> Ext2FileSystem::rmdir(const InodeRef& directory, std::string_view name) {
    ReleaseGuard release_guard { *this };
    Ext2Inode* parent = TRY(live_directory(directory, name));
    auto entry = TRY(find_entry(*parent, name));
    if (!entry)
        return Error::NotFound;
    InodeRef child = TRY(get_inode(entry->inode));
    if (!child->is_directory())
        return Error::NotADirectory;
    if (!TRY(is_empty_directory(node(child))))
        return Error::NotEmpty;
    TRY(remove_entry(*parent, *entry));
    node(child).m_nlink = 0;
    node(child).m_ctime = now();
    TRY(store_inode(node(child)));
    if (parent->m_nlink > 1)
        --parent->m_nlink;
    return store_inode(*parent);
}

ErrorOr<void> Ext2FileSystem::rename(const InodeRef& old_directory, std::string_view old_name,
    const InodeRef& new_directory, std::string_view new_name) {
    ReleaseGuard release_guard { *this };
    Ext2Inode* from = TRY(live_directory(old_directory, old_name));
    Ext2Inode* to = TRY(live_directory(new_directory, new_name));
    auto old_entry = TRY(find_entry(*from, old_name));
    if (!old_entry)
        return Error::NotFound;
    InodeRef source = TRY(get_inode(old_entry->inode));
    auto new_entry = TRY(find_entry(*to, new_name));
    InodeRef replaced;
    if (new_entry) {
        replaced = TRY(get_inode(new_entry->inode));
        if (replaced == source)
            return {}; // two links of one inode: nothing to do
        if (source->is_directory() && !replaced->is_directory())
            return Error::NotADirectory;
        if (!source->is_directory() && replaced->is_directory())
            return Error::IsADirectory;
        if (replaced->is_directory() && !TRY(is_empty_directory(node(replaced))))
            return Error::NotEmpty;
    }
    bool moves_directory = source->is_directory() && from != to;
    if (moves_directory) {
        // Not into its own subtree: walk up from the new parent.
        InodeRef ancestor(to);
        for (uint32_t steps = 0; ancestor->ino() != k_root_ino; ++steps) {
            if (ancestor == source)
                return Error::Invalid;
            if (steps > m_geometry.inodes_count) {
                kprintln("[ext2] corrupt: '..' chain of directory {} loops", to->ino());
                return Error::Corrupted;
            }
            ancestor = TRY(parent(ancestor));
        }
        if (!replaced && to->m_nlink >= k_link_max)
            return Error::TooManyLinks;
    }

    // The new name first: if it cannot be made, nothing has changed.
    if (new_entry)
        TRY(retarget_entry(*to, *new_entry, node(source)));
    else
        TRY(add_entry(*to, new_name, node(source)));
    // Adding may have moved nothing in `from`, but find the old entry again
    // (same directory: the insertion may have split its record).
    auto old_again = TRY(find_entry(*from, old_name));
    if (!old_again || old_again->inode != source->ino()) {
        kprintln("[ext2] rename: entry '{}' changed during the rename", old_name);
        return Error::Corrupted;
    }
    TRY(remove_entry(*from, *old_again));

    Timestamp time = now();
    if (replaced) {
        Ext2Inode& gone = node(replaced);
        if (gone.is_directory()) {
            gone.m_nlink = 0;
            if (to->m_nlink > 1)
                --to->m_nlink; // its ".." no longer points here
        } else if (gone.m_nlink > 0) {
            --gone.m_nlink;
        }
        gone.m_ctime = time;
        TRY(store_inode(gone));
    }
    if (moves_directory) {
        TRY(set_dot_dot(node(source), uint32_t(to->ino())));
        if (from->m_nlink > 1)
            --from->m_nlink;
        ++to->m_nlink;
    }
    node(source).m_ctime = time;
    TRY(store_inode(node(source)));
    TRY(store_inode(*from));
    return store_inode(*to);
}

} // namespace akuma::fs
