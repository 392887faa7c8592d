#include "kernel/fs/file_system.h"

namespace akuma::fs {

FileSystem::~FileSystem() = default;

ErrorOr<InodeRef> FileSystem::create_file(const InodeRef&, std::string_view, uint32_t, uint32_t, uint32_t) {
    return Error::AccessDenied;
}

ErrorOr<InodeRef> FileSystem::mkdir(const InodeRef&, std::string_view, uint32_t, uint32_t, uint32_t) {
    return Error::NotPermitted;
}

ErrorOr<InodeRef> FileSystem::symlink(const InodeRef&, std::string_view, std::string_view, uint32_t, uint32_t) {
    return Error::NotPermitted;
}

ErrorOr<InodeRef> FileSystem::mknod(const InodeRef&, std::string_view, uint32_t, DeviceNumber, uint32_t, uint32_t) {
    return Error::NotPermitted;
}

ErrorOr<void> FileSystem::link(const InodeRef&, std::string_view, const InodeRef&) { return Error::NotPermitted; }

ErrorOr<void> FileSystem::unlink(const InodeRef&, std::string_view) { return Error::NotPermitted; }

ErrorOr<void> FileSystem::rmdir(const InodeRef&, std::string_view) { return Error::NotPermitted; }

ErrorOr<void> FileSystem::rename(const InodeRef&, std::string_view, const InodeRef&, std::string_view) {
    return Error::NotPermitted;
}

ErrorOr<std::string_view> FileSystem::readlink(const InodeRef&) { return Error::Invalid; }

File* FileSystem::magic_target(const InodeRef&) { return nullptr; }

InodeRef FileSystem::magic_link_inode(const InodeRef&) { return {}; }

ErrorOr<void> FileSystem::allocate(const InodeRef&, uint64_t, uint64_t, bool) { return Error::NotSupported; }

ErrorOr<uint8_t*> FileSystem::cache_page(const InodeRef&, uint64_t, bool) { return Error::NotSupported; }

void FileSystem::cached_pages(const InodeRef&, uint64_t, uint64_t, uint8_t**) { }

ErrorOr<uint8_t*> FileSystem::readable_page(const InodeRef&, uint64_t) { return Error::NotSupported; }

ErrorOr<size_t> FileSystem::read(const InodeRef& inode, uint64_t, std::span<uint8_t>) {
    return inode->is_directory() ? Error::IsADirectory : Error::Invalid;
}

ErrorOr<size_t> FileSystem::write(const InodeRef& inode, uint64_t, std::span<const uint8_t>) {
    return inode->is_directory() ? Error::IsADirectory : Error::Invalid;
}

ErrorOr<void> FileSystem::truncate(const InodeRef& inode, uint64_t) {
    return inode->is_directory() ? Error::IsADirectory : Error::Invalid;
}

InodeStat FileSystem::stat(const InodeRef& inode) const {
    return InodeStat {
        .dev = encode_device(m_device),
        .ino = inode->m_ino,
        .mode = inode->m_mode,
        .nlink = inode->m_nlink,
        .uid = inode->m_uid,
        .gid = inode->m_gid,
        .rdev = encode_device(inode->m_rdev),
        .size = inode->m_size,
        .blocks = 0,
        .blksize = k_block_size,
        .atime = inode->m_atime,
        .mtime = inode->m_mtime,
        .ctime = inode->m_ctime,
    };
}

void FileSystem::set_mode(const InodeRef& inode, uint32_t mode) {
    inode->m_mode = (inode->m_mode & k_mode_type_mask) | (mode & k_mode_permission_mask);
    inode->m_ctime = now();
}

void FileSystem::set_owner(const InodeRef& inode, uint32_t uid, uint32_t gid) {
    inode->m_uid = uid;
    inode->m_gid = gid;
    // Linux's chown_common(): for anything but a directory, a chown (even by
    // root, even to the same ids) clears set-user-ID, and set-group-ID when
    // group execute is set (without it S_ISGID marks mandatory locking).
    if (!inode->is_directory()) {
        inode->m_mode &= ~k_mode_set_uid;
        if (inode->m_mode & k_mode_group_exec)
            inode->m_mode &= ~k_mode_set_gid;
    }
    inode->m_ctime = now();
}

void FileSystem::set_times(const InodeRef& inode, std::optional<Timestamp> atime, std::optional<Timestamp> mtime) {
    if (atime)
        inode->m_atime = *atime;
    if (mtime)
        inode->m_mtime = *mtime;
    inode->m_ctime = now();
}

// The write count is atomic: descriptions give their write access back as
// they go away, without the VFS lock (File destruction never takes it).
ErrorOr<void> FileSystem::get_write_access(const InodeRef& inode) {
    if (inode->type() != InodeType::Regular)
        return {};
    int32_t count = __atomic_load_n(&inode->m_write_count, __ATOMIC_RELAXED);
    do {
        if (count < 0)
            return Error::TextBusy;
    } while (!__atomic_compare_exchange_n(&inode->m_write_count, &count, count + 1, true, __ATOMIC_ACQ_REL,
                                          __ATOMIC_RELAXED));
    return {};
}

void FileSystem::put_write_access(const InodeRef& inode) {
    if (inode->type() == InodeType::Regular)
        __atomic_sub_fetch(&inode->m_write_count, 1, __ATOMIC_ACQ_REL);
}

ErrorOr<void> FileSystem::deny_write_access(const InodeRef& inode) {
    if (inode->type() != InodeType::Regular)
        return {};
    int32_t count = __atomic_load_n(&inode->m_write_count, __ATOMIC_RELAXED);
    do {
        if (count > 0)
            return Error::TextBusy;
    } while (!__atomic_compare_exchange_n(&inode->m_write_count, &count, count - 1, true, __ATOMIC_ACQ_REL,
                                          __ATOMIC_RELAXED));
    return {};
}

void FileSystem::allow_write_access(const InodeRef& inode) {
    if (inode->type() == InodeType::Regular)
        __atomic_add_fetch(&inode->m_write_count, 1, __ATOMIC_ACQ_REL);
}

}  // namespace akuma::fs
