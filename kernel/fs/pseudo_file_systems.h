// Constructors of the file systems whose contents the kernel makes up:
// procfs (kernel/fs/procfs) and sysfs (empty for now, but mounted).
#pragma once

#include <optional>

#include "kernel/fs/file_system.h"
#include "kernel/lib/error_or.h"

namespace akuma::fs {

ErrorOr<FileSystem*> make_procfs(FileSystem::Clock clock);
ErrorOr<FileSystem*> make_sysfs(FileSystem::Clock clock);

// The process a /proc/<pid> directory stands for; nullopt for any other
// inode. Linux's pidfd_send_signal takes a descriptor of such a directory
// in place of a pidfd (its first design, kept: tgid_pidfd_to_pid).
std::optional<int> procfs_process_directory(const Inode& inode);

}  // namespace akuma::fs
