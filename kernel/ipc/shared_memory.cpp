#include "kernel/ipc/shared_memory.h"

#include <new>

#include "kernel/fs/procfs/text_buffer.h"
#include "kernel/ipc/ipc_ids.h"
#include "kernel/mm/user_access.h"
#include "kernel/ipc/segment_store.h"
#include "kernel/lib/format.h"
#include "kernel/proc/address_space.h"
#include "kernel/proc/process.h"
#include "kernel/proc/process_credentials.h"
#include "kernel/proc/process_inspection.h"
#include "kernel/sched/scheduler.h"

namespace akuma::ipc {

namespace {

struct Segment : IpcObject {
    uint64_t size { 0 };       // shm_segsz, as asked
    int32_t name_key { 0 };    // the key at creation: the file's name (/SYSV<key>)
    fs::InodeRef file;
    int64_t attach_time { 0 }, detach_time { 0 };
    int32_t creator_pid { 0 }, last_pid { 0 };
    uint32_t spaces { 0 };     // address spaces that map it (the observer)
    uint32_t attaching { 0 };  // shmat calls between look-up and mapping
    uint64_t pages() const { return (size + mm::k_page_size - 1) / mm::k_page_size; }
};

constinit sched::Mutex g_lock;
constinit uint64_t g_total_pages = 0;  // shm_tot, bounded by SHMALL

constinit IpcIdsSlot g_ids;  // under g_lock
IpcIds& ids() { return g_ids.get(); }

Segment* segment_of(IpcObject* object) { return static_cast<Segment*>(object); }

Segment* segment_with_file(const fs::Inode& inode) {
    Segment* found = nullptr;
    ids().for_each([&](IpcObject& object) {
        if (segment_of(&object)->file.get() == &inode)
            found = segment_of(&object);
    });
    return found;
}

// Linux's shm_destroy: out of the table; the file goes with its last
// reference (the mappings' pins hold theirs).
void destroy_segment(Segment* segment) {
    ids().remove(*segment);
    g_total_pages -= segment->pages();
    segment->~Segment();
    mm::kfree(segment);
}

void destroy_if_unused(Segment* segment) {
    if ((segment->mode & k_shm_dest) && segment->spaces == 0 && segment->attaching == 0)
        destroy_segment(segment);
}

int32_t current_pid() {
    proc::Process* process = proc::current_process();
    return process ? process->pid : 0;
}

// The tmpfs's report: an address space started or stopped mapping a
// segment (called with that space's mutex held).
void segment_mapped(fs::Inode& inode, bool mapped) {
    sched::MutexGuard guard(g_lock);
    Segment* segment = segment_with_file(inode);
    if (!segment)
        return;
    if (int32_t pid = current_pid())
        segment->last_pid = pid;
    if (mapped) {
        ++segment->spaces;
        segment->attach_time = now_seconds();
        return;
    }
    --segment->spaces;
    segment->detach_time = now_seconds();
    destroy_if_unused(segment);
}

// shm_nattch for each of `files`: the mappings of it in every address
// space, as Linux counts its VMAs. Takes the process resources lock and
// each space's mutex, so no IPC lock may be held.
void count_attachments(const fs::Inode* const* files, uint64_t* counts, size_t n) {
    for (size_t i = 0; i < n; ++i)
        counts[i] = 0;
    proc::ProcessResourcesGuard resources;  // keeps every space alive
    Vector<proc::AddressSpace*, mm::HeapAllocator> spaces;
    for (;;) {
        size_t live;
        {
            sched::SchedulerLockGuard guard;
            live = proc::all_processes_locked().size();
        }
        if (spaces.try_reserve(live + 8).is_error())
            return;  // no memory: report none rather than fail the call
        sched::SchedulerLockGuard guard;  // nothing is allocated under it
        if (proc::all_processes_locked().size() > spaces.capacity())
            continue;
        spaces.clear();
        proc::all_processes_locked().for_each([&](proc::Process& process) {
            if (process.space && !process.space_borrowed)
                (void)spaces.try_append(process.space);  // reserved
        });
        break;
    }
    for (proc::AddressSpace* space : spaces) {
        space->for_each_vma([&](const mm::Vma& vma) {
            if (vma.kind != mm::VmaKind::File)
                return;
            for (size_t i = 0; i < n; ++i)
                counts[i] += vma.file == files[i];
        });
    }
}

uint64_t count_attachments_of(const fs::Inode* file) {
    uint64_t count;
    count_attachments(&file, &count, 1);
    return count;
}

Shmid64Ds stat_of(const Segment& segment, uint64_t attachments) {
    Shmid64Ds out {};
    out.shm_perm = perm_of(segment);
    out.shm_segsz = segment.size;
    out.shm_atime = segment.attach_time;
    out.shm_dtime = segment.detach_time;
    out.shm_ctime = segment.ctime;
    out.shm_cpid = segment.creator_pid;
    out.shm_lpid = segment.last_pid;
    out.shm_nattch = attachments;
    return out;
}

}  // namespace

ErrorOr<void> shm_init() { return segment_store_init(segment_mapped); }

ErrorOr<int32_t> shm_get(int32_t key, uint64_t size, uint32_t flags) {
    auto credentials = proc::current_credentials();
    fs::InodeRef made;  // a new segment's file, made without the lock
    for (;;) {
        {
            sched::MutexGuard guard(g_lock);
            IpcObject* found;
            auto check = [size](IpcObject& object) -> ErrorOr<void> {
                if (segment_of(&object)->size < size)
                    return Error::Invalid;
                return {};
            };
            auto outcome = TRY(look_up_key(ids(), key, flags, credentials, check, &found));
            if (outcome == GetOutcome::Found)
                return found->id();
            if (size < k_shmmin || size > k_shmmax)
                return Error::Invalid;
            // No huge pages are reserved (Linux's default): its hugetlbfs
            // would fail the same way.
            if (flags & k_shm_hugetlb)
                return Error::NoMemory;
            uint64_t pages = (size + mm::k_page_size - 1) / mm::k_page_size;
            if (g_total_pages + pages < g_total_pages || g_total_pages + pages > k_shmall)
                return Error::NoSpace;
            if (ids().count() >= k_shmmni)
                return Error::NoSpace;
            if (made) {
                auto* segment = static_cast<Segment*>(mm::kmalloc(sizeof(Segment)));
                if (!segment)
                    return Error::NoMemory;
                new (segment) Segment();
                init_owner(*segment, key, flags, credentials);
                segment->size = size;
                segment->name_key = key;
                segment->file = std::move(made);
                segment->creator_pid = current_pid();
                if (auto added = ids().add(*segment, k_shmmni); added.is_error()) {
                    segment->~Segment();
                    mm::kfree(segment);
                    return added.error();
                }
                g_total_pages += pages;
                return segment->id();
            }
        }
        // Someone may make the same key meanwhile: the look-up runs again.
        made = TRY(make_segment_file(size));
    }
}

ErrorOr<uint64_t> shm_attach(int32_t id, uint64_t address, uint32_t flags) {
    if (id < 0)
        return Error::Invalid;
    if (address) {
        if (address & (k_shmlba - 1)) {
            if (!(flags & k_shm_rnd))
                return Error::Invalid;
            address &= ~(k_shmlba - 1);
            if (!address && (flags & k_shm_remap))
                return Error::Invalid;
        }
    } else if (flags & k_shm_remap) {
        return Error::Invalid;
    }
    uint32_t prot = mm::k_prot_read;
    uint32_t access = k_access_read;
    if (!(flags & k_shm_rdonly)) {
        prot |= mm::k_prot_write;
        access |= k_access_write;
    }
    if (flags & k_shm_exec) {
        prot |= mm::k_prot_exec;
        access |= 0111;
    }
    auto credentials = proc::current_credentials();
    fs::InodeRef file;
    uint64_t size;
    int32_t name_key;
    {
        sched::MutexGuard guard(g_lock);
        auto* segment = segment_of(ids().find_id(id));
        if (!segment)
            return Error::Invalid;
        if (!permitted(*segment, credentials, access))
            return Error::AccessDenied;
        ++segment->attaching;  // keeps a removed segment alive meanwhile
        file = segment->file;
        size = segment->size;
        name_key = segment->name_key;
    }
    char name[32];
    BufferSink sink(name, sizeof(name));
    format_to(sink, "/SYSV{:08x} (deleted)", static_cast<uint32_t>(name_key));
    proc::MapRequest request {};
    request.address = address;
    request.length = (size + mm::k_page_size - 1) & ~(mm::k_page_size - 1);
    request.prot = prot;
    // An address without SHM_REMAP may not cover another mapping (EINVAL).
    request.placement = !address                 ? proc::MapPlacement::Anywhere
                        : (flags & k_shm_remap) ? proc::MapPlacement::Fixed
                                                : proc::MapPlacement::FixedNoReplace;
    request.kind = mm::VmaKind::File;
    request.file = file.get();
    request.file_offset = 0;
    request.file_bytes = size;
    request.shared = true;
    request.max_prot = mm::k_prot_read | mm::k_prot_exec | ((flags & k_shm_rdonly) ? 0 : mm::k_prot_write);
    request.file_name = sink.view();
    auto mapped = proc::current_process()->space->map(request);

    sched::MutexGuard guard(g_lock);
    if (Segment* segment = segment_with_file(*file)) {
        --segment->attaching;
        if (!mapped.is_error()) {
            segment->attach_time = now_seconds();
            segment->last_pid = current_pid();
        }
        destroy_if_unused(segment);
    }
    if (mapped.is_error())
        return mapped.error() == Error::Exists ? Error::Invalid : mapped.error();
    return mapped.value();
}

ErrorOr<void> shm_detach(uint64_t address) {
    if (address & (mm::k_page_size - 1))
        return Error::Invalid;
    // As Linux's shmdt: the mappings of the segment attached at `address`
    // (each maps offset (start - address) of it), up to the segment's size.
    proc::AddressSpace* space = proc::current_process()->space;
    struct Piece {
        uint64_t start, end;
    };
    Piece pieces[8];
    size_t count = 0;
    const void* file = nullptr;
    uint64_t end = 0;
    space->for_each_vma([&](const mm::Vma& vma) {
        if (vma.start < address || vma.kind != mm::VmaKind::File || !vma.shared)
            return;
        if (vma.start - vma.file_offset != address)
            return;
        if (!file) {
            auto* inode = static_cast<const fs::Inode*>(vma.file);
            if (!is_segment_file(*inode))
                return;
            file = vma.file;
            end = address + ((inode->size() + mm::k_page_size - 1) & ~(mm::k_page_size - 1));
        }
        if (vma.file == file && vma.start < end && count < sizeof(pieces) / sizeof(pieces[0]))
            pieces[count++] = { vma.start, vma.end < end ? vma.end : end };
    });
    if (!count)
        return Error::Invalid;
    for (size_t i = 0; i < count; ++i)
        TRY(space->unmap(pieces[i].start, pieces[i].end - pieces[i].start));
    sched::MutexGuard guard(g_lock);
    if (Segment* segment = segment_with_file(*static_cast<const fs::Inode*>(file))) {
        segment->detach_time = now_seconds();
        segment->last_pid = current_pid();
    }
    return {};
}

ErrorOr<int64_t> shm_control(int32_t id, int command, uint64_t buffer) {
    if (id < 0)
        return Error::Invalid;
    auto credentials = proc::current_credentials();
    switch (command) {
    case k_ipc_info: {
        ShmInfo64 info {};
        info.shmmax = k_shmmax;
        info.shmmin = k_shmmin;
        info.shmmni = k_shmmni;
        info.shmseg = k_shmmni;
        info.shmall = k_shmall;
        int32_t highest;
        {
            sched::MutexGuard guard(g_lock);
            highest = ids().max_index();
        }
        TRY(mm::write_user(mm::UserPtr<ShmInfo64>(buffer), info));
        return highest < 0 ? 0 : highest;
    }
    case k_shm_info: {
        ShmInfo info {};
        int32_t highest;
        {
            sched::MutexGuard guard(g_lock);
            info.used_ids = static_cast<int32_t>(ids().count());
            info.shm_tot = g_total_pages;
            ids().for_each([&](IpcObject& object) { info.shm_rss += segment_resident_pages(*segment_of(&object)->file); });
            highest = ids().max_index();
        }
        TRY(mm::write_user(mm::UserPtr<ShmInfo>(buffer), info));
        return highest < 0 ? 0 : highest;
    }
    case k_ipc_stat:
    case k_shm_stat:
    case k_shm_stat_any: {
        fs::InodeRef file;
        {
            sched::MutexGuard guard(g_lock);
            IpcObject* object =
                TRY(find_for_stat(ids(), command == k_ipc_stat, id, credentials, command == k_shm_stat_any));
            file = segment_of(object)->file;
        }
        uint64_t attachments = count_attachments_of(file.get());
        Shmid64Ds out;
        int64_t result;
        {
            sched::MutexGuard guard(g_lock);
            Segment* segment = segment_with_file(*file);
            if (!segment)
                return Error::IdentifierRemoved;  // destroyed meanwhile
            out = stat_of(*segment, attachments);
            result = command == k_ipc_stat ? 0 : segment->id();
        }
        TRY(mm::write_user(mm::UserPtr<Shmid64Ds>(buffer), out));
        return result;
    }
    case k_ipc_set: {
        auto wanted = TRY(mm::read_user(mm::UserPtr<const Shmid64Ds>(buffer)));
        sched::MutexGuard guard(g_lock);
        TRY(set_owner(*TRY(find_for_control(ids(), id, credentials)), wanted.shm_perm));
        return 0;
    }
    case k_ipc_rmid: {
        sched::MutexGuard guard(g_lock);
        auto* segment = segment_of(TRY(find_for_control(ids(), id, credentials)));
        // Linux's do_shm_rmid: the key is free for a new segment now; the
        // ID keeps working (IPC_STAT, even shmat) until the last detach.
        segment->mode |= k_shm_dest;
        segment->key = k_ipc_private;
        destroy_if_unused(segment);
        return 0;
    }
    case k_shm_lock:
    case k_shm_unlock: {
        sched::MutexGuard guard(g_lock);
        auto* segment = segment_of(ids().find_id(id));
        if (!segment)
            return Error::Invalid;
        // Linux: CAP_IPC_LOCK, or the owner (within RLIMIT_MEMLOCK, which
        // Akuma does not account). Akuma never pages memory out, so the
        // pages are as locked as Linux makes them either way.
        if (!credentials.capable(proc::Capability::IpcLock) && credentials.euid != segment->uid &&
            credentials.euid != segment->cuid)
            return Error::NotPermitted;
        if (command == k_shm_lock)
            segment->mode |= k_shm_locked;
        else
            segment->mode &= ~k_shm_locked;
        return 0;
    }
    default: return Error::Invalid;
    }
}

ErrorOr<void> write_proc_sysvipc_shm(procfs::TextBuffer& out) {
    out.append("       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap\n");
    struct Row {
        Shmid64Ds stat;
        int32_t id;
        uint64_t rss_pages;
        fs::InodeRef file;
    };
    Vector<Row, mm::HeapAllocator> rows;
    {
        sched::MutexGuard guard(g_lock);
        TRY(rows.try_reserve(ids().count()));
        ids().for_each([&](IpcObject& object) {
            Segment& segment = *segment_of(&object);
            (void)rows.try_append(Row { stat_of(segment, 0), segment.id(), segment_resident_pages(*segment.file),
                                        segment.file });
        });
    }
    Vector<const fs::Inode*, mm::HeapAllocator> files;
    Vector<uint64_t, mm::HeapAllocator> counts;
    TRY(files.try_reserve(rows.size()));
    TRY(counts.try_resize(rows.size()));
    for (auto& row : rows)
        (void)files.try_append(row.file.get());
    count_attachments(files.data(), counts.data(), rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
        const Shmid64Ds& s = rows[i].stat;
        out.format("{:10} {:10}  {:4o} {:21} {:5} {:5}  {:5} {:5} {:5} {:5} {:5} {:10} {:10} {:10} {:21} {:21}\n",
                   s.shm_perm.key, rows[i].id, s.shm_perm.mode, s.shm_segsz, s.shm_cpid, s.shm_lpid, counts[i],
                   s.shm_perm.uid, s.shm_perm.gid, s.shm_perm.cuid, s.shm_perm.cgid, s.shm_atime, s.shm_dtime,
                   s.shm_ctime, rows[i].rss_pages * mm::k_page_size, 0);
    }
    return out.status();
}

}  // namespace akuma::ipc
