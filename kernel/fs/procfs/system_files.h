// The text of /proc's system-wide files, generated when one is opened
// (the procfs FileSystem calls these). Formats follow Linux 6.1; see
// proc_format.h. Each appends to `out` and returns NoMemory if the buffer
// could not hold it.
//
// Locking: each takes only short-lived locks to copy figures (the
// scheduler lock for scheduler and process counts, the PMM's and heap's own
// locks for their statistics) and formats after letting them go.
#pragma once

#include "kernel/fs/procfs/text_buffer.h"
#include "kernel/lib/error_or.h"

namespace akuma::procfs {

ErrorOr<void> write_meminfo(TextBuffer& out);
ErrorOr<void> write_cpuinfo(TextBuffer& out);
ErrorOr<void> write_uptime(TextBuffer& out);
ErrorOr<void> write_loadavg(TextBuffer& out);
ErrorOr<void> write_stat(TextBuffer& out);
ErrorOr<void> write_version(TextBuffer& out);
// /proc/sys/kernel/...
ErrorOr<void> write_hostname(TextBuffer& out);
ErrorOr<void> write_osrelease(TextBuffer& out);
ErrorOr<void> write_pid_max(TextBuffer& out);
ErrorOr<void> write_net_pnp(TextBuffer& out);
ErrorOr<void> write_net_dev(TextBuffer& out);
ErrorOr<void> write_boot_id(TextBuffer& out);  // random/boot_id: one UUID per boot
ErrorOr<void> write_uuid(TextBuffer& out);     // random/uuid: a new one each time

}  // namespace akuma::procfs
