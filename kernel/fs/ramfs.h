// Ramfs: the in-memory root file system. Inodes are reference counted
// (InodeRef); directory entries own references to their children, and
// directories point back at their parent without owning it, so the tree has
// no cycles. Regular files either borrow their bytes (zero-copy from the
// initrd image, which lives as long as the kernel) or keep them in 4 KiB
// pages allocated as written (FilePages): holes read as zeros and take no
// memory, so a file truncated up to 64 MiB costs nothing until written.
// The first write or growing truncate of a borrowed file copies it.
//
// Size limit, as tmpfs's `size=`: the data pages of all files together,
// rounded up to whole pages (0: no limit). Borrowed bytes are not counted:
// they are the initrd's memory, not the file system's. A write that finds no
// room for its first page fails with NoSpace; one that filled some pages
// first returns the short count (as Linux's generic_perform_write).
//
// Decisions:
// - Not internally synchronised: the VFS serialises calls.
// - An inode is freed with its last reference; while linked, its directory
//   entry holds one, so an unlinked but open file stays readable.
// - A removed directory is "dead": nlink 0, no parent; lookups in it, "..",
//   creating in it and path_of() fail with NotFound (ENOENT, as on Linux).
// - Every InodeRef must be dropped before the Ramfs is destroyed (checked).
// - Names: 1..255 bytes, no '/' or NUL, not "." or "..": Invalid otherwise,
//   NameTooLong above 255.
// - atime is set at creation and by set_times() only (as with noatime).
// - directory_entry() indexes are positions: removing an entry while a
//   directory is being listed shifts the later ones down by one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "kernel/fs/file_pages.h"
#include "kernel/lib/error_or.h"
#include "kernel/lib/own_ptr.h"
#include "kernel/lib/string.h"
#include "kernel/lib/vector.h"
#include "kernel/mm/kmalloc.h"

namespace akuma::fs {

enum class InodeType : uint8_t { Regular, Directory, Symlink, CharDevice };

// st_mode type bits (Linux <sys/stat.h> values).
constexpr uint32_t k_mode_type_mask = 0170000;
constexpr uint32_t k_mode_regular = 0100000;
constexpr uint32_t k_mode_directory = 0040000;
constexpr uint32_t k_mode_symlink = 0120000;
constexpr uint32_t k_mode_char_device = 0020000;
constexpr uint32_t k_mode_permission_mask = 07777;

constexpr size_t k_max_name = 255; // NAME_MAX
constexpr size_t k_max_path = 4096; // PATH_MAX, including the NUL
constexpr size_t k_max_symlinks = 40; // Linux MAXSYMLINKS
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

// dev_t as user space sees it in st_rdev (glibc makedev()).
constexpr uint64_t encode_device(DeviceNumber device) {
    uint64_t major = device.major;
    uint64_t minor = device.minor;
    return (major & 0xfffff000) << 32 | (major & 0xfff) << 8 | (minor & 0xffffff00) << 12 | (minor & 0xff);
}

class Inode;
class Ramfs;

// Owning handle to an inode: copying retains, destruction releases.
class InodeRef {
public:
    InodeRef() = default;
    explicit InodeRef(Inode* inode);
    InodeRef(const InodeRef& other)
        : InodeRef(other.m_inode) { }
    InodeRef(InodeRef&& other)
        : m_inode(other.m_inode) {
        other.m_inode = nullptr;
    }
    InodeRef& operator=(const InodeRef& other);
    InodeRef& operator=(InodeRef&& other);
    ~InodeRef() { reset(); }

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

// Read-only view of an inode; all changes go through Ramfs.
class Inode {
public:
    uint64_t ino() const { return m_ino; }
    InodeType type() const { return m_type; }
    bool is_directory() const { return m_type == InodeType::Directory; }
    uint32_t mode() const { return m_mode; }
    uint32_t uid() const { return m_uid; }
    uint32_t gid() const { return m_gid; }
    uint32_t nlink() const { return m_nlink; }
    uint64_t size() const { return m_size; }
    DeviceNumber rdev() const { return m_rdev; }
    // Regular file data is borrowed (not yet copied from the initrd).
    bool is_borrowed() const { return m_borrowed_data != nullptr; }
    // Data pages a regular file holds (holes and borrowed bytes take none).
    uint64_t page_count() const { return m_pages.page_count(); }

private:
    friend class Ramfs;
    friend class InodeRef;

    struct DirEntry {
        BasicString<mm::HeapAllocator> name;
        InodeRef inode;
    };

    Inode(Ramfs& fs, FilePages::Usage& usage, uint64_t ino, InodeType type, uint32_t mode)
        : m_fs(fs)
        , m_ino(ino)
        , m_type(type)
        , m_mode(mode)
        , m_pages(&usage) { }
    ~Inode() = default;

