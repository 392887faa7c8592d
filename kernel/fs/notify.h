// What happened in the file layer, told to inotify (events/inotify.h) and
// dnotify (events/dnotify.h):
// Linux's fsnotify hooks. The VFS calls the namespace hooks (create,
// remove, rename, link) with its lock held; the system calls tell of data
// and attribute changes through open files or paths; File's last release
// tells of the close. Each costs one load when nothing is watched.
//
// Which watches hear what, as Linux 6.1:
// - An event of a file is delivered to the file's own watches and, with
//   the file's name, to the watches of the directory it is in (for an open
//   file: the directory and name it was opened under; Akuma keeps no
//   dentries, so a rename after the open is not seen).
// - IN_ISDIR marks events of directories, except IN_DELETE_SELF and
//   IN_MOVE_SELF.
// - An unlinked inode's IN_DELETE_SELF (then IN_IGNORED) comes when its
//   last open description is closed, at once if it has none.
#pragma once

#include <cstdint>
#include <string_view>

#include "kernel/fs/inode.h"

namespace akuma::fs {

class File;
class FileSystem;

namespace notify {

// ---- Open files ----
void opened(File& file);
void closed(File& file);  // its last reference went
void accessed(File& file);
void modified(File& file);
// fchmod, fchown, futimens: `event` is IN_ATTRIB (or, for a change of one
// time only, IN_ACCESS or IN_MODIFY: see time_change_event).
void changed(File& file, uint32_t event);
// The last open description of an inode was destroyed.
void last_description_gone(const Inode& inode);
// A description is about to be destroyed: its dnotify marks end.
void description_released(File& file);

// ---- Paths ----
// The same for an inode reached by a path: `directory` and `name` where
// the path ended (null / empty: none, e.g. "/").
void changed(const Inode& inode, const Inode* directory, std::string_view name, uint32_t event);
// utimensat's event: both times IN_ATTRIB, the access time alone
// IN_ACCESS, the modification time alone IN_MODIFY (Linux's fsnotify_change).
uint32_t time_change_event(bool access_time, bool modification_time);

// ---- The namespace (VFS lock held) ----
void created(const Inode& directory, std::string_view name, const Inode& child);
void linked(const Inode& directory, std::string_view name, const Inode& inode);
// unlink or rmdir of `victim`, which had `name` in `directory`.
void removed(const Inode& directory, std::string_view name, const Inode& victim);
void renamed(const Inode& from, std::string_view from_name, const Inode& to, std::string_view to_name,
             const Inode& moved, const Inode* replaced);
// `fs` is leaving the tree: IN_UNMOUNT to every watch on it.
void unmounting(FileSystem& fs);

}  // namespace notify
}  // namespace akuma::fs
