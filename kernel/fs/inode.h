// Inodes: the objects a file system names (files, directories, symlinks,
// device nodes), as the file layer sees them whichever file system holds
// them. The base class keeps the attributes every file system has (Linux's
// struct inode); each file system derives its own node type and implements
// the operations in its FileSystem (file_system.h).
//
// Lifetime: reference counted through InodeRef; the last reference hands the
// inode back to its file system (FileSystem::destroy_inode). Attributes are
// written by the owning file system under the VFS lock (vfs.h) and may be
// read under it; ino and type never change.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "kernel/lib/assert.h"

namespace akuma::fs {

// Fifo and Socket exist as nodes on disk file systems (ext2); opening one is
// ENXIO until named pipes and UNIX sockets have their files (vfs.cpp open).
enum class InodeType : uint8_t { Regular, Directory, Symlink, CharDevice, BlockDevice, Fifo, Socket };

// st_mode type bits (Linux <sys/stat.h> values).
constexpr uint32_t k_mode_type_mask = 0170000;
constexpr uint32_t k_mode_regular = 0100000;
constexpr uint32_t k_mode_directory = 0040000;
constexpr uint32_t k_mode_symlink = 0120000;
constexpr uint32_t k_mode_char_device = 0020000;
constexpr uint32_t k_mode_block_device = 0060000;
constexpr uint32_t k_mode_fifo = 0010000;
constexpr uint32_t k_mode_socket = 0140000;
constexpr uint32_t k_mode_permission_mask = 07777;
// Permission bits with a meaning of their own.
constexpr uint32_t k_mode_set_uid = 04000;
constexpr uint32_t k_mode_set_gid = 02000;
constexpr uint32_t k_mode_sticky = 01000;
constexpr uint32_t k_mode_group_exec = 00010;
constexpr uint32_t k_mode_any_exec = 00111;

// The node type of st_mode type bits; nullopt for bits naming none.
constexpr std::optional<InodeType> inode_type_of_mode(uint32_t mode) {
    switch (mode & k_mode_type_mask) {
    case k_mode_regular: return InodeType::Regular;
    case k_mode_directory: return InodeType::Directory;
    case k_mode_symlink: return InodeType::Symlink;
    case k_mode_char_device: return InodeType::CharDevice;
    case k_mode_block_device: return InodeType::BlockDevice;
    case k_mode_fifo: return InodeType::Fifo;
    case k_mode_socket: return InodeType::Socket;
    default: return std::nullopt;
    }
}

constexpr size_t k_max_name = 255;     // NAME_MAX
constexpr size_t k_max_path = 4096;    // PATH_MAX, including the NUL
constexpr size_t k_max_symlinks = 40;  // Linux MAXSYMLINKS
constexpr uint32_t k_block_size = 4096;

struct Timestamp {
    int64_t seconds;
    uint32_t nanoseconds;
    bool operator==(const Timestamp&) const = default;
};

struct DeviceNumber {
    uint32_t major;
    uint32_t minor;
    bool operator==(const DeviceNumber&) const = default;
};

// dev_t as user space sees it in st_rdev and st_dev (glibc makedev()).
constexpr uint64_t encode_device(DeviceNumber device) {
    uint64_t major = device.major;
    uint64_t minor = device.minor;
    return (major & 0xfffff000) << 32 | (major & 0xfff) << 8 | (minor & 0xffffff00) << 12 | (minor & 0xff);
}

class Inode;
class FileSystem;

// Owning handle to an inode: copying retains, destruction releases.
class InodeRef {
public:
    InodeRef() = default;
    explicit InodeRef(Inode* inode);
    InodeRef(const InodeRef& other) : InodeRef(other.m_inode) {}
    InodeRef(InodeRef&& other) : m_inode(other.m_inode) { other.m_inode = nullptr; }
    InodeRef& operator=(const InodeRef& other);
    InodeRef& operator=(InodeRef&& other);
    ~InodeRef() {
        if (m_inode)  // moved-from references are the common case: no call
            reset();
    }

