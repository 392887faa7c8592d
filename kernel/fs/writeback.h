// The write-back thread: file systems with a write-back cache (ext2) hold
// file data and metadata the disk has not got. They call write_back_soon()
// when that starts; k_write_back_delay later the thread syncs every file
// system that says it needs it (FileSystem::needs_write_back), as Linux's
// flusher writes back dirty data after a few seconds. sync(2), fsync(2),
// memory pressure and power-off write back at once, without waiting for it.
#pragma once

#include <cstdint>

namespace akuma::fs {

constexpr uint64_t k_write_back_delay_ns = 5'000'000'000;

// Starts the thread (after vfs_init). Without it (host tests, a failed
// spawn) write_back_soon does nothing and only the other triggers write.
void writeback_init();
// Something is dirty: make sure the thread runs within the delay. Cheap
// when it is already due; may be called under the VFS lock, not from an
// interrupt handler.
void write_back_soon();

} // namespace akuma::fs
