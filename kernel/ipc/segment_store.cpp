#include "kernel/ipc/segment_store.h"

#include "kernel/fs/ramfs.h"
#include "kernel/fs/vfs.h"
#include "kernel/fs/vfs_lock.h"
#include "kernel/lib/format.h"
#include "kernel/mm/pmm.h"

namespace akuma::ipc {

namespace {

// Made at boot, kept for ever.
constinit fs::Ramfs* g_store = nullptr;
constinit uint64_t g_next_name = 0;  // under the VFS lock

}  // namespace

ErrorOr<void> segment_store_init(fs::FileSystem::MappingObserver observer) {
    // Half of RAM at most, as /dev/shm and memfds: a fault past it is
    // SIGBUS rather than the kernel running out of pages.
    auto store = TRY(fs::Ramfs::create(mm::pmm_stats().total_pages * mm::k_page_size / 2));
    store->set_clock(fs::current_time);
    store->set_mapping_observer(observer);
    __atomic_store_n(&g_store, store.release(), __ATOMIC_RELEASE);
    return {};
}

ErrorOr<fs::InodeRef> make_segment_file(uint64_t size) {
    fs::VfsLockGuard guard;
    if (!g_store)
        return Error::NoMemory;  // segment_store_init failed at boot
    fs::Ramfs& store = *g_store;
    char name[24];
    BufferSink sink(name, sizeof(name));
    format_to(sink, "{}", g_next_name++);
    auto inode = TRY(store.create_file(store.root(), sink.view(), 0600, 0, 0));
    TRY(store.unlink(store.root(), sink.view()));  // only mappings reach it
    TRY(store.truncate(inode, size));
    return inode;
}

bool is_segment_file(const fs::Inode& inode) {
    fs::Ramfs* store = __atomic_load_n(&g_store, __ATOMIC_ACQUIRE);
    return store && &inode.file_system() == store;
}

uint64_t segment_resident_pages(const fs::Inode& inode) {
    // A racy read of a counter, for statistics only (SHM_INFO, /proc).
    return static_cast<const fs::RamfsInode&>(inode).page_count();
}

}  // namespace akuma::ipc
