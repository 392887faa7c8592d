// The path walk (Linux's namei): from a path to an inode, over any file
// systems, crossing mount points both ways. Host-tested with Ramfs and
// a test mount table (tests/host/path_walk_test.cpp).
//
// Rules, as Linux's:
// - Absolute paths start at the namespace root, relative ones at `base`.
// - Intermediate symlinks are always followed, the final one if
//   follow_final_symlink or the path ends in '/' (which also requires a
//   directory); more than 40 links in one walk is SymlinkLoop (ELOOP).
// - A directory with something mounted on it is the mounted root instead;
//   ".." at a mount's root goes to the parent of the directory it covers;
//   ".." at the namespace root stays there.
// - Every directory the walk looks a name up in must be searchable (execute
//   permission) by the namespace's credentials, if it has any (Linux's
//   may_lookup); the kernel's own walks have none and may go anywhere.
// - Errors: NotFound (also for ""), NotADirectory, NameTooLong (component
//   > 255 or path >= 4096), SymlinkLoop, AccessDenied.
// The caller holds the VFS lock (every file system call needs it).
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

#include "kernel/fs/inode.h"
#include "kernel/lib/error_or.h"
#include "kernel/proc/credentials.h"

namespace akuma::fs {

// Where file systems are stacked (the mount table, or a test's).
class MountCrossing {
public:
    // What is mounted on `directory` (the top of the stack), or null.
    virtual InodeRef mounted_on(const InodeRef& directory) const = 0;
    // If `root` is the root of a mounted file system (not the namespace
    // root), the directory it covers; else null.
    virtual InodeRef covered_by(const InodeRef& root) const = 0;

protected:
    ~MountCrossing() = default;
};

class LookupCache;

struct Namespace {
    InodeRef root;
    const MountCrossing* mounts { nullptr };  // null: one file system
    LookupCache* lookups { nullptr };         // null: every lookup asks the file system
    std::optional<proc::Credentials> credentials;  // whose permissions apply; none: the kernel's
};

// Whether the namespace's credentials may search `directory`.
ErrorOr<void> check_search(const Namespace& ns, const Inode& directory);

struct ParentAndName {
    InodeRef directory;
    std::string_view name;  // points into the path passed to walk_to_parent()
    bool trailing_slash;    // "name/": callers decide (mkdir allows it)
};

ErrorOr<InodeRef> walk_path(const Namespace& ns, const InodeRef& base, std::string_view path,
                            bool follow_final_symlink);

// The existing directory that would hold the path's last component, and
// that component. Trailing slashes are stripped (and reported). A path
// without a usable last component ("/", ending in "." or "..") gives
// Invalid: map it per syscall (mkdir: EEXIST, rmdir "." : EINVAL, ...).
ErrorOr<ParentAndName> walk_to_parent(const Namespace& ns, const InodeRef& base, std::string_view path);

// One name in a directory (not "." or ".."), through the namespace's lookup
// cache when its file system allows (a miss asks the file system and
// records the answer, NotFound included).
ErrorOr<InodeRef> lookup_child(const Namespace& ns, const InodeRef& directory, std::string_view name);

// A directory as the walk sees it: the root of what is mounted on top of
// it, if anything is (else the directory itself).
InodeRef top_of_mounts(const Namespace& ns, InodeRef directory);

// ".." of a directory as the walk takes it (crossing mounts upward).
ErrorOr<InodeRef> walk_up(const Namespace& ns, const InodeRef& directory);

// Absolute path of a directory, NUL-terminated (getcwd): the length
// including the NUL, as getcwd(2) returns it. OutOfRange if it does not fit,
// NotFound for a removed directory.
ErrorOr<size_t> directory_path(const Namespace& ns, const InodeRef& directory, std::span<char> buffer);

// Names: 1..255 bytes, no '/' or NUL, not "." or "..": Invalid otherwise,
// NameTooLong above 255.
ErrorOr<void> check_name(std::string_view name);

}  // namespace akuma::fs
