// A read-only file system of one empty directory: sysfs until Akuma has
// something to put there (programs look for /sys being mounted, not for
// what is in it).
#pragma once

#include "kernel/fs/file_system.h"

namespace akuma::fs {

class EmptyFileSystem final : public FileSystem {
public:
    EmptyFileSystem(std::string_view type, uint64_t magic, Clock clock);
    ~EmptyFileSystem() override;

    std::string_view type_name() const override { return m_type; }
    InodeRef root() const override { return m_root; }
    FileSystemStats statfs() const override;
    ErrorOr<InodeRef> lookup(const InodeRef& directory, std::string_view name) override;
    ErrorOr<InodeRef> parent(const InodeRef& directory) override { return directory; }
    ErrorOr<std::optional<DirEntryView>> directory_entry(const InodeRef& directory, size_t index) override;
    bool in_use(uint32_t root_references) const override;
    void destroy_inode(Inode* inode) override;
    void set_root(InodeRef root) { m_root = std::move(root); }

private:
    std::string_view m_type;
    uint64_t m_magic;
    InodeRef m_root;
};

}  // namespace akuma::fs
