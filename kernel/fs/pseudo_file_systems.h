// Constructors of the file systems whose contents the kernel makes up:
// procfs (kernel/fs/procfs) and sysfs (empty for now, but mounted).
#pragma once

#include "kernel/fs/file_system.h"
#include "kernel/lib/error_or.h"

namespace akuma::fs {

ErrorOr<FileSystem*> make_procfs(FileSystem::Clock clock);
ErrorOr<FileSystem*> make_sysfs(FileSystem::Clock clock);

}  // namespace akuma::fs