    Ramfs& m_fs;
    uint64_t m_ino;
    uint32_t m_ref_count { 0 };
    InodeType m_type;
    uint32_t m_mode;
    uint32_t m_uid { 0 };
    uint32_t m_gid { 0 };
    uint32_t m_nlink { 0 };
    // Linux's i_writecount: > 0 descriptions open for writing, < 0 running
    // programs whose pages load from this file (see get_write_access).
    int32_t m_write_count { 0 };
    DeviceNumber m_rdev {};
    Timestamp m_atime {};
    Timestamp m_mtime {};
    Timestamp m_ctime {};
    // Regular files: m_size bytes, at m_borrowed_data if borrowed, else in
    // m_pages, whose bytes past m_size are always zero (so growing the file
    // needs no clearing). Symlinks: m_size is the target's length.
    uint64_t m_size { 0 };
    const uint8_t* m_borrowed_data { nullptr };
    FilePages m_pages;
    BasicString<mm::HeapAllocator> m_symlink_target;
    // Directories.
    Vector<DirEntry, mm::HeapAllocator> m_entries;
    Inode* m_parent { nullptr }; // root: itself; dead directory: nullptr
};

struct DirEntryView {
    std::string_view name; // valid until the directory changes
    uint64_t ino;
    InodeType type;
};

struct InodeStat {
    uint64_t ino;
    uint32_t mode;
    uint32_t nlink;
    uint32_t uid;
    uint32_t gid;
    uint64_t rdev; // encode_device()
    uint64_t size;
    uint64_t blocks; // 512-byte units
    uint32_t blksize;
    Timestamp atime;
    Timestamp mtime;
    Timestamp ctime;
};

struct ParentAndName {
    InodeRef directory;
    std::string_view name; // points into the path passed to resolve_parent()
    bool trailing_slash; // "name/": callers decide (mkdir allows it)
};

struct RamfsStats {
    size_t inodes;
    uint64_t owned_data_bytes; // file data pages, 4 KiB each: what the size limit counts
    uint64_t index_bytes; // the nodes that index those pages
    uint64_t borrowed_data_bytes; // file bytes still read from the initrd
};

class Ramfs {
public:
    using Clock = Timestamp (*)();

    // size_limit: bytes of file data (rounded up to pages); 0: unlimited.
    static ErrorOr<OwnPtr<Ramfs, mm::HeapAllocator>> create(uint64_t size_limit = 0);
    ~Ramfs();
    Ramfs(const Ramfs&) = delete;
    Ramfs& operator=(const Ramfs&) = delete;

    InodeRef root() const { return m_root; }
    void set_clock(Clock clock) { m_clock = clock; }
    RamfsStats stats() const;
    // In bytes, a multiple of the page size; 0: unlimited.
    uint64_t size_limit() const { return m_page_limit == k_no_page_limit ? 0 : m_page_limit * k_data_page_size; }

    // Linux path walk: absolute paths start at the root, relative ones at
    // base (a directory). Intermediate symlinks are always followed, the
    // final one if follow_final_symlink or the path ends in '/' (which also
    // requires a directory). Errors: NotFound (also for ""), NotADirectory,
    // NameTooLong (component > 255 or path >= 4096), SymlinkLoop (> 40).
    ErrorOr<InodeRef> resolve(const InodeRef& base, std::string_view path, bool follow_final_symlink);
    // The existing directory that would hold the path's last component, and
    // that component. Trailing slashes are stripped (and reported). A path
    // without a usable last component ("/", ending in "." or "..") gives
    // Invalid: map it per syscall (mkdir: EEXIST, rmdir "." : EINVAL, ...).
    ErrorOr<ParentAndName> resolve_parent(const InodeRef& base, std::string_view path);
    ErrorOr<InodeRef> lookup(const InodeRef& directory, std::string_view name);

    // Creation fails with Exists if the name is taken, NotFound in a dead
    // directory, NotADirectory if `directory` is not one. `mode` supplies
    // the permission bits only.
    ErrorOr<InodeRef> create_file(
        const InodeRef& directory, std::string_view name, uint32_t mode, uint32_t uid = 0, uint32_t gid = 0);
    ErrorOr<InodeRef> mkdir(
        const InodeRef& directory, std::string_view name, uint32_t mode, uint32_t uid = 0, uint32_t gid = 0);
    // target: 1..4095 bytes (NotFound if empty, NameTooLong if longer).
    ErrorOr<InodeRef> symlink(const InodeRef& directory, std::string_view name, std::string_view target,
        uint32_t uid = 0, uint32_t gid = 0);
    // Character devices only (S_IFCHR in mode, else NotSupported).
    ErrorOr<InodeRef> mknod(const InodeRef& directory, std::string_view name, uint32_t mode,
        DeviceNumber rdev, uint32_t uid = 0, uint32_t gid = 0);
    // Hard link; NotPermitted for directories.
    ErrorOr<void> link(const InodeRef& directory, std::string_view name, const InodeRef& inode);
    // IsADirectory for directories.
    ErrorOr<void> unlink(const InodeRef& directory, std::string_view name);
    // NotADirectory, NotEmpty.
    ErrorOr<void> rmdir(const InodeRef& directory, std::string_view name);
    // Linux rename(2): replaces a non-directory target, or an empty directory
    // with a directory (IsADirectory / NotADirectory / NotEmpty otherwise);
    // Invalid when moving a directory into its own subtree. Renaming onto
    // another link of the same inode does nothing.
    ErrorOr<void> rename(const InodeRef& old_directory, std::string_view old_name,
        const InodeRef& new_directory, std::string_view new_name);

