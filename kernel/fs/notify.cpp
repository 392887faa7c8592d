#include "kernel/fs/notify.h"

#include "kernel/events/dnotify.h"
#include "kernel/events/inotify.h"
#include "kernel/fs/file.h"

namespace akuma::fs::notify {

namespace {

namespace in = inotify;

// Whether inotify or dnotify watches anything at all.
bool any_watches() { return events::any_inotify_watches() || events::any_dnotify_marks(); }

// `event` of `inode`, or of its child `name` (`child`): to inotify and
// dnotify. `rename_within`: the IN_MOVED_FROM of a rename inside `inode`.
void deliver(const Inode& inode, uint32_t event, uint32_t cookie = 0, std::string_view name = {},
             const Inode* child = nullptr, bool rename_within = false) {
    events::deliver_inotify_event(inode, event, cookie, name, child);
    events::deliver_dnotify_event(inode, event, !name.empty(), rename_within);
}

void end_watches(const Inode& inode) {
    events::end_inotify_watches(inode);
    events::end_dnotify_marks(inode);
}

uint32_t directory_flag(const Inode& inode) { return inode.is_directory() ? in::k_is_directory : 0; }

// `event` of `inode`: its parent's watches first (with the name), then its own.
void tell(const Inode& inode, const Inode* directory, std::string_view name, uint32_t event) {
    event |= directory_flag(inode);
    if (directory && !name.empty())
        deliver(*directory, event, 0, name, &inode);
    deliver(inode, event, 0);
}

void tell(File& file, uint32_t event) {
    if (!any_watches() || !file.inode())
        return;
    tell(*file.inode(), file.opened_in().get(), file.opened_name(), event);
}

// An inode without names whose last description is gone ends its watches.
void end_if_gone(const Inode& inode) {
    if (inode.nlink() == 0 && inode.open_file_count() == 0)
        end_watches(inode);
}

}  // namespace

void opened(File& file) { tell(file, in::k_open); }

void closed(File& file) { tell(file, file.is_writable() ? in::k_close_write : in::k_close_nowrite); }

void accessed(File& file) { tell(file, in::k_access); }

void modified(File& file) { tell(file, in::k_modify); }

void changed(File& file, uint32_t event) { tell(file, event); }

void last_description_gone(const Inode& inode) {
    if (any_watches())
        end_if_gone(inode);
}

void changed(const Inode& inode, const Inode* directory, std::string_view name, uint32_t event) {
    if (any_watches())
        tell(inode, directory, name, event);
}

uint32_t time_change_event(bool access_time, bool modification_time) {
    if (access_time && modification_time)
        return in::k_attrib;
    return access_time ? in::k_access : in::k_modify;
}

void created(const Inode& directory, std::string_view name, const Inode& child) {
    if (any_watches())
        deliver(directory, in::k_create | directory_flag(child), 0, name, &child);
}

void linked(const Inode& directory, std::string_view name, const Inode& inode) {
    if (!any_watches())
        return;
    deliver(inode, in::k_attrib | directory_flag(inode), 0);  // its link count
    deliver(directory, in::k_create | directory_flag(inode), 0, name, &inode);
}

void removed(const Inode& directory, std::string_view name, const Inode& victim) {
    if (!any_watches())
        return;
    if (!victim.is_directory())
        deliver(victim, in::k_attrib, 0);  // its link count
    if (victim.is_directory() && victim.open_file_count() == 0)
        end_watches(victim);
    else if (!victim.is_directory())
        end_if_gone(victim);
    deliver(directory, in::k_delete | directory_flag(victim), 0, name);
}

void renamed(const Inode& from, std::string_view from_name, const Inode& to, std::string_view to_name,
             const Inode& moved, const Inode* replaced) {
    if (!any_watches())
        return;
    uint32_t cookie = events::next_inotify_cookie();
    deliver(from, in::k_moved_from | directory_flag(moved), cookie, from_name, &moved, &from == &to);
    deliver(to, in::k_moved_to | directory_flag(moved), cookie, to_name, &moved);
    if (replaced)
        deliver(*replaced, in::k_attrib | directory_flag(*replaced), 0);
    deliver(moved, in::k_move_self, 0);
    if (replaced) {
        if (replaced->is_directory() && replaced->open_file_count() == 0)
            end_watches(*replaced);
        else if (!replaced->is_directory())
            end_if_gone(*replaced);
    }
}

void unmounting(FileSystem& fs) {
    events::end_inotify_watches_of(fs);
    events::end_dnotify_marks_of(fs);
}

void description_released(File& file) { events::description_released(file); }

}  // namespace akuma::fs::notify
