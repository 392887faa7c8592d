// inotify(7): watches on inodes, and the descriptors that read what
// happened to them. An inotify descriptor is an anonymous file (kind
// "inotify") with a queue of events (fs/inotify_queue.h); a watch ties one
// inode to one descriptor with a mask and a watch descriptor (wd). What
// counts as an event, and when, is fs/notify.h's business: it calls
// deliver() and the removal functions below.
//
// Locking: one lock (a sleeping mutex) covers every watch and every
// instance's queue. The file layer calls in with the VFS lock held, so this
// lock nests inside it; nothing here takes the VFS lock. A watch holds a
// reference to its inode (as Linux's inode mark), which file systems do
// not count as a user (FileSystem::user_count), so a watch never makes a
// umount EBUSY: the umount ends it with IN_UNMOUNT.
//
// Limits (/proc/sys/fs/inotify, writable by root as on Linux): instances
// and watches per real user ID (EMFILE, ENOSPC), events per queue.
#pragma once

#include <cstdint>
#include <string_view>

#include "kernel/fs/file.h"
#include "kernel/fs/inotify_queue.h"

namespace akuma::events {

struct InotifyLimits {
    uint32_t max_queued_events;
    uint32_t max_user_instances;
    uint32_t max_user_watches;
};
InotifyLimits inotify_limits();
void set_inotify_limits(const InotifyLimits& limits);

// inotify_init1: `file_flags` are the description's (O_RDONLY plus
// O_NONBLOCK if asked). TooManyFiles (EMFILE) past max_user_instances.
ErrorOr<fs::File*> create_inotify(uint32_t file_flags);
bool is_inotify(fs::File& file);

// inotify_add_watch on a resolved inode (the caller checked the path's
// rules and read permission): a new watch, or the inode's existing watch in
// this instance with a new mask (IN_MASK_ADD: added to the old one,
// IN_MASK_CREATE: Exists). Returns the wd. NoSpace past max_user_watches.
ErrorOr<int> add_inotify_watch(fs::File& instance, const fs::InodeRef& inode, uint32_t mask);
// inotify_rm_watch: Invalid for a wd the instance has not got; the watch
// ends with IN_IGNORED.
ErrorOr<void> remove_inotify_watch(fs::File& instance, int wd);

// Whether any watch exists at all (a relaxed load: hooks skip everything
// when none does).
bool any_inotify_watches();

// `event` (one k_* bit of fs::inotify, perhaps with k_is_directory)
// happened to `inode`: every watch on it that asked for it gets it. A name
// means the event is a child's, seen by the directory `inode`; `child`
// then is the child (nullptr if gone), for IN_EXCL_UNLINK. One-shot
// watches end after their event.
void deliver_inotify_event(const fs::Inode& inode, uint32_t event, uint32_t cookie, std::string_view name = {},
                           const fs::Inode* child = nullptr);

// The inode is gone: IN_DELETE_SELF to the watches that asked for it, then
// IN_IGNORED to each, which ends.
void end_inotify_watches(const fs::Inode& inode);
// Its file system is unmounted: IN_UNMOUNT and IN_IGNORED to every watch
// on an inode of `fs`.
void end_inotify_watches_of(const fs::FileSystem& fs);

// A new cookie tying a rename's IN_MOVED_FROM to its IN_MOVED_TO.
uint32_t next_inotify_cookie();

}  // namespace akuma::events
