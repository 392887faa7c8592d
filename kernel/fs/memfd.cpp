#include "kernel/fs/memfd.h"

#include <new>

#include "kernel/fs/inode_files.h"
#include "kernel/fs/ramfs.h"
#include "kernel/fs/seals.h"
#include "kernel/fs/vfs.h"
#include "kernel/fs/vfs_lock.h"
#include "kernel/lib/format.h"
#include "kernel/mm/pmm.h"

namespace akuma::fs {

namespace {

// A memfd's description: a regular file whose /proc name is its memfd name.
class MemfdFile final : public RegularFile {
public:
    MemfdFile(uint32_t flags, InodeRef inode, std::string_view name)
        : RegularFile(flags, std::move(inode), true), m_name_length(name.size()) {
        __builtin_memcpy(m_name, name.data(), name.size());
    }
    ErrorOr<size_t> anonymous_name(std::span<char> buffer) override {
        BufferSink sink(buffer.data(), buffer.size());
        format_to(sink, "/memfd:{} (deleted)", std::string_view(m_name, m_name_length));
        if (sink.truncated())
            return Error::OutOfRange;
        return sink.view().size();
    }

private:
    char m_name[k_memfd_name_max];
    size_t m_name_length;
};

constinit Ramfs* g_memfd_fs = nullptr;  // made by memfd_init, kept
constinit uint64_t g_next_id = 0;       // under the VFS lock

}  // namespace

ErrorOr<void> memfd_init() {
    auto fs = TRY(Ramfs::create(mm::pmm_stats().total_pages * mm::k_page_size / 2));
    fs->set_clock(current_time);
    g_memfd_fs = fs.release();
    return {};
}

ErrorOr<File*> create_memfd(std::string_view name, uint32_t flags, bool allow_sealing) {
    if (name.size() > k_memfd_name_max)
        return Error::Invalid;
    Ramfs* fs = g_memfd_fs;
    if (!fs)
        return Error::NoMemory;  // memfd_init failed at boot
    InodeRef inode;
    {
        VfsLockGuard guard;
        char unique[24];
        BufferSink sink(unique, sizeof(unique));
        format_to(sink, "{}", g_next_id++);
        inode = TRY(fs->create_file(fs->root(), sink.view(), 0777, 0, 0));
        TRY(fs->unlink(fs->root(), sink.view()));  // no name: only descriptors reach it
        TRY(fs->get_write_access(inode));
    }
    // Without MFD_ALLOW_SEALING the file is sealed shut: F_SEAL_SEAL.
    Seals::make_sealable(*inode, allow_sealing ? 0 : k_seal_seal);
    auto* file = new (std::nothrow) MemfdFile(flags, inode, name);
    if (!file) {
        fs->put_write_access(inode);
        return Error::NoMemory;
    }
    return static_cast<File*>(file);
}

}  // namespace akuma::fs
