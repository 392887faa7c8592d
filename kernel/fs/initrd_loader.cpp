#include "kernel/fs/initrd_loader.h"

#include "kernel/fs/cpio.h"
#include "kernel/lib/format.h"
#include "kernel/lib/own_ptr.h"
#include "kernel/lib/vector.h"
#include "kernel/mm/kmalloc.h"

namespace akuma::fs {

namespace {

char g_reason[200];

struct DirectoryTime {
    InodeRef directory;
    uint32_t mtime;
};

struct HardLink {
    uint32_t dev_major;
    uint32_t dev_minor;
    uint32_t inode;
    InodeRef file;
};

class Loader {
public:
    explicit Loader(Ramfs& fs)
        : m_fs(fs) { }

    ErrorOr<void> add(const CpioEntry& entry);
    void restore_directory_times();
    const InitrdLoadResult& result() const { return m_result; }

private:
    ErrorOr<InodeRef> parent_directory(std::string_view path, std::string_view& last);
    ErrorOr<void> remove_existing(const InodeRef& directory, std::string_view name);
    ErrorOr<void> add_file(const InodeRef& directory, std::string_view name, const CpioEntry& entry);
    void apply_attributes(const InodeRef& inode, const CpioEntry& entry);
    ErrorOr<void> add_directory(const InodeRef& directory, const CpioEntry& entry);

