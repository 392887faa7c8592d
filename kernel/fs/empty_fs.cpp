#include "kernel/fs/empty_fs.h"

#include <new>

#include "kernel/fs/pseudo_file_systems.h"

namespace akuma::fs {

namespace {

class EmptyRoot final : public Inode {
public:
    EmptyRoot(FileSystem& fs, Timestamp created) : Inode(fs, 1, InodeType::Directory, k_mode_directory | 0555) {
        m_nlink = 2;
        m_atime = m_mtime = m_ctime = created;
    }
};

}  // namespace

EmptyFileSystem::EmptyFileSystem(std::string_view type, uint64_t magic, Clock clock) : m_type(type), m_magic(magic) {
    set_clock(clock);
}

EmptyFileSystem::~EmptyFileSystem() { m_root.reset(); }

FileSystemStats EmptyFileSystem::statfs() const {
    return FileSystemStats { .magic = m_magic, .block_size = 4096, .name_max = k_max_name };
}

ErrorOr<InodeRef> EmptyFileSystem::lookup(const InodeRef&, std::string_view) { return Error::NotFound; }

ErrorOr<std::optional<DirEntryView>> EmptyFileSystem::directory_entry(const InodeRef& directory, size_t index) {
    if (index > 1)
        return std::optional<DirEntryView>();
    return std::optional(DirEntryView { index == 0 ? "." : "..", directory->ino(), InodeType::Directory });
}

bool EmptyFileSystem::in_use(uint32_t root_references) const { return user_count(*m_root) != 1 + root_references; }

void EmptyFileSystem::destroy_inode(Inode* inode) { delete static_cast<EmptyRoot*>(inode); }

namespace {

ErrorOr<FileSystem*> make_empty(std::string_view type, uint64_t magic, FileSystem::Clock clock) {
    auto* fs = new (std::nothrow) EmptyFileSystem(type, magic, clock);
    if (!fs)
        return Error::NoMemory;
    auto* root = new (std::nothrow) EmptyRoot(*fs, clock());
    if (!root) {
        delete fs;
        return Error::NoMemory;
    }
    fs->set_root(InodeRef(root));
    return static_cast<FileSystem*>(fs);
}

}  // namespace

ErrorOr<FileSystem*> make_sysfs(FileSystem::Clock clock) { return make_empty("sysfs", 0x62656572, clock); }

}  // namespace akuma::fs
