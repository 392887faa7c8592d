#include "kernel/fs/fd_table.h"

#include <new>

#include "kernel/drivers/console_file.h"
#include "kernel/fs/file_locks.h"

namespace akuma::fs {

// A descriptor of this table let go of `file`: the table's record locks on
// its file go (POSIX: any close does it), then the reference.
void FdTable::close_description(OpenFile* file) {
    if (file->inode())
        release_owner_locks(this, file->inode().get());
    release(file);
}

ErrorOr<FdTable*> FdTable::create_with_console() {
    auto* table = new (std::nothrow) FdTable();
    if (!table)
        return Error::NoMemory;
    auto console = console::open_console();
    if (console.is_error()) {
        delete table;
        return console.error();
    }
    for (int fd = 0; fd < 3; ++fd) {
        if (fd > 0)
            retain(console.value());
        table->occupy(fd, console.value(), false);
    }
    return table;
}

void FdTable::destroy(FdTable* table) {
    for (int fd = 0; fd < table->m_end; ++fd) {
        if (table->m_slots[fd].file)
            table->close_description(table->m_slots[fd].file);
    }
    delete table;
}

ErrorOr<FdTable*> FdTable::clone() const {
    auto* table = new (std::nothrow) FdTable();
    if (!table)
        return Error::NoMemory;
    sched::MutexGuard guard(m_lock);
    table->m_limit = m_limit;
    for (int fd = 0; fd < m_end; ++fd) {
        if (!m_slots[fd].file)
            continue;
        retain(m_slots[fd].file);
        table->occupy(fd, m_slots[fd].file, m_slots[fd].close_on_exec);
    }
    return table;
}

void FdTable::set_limit(int limit) {
    sched::MutexGuard guard(m_lock);
    m_limit = limit < 0 ? 0 : limit > k_max_fds ? k_max_fds : limit;
}

int FdTable::limit() const {
    sched::MutexGuard guard(m_lock);
    return m_limit;
}

void FdTable::close_on_exec_all() {
    sched::MutexGuard guard(m_lock);
    for (int fd = 0; fd < m_end; ++fd) {
        auto& slot = m_slots[fd];
        if (slot.file && slot.close_on_exec) {
            close_description(slot.file);
            slot = {};
        }
    }
}

ErrorOr<int> FdTable::install(OpenFile* file, bool close_on_exec, int minimum) {
    if (minimum < 0 || minimum >= k_max_fds)
        return Error::Invalid;
    sched::MutexGuard guard(m_lock);
    for (int fd = minimum; fd < m_limit; ++fd) {
        if (!m_slots[fd].file) {
            occupy(fd, file, close_on_exec);
            return fd;
        }
    }
    return Error::TooManyOpenFiles;
}

ErrorOr<OpenFile*> FdTable::get(int fd) const {
    sched::MutexGuard guard(m_lock);
    if (!valid(fd))
        return Error::BadFd;
    retain(m_slots[fd].file);
    return m_slots[fd].file;
}

ErrorOr<void> FdTable::close(int fd) {
    OpenFile* file;
    {
        sched::MutexGuard guard(m_lock);
        if (!valid(fd))
            return Error::BadFd;
        file = m_slots[fd].file;
        m_slots[fd] = {};
    }
    close_description(file);  // may wake a pipe's other end: outside the table lock
    return {};
}

void FdTable::close_range(unsigned first, unsigned last, bool only_mark_close_on_exec) {
    unsigned end = last < unsigned(k_max_fds) ? last + 1 : unsigned(k_max_fds);
    {
        sched::MutexGuard guard(m_lock);
        if (end > unsigned(m_end))
            end = unsigned(m_end);  // nothing is open beyond
    }
    for (unsigned fd = first; fd < end; ++fd) {
        OpenFile* file = nullptr;
        {
            sched::MutexGuard guard(m_lock);
            if (!m_slots[fd].file)
                continue;
            if (only_mark_close_on_exec) {
                m_slots[fd].close_on_exec = true;
                continue;
            }
            file = m_slots[fd].file;
            m_slots[fd] = {};
        }
        close_description(file);  // outside the table lock, as close()
    }
}

ErrorOr<int> FdTable::duplicate_to(int old_fd, int new_fd, bool close_on_exec) {
    OpenFile* previous;
    {
        sched::MutexGuard guard(m_lock);
        if (!valid(old_fd) || new_fd < 0 || new_fd >= m_limit)
            return Error::BadFd;
        OpenFile* file = m_slots[old_fd].file;
        retain(file);
        previous = m_slots[new_fd].file;
        occupy(new_fd, file, close_on_exec);
    }
    if (previous)
        close_description(previous);
    return new_fd;
}

ErrorOr<bool> FdTable::close_on_exec(int fd) const {
    sched::MutexGuard guard(m_lock);
    if (!valid(fd))
        return Error::BadFd;
    return m_slots[fd].close_on_exec;
}

ErrorOr<void> FdTable::set_close_on_exec(int fd, bool value) {
    sched::MutexGuard guard(m_lock);
    if (!valid(fd))
        return Error::BadFd;
    m_slots[fd].close_on_exec = value;
    return {};
}

int FdTable::open_count() const {
    sched::MutexGuard guard(m_lock);
    int count = 0;
    for (int fd = 0; fd < m_end; ++fd)
        count += m_slots[fd].file ? 1 : 0;
    return count;
}

}  // namespace akuma::fs