    // Regular files only (IsADirectory for directories, Invalid otherwise).
    // read returns 0 at or past the end; holes read as zeros. write leaves a
    // hole where it starts past the end; NoSpace (over the size limit) or
    // NoMemory if not even its first page can be had, else the count of
    // bytes written, short if one of its later pages could not. truncate
    // allocates nothing (it only copies a borrowed file it grows) and frees
    // the pages past a new, smaller end.
    ErrorOr<size_t> read(const InodeRef& inode, uint64_t offset, std::span<uint8_t> buffer);
    ErrorOr<size_t> write(const InodeRef& inode, uint64_t offset, std::span<const uint8_t> data);
    ErrorOr<void> truncate(const InodeRef& inode, uint64_t size);
    // Makes a regular file's contents `data` without copying; data must
    // outlive the Ramfs (the initrd image).
    ErrorOr<void> set_borrowed_data(const InodeRef& inode, std::span<const uint8_t> data);
    // Invalid unless a symlink. Valid while the inode lives.
    ErrorOr<std::string_view> readlink(const InodeRef& inode);

    // Index 0 is ".", 1 is "..", then the entries in insertion order;
    // nullopt past the end. NotADirectory for other inodes.
    ErrorOr<std::optional<DirEntryView>> directory_entry(const InodeRef& directory, size_t index);
    // Directories report size 4096; blocks count regular file and directory
    // sizes rounded up to 4096 (symlinks and devices: 0).
    InodeStat stat(const InodeRef& inode) const;
    // Absolute path of a directory, NUL-terminated (getcwd). Returns the
    // length including the NUL, as getcwd(2) does. OutOfRange if it does not
    // fit, NotFound for a dead directory.
    ErrorOr<size_t> path_of(const InodeRef& directory, std::span<char> buffer);

    // Writers versus running programs (Linux's get_write_access and
    // deny_write_access): a program's pages are read from its file lazily,
    // so while it runs the file cannot be opened for writing, and a file
    // open for writing cannot be executed. Each is TextBusy (ETXTBSY) while
    // the other side holds the file. Only regular files are counted; for
    // other inodes these always succeed.
    ErrorOr<void> get_write_access(const InodeRef& inode);
    void put_write_access(const InodeRef& inode);
    ErrorOr<void> deny_write_access(const InodeRef& inode);
    void allow_write_access(const InodeRef& inode);

    // Attribute changes (chmod, chown, utimensat); they update ctime.
    // set_owner clears set-ID bits of non-directories as Linux's chown does.
    void set_mode(const InodeRef& inode, uint32_t mode);
    void set_owner(const InodeRef& inode, uint32_t uid, uint32_t gid);
    void set_times(const InodeRef& inode, std::optional<Timestamp> atime, std::optional<Timestamp> mtime);

private:
    friend class InodeRef;
    Ramfs() = default;

    static Timestamp zero_clock() { return {}; }
    Timestamp now() const { return m_clock(); }
    ErrorOr<InodeRef> make_inode(uint32_t mode, uint32_t uid, uint32_t gid);
    ErrorOr<InodeRef> create_node(const InodeRef& directory, std::string_view name, uint32_t mode,
        uint32_t uid, uint32_t gid, DeviceNumber rdev = {}, std::string_view symlink_target = {});
    ErrorOr<Inode*> checked_directory(const InodeRef& directory, std::string_view name);
    ErrorOr<Inode*> regular_file(const InodeRef& inode);
    std::optional<size_t> find(const Inode& directory, std::string_view name) const;
    ErrorOr<void> attach(Inode& directory, std::string_view name, const InodeRef& inode);
    void detach(Inode& directory, size_t index);
    ErrorOr<uint8_t*> page_for_write(Inode& file, uint64_t index);
    ErrorOr<void> copy_borrowed_data(Inode& file);
    void free_data(Inode& inode);
    void destroy(Inode* inode);

    static constexpr uint64_t k_no_page_limit = ~uint64_t { 0 };

    InodeRef m_root;
    Clock m_clock { &zero_clock };
    uint64_t m_next_ino { 1 };
    uint64_t m_page_limit { k_no_page_limit };
    FilePages::Usage m_usage {}; // of all files' m_pages
    size_t m_inodes { 0 };
    uint64_t m_borrowed_bytes { 0 };
};

} // namespace akuma::fs
