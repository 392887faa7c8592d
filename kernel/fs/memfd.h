// memfd_create(2): an anonymous regular file in memory, as Linux makes it
// on its internal shmem mount: a tmpfs file that has no name anywhere
// (unlinked at birth), mode 0777, open for reading and writing; it can be
// written, truncated, mapped (MAP_SHARED included) and passed on like any
// file, and /proc/PID/fd shows it as "/memfd:NAME (deleted)". Its pages go
// with its last reference. All memfds live in one kernel-internal tmpfs
// (half of RAM at most, as /dev/shm).
#pragma once

#include <cstdint>
#include <string_view>

#include "kernel/fs/file.h"
#include "kernel/lib/error_or.h"

namespace akuma::fs {

constexpr size_t k_memfd_name_max = 249;  // NAME_MAX - strlen("memfd:")

// The memfds' tmpfs, made once at boot (vfs_init), so that no memfd_create
// allocates it later.
ErrorOr<void> memfd_init();

// `name` is for /proc only (Invalid past k_memfd_name_max); `flags` are the
// description's (O_RDWR | O_LARGEFILE, as Linux).
ErrorOr<File*> create_memfd(std::string_view name, uint32_t flags, bool allow_sealing);

}  // namespace akuma::fs
