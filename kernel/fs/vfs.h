// The VFS: one tree of mounted file systems (mount_table.h) and the
// operations on paths that the *at system calls perform on it. The root is
// a tmpfs unpacked from the initrd; /dev, /proc, /sys, /tmp, /run and
// /dev/shm are mounted on it at boot. Every call takes the VFS lock
// (vfs_lock.h) around its file system calls.
//
//   descriptors (FdTable) -> open file descriptions (File and its kinds)
//                         -> inodes (Inode) of file systems (FileSystem)
//                         -> their data (tmpfs: pages, FilePages)
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "kernel/fs/file.h"
#include "kernel/fs/file_system.h"
#include "kernel/fs/inode.h"
#include "kernel/fs/lookup_cache.h"
#include "kernel/fs/path_walk.h"
#include "kernel/lib/error_or.h"
#include "kernel/proc/credentials.h"

namespace akuma::fs {

class MountTable;

// Mounts the root tmpfs, unpacks the initrd (if any) into it, and mounts
// the pseudo file systems. Errors from a malformed archive are reported
// (with the reason) but what was unpacked stays usable. The root's size
// limit is tmpfs's: half of RAM unless initramfs_options (the boot
// argument, Linux's rootfs mount options) has a size=; bad options are
// reported and the default kept. Character devices must be registered
// before (they become /dev's nodes).
// root= (Linux's boot argument): the root file system from a disk instead
// of the initrd, read-only unless `rw` is given (as Linux mounts it).
struct RootDisk {
    std::string_view device;  // "/dev/vda"
    bool read_only;
};
ErrorOr<void> vfs_init(std::span<const uint8_t> initrd, std::string_view initramfs_options,
                       std::optional<RootDisk> root_disk = {});

InodeRef root_directory();

ErrorOr<InodeRef> resolve_path(const InodeRef& base, std::string_view path, bool follow_final_symlink);

// An inode and where a path found it: the directory and the name in it, for
// the events inotify sends a watched directory about its children (no
// directory for "/", "." or ".."). `name` points into the path, or into the
// target of `link`, the last symlink followed, which this keeps alive.
struct PlacedInode {
    InodeRef inode;
    InodeRef directory;
    std::string_view name;
    InodeRef link;
};
ErrorOr<PlacedInode> resolve_placed(const InodeRef& base, std::string_view path, bool follow_final_symlink);
// An open file's place: the directory and name it was opened under.
PlacedInode place_of(const File& file);

// resolve_path as `credentials` (not the caller's) see it, and whether they
// may access the result (k_may_* of permission.h): faccessat(2), which
// checks with the real IDs.
ErrorOr<void> check_path_access(const proc::Credentials& credentials, const InodeRef& base, std::string_view path,
                                bool follow_final_symlink, unsigned mask);
// The same for an inode the caller holds (faccessat2's AT_EMPTY_PATH).
ErrorOr<void> check_inode_access(const proc::Credentials& credentials, const InodeRef& inode, unsigned mask);
// Whether the caller may access an inode it holds (k_may_* of
// permission.h): chdir's and fchdir's search, exec's execute.
ErrorOr<void> check_current_access(const InodeRef& inode, unsigned mask);
// chroot(2): the caller's root becomes `directory` (its search permission
// checked; the caller checks CAP_SYS_CHROOT).
ErrorOr<void> change_root(const InodeRef& directory);

// Copies a regular file's bytes at `offset` into `buffer` under the lock;
// returns how many (short only at the end of the file). For the ELF loader,
// which makes sure nobody can write the file first
// (AddressSpace::set_executable).
ErrorOr<size_t> read_file(const InodeRef& file, uint64_t offset, std::span<uint8_t> buffer);

// execve of a script: copies the first bytes of `file` into `buffer` under
// the lock; returns how many. TextBusy (ETXTBSY) if the file is open for
// writing: Linux refuses to execute any such file.
ErrorOr<size_t> read_for_exec(const InodeRef& file, std::span<uint8_t> buffer);

// openat(2) on a resolved base directory: O_CREAT/O_EXCL/O_TRUNC/
// O_DIRECTORY/O_NOFOLLOW/O_PATH handled. Errors as Linux.
ErrorOr<File*> open_path(const InodeRef& base, std::string_view path, uint32_t flags, uint32_t mode,
                         uint32_t umask);

// /proc/<pid>/fd/N's target: the path a description was opened under
// ("... (deleted)" once unlinked), a directory's path, or an anonymous name
// ("pipe:[ino]"). VFS lock held. NotFound, OutOfRange.
ErrorOr<size_t> describe_file_locked(File& file, std::span<char> buffer);

// Linux's file_remove_privs: a write or truncate by a caller without
// CAP_FSETID drops a regular file's set-user-ID bit (and set-group-ID if
// group-executable). VFS lock held. The second takes the caller's
// credentials only if the file has such a bit.
void drop_set_id_bits_locked(const proc::Credentials& credentials, const InodeRef& inode);
void drop_set_id_bits_of_written_locked(const InodeRef& inode);

// After a regular file shrank to `size` (its VFS lock let go): the pages
// mappings hold past the new end are unmapped everywhere, so touching them
// is SIGBUS as on Linux.
void unmap_truncated_pages(const InodeRef& inode, uint64_t size);

// truncate(2) by path (symlinks followed): IsADirectory, Invalid for other
// non-regular files, TextBusy for a running program's file.
ErrorOr<void> truncate_path(const InodeRef& base, std::string_view path, uint64_t size);

// File operations on paths (the *at syscalls).
ErrorOr<void> make_directory(const InodeRef& base, std::string_view path, uint32_t mode);
// mknod(2): a regular file or a character device node (`mode` has the type).
// The new node (a socket's bind keeps it).
ErrorOr<InodeRef> make_node(const InodeRef& base, std::string_view path, uint32_t mode, DeviceNumber device);
// The same for the kernel's own nodes (a pty's): no permission checks.
ErrorOr<InodeRef> make_kernel_node(const InodeRef& directory, std::string_view name, uint32_t mode,
                                   DeviceNumber device);
ErrorOr<void> remove(const InodeRef& base, std::string_view path, bool directory);
ErrorOr<void> make_symlink(const InodeRef& base, std::string_view path, std::string_view target);
ErrorOr<void> make_link(const InodeRef& old_base, std::string_view old_path, const InodeRef& new_base,
                        std::string_view new_path, bool follow);
ErrorOr<void> rename(const InodeRef& old_base, std::string_view old_path, const InodeRef& new_base,
                     std::string_view new_path);
// readlink(2): copies the target (not NUL-terminated); returns its length.
ErrorOr<size_t> read_link(const InodeRef& base, std::string_view path, std::span<char> buffer);
InodeStat stat(const InodeRef& inode);
// The flags of the mount an inode is on (k_mount_* of mount_table.h).
uint32_t mount_flags(const InodeRef& inode);
// statfs(2): the file system's figures and the mount's flags (ST_*).
FileSystemStats statfs(const InodeRef& inode);
// chmod(2), permission bits only: the owner or CAP_FOWNER (NotPermitted);
// the set-group-ID bit is dropped for a group the caller is not in.
ErrorOr<void> change_mode(const PlacedInode& target, uint32_t mode);
// chown(2) (proc::k_id_unchanged keeps a field): changing the owner needs
// CAP_CHOWN, the group the owner's membership or CAP_CHOWN. Clears
// set-user-ID (and set-group-ID if group-executable) of a non-directory,
// as Linux's chown does.
ErrorOr<void> change_owner(const PlacedInode& target, uint32_t uid, uint32_t gid);
// utimensat(2): `touch` (times NULL or both UTIME_NOW) needs the owner,
// CAP_FOWNER or write permission (AccessDenied); other times the owner or
// CAP_FOWNER (NotPermitted).
ErrorOr<void> change_times(const PlacedInode& target, std::optional<Timestamp> atime, std::optional<Timestamp> mtime,
                           bool touch);
// The kernel gives a node it made an owner (a pty's device node).
void set_owner_by_kernel(const InodeRef& inode, uint32_t uid, uint32_t gid);
Timestamp current_time();
// getcwd(2): the absolute path, crossing mounts.
ErrorOr<size_t> directory_path(const InodeRef& directory, std::span<char> buffer);

// mount(2) of a new file system instance of `type` ("tmpfs", "proc",
// "sysfs", "devtmpfs") on the directory at `target`; `data` holds its
// options (tmpfs: size=). NoDevice for an unknown type, NotADirectory,
// Busy if `target` is already the root of that same mount.
ErrorOr<void> mount(const InodeRef& base, std::string_view source, std::string_view target, std::string_view type,
                    uint32_t flags, std::string_view data);
// mount(2) with MS_REMOUNT: the mount's flags become `flags`; Invalid
// unless `target` is a mount's root.
ErrorOr<void> remount(const InodeRef& base, std::string_view target, uint32_t flags);
// Invalid unless `target` is a mount's root (propagation changes).
ErrorOr<void> check_mount_root(const InodeRef& base, std::string_view target);
// umount2(2): Invalid unless `target` is a mount's root, Busy while in use
// (unless `detach`).
ErrorOr<void> unmount(const InodeRef& base, std::string_view target, bool detach, bool follow);
// Frees the lazily unmounted (MNT_DETACH) file systems nothing uses any
// more. Called where users go away in bulk (a process's exit) and by
// mount/umount; until then a detached file system keeps its memory.
void free_idle_detached_file_systems();
// Empties the lookup cache (lookup_cache.h): for memory accounting that
// must see only what processes hold (the test runners), like Linux's
// drop_caches.
void drop_lookup_cache();
// Memory is short: every mounted file system frees the clean page-cache
// pages no mapping uses. Returns how many pages went.
size_t reclaim_page_cache();
// The page cache's pages over all mounted file systems (/proc/meminfo).
FileSystem::CachePages page_cache_pages();
// fallocate(2) of a regular file (ReadOnlyFs on a read-only mount).
ErrorOr<void> allocate(const InodeRef& inode, uint64_t offset, uint64_t length, bool keep_size);
// The mount table (VFS lock held).
const MountTable& mount_table();
// Names of the file system types mount(2) knows, with whether they need a
// device (for /proc/filesystems).
struct FileSystemType {
    const char* name;
    bool needs_device;
};
std::span<const FileSystemType> file_system_types();

// A file system on a disk (ext2), made by mount(2) from the block device its
// source names: the source must be a block special file (ENOTBLK) of a disk
// that exists (ENXIO) and is not mounted already (EBUSY); a read-only disk
// mounts only with MS_RDONLY (EACCES). The factory reads the disk (it may
// sleep; no lock is held) and refuses what it cannot mount with a log line.
using DiskFileSystemFactory = ErrorOr<FileSystem*> (*)(drivers::BlockDevice& device, bool read_only,
                                                       std::string_view options);
// A type for mount(2) and /proc/filesystems; at boot. OutOfRange when full,
// Exists for a name taken.
ErrorOr<void> register_disk_file_system(const char* name, DiskFileSystemFactory make);

// sync(2): every mounted file system writes back what it holds
// (FileSystem::sync_file_system; a failure is logged, as sync(2) reports none).
void sync_all();
// syncfs(2): the file system of `inode` writes back what it holds.
ErrorOr<void> sync_file_system_of(const InodeRef& inode);
// The write-back thread's round (kernel/fs/writeback.h): the file systems
// that need it (FileSystem::needs_write_back) sync; failures are logged.
void write_back_file_systems();
// Power-off: every mounted file system shuts down (FileSystem::shut_down:
// disks written back and marked clean); failures are logged.
void shut_down_file_systems();

}  // namespace akuma::fs
