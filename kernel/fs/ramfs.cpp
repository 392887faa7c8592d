#include "kernel/fs/ramfs.h"

#include <limits>
#include <new>

namespace akuma::fs {

namespace {

using HeapString = BasicString<mm::HeapAllocator>;

// Like Linux's MAX_LFS_FILESIZE: offsets are signed 64-bit at the ABI.
constexpr uint64_t k_max_file_size = std::numeric_limits<int64_t>::max();

ErrorOr<void> check_name(std::string_view name) {
    if (name.empty() || name == "." || name == "..")
        return Error::Invalid;
    if (name.size() > k_max_name)
        return Error::NameTooLong;
    for (char c : name) {
        if (c == '/' || c == '\0')
            return Error::Invalid;
    }
    return {};
}

InodeType type_of(uint32_t mode) {
    switch (mode & k_mode_type_mask) {
    case k_mode_directory:
        return InodeType::Directory;
    case k_mode_symlink:
        return InodeType::Symlink;
    case k_mode_char_device:
        return InodeType::CharDevice;
    default:
        return InodeType::Regular;
    }
}

// Splits off the next component (skipping slashes); `rest` keeps what
// follows it, starting with '/' if anything does. (No substr/find: they
// would pull exceptions and memchr into the kernel.)
std::string_view take_component(std::string_view& rest) {
    size_t start = 0;
    while (start < rest.size() && rest[start] == '/')
        ++start;
    size_t end = start;
    while (end < rest.size() && rest[end] != '/')
        ++end;
    std::string_view component(rest.data() + start, end - start);
    rest = std::string_view(rest.data() + end, rest.size() - end);
    return component;
}

bool only_slashes(std::string_view text) {
    for (char c : text) {
        if (c != '/')
            return false;
    }
    return true;
}

uint64_t round_up(uint64_t value, uint64_t alignment) {
    return (value + alignment - 1) / alignment * alignment;
}

} // namespace

// ---- InodeRef ----

InodeRef::InodeRef(Inode* inode)
    : m_inode(inode) {
    // Atomic: references are copied and dropped outside the VFS lock too
    // (a process's cwd, open files), by preemptible threads.
    if (m_inode)
        __atomic_add_fetch(&m_inode->m_ref_count, 1, __ATOMIC_RELAXED);
}

InodeRef& InodeRef::operator=(const InodeRef& other) {
    InodeRef copy(other); // before reset(): other may be owned by our inode
    *this = std::move(copy);
    return *this;
}

InodeRef& InodeRef::operator=(InodeRef&& other) {
    Inode* taken = std::exchange(other.m_inode, nullptr);
    reset();
    m_inode = taken;
    return *this;
}

void InodeRef::reset() {
    Inode* inode = std::exchange(m_inode, nullptr);
    if (inode && __atomic_sub_fetch(&inode->m_ref_count, 1, __ATOMIC_ACQ_REL) == 0)
        inode->m_fs.destroy(inode);
}

// ---- Lifetime ----

ErrorOr<OwnPtr<Ramfs, mm::HeapAllocator>> Ramfs::create(uint64_t size_limit) {
    void* memory = mm::kmalloc(sizeof(Ramfs), alignof(Ramfs));
    if (!memory)
        return Error::NoMemory;
    auto fs = OwnPtr<Ramfs, mm::HeapAllocator>::adopt(new (memory) Ramfs());
    if (size_limit != 0)
        fs->m_page_limit = size_limit / k_data_page_size + (size_limit % k_data_page_size != 0);
    fs->m_root = TRY(fs->make_inode(k_mode_directory | 0755, 0, 0));
    fs->m_root->m_parent = fs->m_root.get();
    fs->m_root->m_nlink = 2; // "." and its own ".."
    return fs;
}

// Empties the tree bottom-up with a loop: directories can nest deeper than
// a kernel stack could recurse.
Ramfs::~Ramfs() {
    Inode* directory = m_root.get();
    while (directory) {
        auto& entries = directory->m_entries;
        if (entries.is_empty()) {
            directory = directory == m_root.get() ? nullptr : directory->m_parent;
            continue;
        }
        Inode& last = *entries[entries.size() - 1].inode;
        if (last.is_directory() && !last.m_entries.is_empty())
            directory = &last;
        else
            detach(*directory, entries.size() - 1);
    }
    m_root.reset();
    VERIFY(m_inodes == 0); // an InodeRef outlived its Ramfs
}

ErrorOr<InodeRef> Ramfs::make_inode(uint32_t mode, uint32_t uid, uint32_t gid) {
    void* memory = mm::kmalloc(sizeof(Inode), alignof(Inode));
    if (!memory)
        return Error::NoMemory;
    auto* inode = new (memory) Inode(*this, m_usage, m_next_ino++, type_of(mode), mode);
    inode->m_uid = uid;
    inode->m_gid = gid;
    inode->m_nlink = inode->is_directory() ? 1 : 0; // "."; attach() adds the entry
    inode->m_atime = inode->m_mtime = inode->m_ctime = now();
    ++m_inodes;
    return InodeRef(inode);
}

void Ramfs::destroy(Inode* inode) {
    free_data(*inode);
    --m_inodes;
    inode->~Inode();
    mm::kfree(inode);
}

// ---- Directories ----

std::optional<size_t> Ramfs::find(const Inode& directory, std::string_view name) const {
    for (size_t i = 0; i < directory.m_entries.size(); ++i) {
        if (directory.m_entries[i].name == name)
            return i;
    }
    return std::nullopt;
}

ErrorOr<Inode*> Ramfs::checked_directory(const InodeRef& directory, std::string_view name) {
    if (!directory->is_directory())
        return Error::NotADirectory;
    TRY(check_name(name));
    if (directory->m_nlink == 0)
        return Error::NotFound;
    return directory.get();
}

ErrorOr<void> Ramfs::attach(Inode& directory, std::string_view name, const InodeRef& inode) {
    if (find(directory, name))
        return Error::Exists;
    HeapString entry_name = TRY(HeapString::try_from(name));
    TRY(directory.m_entries.try_append(Inode::DirEntry { std::move(entry_name), inode }));
    ++inode->m_nlink;
    if (inode->is_directory()) {
        ++directory.m_nlink; // the child's ".."
        inode->m_parent = &directory;
    }
    inode->m_ctime = directory.m_mtime = directory.m_ctime = now();
    return {};
}

// Removes an entry; a removed directory becomes dead.
void Ramfs::detach(Inode& directory, size_t index) {
    Inode& child = *directory.m_entries[index].inode;
    if (child.is_directory()) {
        --directory.m_nlink;
        child.m_nlink = 0;
        child.m_parent = nullptr;
    } else {
        --child.m_nlink;
    }
    child.m_ctime = directory.m_mtime = directory.m_ctime = now();
    directory.m_entries.remove(index); // drops the entry's reference last
}

ErrorOr<InodeRef> Ramfs::lookup(const InodeRef& directory, std::string_view name) {
    if (!directory->is_directory())
        return Error::NotADirectory;
    if (name.size() > k_max_name)
        return Error::NameTooLong;
    if (name == ".")
        return directory;
    if (name == "..") {
        if (!directory->m_parent)
            return Error::NotFound;
        return InodeRef(directory->m_parent);
    }
    auto index = find(*directory, name);
    if (!index)
        return Error::NotFound;
    return directory->m_entries[*index].inode;
}

ErrorOr<InodeRef> Ramfs::create_node(const InodeRef& directory, std::string_view name, uint32_t mode,
    uint32_t uid, uint32_t gid, DeviceNumber rdev, std::string_view symlink_target) {
    Inode* parent = TRY(checked_directory(directory, name));
    if (find(*parent, name))
        return Error::Exists;
    InodeRef inode = TRY(make_inode(mode, uid, gid));
    inode->m_rdev = rdev;
    if (!symlink_target.empty()) {
        inode->m_symlink_target = TRY(HeapString::try_from(symlink_target));
        inode->m_size = symlink_target.size();
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
    if ((mode & k_mode_type_mask) != k_mode_char_device)
        return Error::NotSupported;
    return create_node(directory, name, k_mode_char_device | (mode & k_mode_permission_mask), uid, gid, rdev);
}

ErrorOr<void> Ramfs::link(const InodeRef& directory, std::string_view name, const InodeRef& inode) {
    Inode* parent = TRY(checked_directory(directory, name));
    if (inode->is_directory())
        return Error::NotPermitted;
    if (inode->m_nlink == 0)
        return Error::NotFound; // Linux: no resurrecting unlinked files
    return attach(*parent, name, inode);
}

ErrorOr<void> Ramfs::unlink(const InodeRef& directory, std::string_view name) {
    Inode* parent = TRY(checked_directory(directory, name));
    auto index = find(*parent, name);
    if (!index)
        return Error::NotFound;
    if (parent->m_entries[*index].inode->is_directory())
        return Error::IsADirectory;
    detach(*parent, *index);
    return {};
}

ErrorOr<void> Ramfs::rmdir(const InodeRef& directory, std::string_view name) {
    Inode* parent = TRY(checked_directory(directory, name));
    auto index = find(*parent, name);
    if (!index)
        return Error::NotFound;
    const Inode& child = *parent->m_entries[*index].inode;
    if (!child.is_directory())
        return Error::NotADirectory;
    if (!child.m_entries.is_empty())
        return Error::NotEmpty;
    detach(*parent, *index);
    return {};
}

ErrorOr<void> Ramfs::rename(const InodeRef& old_directory, std::string_view old_name,
    const InodeRef& new_directory, std::string_view new_name) {
    Inode* from = TRY(checked_directory(old_directory, old_name));
    Inode* to = TRY(checked_directory(new_directory, new_name));
    auto old_index = find(*from, old_name);
    if (!old_index)
        return Error::NotFound;
    InodeRef source = from->m_entries[*old_index].inode; // alive while moved
    auto new_index = find(*to, new_name);
    if (new_index) {
        const Inode& target = *to->m_entries[*new_index].inode;
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
        for (Inode* ancestor = to;; ancestor = ancestor->m_parent) {
            if (ancestor == source.get())
                return Error::Invalid;
            if (ancestor->m_parent == ancestor)
                break;
        }
    }

    if (new_index) {
        // Replace in place: nothing to allocate.
        Inode& target = *to->m_entries[*new_index].inode;
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
    } else {
        // Allocate first so a failure changes nothing.
        HeapString name = TRY(HeapString::try_from(new_name));
        TRY(to->m_entries.try_reserve(to->m_entries.size() + 1));
        from->m_entries.remove(*old_index);
        auto appended = to->m_entries.try_append(Inode::DirEntry { std::move(name), source });
        VERIFY(!appended.is_error()); // reserved above
    }
    if (source->is_directory()) {
        --from->m_nlink;
        ++to->m_nlink;
        source->m_parent = to;
    }
    source->m_ctime = from->m_mtime = from->m_ctime = to->m_mtime = to->m_ctime = now();
    return {};
}

ErrorOr<std::optional<DirEntryView>> Ramfs::directory_entry(const InodeRef& directory, size_t index) {
    if (!directory->is_directory())
        return Error::NotADirectory;
    if (index == 0)
        return std::optional(DirEntryView { ".", directory->m_ino, InodeType::Directory });
    if (index == 1) {
        const Inode* parent = directory->m_parent ? directory->m_parent : directory.get();
        return std::optional(DirEntryView { "..", parent->m_ino, InodeType::Directory });
    }
    index -= 2;
    if (index >= directory->m_entries.size())
        return std::optional<DirEntryView>();
    const Inode::DirEntry& entry = directory->m_entries[index];
    return std::optional(DirEntryView { entry.name.view(), entry.inode->m_ino, entry.inode->m_type });
}

ErrorOr<size_t> Ramfs::path_of(const InodeRef& directory, std::span<char> buffer) {
    if (!directory->is_directory())
        return Error::NotADirectory;
    if (!directory->m_parent)
        return Error::NotFound;
    // Built backwards from the end of the buffer, then moved to the front.
    size_t start = buffer.size();
    auto prepend = [&](std::string_view text) {
        if (text.size() > start)
            return false;
        start -= text.size();
        __builtin_memcpy(buffer.data() + start, text.data(), text.size());
        return true;
    };
    if (!prepend(std::string_view("", 1)))
        return Error::OutOfRange;
    const Inode* inode = directory.get();
    if (inode == m_root.get() && !prepend("/"))
        return Error::OutOfRange;
    for (; inode != m_root.get(); inode = inode->m_parent) {
        const Inode& parent = *inode->m_parent;
        for (const Inode::DirEntry& entry : parent.m_entries) {
            if (entry.inode.get() != inode)
                continue;
            if (!prepend(entry.name.view()) || !prepend("/"))
                return Error::OutOfRange;
            break;
        }
    }
    size_t length = buffer.size() - start;
    __builtin_memmove(buffer.data(), buffer.data() + start, length);
    return length;
}

// ---- Paths ----

ErrorOr<InodeRef> Ramfs::resolve(const InodeRef& base, std::string_view path, bool follow_final_symlink) {
    if (path.empty())
        return Error::NotFound;
    if (path.size() >= k_max_path)
        return Error::NameTooLong;
    // What is left of each path a symlink interrupted; one per link taken.
    std::string_view pending[k_max_symlinks];
    size_t pending_count = 0;
    size_t links = 0;
    bool must_be_directory = false;
    InodeRef current = path[0] == '/' ? m_root : base;
    std::string_view rest = path;
    for (;;) {
        std::string_view name = take_component(rest);
        if (name.empty()) {
            if (pending_count == 0)
                break;
            rest = pending[--pending_count];
            continue;
        }
        if (!current->is_directory())
            return Error::NotADirectory;
        if (name.size() > k_max_name)
            return Error::NameTooLong;
        const bool is_last = pending_count == 0 && only_slashes(rest);
        if (is_last && !rest.empty())
            must_be_directory = true; // "name/"
        if (name == ".")
            continue;
        if (name == "..") {
            if (!current->m_parent)
                return Error::NotFound;
            current = InodeRef(current->m_parent);
            continue;
        }
        auto index = find(*current, name);
        if (!index)
            return Error::NotFound;
        const InodeRef& child = current->m_entries[*index].inode;
        if (child->m_type == InodeType::Symlink && (!is_last || follow_final_symlink || must_be_directory)) {
            if (++links > k_max_symlinks)
                return Error::SymlinkLoop;
            if (!only_slashes(rest))
                pending[pending_count++] = rest;
            // The target stays valid: the link is still in its directory.
            rest = child->m_symlink_target.view();
            if (rest[0] == '/')
                current = m_root;
            continue;
        }
        current = InodeRef(child); // copy first: child lives in current
    }
    if (must_be_directory && !current->is_directory())
        return Error::NotADirectory;
    return current;
}

ErrorOr<ParentAndName> Ramfs::resolve_parent(const InodeRef& base, std::string_view path) {
    if (path.empty())
        return Error::NotFound;
    if (path.size() >= k_max_path)
        return Error::NameTooLong;
    size_t end = path.size();
    while (end > 0 && path[end - 1] == '/')
        --end;
    if (end == 0)
        return Error::Invalid; // "/"
    size_t start = end;
    while (start > 0 && path[start - 1] != '/')
        --start;
    std::string_view name(path.data() + start, end - start);
    if (name == "." || name == "..")
        return Error::Invalid;
    if (name.size() > k_max_name)
        return Error::NameTooLong;
    // The prefix keeps its '/', so resolve() insists on a directory.
    InodeRef directory = base;
    if (start > 0)
        directory = TRY(resolve(base, std::string_view(path.data(), start), true));
    if (!directory->is_directory())
        return Error::NotADirectory;
    return ParentAndName { std::move(directory), name, end < path.size() };
}

// ---- File data ----

ErrorOr<Inode*> Ramfs::regular_file(const InodeRef& inode) {
    if (inode->is_directory())
        return Error::IsADirectory;
    if (inode->m_type != InodeType::Regular)
        return Error::Invalid;
    return inode.get();
}

void Ramfs::free_data(Inode& inode) {
    if (inode.m_borrowed_data)
        m_borrowed_bytes -= inode.m_size;
    inode.m_borrowed_data = nullptr;
    inode.m_pages.clear();
    inode.m_size = 0;
}

// The page holding byte index * 4096 of an owned file, allocated (zeroed)
// if it is a hole.
ErrorOr<uint8_t*> Ramfs::page_for_write(Inode& file, uint64_t index) {
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
ErrorOr<void> Ramfs::copy_borrowed_data(Inode& file) {
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
    m_borrowed_bytes -= file.m_size;
    file.m_borrowed_data = nullptr;
    file.m_pages = std::move(copy);
    return {};
}

ErrorOr<size_t> Ramfs::read(const InodeRef& inode, uint64_t offset, std::span<uint8_t> buffer) {
    Inode* file = TRY(regular_file(inode));
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

ErrorOr<size_t> Ramfs::write(const InodeRef& inode, uint64_t offset, std::span<const uint8_t> data) {
    Inode* file = TRY(regular_file(inode));
    if (data.empty())
        return size_t(0);
    uint64_t end;
    if (__builtin_add_overflow(offset, data.size(), &end) || end > k_max_file_size)
        return Error::FileTooBig;
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
        __builtin_memcpy(page.value() + in_page, data.data() + done, chunk);
        done += chunk;
    }
    if (offset + done > file->m_size)
        file->m_size = offset + done;
    file->m_mtime = file->m_ctime = now();
    return done;
}

ErrorOr<void> Ramfs::truncate(const InodeRef& inode, uint64_t size) {
    Inode* file = TRY(regular_file(inode));
    if (size > k_max_file_size)
        return Error::FileTooBig;
    if (size == file->m_size)
        return {};
    if (size == 0) {
        free_data(*file);
    } else if (file->m_borrowed_data && size < file->m_size) {
        // A shrinking borrowed file just borrows less.
        m_borrowed_bytes -= file->m_size - size;
        file->m_size = size;
    } else {
        TRY(copy_borrowed_data(*file));
        if (size < file->m_size) {
            // Keep the bytes past the end zero: a later extension shows zeros.
            file->m_pages.remove_from(round_up(size, k_data_page_size) / k_data_page_size);
            size_t in_page = size % k_data_page_size;
            uint8_t* last = in_page ? file->m_pages.find(size / k_data_page_size) : nullptr;
            if (last)
                __builtin_memset(last + in_page, 0, k_data_page_size - in_page);
        }
        file->m_size = size; // growing leaves a hole
    }
    file->m_mtime = file->m_ctime = now();
    return {};
}

ErrorOr<void> Ramfs::set_borrowed_data(const InodeRef& inode, std::span<const uint8_t> data) {
    Inode* file = TRY(regular_file(inode));
    free_data(*file);
    if (!data.empty()) {
        // Never written through: the first change copies it.
        file->m_borrowed_data = data.data();
        file->m_size = data.size();
        m_borrowed_bytes += data.size();
    }
    file->m_mtime = file->m_ctime = now();
    return {};
}

ErrorOr<std::string_view> Ramfs::readlink(const InodeRef& inode) {
    if (inode->m_type != InodeType::Symlink)
        return Error::Invalid;
    return inode->m_symlink_target.view();
}

// ---- Attributes ----

RamfsStats Ramfs::stats() const {
    return RamfsStats {
        .inodes = m_inodes,
        .owned_data_bytes = m_usage.pages * k_data_page_size,
        .index_bytes = m_usage.nodes * FilePages::k_node_size,
        .borrowed_data_bytes = m_borrowed_bytes,
    };
}

InodeStat Ramfs::stat(const InodeRef& inode) const {
    uint64_t size = inode->is_directory() ? k_block_size : inode->m_size;
    // As tmpfs: the pages a file holds (a hole takes none); borrowed bytes
    // count as if they were in pages.
    uint64_t blocks = 0;
    if (inode->is_directory())
        blocks = k_block_size / 512;
    else if (inode->m_borrowed_data)
        blocks = round_up(size, k_block_size) / 512;
    else if (inode->m_type == InodeType::Regular)
        blocks = inode->m_pages.page_count() * (k_data_page_size / 512);
    return InodeStat {
        .ino = inode->m_ino,
        .mode = inode->m_mode,
        .nlink = inode->m_nlink,
        .uid = inode->m_uid,
        .gid = inode->m_gid,
        .rdev = encode_device(inode->m_rdev),
        .size = size,
        .blocks = blocks,
        .blksize = k_block_size,
        .atime = inode->m_atime,
        .mtime = inode->m_mtime,
        .ctime = inode->m_ctime,
    };
}

ErrorOr<void> Ramfs::get_write_access(const InodeRef& inode) {
    if (inode->type() != InodeType::Regular)
        return {};
    if (inode->m_write_count < 0)
        return Error::TextBusy;
    ++inode->m_write_count;
    return {};
}

void Ramfs::put_write_access(const InodeRef& inode) {
    if (inode->type() == InodeType::Regular)
        --inode->m_write_count;
}

ErrorOr<void> Ramfs::deny_write_access(const InodeRef& inode) {
    if (inode->type() != InodeType::Regular)
        return {};
    if (inode->m_write_count > 0)
        return Error::TextBusy;
    --inode->m_write_count;
    return {};
}

void Ramfs::allow_write_access(const InodeRef& inode) {
    if (inode->type() == InodeType::Regular)
        ++inode->m_write_count;
}

void Ramfs::set_mode(const InodeRef& inode, uint32_t mode) {
    inode->m_mode = (inode->m_mode & k_mode_type_mask) | (mode & k_mode_permission_mask);
    inode->m_ctime = now();
}

void Ramfs::set_owner(const InodeRef& inode, uint32_t uid, uint32_t gid) {
    constexpr uint32_t k_set_user_id = 04000;
    constexpr uint32_t k_set_group_id = 02000;
    constexpr uint32_t k_group_execute = 00010;
    inode->m_uid = uid;
    inode->m_gid = gid;
    // Linux's chown_common(): for anything but a directory, a chown (even by
    // root, even to the same ids) clears set-user-ID, and set-group-ID when
    // group execute is set (without it S_ISGID marks mandatory locking).
    if (!inode->is_directory()) {
        inode->m_mode &= ~k_set_user_id;
        if (inode->m_mode & k_group_execute)
            inode->m_mode &= ~k_set_group_id;
    }
    inode->m_ctime = now();
}

void Ramfs::set_times(const InodeRef& inode, std::optional<Timestamp> atime, std::optional<Timestamp> mtime) {
    if (atime)
        inode->m_atime = *atime;
    if (mtime)
        inode->m_mtime = *mtime;
    inode->m_ctime = now();
}

} // namespace akuma::fs
