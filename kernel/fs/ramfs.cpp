#include "kernel/fs/ramfs.h"

#include "kernel/fs/seals.h"
#include "kernel/fs/path_walk.h"

#include <limits>
#include <new>

namespace akuma::fs {

namespace {

RamfsInode& node(const InodeRef& inode) { return static_cast<RamfsInode&>(*inode); }
RamfsInode& node(Inode* inode) { return static_cast<RamfsInode&>(*inode); }

using HeapString = BasicString<mm::HeapAllocator>;

// Like Linux's MAX_LFS_FILESIZE: offsets are signed 64-bit at the ABI.
constexpr uint64_t k_max_file_size = std::numeric_limits<int64_t>::max();


uint64_t round_up(uint64_t value, uint64_t alignment) {
    return (value + alignment - 1) / alignment * alignment;
}

}  // namespace

// An emptied directory gives its entry array back: an empty directory (a
// /tmp between programs) holds no memory.
void Ramfs::release_if_empty(RamfsInode& directory) {
    if (directory.m_entries.is_empty())
        directory.m_entries.shrink_to_fit();
}

// ---- Lifetime ----

RamfsInode::RamfsInode(Ramfs& fs, FilePages::Usage& usage, FilePages::Usage& cache_usage, uint64_t ino,
                       InodeType type, uint32_t mode)
    : Inode(fs, ino, type, mode)
    , m_pages(&usage)
    , m_cache(&cache_usage) { }

ErrorOr<OwnPtr<Ramfs, mm::HeapAllocator>> Ramfs::create(uint64_t size_limit) {
    void* memory = mm::kmalloc(sizeof(Ramfs), alignof(Ramfs));
    if (!memory)
        return Error::NoMemory;
    auto fs = OwnPtr<Ramfs, mm::HeapAllocator>::adopt(new (memory) Ramfs());
    if (size_limit != 0)
        fs->m_page_limit = size_limit / k_data_page_size + (size_limit % k_data_page_size != 0);
    fs->m_root = TRY(fs->make_inode(k_mode_directory | 0755, 0, 0));
    node(fs->m_root).m_parent = &node(fs->m_root);
    node(fs->m_root).m_nlink = 2; // "." and its own ".."
    return fs;
}

// Empties the tree bottom-up with a loop: directories can nest deeper than
// a kernel stack could recurse.
Ramfs::~Ramfs() {
    if (m_destroy_hook)
        m_destroy_hook(*this);
    RamfsInode* directory = m_root ? &node(m_root) : nullptr;
    while (directory) {
        auto& entries = node(directory).m_entries;
        if (entries.is_empty()) {
            directory = directory == m_root.get() ? nullptr : node(directory).m_parent;
            continue;
        }
        RamfsInode& last = node(entries[entries.size() - 1].inode);
        if (last.is_directory() && !last.m_entries.is_empty())
            directory = &last;
        else
            detach(*directory, entries.size() - 1);
    }
    m_root.reset();
    VERIFY(m_inodes == 0); // an InodeRef outlived its Ramfs
}

// Every reference the tree does not explain is a user: a directory is held
// by its entry (the root by m_root), a file by each of its links. Walked
// with a loop, as the destructor, since directories nest deeply.
bool Ramfs::in_use(uint32_t root_references) const {
    if (user_count(*m_root) != 1 + root_references || __atomic_load_n(&m_orphans, __ATOMIC_RELAXED) != 0)
        return true;
    const RamfsInode* directory = &node(m_root);
    size_t index = 0;
    // Depth-first: descend into a subdirectory, come back up through
    // m_parent and resume after the entry it was.
    for (;;) {
        if (index < directory->m_entries.size()) {
            const RamfsInode& child = node(directory->m_entries[index].inode);
            uint32_t expected = child.is_directory() ? 1 : child.m_nlink;
            if (user_count(child) != expected)
                return true;
            if (child.is_directory()) {
                directory = &child;
                index = 0;
            } else {
                ++index;
            }
            continue;
        }
        if (directory == m_root.get())
            return false;
        const RamfsInode* parent = directory->m_parent;
        index = *find(*parent, directory) + 1;
        directory = parent;
    }
}

size_t Ramfs::reclaim_clean_pages() {
    size_t freed = 0;
    RamfsInode* directory = &node(m_root);
    size_t index = 0;
    // Depth-first, as in_use.
    for (;;) {
        if (index < directory->m_entries.size()) {
            RamfsInode& child = node(directory->m_entries[index].inode);
            if (child.is_directory()) {
                directory = &child;
                index = 0;
                continue;
            }
            FilePages& cache = child.m_cache;
            if (cache.page_count() && cache.for_each_page([](uint8_t* page) { return !data_page_in_use(page); })) {
                freed += cache.page_count();
                cache.clear();
            }
            ++index;
            continue;
        }
        if (directory == m_root.get())
            return freed;
        RamfsInode* parent = directory->m_parent;
        index = *find(*parent, directory) + 1;
        directory = parent;
    }
}

ErrorOr<InodeRef> Ramfs::make_inode(uint32_t mode, uint32_t uid, uint32_t gid) {
    void* memory = mm::kmalloc(sizeof(RamfsInode), alignof(RamfsInode));
    if (!memory)
        return Error::NoMemory;
    auto* inode = new (memory) RamfsInode(*this, m_usage, m_cache_usage, m_next_ino++,
        inode_type_of_mode(mode).value_or(InodeType::Regular), mode);
    node(inode).m_uid = uid;
    node(inode).m_gid = gid;
    node(inode).m_nlink = inode->is_directory() ? 1 : 0; // "."; attach() adds the entry
    node(inode).m_atime = node(inode).m_mtime = node(inode).m_ctime = now();
    __atomic_add_fetch(&m_inodes, 1, __ATOMIC_RELAXED);
    return InodeRef(inode);
}

// An inode losing its last name while something still holds it (an open
// file, a cwd) lives on unlinked: count it, so in_use() sees the holder.
void Ramfs::note_if_orphaned(RamfsInode& inode, uint32_t links_left) {
    if (links_left == 0 && reference_count(inode) > 1 && !inode.m_orphan) {
        inode.m_orphan = true;
        __atomic_add_fetch(&m_orphans, 1, __ATOMIC_RELAXED);
    }
}

void Ramfs::destroy_inode(Inode* base) {
    auto* inode = static_cast<RamfsInode*>(base);
    if (inode->m_orphan)
        __atomic_sub_fetch(&m_orphans, 1, __ATOMIC_RELAXED);
    free_data(*inode);
    __atomic_sub_fetch(&m_inodes, 1, __ATOMIC_RELAXED);
    inode->~RamfsInode();
    mm::kfree(inode);
}

// ---- Directories ----

std::optional<size_t> Ramfs::find(const RamfsInode& directory, const RamfsInode* child) {
    for (size_t i = 0; i < directory.m_entries.size(); ++i) {
        if (directory.m_entries[i].inode.get() == child)
            return i;
    }
    return std::nullopt;
}

std::optional<size_t> Ramfs::find(const RamfsInode& directory, std::string_view name) const {
    for (size_t i = 0; i < directory.m_entries.size(); ++i) {
        if (directory.m_entries[i].name == name)
            return i;
    }
    return std::nullopt;
}

ErrorOr<InodeRef> Ramfs::parent(const InodeRef& directory) {
    if (!directory->is_directory())
        return Error::NotADirectory;
    if (!node(directory).m_parent)
        return Error::NotFound;
    return InodeRef(node(directory).m_parent);
}

ErrorOr<RamfsInode*> Ramfs::checked_directory(const InodeRef& directory, std::string_view name) {
    if (!directory->is_directory())
        return Error::NotADirectory;
    TRY(check_name(name));
    if (node(directory).m_nlink == 0)
        return Error::NotFound;
    return &node(directory);
}

ErrorOr<void> Ramfs::attach(RamfsInode& directory, std::string_view name, const InodeRef& inode) {
    if (find(directory, name))
        return Error::Exists;
    HeapString entry_name = TRY(HeapString::try_from(name));
    TRY(directory.m_entries.try_append(RamfsInode::DirEntry { std::move(entry_name), inode }));
    ++node(inode).m_nlink;
    if (inode->is_directory()) {
        ++directory.m_nlink; // the child's ".."
        node(inode).m_parent = &directory;
    }
    node(inode).m_ctime = directory.m_mtime = directory.m_ctime = now();
    return {};
}

// Removes an entry; a removed directory becomes dead.
void Ramfs::detach(RamfsInode& directory, size_t index) {
    RamfsInode& child = node(directory.m_entries[index].inode);
    note_if_orphaned(child, child.is_directory() ? 0 : child.m_nlink - 1);
    if (child.is_directory()) {
        --directory.m_nlink;
        child.m_nlink = 0;
        child.m_parent = nullptr;
    } else {
        --child.m_nlink;
    }
    child.m_ctime = directory.m_mtime = directory.m_ctime = now();
    directory.m_entries.remove(index); // drops the entry's reference last
    release_if_empty(directory);
}

ErrorOr<InodeRef> Ramfs::lookup(const InodeRef& directory, std::string_view name) {
    if (!directory->is_directory())
        return Error::NotADirectory;
    if (name.size() > k_max_name)
        return Error::NameTooLong;
    if (name == ".")
        return directory;
    if (name == "..") {
        if (!node(directory).m_parent)
            return Error::NotFound;
        return InodeRef(node(directory).m_parent);
    }
    auto index = find(node(directory), name);
    if (!index)
        return Error::NotFound;
    return node(directory).m_entries[*index].inode;
}

ErrorOr<InodeRef> Ramfs::create_node(const InodeRef& directory, std::string_view name, uint32_t mode,
    uint32_t uid, uint32_t gid, DeviceNumber rdev, std::string_view symlink_target) {
    RamfsInode* parent = TRY(checked_directory(directory, name));
    if (find(*parent, name))
        return Error::Exists;
    InodeRef inode = TRY(make_inode(mode, uid, gid));
    node(inode).m_rdev = rdev;
    if (!symlink_target.empty()) {
        node(inode).m_symlink_target = TRY(HeapString::try_from(symlink_target));
        node(inode).m_size = symlink_target.size();
    }
    TRY(attach(*parent, name, inode));
    return inode;
}

ErrorOr<InodeRef> Ramfs::create_file(
    const InodeRef& directory, std::string_view name, uint32_t mode, uint32_t uid, uint32_t gid) {
    return create_node(directory, name, k_mode_regular | (mode & k_mode_permission_mask), uid, gid);
}

ErrorOr<InodeRef> Ramfs::mkdir(
    const InodeRef& directory, std::string_view name, uint32_t mode, uint32_t uid, uint32_t gid) {
    return create_node(directory, name, k_mode_directory | (mode & k_mode_permission_mask), uid, gid);
}

ErrorOr<InodeRef> Ramfs::symlink(
    const InodeRef& directory, std::string_view name, std::string_view target, uint32_t uid, uint32_t gid) {
    if (target.empty())
        return Error::NotFound;
    if (target.size() >= k_max_path)
        return Error::NameTooLong;
    return create_node(directory, name, k_mode_symlink | 0777, uid, gid, {}, target);
}

ErrorOr<InodeRef> Ramfs::mknod(const InodeRef& directory, std::string_view name, uint32_t mode,
    DeviceNumber rdev, uint32_t uid, uint32_t gid) {
    uint32_t type = mode & k_mode_type_mask;
    if (type != k_mode_char_device && type != k_mode_block_device && type != k_mode_fifo && type != k_mode_socket)
        return Error::Invalid;
    return create_node(directory, name, type | (mode & k_mode_permission_mask), uid, gid, rdev);
}

ErrorOr<void> Ramfs::link(const InodeRef& directory, std::string_view name, const InodeRef& inode) {
    RamfsInode* parent = TRY(checked_directory(directory, name));
    if (inode->is_directory())
        return Error::NotPermitted;
    if (node(inode).m_nlink == 0)
        return Error::NotFound; // Linux: no resurrecting unlinked files
    return attach(*parent, name, inode);
}

ErrorOr<void> Ramfs::unlink(const InodeRef& directory, std::string_view name) {
    RamfsInode* parent = TRY(checked_directory(directory, name));
    auto index = find(*parent, name);
    if (!index)
        return Error::NotFound;
    if (parent->m_entries[*index].inode->is_directory())
        return Error::IsADirectory;
    detach(*parent, *index);
    return {};
}

ErrorOr<void> Ramfs::rmdir(const InodeRef& directory, std::string_view name) {
    RamfsInode* parent = TRY(checked_directory(directory, name));
    auto index = find(*parent, name);
    if (!index)
        return Error::NotFound;
    const RamfsInode& child = node(parent->m_entries[*index].inode);
    if (!child.is_directory())
        return Error::NotADirectory;
    if (!child.m_entries.is_empty())
        return Error::NotEmpty;
    detach(*parent, *index);
    return {};
}

ErrorOr<void> Ramfs::rename(const InodeRef& old_directory, std::string_view old_name,
    const InodeRef& new_directory, std::string_view new_name) {
    RamfsInode* from = TRY(checked_directory(old_directory, old_name));
    RamfsInode* to = TRY(checked_directory(new_directory, new_name));
    auto old_index = find(*from, old_name);
    if (!old_index)
        return Error::NotFound;
    InodeRef source = from->m_entries[*old_index].inode; // alive while moved
    auto new_index = find(*to, new_name);
    if (new_index) {
        const RamfsInode& target = node(to->m_entries[*new_index].inode);
        if (&target == source.get())
            return {};
        if (source->is_directory() && !target.is_directory())
            return Error::NotADirectory;
        if (!source->is_directory() && target.is_directory())
            return Error::IsADirectory;
        if (!target.m_entries.is_empty())
            return Error::NotEmpty;
    }
    if (source->is_directory()) {
        // `to` is live, so its parent chain ends at the root.
        for (RamfsInode* ancestor = to;; ancestor = ancestor->m_parent) {
            if (ancestor == source.get())
                return Error::Invalid;
            if (ancestor->m_parent == ancestor)
                break;
        }
    }

    if (new_index) {
        // Replace in place: nothing to allocate.
        RamfsInode& target = node(to->m_entries[*new_index].inode);
        note_if_orphaned(target, target.is_directory() ? 0 : target.m_nlink - 1);
        if (target.is_directory()) {
            --to->m_nlink;
            target.m_nlink = 0;
            target.m_parent = nullptr;
        } else {
            --target.m_nlink;
        }
        target.m_ctime = now();
        to->m_entries[*new_index].inode = source;
        from->m_entries.remove(*old_index);
        release_if_empty(*from);
    } else {
        // Allocate first so a failure changes nothing.
        HeapString name = TRY(HeapString::try_from(new_name));
        TRY(to->m_entries.try_reserve(to->m_entries.size() + 1));
        from->m_entries.remove(*old_index);
        release_if_empty(*from);
        auto appended = to->m_entries.try_append(RamfsInode::DirEntry { std::move(name), source });
        VERIFY(!appended.is_error()); // reserved above
    }
    if (source->is_directory()) {
        --from->m_nlink;
        ++to->m_nlink;
        node(source).m_parent = to;
    }
    node(source).m_ctime = from->m_mtime = from->m_ctime = to->m_mtime = to->m_ctime = now();
    return {};
}

ErrorOr<std::optional<DirEntryView>> Ramfs::directory_entry(const InodeRef& directory, size_t index) {
    if (!directory->is_directory())
        return Error::NotADirectory;
    if (index == 0)
        return std::optional(DirEntryView { ".", node(directory).m_ino, InodeType::Directory });
    if (index == 1) {
        const RamfsInode* parent = node(directory).m_parent ? node(directory).m_parent : &node(directory);
        return std::optional(DirEntryView { "..", parent->m_ino, InodeType::Directory });
    }
    index -= 2;
    if (index >= node(directory).m_entries.size())
        return std::optional<DirEntryView>();
    const RamfsInode::DirEntry& entry = node(directory).m_entries[index];
    return std::optional(DirEntryView { entry.name.view(), node(entry.inode).m_ino, node(entry.inode).m_type });
}

// ---- Paths ----

ErrorOr<InodeRef> Ramfs::resolve(const InodeRef& base, std::string_view path, bool follow_final_symlink) {
    return walk_path(Namespace { m_root, nullptr, nullptr, std::nullopt }, base, path, follow_final_symlink);
}

ErrorOr<ParentAndName> Ramfs::resolve_parent(const InodeRef& base, std::string_view path) {
    return walk_to_parent(Namespace { m_root, nullptr, nullptr, std::nullopt }, base, path);
}

ErrorOr<size_t> Ramfs::path_of(const InodeRef& directory, std::span<char> buffer) {
    return directory_path(Namespace { m_root, nullptr, nullptr, std::nullopt }, directory, buffer);
}
// ---- File data ----

ErrorOr<RamfsInode*> Ramfs::regular_file(const InodeRef& inode) {
    if (inode->is_directory())
        return Error::IsADirectory;
    if (node(inode).m_type != InodeType::Regular)
        return Error::Invalid;
    return &node(inode);
}

void Ramfs::free_data(RamfsInode& inode) {
    if (inode.m_borrowed_data)
        __atomic_sub_fetch(&m_borrowed_bytes, inode.m_size, __ATOMIC_RELAXED);
    inode.m_borrowed_data = nullptr;
    inode.m_pages.clear();
    inode.m_cache.clear();
    inode.m_size = 0;
}

// The page holding byte index * 4096 of an owned file, allocated (zeroed)
// if it is a hole.
ErrorOr<uint8_t*> Ramfs::page_for_write(RamfsInode& file, uint64_t index) {
    if (uint8_t* page = file.m_pages.find(index))
        return page;
    if (m_usage.pages >= m_page_limit)
        return Error::NoSpace;
    auto* page = static_cast<uint8_t*>(allocate_data_page());
    if (!page)
        return Error::NoMemory;
    if (auto inserted = file.m_pages.insert(index, page); inserted.is_error()) {
        free_data_page(page);
        return inserted.error();
    }
    return page;
}

// Makes a borrowed file's bytes its own, in pages; on failure nothing
// changes (the copy is built aside first).
ErrorOr<void> Ramfs::copy_borrowed_data(RamfsInode& file) {
    if (!file.m_borrowed_data)
        return {};
    uint64_t pages = round_up(file.m_size, k_data_page_size) / k_data_page_size;
    if (m_page_limit - m_usage.pages < pages) // m_usage.pages <= m_page_limit
        return Error::NoSpace;
    FilePages copy(&m_usage);
    for (uint64_t index = 0; index < pages; ++index) {
        auto* page = static_cast<uint8_t*>(allocate_data_page());
        if (!page)
            return Error::NoMemory; // `copy` frees what it holds
        uint64_t offset = index * k_data_page_size;
        uint64_t count = file.m_size - offset < k_data_page_size ? file.m_size - offset : k_data_page_size;
        __builtin_memcpy(page, file.m_borrowed_data + offset, count);
        if (auto inserted = copy.insert(index, page); inserted.is_error()) {
            free_data_page(page);
            return inserted.error();
        }
    }
    __atomic_sub_fetch(&m_borrowed_bytes, file.m_size, __ATOMIC_RELAXED);
    file.m_borrowed_data = nullptr;
    file.m_pages = std::move(copy);
    // Private mappings keep the cache pages they map (they hold shares) and
    // do not see later writes (Linux's would until they copy a page).
    file.m_cache.clear();
    return {};
}

void Ramfs::cached_pages(const InodeRef& inode, uint64_t first, uint64_t count, uint8_t** pages) {
    auto file = regular_file(inode);
    if (file.is_error())
        return;
    uint64_t file_pages = round_up(file.value()->m_size, k_data_page_size) / k_data_page_size;
    uint64_t end = first + count < file_pages ? first + count : file_pages;
    (file.value()->m_borrowed_data ? file.value()->m_cache : file.value()->m_pages).collect_range(first, end, pages);
}

ErrorOr<uint8_t*> Ramfs::cache_page(const InodeRef& inode, uint64_t index, bool writable_share) {
    RamfsInode* file = TRY(regular_file(inode));
    if (index >= round_up(file->m_size, k_data_page_size) / k_data_page_size)
        return Error::OutOfRange;
    if (file->m_borrowed_data && writable_share)
        TRY(copy_borrowed_data(*file));
    if (!file->m_borrowed_data)
        return page_for_write(*file, index);
    if (uint8_t* page = file->m_cache.find(index))
        return page;
    auto* page = static_cast<uint8_t*>(allocate_data_page());
    if (!page)
        return Error::NoMemory;
    uint64_t offset = index * k_data_page_size;
    uint64_t count = file->m_size - offset < k_data_page_size ? file->m_size - offset : k_data_page_size;
    __builtin_memcpy(page, file->m_borrowed_data + offset, count);  // the rest stays zero
    if (auto inserted = file->m_cache.insert(index, page); inserted.is_error()) {
        free_data_page(page);
        return inserted.error();
    }
    return page;
}

ErrorOr<size_t> Ramfs::read(const InodeRef& inode, uint64_t offset, std::span<uint8_t> buffer) {
    RamfsInode* file = TRY(regular_file(inode));
    if (offset >= file->m_size)
        return size_t(0);
    size_t count = file->m_size - offset < buffer.size() ? file->m_size - offset : buffer.size();
    if (file->m_borrowed_data) {
        if (count)
            __builtin_memcpy(buffer.data(), file->m_borrowed_data + offset, count);
        return count;
    }
    for (size_t done = 0; done < count;) {
        uint64_t position = offset + done;
        size_t in_page = position % k_data_page_size;
        size_t chunk = k_data_page_size - in_page < count - done ? k_data_page_size - in_page : count - done;
        if (const uint8_t* page = file->m_pages.find(position / k_data_page_size))
            __builtin_memcpy(buffer.data() + done, page + in_page, chunk);
        else
            __builtin_memset(buffer.data() + done, 0, chunk);
        done += chunk;
    }
    return count;
}

ErrorOr<uint8_t*> Ramfs::readable_page(const InodeRef& inode, uint64_t index) {
    RamfsInode* file = TRY(regular_file(inode));
    if (file->m_borrowed_data)
        return Error::NotSupported;  // the initrd's bytes: not pages with share counts
    return file->m_pages.find(index);
}

ErrorOr<void> Ramfs::allocate(const InodeRef& inode, uint64_t offset, uint64_t length, bool keep_size) {
    RamfsInode* file = TRY(regular_file(inode));
    uint64_t end;
    if (__builtin_add_overflow(offset, length, &end) || end > k_max_file_size)
        return Error::FileTooBig;
    TRY(Seals::check_allocate(*inode, offset, length));
    TRY(copy_borrowed_data(*file));
    // Pages past the end stay zero (FilePages' invariant): a later growth
    // reads them as the zeros it must.
    for (uint64_t index = offset / k_data_page_size; index < round_up(end, k_data_page_size) / k_data_page_size;
         ++index)
        TRY(page_for_write(*file, index));
    if (!keep_size && end > file->m_size)
        file->m_size = end;
    file->m_ctime = now();
    return {};
}

ErrorOr<size_t> Ramfs::write(const InodeRef& inode, uint64_t offset, std::span<const uint8_t> data) {
    RamfsInode* file = TRY(regular_file(inode));
    if (data.empty())
        return size_t(0);
    uint64_t end;
    if (__builtin_add_overflow(offset, data.size(), &end) || end > k_max_file_size)
        return Error::FileTooBig;
    TRY(Seals::check_write(*inode, offset, data.size()));
    TRY(copy_borrowed_data(*file));
    size_t done = 0;
    while (done < data.size()) {
        uint64_t position = offset + done;
        size_t in_page = position % k_data_page_size;
        size_t chunk
            = k_data_page_size - in_page < data.size() - done ? k_data_page_size - in_page : data.size() - done;
        auto page = page_for_write(*file, position / k_data_page_size);
        if (page.is_error()) {
            if (done == 0)
                return page.error();
            break; // what was written stays: a short write
        }
        data_page_written(page.value());
        __builtin_memcpy(page.value() + in_page, data.data() + done, chunk);
        done += chunk;
    }
    if (offset + done > file->m_size)
        file->m_size = offset + done;
    file->m_mtime = file->m_ctime = now();
    return done;
}

ErrorOr<void> Ramfs::truncate(const InodeRef& inode, uint64_t size) {
    RamfsInode* file = TRY(regular_file(inode));
    if (size > k_max_file_size)
        return Error::FileTooBig;
    TRY(Seals::check_resize(*inode, size));
    if (size == file->m_size)
        return {};
    if (size == 0) {
        free_data(*file);
    } else if (file->m_borrowed_data && size < file->m_size) {
        // A shrinking borrowed file just borrows less.
        __atomic_sub_fetch(&m_borrowed_bytes, file->m_size - size, __ATOMIC_RELAXED);
        file->m_size = size;
    } else {
        TRY(copy_borrowed_data(*file));
        if (size < file->m_size) {
            // Keep the bytes past the end zero: a later extension shows zeros.
            file->m_pages.remove_from(round_up(size, k_data_page_size) / k_data_page_size);
            size_t in_page = size % k_data_page_size;
            uint8_t* last = in_page ? file->m_pages.find(size / k_data_page_size) : nullptr;
            if (last) {
                data_page_written(last);
                __builtin_memset(last + in_page, 0, k_data_page_size - in_page);
            }
        }
        file->m_size = size; // growing leaves a hole
    }
    file->m_mtime = file->m_ctime = now();
    return {};
}

ErrorOr<void> Ramfs::set_borrowed_data(const InodeRef& inode, std::span<const uint8_t> data) {
    RamfsInode* file = TRY(regular_file(inode));
    free_data(*file);
    if (!data.empty()) {
        // Never written through: the first change copies it.
        file->m_borrowed_data = data.data();
        file->m_size = data.size();
        __atomic_add_fetch(&m_borrowed_bytes, data.size(), __ATOMIC_RELAXED);
    }
    file->m_mtime = file->m_ctime = now();
    return {};
}

ErrorOr<std::string_view> Ramfs::readlink(const InodeRef& inode) {
    if (node(inode).m_type != InodeType::Symlink)
        return Error::Invalid;
    return node(inode).m_symlink_target.view();
}

// ---- Attributes ----

RamfsStats Ramfs::stats() const {
    return RamfsStats {
        .inodes = m_inodes,
        .owned_data_bytes = m_usage.pages * k_data_page_size,
        .index_bytes = m_usage.nodes * FilePages::k_node_size,
        .borrowed_data_bytes = m_borrowed_bytes,
        .cached_borrowed_bytes = m_cache_usage.pages * k_data_page_size,
    };
}

FileSystemStats Ramfs::statfs() const {
    constexpr uint64_t k_tmpfs_magic = 0x01021994;
    // As tmpfs: blocks are pages of file data; no size limit shows as 0 blocks.
    uint64_t limit = m_page_limit == k_no_page_limit ? 0 : m_page_limit;
    uint64_t free = limit > m_usage.pages ? limit - m_usage.pages : 0;
    return FileSystemStats {
        .magic = k_tmpfs_magic,
        .block_size = k_data_page_size,
        .blocks = limit,
        .blocks_free = free,
        .blocks_available = free,
        .files = 0,
        .files_free = 0,
        .name_max = k_max_name,
    };
}

InodeStat Ramfs::stat(const InodeRef& inode) const {
    uint64_t size = inode->is_directory() ? k_block_size : node(inode).m_size;
    // As tmpfs: the pages a file holds (a hole takes none); borrowed bytes
    // count as if they were in pages.
    uint64_t blocks = 0;
    if (inode->is_directory())
        blocks = k_block_size / 512;
    else if (node(inode).m_borrowed_data)
        blocks = round_up(size, k_block_size) / 512;
    else if (node(inode).m_type == InodeType::Regular)
        blocks = node(inode).m_pages.page_count() * (k_data_page_size / 512);
    InodeStat result = FileSystem::stat(inode);
    result.size = size;
    result.blocks = blocks;
    return result;
}

} // namespace akuma::fs