    Ramfs& m_fs;
    Vector<HardLink, mm::HeapAllocator> m_hard_links;
    Vector<DirectoryTime, mm::HeapAllocator> m_directory_times;
    InitrdLoadResult m_result {};
};

// Walks all but the last component, creating missing directories.
ErrorOr<InodeRef> Loader::parent_directory(std::string_view path, std::string_view& last) {
    InodeRef directory = m_fs.root();
    for (;;) {
        size_t slash = 0;
        while (slash < path.size() && path[slash] != '/')
            ++slash;
        if (slash == path.size()) {
            last = path;
            return directory;
        }
        std::string_view component(path.data(), slash);
        path = std::string_view(path.data() + slash + 1, path.size() - slash - 1);
        auto found = m_fs.lookup(directory, component);
        if (found.is_error()) {
            if (found.error() != Error::NotFound)
                return found.error();
            directory = TRY(m_fs.mkdir(directory, component, 0755));
            continue;
        }
        InodeRef next = found.release_value();
        if (next->type() == InodeType::Symlink)
            next = TRY(m_fs.resolve(directory, component, true));
        if (!next->is_directory())
            return Error::NotADirectory;
        directory = std::move(next);
    }
}

ErrorOr<void> Loader::remove_existing(const InodeRef& directory, std::string_view name) {
    auto existing = m_fs.lookup(directory, name);
    if (existing.is_error())
        return existing.error() == Error::NotFound ? ErrorOr<void>() : existing.error();
    if (existing.value()->is_directory())
        return m_fs.rmdir(directory, name);
    return m_fs.unlink(directory, name);
}

void Loader::apply_attributes(const InodeRef& inode, const CpioEntry& entry) {
    // Owner first, then mode, as Linux's initramfs does: a chown clears
    // set-ID bits, and the archive's mode must keep them (busybox is setuid).
    m_fs.set_owner(inode, entry.uid, entry.gid);
    m_fs.set_mode(inode, entry.mode);
    Timestamp mtime { entry.mtime, 0 };
    m_fs.set_times(inode, mtime, mtime);
}

// Adding entries bumps a directory's mtime, so the archive's value is set
// again at the end (as Linux's dir_utime() does).
ErrorOr<void> Loader::add_directory(const InodeRef& directory, const CpioEntry& entry) {
    apply_attributes(directory, entry);
    TRY(m_directory_times.try_append(DirectoryTime { directory, entry.mtime }));
    ++m_result.directories;
    return {};
}

void Loader::restore_directory_times() {
    for (const DirectoryTime& entry : m_directory_times) {
        Timestamp mtime { entry.mtime, 0 };
        m_fs.set_times(entry.directory, mtime, mtime);
    }
}

ErrorOr<void> Loader::add_file(const InodeRef& directory, std::string_view name, const CpioEntry& entry) {
    HardLink* set = nullptr;
    if (entry.nlink > 1) {
        for (HardLink& link : m_hard_links) {
            if (link.dev_major == entry.dev_major && link.dev_minor == entry.dev_minor
                && link.inode == entry.inode)
                set = &link;
        }
    }
    InodeRef file;
    if (set) {
        auto existing = m_fs.lookup(directory, name);
        if (existing.is_error() || existing.value() != set->file) { // not already this name
            TRY(remove_existing(directory, name));
            TRY(m_fs.link(directory, name, set->file));
        }
        file = set->file;
        ++m_result.hard_links;
    } else {
        TRY(remove_existing(directory, name));
        file = TRY(m_fs.create_file(directory, name, entry.mode));
        ++m_result.files;
        if (entry.nlink > 1)
            TRY(m_hard_links.try_append(HardLink { entry.dev_major, entry.dev_minor, entry.inode, file }));
    }
    if (!entry.data.empty())
        TRY(m_fs.set_borrowed_data(file, entry.data));
    apply_attributes(file, entry);
    return {};
}

ErrorOr<void> Loader::add(const CpioEntry& entry) {
    if (entry.name.empty()) // the root itself (the reader made sure it is a directory)
        return add_directory(m_fs.root(), entry);
    std::string_view name;
    InodeRef directory = TRY(parent_directory(entry.name, name));
    InodeRef inode;
    switch (entry.type) {
    case CpioFileType::Regular:
        return add_file(directory, name, entry);
    case CpioFileType::Directory: {
        auto existing = m_fs.lookup(directory, name);
        if (!existing.is_error() && existing.value()->is_directory()) {
            inode = existing.release_value();
        } else {
            TRY(remove_existing(directory, name));
            inode = TRY(m_fs.mkdir(directory, name, entry.mode));
        }
        return add_directory(inode, entry);
    }
    case CpioFileType::Symlink: {
        TRY(remove_existing(directory, name));
        std::string_view target(reinterpret_cast<const char*>(entry.data.data()), entry.data.size());
        inode = TRY(m_fs.symlink(directory, name, target));
        ++m_result.symlinks;
        break;
    }
    case CpioFileType::CharDevice:
        TRY(remove_existing(directory, name));
        inode = TRY(
            m_fs.mknod(directory, name, entry.mode, DeviceNumber { entry.rdev_major, entry.rdev_minor }));
        ++m_result.devices;
        break;
    default:
        ++m_result.skipped;
        return {};
    }
    apply_attributes(inode, entry);
    return {};
}

} // namespace

ErrorOr<InitrdLoadResult> load_initrd(Ramfs& fs, std::span<const uint8_t> archive, const char** reason) {
    auto explain = [&](Error error, auto... args) {
        if (reason) {
            format_to_buffer(g_reason, sizeof g_reason, args...);
            *reason = g_reason;
        }
        return error;
    };
    // The reader holds a PATH_MAX buffer: too big for a kernel stack.
    auto reader = OwnPtr<CpioReader, mm::HeapAllocator>::try_make(archive);
    if (reader.is_error())
        return explain(Error::NoMemory, "no memory for the cpio reader (ENOMEM)");
    Loader loader(fs);
    for (;;) {
        auto next = reader.value()->next();
        if (next.is_error()) {
            loader.restore_directory_times();
            return explain(next.error(), "{} at byte offset {}", reader.value()->error_reason(),
                reader.value()->error_offset());
        }
        if (!next.value()) {
            loader.restore_directory_times();
            return loader.result();
        }
        const CpioEntry& entry = *next.value();
        auto added = loader.add(entry);
        if (added.is_error()) {
            loader.restore_directory_times();
            return explain(added.error(), "cannot add '{:.100}': {} (entry at byte offset {})", entry.name,
                error_name(added.error()), entry.header_offset);
        }
    }
}

} // namespace akuma::fs
