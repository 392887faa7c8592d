// The text of /proc/<pid>/... files, generated when one is opened, and the
// facts the procfs FileSystem needs to build the directories (which PIDs
// exist, exe, cwd, fd/). `pid` names a thread-group leader; NotFound (the
// caller maps it to ENOENT/ESRCH) once the process is gone (reaped).
// Zombies still exist: stat, status and comm work, the files about memory
// are empty (as Linux's), exe and cwd are NotFound.
//
// Locking (kernel/proc/process_inspection.h): every generator holds the
// process resources lock for its whole run, which keeps the record, its
// address space and descriptor table alive; it copies the fields the
// scheduler lock protects under that lock, briefly, and formats, allocates
// and reads the target's memory only after letting it go. Memory is read
// through the target's page tables under its address space's mutex (see
// AddressSpace::read_present): never through the current TTBR0, never
// faulting pages in, so a target that exits or unmaps meanwhile cannot
// crash the reader.
#pragma once

#include <cstddef>
#include <span>

#include "kernel/fs/procfs/text_buffer.h"
#include "kernel/fs/file.h"
#include "kernel/fs/inode.h"
#include "kernel/lib/error_or.h"
#include "kernel/lib/vector.h"
#include "kernel/mm/kmalloc.h"

namespace akuma::procfs {

ErrorOr<void> write_process_stat(TextBuffer& out, int pid);
ErrorOr<void> write_process_statm(TextBuffer& out, int pid);
ErrorOr<void> write_process_status(TextBuffer& out, int pid);
ErrorOr<void> write_process_cmdline(TextBuffer& out, int pid);
ErrorOr<void> write_process_environ(TextBuffer& out, int pid);
ErrorOr<void> write_process_comm(TextBuffer& out, int pid);
ErrorOr<void> write_process_maps(TextBuffer& out, int pid);

// Thread-group leaders (zombies included), ascending. NoMemory.
ErrorOr<void> list_process_ids(Vector<int, mm::HeapAllocator>& pids);
bool process_exists(int pid);
// readlink of /proc/<pid>/exe: the absolute path the program was started
// from, truncated to `buffer` (no NUL); returns its length. NotFound for
// a zombie or a process that is gone.
ErrorOr<size_t> process_exe_path(int pid, std::span<char> buffer);
// /proc/<pid>/cwd. NotFound for a zombie or a process that is gone.
ErrorOr<fs::InodeRef> process_cwd(int pid);
// /proc/<pid>/fd/: the open descriptor numbers, ascending. NotFound as
// above, NoMemory.
ErrorOr<void> process_open_fds(int pid, Vector<int, mm::HeapAllocator>& fds);
// A new reference to the description behind descriptor `fd` of `pid`
// (fs::release it). NotFound as above, or if `fd` is not open.
ErrorOr<fs::File*> process_open_file(int pid, int fd);

}  // namespace akuma::procfs
