// The text formats of /proc files, from plain numbers: Linux 6.1's layouts
// (fs/proc/meminfo.c, array.c, task_mmu.c, stat.c, loadavg.c, uptime.c,
// arch/arm64/kernel/cpuinfo.c) so that busybox free, uptime, top and ps and
// procps parse them. No kernel state is read here, so every format is
// checked by host tests (tests/host/proc_format_test.cpp); the generators
// (system_files.cpp, process_files.cpp) gather the numbers.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "kernel/fs/procfs/text_buffer.h"
#include "kernel/proc/credentials.h"

namespace akuma::procfs {

constexpr uint64_t k_user_hz = 100;  // USER_HZ: the clock ticks of stat files

// Nanoseconds to USER_HZ clock ticks.
constexpr uint64_t ns_to_clock_ticks(uint64_t ns) { return ns / (1'000'000'000 / k_user_hz); }

// "123.45": seconds with two decimals (truncated, as Linux's uptime).
void format_seconds_centis(TextBuffer& out, uint64_t ns);

// --- /proc/meminfo -------------------------------------------------------
// In KiB. Everything Akuma has no such thing for stays 0.
struct MemInfo {
    uint64_t total, free, available, buffers, cached, swap_cached;
    uint64_t active, inactive, active_anon, inactive_anon, active_file, inactive_file;
    uint64_t unevictable, mlocked, swap_total, swap_free, dirty, writeback;
    uint64_t anon_pages, mapped, shmem, kreclaimable, slab, sreclaimable, sunreclaim;
    uint64_t kernel_stack, page_tables, commit_limit, committed_as;
    uint64_t vmalloc_total, vmalloc_used, percpu;
    uint64_t hugepage_size;
};
void format_meminfo(TextBuffer& out, const MemInfo& info);

// --- /proc/loadavg -------------------------------------------------------
// One LoadAverage figure (11-bit fixed point) as "%lu.%02lu" (LOAD_INT,
// LOAD_FRAC: the fraction rounded to hundredths first).
void format_load_figure(TextBuffer& out, uint64_t fixed);
// "0.00 0.00 0.00 running/total last_pid\n"
void format_loadavg(TextBuffer& out, const uint64_t (&figures)[3], uint64_t running, uint64_t total, int last_pid);

// --- uuid ----------------------------------------------------------------
// Makes 16 random bytes an RFC 4122 version 4 UUID (version and variant
// bits) and writes "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx\n".
void format_uuid_v4(TextBuffer& out, std::array<uint8_t, 16> random);

// --- /proc/cpuinfo (arm64) -----------------------------------------------
struct CpuDescription {
    unsigned index;
    uint64_t midr;           // MIDR_EL1
    uint64_t hwcap;          // AT_HWCAP bits: the Features line
    uint64_t timer_hz;       // CNTFRQ_EL0: BogoMIPS on arm64 comes from it
};
void format_cpuinfo_entry(TextBuffer& out, const CpuDescription& cpu);

// --- /proc/stat ----------------------------------------------------------
struct SystemStat {
    // Clock ticks; as Linux: user nice system idle iowait irq softirq steal
    // guest guest_nice.
    uint64_t user, system, idle;
    unsigned cpus;
    uint64_t interrupts;
    uint64_t context_switches;
    uint64_t boot_time_seconds;
    uint64_t processes;  // forks since boot
    uint64_t running, blocked;
};
void format_stat(TextBuffer& out, const SystemStat& stat);

// --- /proc/<pid>/stat, statm, status -------------------------------------
struct ProcessFigures {
    int pid;
    std::string_view comm;  // at most 15 bytes
    char state;             // R S T Z
    int ppid, pgrp, session;
    int tty_nr;             // encoded dev_t (makedev(5,1) = 0x501), 0 if none
    int tpgid;              // foreground group of its terminal, -1 if none
    uint64_t utime, stime, cutime, cstime;  // clock ticks
    uint64_t num_threads;
    uint64_t start_time;  // clock ticks after boot
    uint64_t vsize;       // bytes
    uint64_t locked;      // bytes of mlocked VMAs (VmLck)
    uint64_t rss_pages;
    uint64_t peak_rss_pages;
    uint64_t start_code, end_code, start_stack;
    uint64_t start_data, end_data, start_brk;
    uint64_t arg_start, arg_end, env_start, env_end;
    uint64_t pending_thread, pending_shared, blocked, ignored, caught;  // bit n-1: signal n
    int exit_signal;
    int exit_code;  // wait status of a zombie, else 0
    uint32_t umask;
    proc::Credentials credentials;  // ids, groups, capability sets
    bool no_new_privs;
    unsigned fd_slots;  // FDSize
    // status' Vm lines in KiB, and whether there is memory at all (a
    // zombie has none: Linux leaves the Vm lines out then).
    bool has_memory;
    uint64_t data_kb, stack_kb, exe_kb;
    uint64_t voluntary_switches, involuntary_switches;
    // The leader thread's scheduling attributes (proc::SchedAttributes):
    // stat's nice, rt_priority and policy, and its priority (Linux's
    // task_prio: 20 + nice, or -1 - rt_priority under SCHED_FIFO/RR).
    int nice;
    unsigned policy, rt_priority;
};
// The 52 fields of Linux's do_task_stat, one line.
void format_process_stat(TextBuffer& out, const ProcessFigures& process);
// size resident shared text lib data dt, in pages.
void format_process_statm(TextBuffer& out, const ProcessFigures& process, uint64_t text_pages, uint64_t data_pages);
void format_process_status(TextBuffer& out, const ProcessFigures& process);

// --- /proc/<pid>/maps ----------------------------------------------------
struct MapsLine {
    uint64_t start, end;
    uint32_t prot;  // PROT_* bits
    bool shared;
    uint64_t offset;
    unsigned dev_major, dev_minor;
    uint64_t inode;
    std::string_view name;  // path, [heap], [stack]..., or empty
};
void format_maps_line(TextBuffer& out, const MapsLine& line);

}  // namespace akuma::procfs
