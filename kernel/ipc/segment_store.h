// Where System V shared memory segments keep their bytes: unlinked regular
// files of one kernel-internal tmpfs (Linux's shm_mnt), made at boot.
// Their pages are the page cache that shmat's MAP_SHARED mappings map.
#pragma once

#include <cstdint>

#include "kernel/fs/file_system.h"
#include "kernel/fs/inode.h"
#include "kernel/lib/error_or.h"

namespace akuma::ipc {

// At boot (shm_init): the tmpfs, whose mappings `observer` is told of.
ErrorOr<void> segment_store_init(fs::FileSystem::MappingObserver observer);
// A new nameless file of `size` bytes (a hole: no memory until touched).
// Takes the VFS lock: call it with no IPC lock held. NoMemory if the
// store could not be made at boot.
ErrorOr<fs::InodeRef> make_segment_file(uint64_t size);
// Whether `inode` is one of those files.
bool is_segment_file(const fs::Inode& inode);
// Pages the file holds now.
uint64_t segment_resident_pages(const fs::Inode& inode);

}  // namespace akuma::ipc
