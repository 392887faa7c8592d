// dnotify (fcntl F_NOTIFY), Linux's older directory notification: a
// directory's open file description asks to hear of events in it, and each
// one signals the description's owner (fcntl F_SETOWN, else whoever called
// F_NOTIFY) with its F_SETSIG signal (SIGIO by default; si_code POLL_MSG,
// si_fd the descriptor). Without DN_MULTISHOT a mark ends after its first
// signal. Events come from fs/notify.h, as inotify's do.
//
// Locking: one mutex over all marks, nesting inside the VFS lock. A mark
// holds a reference to its directory (not a user: FileSystem::user_count)
// and points at its description, which takes its marks away when it is
// released (before it is destroyed).
#pragma once

#include <cstdint>

#include "kernel/fs/file.h"

namespace akuma::events {

// F_NOTIFY on `file`, open as descriptor `fd`: `arg`'s DN_* bits are added
// to the description's mark (a new one if it has none); no event bit
// removes the mark. NotADirectory for other files.
ErrorOr<void> set_dnotify(fs::File& file, int fd, uint32_t arg);
// The description is going away: its marks end.
void description_released(fs::File& file);

bool any_dnotify_marks();
// `event` (inotify's k_* bits, with k_is_directory for a directory)
// happened to `inode`, or to a child of it if `about_child`;
// `rename_within` says it is the IN_MOVED_FROM of a rename inside `inode`.
void deliver_dnotify_event(const fs::Inode& inode, uint32_t event, bool about_child, bool rename_within);
// The directory is gone, or its file system is unmounted: its marks end.
void end_dnotify_marks(const fs::Inode& inode);
void end_dnotify_marks_of(const fs::FileSystem& fs);

}  // namespace akuma::events
