#include "kernel/events/dnotify.h"

#include <new>

#include "kernel/fs/inotify_queue.h"
#include "kernel/lib/intrusive_list.h"
#include "kernel/proc/process.h"
#include "kernel/sched/mutex.h"
#include "kernel/sched/scheduler.h"
#include "kernel/syscalls/linux_abi.h"

namespace akuma::events {

namespace abi = linux_abi;
namespace in = fs::inotify;

namespace {

// <linux/fcntl.h>
constexpr uint32_t k_dn_access = 0x1;
constexpr uint32_t k_dn_modify = 0x2;
constexpr uint32_t k_dn_create = 0x4;
constexpr uint32_t k_dn_delete = 0x8;
constexpr uint32_t k_dn_rename = 0x10;
constexpr uint32_t k_dn_attrib = 0x20;
constexpr uint32_t k_dn_multishot = 0x80000000;

// A mark's mask is in inotify's event bits (as Linux's convert_arg maps
// them), with two of its own outside IN_ALL_EVENTS.
constexpr uint32_t k_rename_within = 0x00100000;
constexpr uint32_t k_multishot = 0x00200000;

uint32_t mask_of(uint32_t arg) {
    uint32_t mask = 0;
    if (arg & k_dn_access)
        mask |= in::k_access;
    if (arg & k_dn_modify)
        mask |= in::k_modify;
    if (arg & k_dn_create)
        mask |= in::k_create | in::k_moved_to;
    if (arg & k_dn_delete)
        mask |= in::k_delete | in::k_moved_from;
    if (arg & k_dn_rename)
        mask |= k_rename_within;
    if (arg & k_dn_attrib)
        mask |= in::k_attrib;
    if (arg & k_dn_multishot)
        mask |= k_multishot;
    return mask;
}

struct Mark {
    ListNode link;
    fs::InodeRef directory;
    fs::File* file;
    int fd;
    uint32_t mask;
};

constinit sched::Mutex g_lock;
constinit IntrusiveList<Mark, &Mark::link> g_marks;
constinit uint32_t g_mark_count { 0 };  // atomic: read without the lock

// g_lock, and the marks that ended meanwhile, freed (their directory
// references dropped) once the lock is let go.
class MarksGuard {
public:
    MarksGuard() { g_lock.lock(); }
    ~MarksGuard() {
        g_lock.unlock();
        while (Mark* mark = m_dead.pop_front())
            delete mark;
    }
    void end(Mark& mark) {
        g_marks.remove(mark);
        mark.directory->remove_watch_reference();
        __atomic_sub_fetch(&g_mark_count, 1, __ATOMIC_RELAXED);
        m_dead.push_back(mark);
    }

private:
    IntrusiveList<Mark, &Mark::link> m_dead;
};

Mark* mark_of(fs::File& file) {
    Mark* found = nullptr;
    g_marks.for_each([&](Mark& mark) {
        if (mark.file == &file)
            found = &mark;
    });
    return found;
}

// Linux's send_sigio(fown, fd, POLL_MSG).
void signal_owner(fs::File& file, int fd) {
    proc::IoSignalOwner owner = file.io_owner();
    int signal = file.io_signal();
    sched::SchedulerLockGuard guard;
    proc::send_io_signal_locked(guard, owner, signal, abi::k_poll_msg,
                                abi::k_pollin | abi::k_pollrdnorm | abi::k_pollmsg, fd);
}

}  // namespace

ErrorOr<void> set_dnotify(fs::File& file, int fd, uint32_t arg) {
    uint32_t mask = mask_of(arg);
    MarksGuard guard;
    Mark* existing = mark_of(file);
    if ((mask & ~k_multishot) == 0) {
        if (existing)
            guard.end(*existing);
        return {};
    }
    if (!file.inode() || !file.inode()->is_directory())
        return Error::NotADirectory;
    if (existing) {  // as Linux's attach_dn: the bits add up
        existing->fd = fd;
        existing->mask |= mask;
        return {};
    }
    auto* mark = new (std::nothrow) Mark { {}, file.inode(), &file, fd, mask };
    if (!mark)
        return Error::NoMemory;
    mark->directory->add_watch_reference();
    __atomic_add_fetch(&g_mark_count, 1, __ATOMIC_RELAXED);
    g_marks.push_back(*mark);
    return {};
}

void description_released(fs::File& file) {
    if (!any_dnotify_marks())
        return;
    MarksGuard guard;
    if (Mark* mark = mark_of(file))
        guard.end(*mark);
}

bool any_dnotify_marks() { return __atomic_load_n(&g_mark_count, __ATOMIC_RELAXED) != 0; }

void deliver_dnotify_event(const fs::Inode& inode, uint32_t event, bool about_child, bool rename_within) {
    // Linux's dnotify_handle_event: events of the children, and the
    // directory's own (which carry IN_ISDIR).
    if (!any_dnotify_marks() || (!about_child && !(event & in::k_is_directory)))
        return;
    uint32_t wanted = (event & in::k_all_events) | (rename_within ? k_rename_within : 0);
    MarksGuard guard;
    g_marks.for_each([&](Mark& mark) {
        if (mark.directory.get() != &inode || !(mark.mask & wanted))
            return;
        signal_owner(*mark.file, mark.fd);
        if (!(mark.mask & k_multishot))
            guard.end(mark);
    });
}

void end_dnotify_marks(const fs::Inode& inode) {
    if (!any_dnotify_marks())
        return;
    MarksGuard guard;
    g_marks.for_each([&](Mark& mark) {
        if (mark.directory.get() == &inode)
            guard.end(mark);
    });
}

void end_dnotify_marks_of(const fs::FileSystem& fs) {
    if (!any_dnotify_marks())
        return;
    MarksGuard guard;
    g_marks.for_each([&](Mark& mark) {
        if (&mark.directory->file_system() == &fs)
            guard.end(mark);
    });
}

}  // namespace akuma::events
