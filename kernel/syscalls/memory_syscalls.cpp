// brk, mmap, munmap, mprotect, madvise: argument checking as Linux does it,
// then the address space (kernel/proc/address_space.h).
#include "kernel/fs/seals.h"
#include "kernel/fs/mount_table.h"
#include "kernel/fs/vfs_lock.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/proc/process_credentials.h"
#include "kernel/proc/user_layout.h"
#include "kernel/sched/scheduler.h"
#include "kernel/syscalls/file_helpers.h"
#include "kernel/syscalls/linux_abi.h"

namespace akuma::sys {

namespace abi = linux_abi;

int64_t sys_brk(const SyscallArgs& args) { return static_cast<int64_t>(current().space->set_break(args.a[0])); }

namespace {

bool may_lock_beyond_limit() { return proc::current_capable(proc::Capability::IpcLock); }
uint64_t memlock_limit() { return proc::soft_limit(current(), abi::k_rlimit_memlock); }

// mmap's MAP_LOCKED and MAP_POPULATE, as Linux's do_mmap and mm_populate: a
// locked mapping past RLIMIT_MEMLOCK (without CAP_IPC_LOCK) is EAGAIN before
// anything is mapped; the pages of either are then made at once, and what
// cannot be made now is not the call's failure (it faults later).
ErrorOr<uint64_t> map_with_flags(const proc::MapRequest& request, uint32_t flags) {
    auto& space = *current().space;
    bool locks = flags & abi::k_map_locked;
    uint64_t length = (request.length + mm::k_page_size - 1) & ~(mm::k_page_size - 1);
    if (locks && !may_lock_beyond_limit()) {
        uint64_t limit = memlock_limit();
        if (limit != abi::k_rlim_infinity && space.locked_bytes() + length > limit)
            return Error::TryAgain;
    }
    uint64_t start = TRY(space.map(request));
    if (locks)
        (void)space.set_locked(start, start + length, true, false);
    if (locks || (flags & abi::k_map_populate))
        (void)space.populate(start, start + length, true);
    return start;
}

}  // namespace

int64_t sys_mmap(const SyscallArgs& args) {
    uint64_t address = args.a[0];
    uint64_t length = args.a[1];
    uint32_t prot = static_cast<uint32_t>(args.a[2]);
    uint32_t flags = static_cast<uint32_t>(args.a[3]);
    int fd = args.fd(4);
    uint64_t offset = args.a[5];

    constexpr uint32_t supported = abi::k_map_shared | abi::k_map_private | abi::k_map_fixed | abi::k_map_anonymous |
                                   abi::k_map_noreserve | abi::k_map_stack | abi::k_map_fixed_noreplace |
                                   abi::k_map_populate | abi::k_map_denywrite | abi::k_map_executable |
                                   abi::k_map_growsdown | abi::k_map_locked | abi::k_map_nonblock;
    uint32_t type = flags & abi::k_map_type;
    if (type != abi::k_map_private && type != abi::k_map_shared)
        return error_result(Error::Invalid);
    if (flags & ~supported & ~abi::k_map_type)
        return error_result(Error::Invalid);
    if (length == 0 || (offset & (mm::k_page_size - 1)))
        return error_result(Error::Invalid);

    proc::MapRequest request {};
    request.address = address;
    request.length = length;
    request.prot = prot;
    request.placement = (flags & abi::k_map_fixed_noreplace) ? proc::MapPlacement::FixedNoReplace
                        : (flags & abi::k_map_fixed)         ? proc::MapPlacement::Fixed
                                                             : proc::MapPlacement::Anywhere;
    if (request.placement != proc::MapPlacement::Anywhere && (address & (mm::k_page_size - 1)))
        return error_result(Error::Invalid);
    request.kind = mm::VmaKind::Anonymous;
    request.no_reserve = flags & abi::k_map_noreserve;

    if (!(flags & abi::k_map_anonymous)) {
        auto file = FileRef::from_fd(fd);
        if (file.is_error())
            return error_result(file.error());
        auto& open = *file.value();
        if (open.is_path())
            return error_result(Error::BadFd);
        // Linux's do_mmap: EACCES for a descriptor not open for reading,
        // then ENODEV for a file that cannot be mapped.
        if (!open.is_readable())
            return error_result(Error::AccessDenied);
        auto mappable = open.mappable_inode();
        if (mappable.is_error())
            return error_result(mappable.error());
        fs::InodeRef inode = mappable.release_value();
        if (type == abi::k_map_shared) {
            // Linux: a shared mapping can be writable only through a
            // descriptor open for writing (O_APPEND does not matter: only an
            // append-only inode, which Akuma has not, is refused); its pages
            // are the file's own (the page cache), so writes reach the file.
            bool may_write = open.is_writable();
            if ((prot & abi::k_prot_write) && !may_write)
                return error_result(Error::AccessDenied);
            // A write-sealed memfd (fs/seals.h): no writable shared mapping
            // (EPERM), and a read-only one cannot become writable.
            if (!fs::Seals::shared_mappings_may_write(*inode)) {
                if (prot & abi::k_prot_write)
                    return error_result(Error::NotPermitted);
                may_write = false;
            }
            request.max_prot = abi::k_prot_read | abi::k_prot_exec | (may_write ? abi::k_prot_write : 0);
        }
        // A noexec mount: no executable mapping now (EPERM) or later
        // (mprotect: EACCES), as Linux's do_mmap.
        if (fs::mount_flags(inode) & fs::k_mount_no_exec) {
            if (prot & abi::k_prot_exec)
                return error_result(Error::NotPermitted);
            request.max_prot &= ~uint32_t { abi::k_prot_exec };
        }
        // Its path, for /proc/PID/maps (as /proc/PID/fd names it), the
        // first time this space maps the file.
        char* name = current().space->has_file_name(inode.get()) ? nullptr
                                                                  : static_cast<char*>(mm::kmalloc(fs::k_max_path));
        if (name) {
            fs::VfsLockGuard guard;
            auto length = fs::describe_file_locked(open, { name, fs::k_max_path });
            request.file_name = length.is_error() ? std::string_view {} : std::string_view(name, length.value());
        }
        struct FreeName {
            char* name;
            ~FreeName() { mm::kfree(name); }
        } free_name { name };
        uint64_t size = fs::stat(inode).size;
        request.kind = mm::VmaKind::File;
        request.file = inode.get();
        request.file_offset = offset;
        request.file_bytes = offset < size ? size - offset : 0;
        request.shared = type == abi::k_map_shared;
        // Pages past the end of the file are SIGBUS when touched (unless the
        // file has grown by then), as on Linux: the fault asks the file.
        return to_result(map_with_flags(request, flags));
    }
    // MAP_SHARED|MAP_ANONYMOUS: the pages (made on first touch) stay shared
    // with the processes forked from this one.
    request.shared = type == abi::k_map_shared;
    return to_result(map_with_flags(request, flags));
}

// membarrier(2), as Linux 6.1 without CONFIG_RSEQ (Akuma has no rseq):
// QUERY lists the commands; the private expedited ones need their
// registration first (EPERM). With one CPU online every thread of the
// process other than the caller is off the CPU, and a context switch is a
// full barrier, so the caller's own barrier is all a command has to do
// (Linux returns at once too when num_online_cpus() is 1); with more, the
// other CPUs would need interrupting, which Akuma cannot yet: ENOSYS.
int64_t sys_membarrier(const SyscallArgs& args) {
    constexpr uint32_t k_query = 0, k_global = 1, k_global_expedited = 2, k_register_global_expedited = 4,
                       k_private_expedited = 8, k_register_private_expedited = 16,
                       k_private_expedited_sync_core = 32, k_register_private_expedited_sync_core = 64;
    constexpr uint32_t k_supported = k_global | k_global_expedited | k_register_global_expedited |
                                     k_private_expedited | k_register_private_expedited |
                                     k_private_expedited_sync_core | k_register_private_expedited_sync_core;
    auto command = static_cast<uint32_t>(args.a[0]);
    if (args.a[1] != 0)
        return error_result(Error::Invalid);  // flags (MEMBARRIER_CMD_FLAG_CPU is for the RSEQ command)
    if (command == k_query)
        return k_supported;
    if (__builtin_popcount(command) != 1 || !(command & k_supported))
        return error_result(Error::Invalid);
    proc::AddressSpace& space = *current().space;
    switch (command) {
    case k_register_global_expedited:
    case k_register_private_expedited:
    case k_register_private_expedited_sync_core:
        space.register_membarrier(command);
        return 0;
    case k_private_expedited:
    case k_private_expedited_sync_core:
        // Registered for this command (its register command is the next bit).
        if (!(space.membarrier_registrations() & (command << 1)))
            return error_result(Error::NotPermitted);
        break;
    default: break;
    }
    if (sched::online_cpus() > 1)
        return error_result(Error::NotImplemented);
    asm volatile("dsb ish\n\tisb" ::: "memory");
    return 0;
}

// mremap(2): MREMAP_MAYMOVE, MREMAP_FIXED and MREMAP_DONTUNMAP (with
// MREMAP_MAYMOVE and equal sizes, else EINVAL) as Linux; an old size of 0
// duplicates a shared mapping (AddressSpace::remap).
int64_t sys_mremap(const SyscallArgs& args) {
    uint64_t old_address = args.a[0];
    uint64_t flags = args.a[3];
    if (flags & ~uint64_t { abi::k_mremap_maymove | abi::k_mremap_fixed | abi::k_mremap_dontunmap })
        return error_result(Error::Invalid);
    if ((flags & abi::k_mremap_fixed) && !(flags & abi::k_mremap_maymove))
        return error_result(Error::Invalid);
    bool dont_unmap = flags & abi::k_mremap_dontunmap;
    if (dont_unmap && (!(flags & abi::k_mremap_maymove) || args.a[1] != args.a[2]))
        return error_result(Error::Invalid);
    if (old_address & (mm::k_page_size - 1))
        return error_result(Error::Invalid);
    uint64_t old_size = (args.a[1] + mm::k_page_size - 1) & ~(mm::k_page_size - 1);
    uint64_t new_size = (args.a[2] + mm::k_page_size - 1) & ~(mm::k_page_size - 1);
    if (new_size == 0 || new_size < args.a[2] || old_size < args.a[1])
        return error_result(Error::Invalid);
    std::optional<uint64_t> fixed;
    if (flags & abi::k_mremap_fixed) {
        if (args.a[4] & (mm::k_page_size - 1))
            return error_result(Error::Invalid);
        fixed = args.a[4];
    }
    return to_result(
        current().space->remap(old_address, old_size, new_size, flags & abi::k_mremap_maymove, fixed, dont_unmap));
}

// ---- mlock, mlock2, munlock, mlockall, munlockall ----
// As Linux's mm/mlock.c: EPERM without CAP_IPC_LOCK when RLIMIT_MEMLOCK is 0;
// ENOMEM past the limit (counting what is locked already, and not twice
// what the range holds locked) or for a hole; the pages are then made
// (AddressSpace::populate), ENOMEM for a page past a file's end and EAGAIN
// when memory runs out (__mlock_posix_error_return).
namespace {

constexpr uint32_t k_mlock_onfault = 1;
constexpr uint32_t k_mcl_current = 1, k_mcl_future = 2, k_mcl_onfault = 4;

ErrorOr<void> lock_error(Error error) {
    if (error == Error::NoMemory)
        return Error::TryAgain;
    return Error::NoMemory;  // a fault: PROT_NONE, or past a file's end
}

ErrorOr<void> set_range_locked(uint64_t address, uint64_t length, bool locked, bool on_fault) {
    address = mm::untag_user_address(address);
    uint64_t start = address & ~(mm::k_page_size - 1);
    uint64_t end;
    if (__builtin_add_overflow(address, length, &end) || end + (mm::k_page_size - 1) < end)
        return Error::Invalid;
    end = (end + mm::k_page_size - 1) & ~(mm::k_page_size - 1);
    if (end == start)
        return {};
    auto& space = *current().space;
    if (locked && !may_lock_beyond_limit()) {
        uint64_t limit = memlock_limit();
        if (limit == 0)
            return Error::NotPermitted;
        uint64_t wanted = space.locked_bytes() + (end - start) - space.locked_bytes(start, end);
        if (limit != abi::k_rlim_infinity && wanted > limit)
            return Error::NoMemory;
    }
    TRY(space.set_locked(start, end, locked, on_fault));
    if (locked && !on_fault) {
        if (auto made = space.populate(start, end); made.is_error())
            return lock_error(made.error());
    }
    return {};
}

}  // namespace

int64_t sys_mlock(const SyscallArgs& args) {
    if (!may_lock_beyond_limit() && memlock_limit() == 0)
        return error_result(Error::NotPermitted);
    return to_result(set_range_locked(args.a[0], args.a[1], true, false));
}

int64_t sys_mlock2(const SyscallArgs& args) {
    uint64_t flags = args.a[2];
    if (flags & ~uint64_t { k_mlock_onfault })
        return error_result(Error::Invalid);
    if (!may_lock_beyond_limit() && memlock_limit() == 0)
        return error_result(Error::NotPermitted);
    return to_result(set_range_locked(args.a[0], args.a[1], true, flags & k_mlock_onfault));
}

int64_t sys_munlock(const SyscallArgs& args) { return to_result(set_range_locked(args.a[0], args.a[1], false, false)); }

int64_t sys_mlockall(const SyscallArgs& args) {
    uint64_t flags = args.a[0];
    if (!flags || (flags & ~uint64_t { k_mcl_current | k_mcl_future | k_mcl_onfault }) || flags == k_mcl_onfault)
        return error_result(Error::Invalid);
    if (!may_lock_beyond_limit() && memlock_limit() == 0)
        return error_result(Error::NotPermitted);
    auto& space = *current().space;
    uint64_t limit = memlock_limit();
    if ((flags & k_mcl_current) && !may_lock_beyond_limit() && limit != abi::k_rlim_infinity &&
        space.mapped_bytes() > limit)
        return error_result(Error::NoMemory);
    space.lock_all(flags & k_mcl_current, flags & k_mcl_future, flags & k_mcl_onfault);
    // What cannot be made is left for later, as Linux's mm_populate here.
    if ((flags & k_mcl_current) && !(flags & k_mcl_onfault))
        (void)space.populate(0, mm::k_user_space_end, true);
    return 0;
}

int64_t sys_munlockall(const SyscallArgs&) {
    current().space->unlock_all();
    return 0;
}

// mincore(addr, length, vec): one byte per page, 1 if it is in memory
// (AddressSpace::residency), in Linux's order of checks: EINVAL for an
// unaligned address, ENOMEM for a range outside the user half, EFAULT for
// a vector that is not, ENOMEM at the first page mapped by nothing (the
// bytes before it written).
int64_t sys_mincore(const SyscallArgs& args) {
    uint64_t start = args.a[0];
    uint64_t length = args.a[1];
    if (start & (mm::k_page_size - 1))
        return error_result(Error::Invalid);
    if (!mm::is_user_range(start, length))
        return error_result(Error::NoMemory);
    uint64_t pages = length / mm::k_page_size + (length % mm::k_page_size != 0);
    if (pages == 0)
        return 0;
    if (!mm::is_user_range(mm::untag_user_address(args.a[2]), pages))
        return error_result(Error::Fault);
    uint8_t chunk[256];
    for (uint64_t done = 0; done < pages;) {
        size_t count = pages - done < sizeof chunk ? pages - done : sizeof chunk;
        if (auto result = current().space->residency(start + done * mm::k_page_size, { chunk, count });
            result.is_error())
            return error_result(result.error());
        if (mm::copy_to_user(args.ptr<void>(2).cast<uint8_t>().offset(done).cast<void>(), chunk, count).is_error())
            return error_result(Error::Fault);
        done += count;
    }
    return 0;
}

int64_t sys_munmap(const SyscallArgs& args) { return to_result(current().space->unmap(args.a[0], args.a[1])); }

int64_t sys_mprotect(const SyscallArgs& args) {
    return to_result(current().space->protect(args.a[0], args.a[1], static_cast<uint32_t>(args.a[2])));
}

// msync: a shared file mapping maps the file's own pages (the page cache),
// and tmpfs keeps no other copy, so after Linux's argument checks there is
// nothing to write back. (A disk file system will write dirty pages here.)
int64_t sys_msync(const SyscallArgs& args) {
    uint64_t start = args.a[0];
    uint64_t length = args.a[1];
    uint32_t flags = static_cast<uint32_t>(args.a[2]);
    if ((flags & ~(abi::k_ms_async | abi::k_ms_invalidate | abi::k_ms_sync)) || (start & (mm::k_page_size - 1)) ||
        ((flags & abi::k_ms_async) && (flags & abi::k_ms_sync)))
        return error_result(Error::Invalid);
    if (length == 0)
        return 0;
    return to_result(current().space->check_mapped(start, length));
}

int64_t sys_madvise(const SyscallArgs& args) {
    uint64_t start = args.a[0];
    uint64_t length = args.a[1];
    if (start & (mm::k_page_size - 1))
        return error_result(Error::Invalid);
    switch (static_cast<int>(args.a[2])) {
    case abi::k_madv_dontneed:
    case abi::k_madv_free:  // may free: dropping now is allowed
        if (length == 0)
            return 0;
        return to_result(current().space->discard(start, length));
    case abi::k_madv_normal:
    case abi::k_madv_random:
    case abi::k_madv_sequential:
    case abi::k_madv_willneed:
    case abi::k_madv_hugepage:
    case abi::k_madv_nohugepage:
    case abi::k_madv_dontdump:
    case abi::k_madv_dodump:
        return 0;  // hints about paging policy that Akuma has no use for
    default: return error_result(Error::Invalid);
    }
}

}  // namespace akuma::sys
