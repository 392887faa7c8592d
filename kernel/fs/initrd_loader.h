// Unpacks the initramfs (a cpio newc/crc archive, kernel/fs/cpio.h) into a
// Ramfs, the way Linux init/initramfs.c does for the cases it handles:
// - Regular files borrow their bytes from the archive (zero-copy): the
//   archive must stay mapped for the Ramfs's lifetime.
// - Missing parent directories are created (0755, root-owned); symlinks in
//   parent paths are followed.
// - A later entry replaces an earlier one of the same name (a directory
//   only if empty); a directory over a directory just takes its attributes.
// - Hard-link sets (nlink > 1) share one inode, keyed by (dev, inode); the
//   data comes from whichever entry carries it (newc: the last one).
// - Block devices, FIFOs and sockets are skipped and counted.
// - Mode, owner and mtime (also as atime) come from the archive.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "kernel/fs/ramfs.h"
#include "kernel/lib/error_or.h"

namespace akuma::fs {

// Counts of archive entries by what they became.
struct InitrdLoadResult {
    size_t files; // regular files (new inodes)
    size_t hard_links; // further names of an earlier file
    size_t directories; // including the root entry ("." or "/")
    size_t symlinks;
    size_t devices; // character devices
    size_t skipped; // block devices, FIFOs, sockets
};

// On error the entries loaded before stay in fs, and if reason is not null
// *reason says what failed and at which byte offset of the archive. It points
// to a static buffer that the next failing call overwrites (initrd loading
// is a single-threaded boot step). Errors: the cpio reader's (Invalid,
// NameTooLong), NoMemory, or the Ramfs error of the entry that failed.
ErrorOr<InitrdLoadResult> load_initrd(Ramfs& fs, std::span<const uint8_t> archive, const char** reason);

} // namespace akuma::fs
