// System V shared memory (shmget, shmat, shmdt, shmctl) with Linux 6.1's
// semantics. A segment's memory is an unlinked file of a kernel-internal
// tmpfs: shmat maps it MAP_SHARED, so every attacher maps the same
// page-cache pages, fork keeps the attachments, exit and execve drop them,
// and /proc/PID/maps names it "/SYSV<key> (deleted)" as Linux. IPC_RMID
// makes the key private and marks the segment SHM_DEST; it goes with its
// last attachment.
//
// Attachments: the tmpfs tells this module when an address space starts or
// stops mapping a segment (FileSystem::MappingObserver), which decides when
// a removed segment dies; shm_nattch counts the mappings in every address
// space, as Linux counts VMAs.
//
// Locking: one mutex for the table and the segments (shared_memory.cpp).
// It is taken inside an address space's mutex (the observer), so it is
// never held while mapping, unmapping or looking at address spaces, nor
// with the VFS lock.
#pragma once

#include <cstdint>

#include "kernel/lib/error_or.h"

namespace akuma::procfs {
class TextBuffer;
}

namespace akuma::ipc {

// At boot, after the VFS: the store segments keep their bytes in.
ErrorOr<void> shm_init();
ErrorOr<int32_t> shm_get(int32_t key, uint64_t size, uint32_t flags);
// The address it attached at.
ErrorOr<uint64_t> shm_attach(int32_t id, uint64_t address, uint32_t flags);
ErrorOr<void> shm_detach(uint64_t address);
ErrorOr<int64_t> shm_control(int32_t id, int command, uint64_t buffer);

ErrorOr<void> write_proc_sysvipc_shm(procfs::TextBuffer& out);

}  // namespace akuma::ipc
