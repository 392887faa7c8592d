// SharedMemory: the pages of one MAP_SHARED|MAP_ANONYMOUS mapping, shared by
// every address space forked from the one that made it (Linux backs such a
// mapping with a shmem file for the same reason). A page exists from the
// first touch on, in any of the spaces: each fault asks the object for the
// page at its offset, so a page first touched after a fork is still one
// page. The object holds one share of each page it made (page_sharing.h);
// each space that maps it takes its own.
//
// Lock order: an address space's mutex before the object's (a fault or a
// futex key holds the space's, then asks the object for a page); the object
// never takes a space's lock.
//
// The page table is two levels, allocated as pages are touched, so a large
// mapping costs no large allocation up front: a directory of pointers to
// leaves of 512 frame addresses (2 MiB of mapping each).
#pragma once

#include <atomic>
#include <cstdint>

#include "kernel/lib/error_or.h"
#include "kernel/mm/page_table.h"
#include "kernel/sched/mutex.h"

namespace akuma::mm {

class SharedMemory {
public:
    // An object of `page_count` pages, none allocated; one reference.
    static ErrorOr<SharedMemory*> create(uint64_t page_count);

    void retain();
    // Drops a reference; the last one drops the object's share of every page.
    void release();

    // The frame of page `index` (< page_count), allocated and zeroed on first
    // use. The caller maps it and takes its own share first (add_sharer),
    // under the lock this takes, by passing `map` (called with the frame,
    // returning ErrorOr<void>): so the object cannot drop the page between.
    template <typename Map>
    ErrorOr<void> with_page(uint64_t index, Map&& map) {
        sched::MutexGuard guard(m_lock);
        PhysAddr frame = TRY(page_locked(index));
        return map(frame);
    }

    uint64_t page_count() const { return m_page_count; }

private:
    static constexpr uint64_t k_leaf_entries = k_page_size / sizeof(PhysAddr);

    SharedMemory(uint64_t page_count, PhysAddr** directory, uint64_t directory_entries)
        : m_page_count(page_count), m_directory(directory), m_directory_entries(directory_entries) {}
    ~SharedMemory();
    ErrorOr<PhysAddr> page_locked(uint64_t index);

    sched::Mutex m_lock;  // the page table
    std::atomic<uint64_t> m_references { 1 };
    uint64_t m_page_count;
    PhysAddr** m_directory;  // m_directory_entries leaves (nullptr: none of its pages touched)
    uint64_t m_directory_entries;
};

}  // namespace akuma::mm
