#include "kernel/fs/inode_files.h"

#include "kernel/proc/resource_limits.h"

#include <new>

#include "kernel/fs/file_system.h"
#include "kernel/fs/vfs.h"
#include "kernel/fs/vfs_lock.h"
#include "kernel/mm/page_sharing.h"
#include "kernel/mm/pmm.h"
#include "kernel/mm/user_access.h"
#include "kernel/syscalls/linux_abi.h"

namespace akuma::fs {

namespace abi = linux_abi;

RegularFile::RegularFile(uint32_t flags, InodeRef inode, bool holds_write_access)
    : File(flags, std::move(inode)), m_holds_write_access(holds_write_access) {}

// No VFS lock here: a description may go away anywhere, even while its
// releaser holds that lock (write counts and inode references are atomic).
RegularFile::~RegularFile() {
    if (m_holds_write_access)
        inode()->file_system().put_write_access(inode());
}

ErrorOr<size_t> RegularFile::read_at(std::span<uint8_t> buffer, uint64_t offset, bool) {
    VfsLockGuard guard;
    return inode()->file_system().read(inode(), offset, buffer);
}

// Page by page from the page cache into user memory: the page is found (or
// read in) under the VFS lock and pinned with a PMM share, and copied after
// the lock is let go (a copy may fault, and a fault may need the VFS lock
// for a file mapping). A truncation meanwhile leaves this read the bytes it
// pinned, as a read racing a truncate may see on Linux.
ErrorOr<size_t> RegularFile::read_to_user(uint64_t address, size_t count, uint64_t offset) {
    size_t done = 0;
    while (done < count) {
        uint64_t position = offset + done;
        size_t in_page = position % mm::k_page_size;
        size_t chunk = mm::k_page_size - in_page < count - done ? mm::k_page_size - in_page : count - done;
        uint8_t* page = nullptr;
        {
            VfsLockGuard guard;
            uint64_t size = inode()->size();
            if (position >= size)
                break;
            if (chunk > size - position)
                chunk = static_cast<size_t>(size - position);
            auto found = inode()->file_system().readable_page(inode(), position / mm::k_page_size);
            if (found.is_error()) {
                if (done > 0)
                    return done;
                return found.error();  // NotSupported: the caller reads through a buffer
            }
            page = found.value();
            if (page)
                mm::add_sharer(mm::linear_virt_to_phys(page));
        }
        auto copied = page ? mm::copy_to_user(mm::UserPtr<void>(address + done), page + in_page, chunk)
                           : mm::clear_user(mm::UserPtr<void>(address + done), chunk);  // a hole
        if (page)
            mm::drop_sharer(mm::linear_virt_to_phys(page));
        if (copied.is_error()) {
            if (done > 0)
                return done;
            return Error::Fault;
        }
        done += chunk;
    }
    return done;
}

ErrorOr<size_t> RegularFile::write_at(std::span<const uint8_t> data, uint64_t& offset) {
    VfsLockGuard guard;
    // O_APPEND: every write goes to the end as it is now (Linux's
    // IOCB_APPEND, decided under the inode lock).
    if (flags() & abi::k_o_append)
        offset = inode()->size();
    if (data.empty())
        return size_t { 0 };
    // RLIMIT_FSIZE: a write that crosses it is cut short; one that starts
    // at or past it is SIGXFSZ and EFBIG.
    uint64_t allowed = TRY(proc::check_file_size_limit(offset, offset + data.size()));
    drop_set_id_bits_of_written_locked(inode());
    return inode()->file_system().write(inode(), offset, data.first(allowed));
}

ErrorOr<void> RegularFile::truncate(uint64_t size) {
    if (!is_writable())
        return Error::Invalid;
    if (size > inode()->size())
        TRY(proc::check_file_size_limit(size - 1, size));  // RLIMIT_FSIZE when growing, as Linux
    {
        VfsLockGuard guard;
        TRY(inode()->file_system().truncate(inode(), size));
        drop_set_id_bits_of_written_locked(inode());
    }
    unmap_truncated_pages(inode(), size);
    return {};
}

// The file system writes the file back (tmpfs: nothing to do; ext2: pages
// shared writable mappings may have changed, and its metadata).
ErrorOr<void> RegularFile::sync() {
    VfsLockGuard guard;
    return inode()->file_system().sync(inode());
}

ErrorOr<InodeRef> RegularFile::mappable_inode() { return inode(); }

ErrorOr<size_t> DirectoryFile::read_at(std::span<uint8_t>, uint64_t, bool) { return Error::IsADirectory; }

ErrorOr<uint64_t> DirectoryFile::seek(int64_t offset, int whence) {
    if (whence != abi::k_seek_set)
        return Error::Invalid;
    return File::seek(offset, whence);
}

namespace {

uint8_t dirent_type(InodeType type) {
    switch (type) {
    case InodeType::Regular: return abi::k_dt_reg;
    case InodeType::Directory: return abi::k_dt_dir;
    case InodeType::Symlink: return abi::k_dt_lnk;
    case InodeType::CharDevice: return abi::k_dt_chr;
    case InodeType::BlockDevice: return abi::k_dt_blk;
    case InodeType::Fifo: return abi::k_dt_fifo;
    case InodeType::Socket: return abi::k_dt_sock;
    }
    return abi::k_dt_unknown;
}

}  // namespace

ErrorOr<size_t> DirectoryFile::read_directory(std::span<uint8_t> buffer) {
    sched::MutexGuard position_guard(position_lock());
    VfsLockGuard guard;
    FileSystem& fs = inode()->file_system();
    size_t used = 0;
    for (;;) {
        auto entry = TRY(fs.directory_entry(inode(), position()));
        if (!entry)
            break;
        uint64_t next = entry->next_index ? entry->next_index : position() + 1;
        size_t written = abi::write_dirent64(buffer.subspan(used), entry->ino, static_cast<int64_t>(next),
                                             dirent_type(entry->type), entry->name);
        if (written == 0) {
            if (used == 0)
                return Error::Invalid;  // the buffer cannot hold even one record
            break;
        }
        used += written;
        position() = next;
    }
    return used;
}

ErrorOr<File*> open_inode_file(const InodeRef& inode, uint32_t flags, bool holds_write_access) {
    if (FileOpener* opener = inode->file_system().file_opener())
        return opener->open(inode, flags);
    File* file = inode->is_directory() ? static_cast<File*>(new (std::nothrow) DirectoryFile(flags, inode))
                                       : new (std::nothrow) RegularFile(flags, inode, holds_write_access);
    if (!file)
        return Error::NoMemory;
    return file;
}

}  // namespace akuma::fs