    void reset();
    Inode* get() const { return m_inode; }
    Inode* operator->() const {
        VERIFY(m_inode);
        return m_inode;
    }
    Inode& operator*() const { return *operator->(); }
    explicit operator bool() const { return m_inode != nullptr; }
    bool operator==(const InodeRef& other) const { return m_inode == other.m_inode; }

private:
    Inode* m_inode { nullptr };
};

class Inode {
public:
    FileSystem& file_system() const { return *m_fs; }
    uint64_t ino() const { return m_ino; }
    InodeType type() const { return m_type; }
    bool is_directory() const { return m_type == InodeType::Directory; }
    uint32_t mode() const { return m_mode; }
    uint32_t uid() const { return m_uid; }
    uint32_t gid() const { return m_gid; }
    uint32_t nlink() const { return m_nlink; }
    uint64_t size() const { return m_size; }
    DeviceNumber rdev() const { return m_rdev; }

protected:
    Inode(FileSystem& fs, uint64_t ino, InodeType type, uint32_t mode) : m_fs(&fs), m_ino(ino), m_type(type), m_mode(mode) {}
    virtual ~Inode() = default;

    FileSystem* m_fs;
    uint64_t m_ino;
    InodeType m_type;
    uint32_t m_mode;
    uint32_t m_uid { 0 };
    uint32_t m_gid { 0 };
    uint32_t m_nlink { 0 };
    DeviceNumber m_rdev {};
    Timestamp m_atime {};
    Timestamp m_mtime {};
    Timestamp m_ctime {};
    uint64_t m_size { 0 };  // regular files: bytes; symlinks: the target's length

private:
    friend class InodeRef;
    friend class FileSystem;
    friend class MountTable;
    uint32_t m_ref_count { 0 };
    // Linux's i_writecount: > 0 descriptions open for writing, < 0 running
    // programs whose pages load from this file (FileSystem::get_write_access).
    int32_t m_write_count { 0 };
    // Something is mounted on this directory (MountTable; Linux's
    // DCACHE_MOUNTED), so the path walk asks the mount table only here.
    uint32_t m_mounts_on_top { 0 };

    // Some mapping has mapped one of its pages (the page cache), so
    // shrinking it must unmap what lies past the new end (vfs.cpp).
    bool m_ever_mapped { false };

    // memfd seals (fs/seals.h): k_not_sealable for other inodes. And
    // Linux's i_mmap_writable: > 0 address spaces with a shared mapping
    // that may write, < 0 write-sealed (no such mapping may come). Both
    // atomic: mmap and fcntl meet here without a common lock.
    uint32_t m_seals { 0x80000000u };
    int32_t m_writable_mappings { 0 };
    friend class Seals;

    // inotify watches on this inode (each holds a reference, which is not
    // a user: FileSystem::user_count), and open file descriptions of it
    // (Linux's dentry references: an unlinked inode's IN_DELETE_SELF waits
    // for the last of them). Atomic: counted outside the VFS lock.
    uint32_t m_watches { 0 };
    uint32_t m_open_files { 0 };

public:
    bool is_mount_point() const { return m_mounts_on_top != 0; }
    bool ever_mapped() const { return __atomic_load_n(&m_ever_mapped, __ATOMIC_RELAXED); }
    void set_ever_mapped() { __atomic_store_n(&m_ever_mapped, true, __ATOMIC_RELAXED); }
    uint32_t watch_count() const { return __atomic_load_n(&m_watches, __ATOMIC_RELAXED); }
    void add_watch_reference() { __atomic_add_fetch(&m_watches, 1, __ATOMIC_RELAXED); }
    void remove_watch_reference() { __atomic_sub_fetch(&m_watches, 1, __ATOMIC_RELAXED); }
    uint32_t open_file_count() const { return __atomic_load_n(&m_open_files, __ATOMIC_RELAXED); }
    void add_open_file() { __atomic_add_fetch(&m_open_files, 1, __ATOMIC_RELAXED); }
    // Returns how many are left.
    uint32_t remove_open_file() { return __atomic_sub_fetch(&m_open_files, 1, __ATOMIC_ACQ_REL); }
};

struct DirEntryView {
    std::string_view name;  // valid until the directory changes
    uint64_t ino;
    InodeType type;
    // The index of the entry after this one; 0: this index + 1. A directory
    // whose entries come and go while it is read (/proc's processes and
    // descriptors) numbers them by what they are, as Linux's procfs does,
    // so that a reader that closes descriptors as it goes skips none.
    uint64_t next_index = 0;
};

struct InodeStat {
    uint64_t dev;  // encode_device() of the file system
    uint64_t ino;
    uint32_t mode;
    uint32_t nlink;
    uint32_t uid;
    uint32_t gid;
    uint64_t rdev;  // encode_device()
    uint64_t size;
    uint64_t blocks;  // 512-byte units
    uint32_t blksize;
    Timestamp atime;
    Timestamp mtime;
    Timestamp ctime;
};

}  // namespace akuma::fs
