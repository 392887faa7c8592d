#include "kernel/fs/procfs/proc_format.h"

namespace akuma::procfs {

namespace {

constexpr uint64_t k_ns_per_second = 1'000'000'000;

// One meminfo line: the label padded to 16 columns (Linux pads it inside
// the string literal), the value right-aligned in 8, then " kB".
void meminfo_line(TextBuffer& out, std::string_view label, uint64_t kb) {
    out.format("{:<16}{:>8} kB\n", label, kb);
}

// Linux's HugePages_* lines are counts, not sizes: "%5lu" after padding.
void hugepages_line(TextBuffer& out, std::string_view label, uint64_t count) {
    out.format("{:<19}{:>5}\n", label, count);
}

// Names of the AT_HWCAP bits, in bit order (Linux's hwcap_str order for
// the bits below 32, which is the order of the Features line).
constexpr const char* k_hwcap_names[] = {
    "fp",    "asimd",   "evtstrm", "aes",   "pmull",   "sha1",  "sha2",    "crc32",
    "atomics", "fphp", "asimdhp", "cpuid", "asimdrdm", "jscvt", "fcma",    "lrcpc",
    "dcpop", "sha3",    "sm3",     "sm4",   "asimddp", "sha512", "sve",    "asimdfhm",
    "dit",   "uscat",   "ilrcpc",  "flagm", "ssbs",    "sb",     "paca",   "pacg",
};

// Linux's do_task_stat prints these four masks of the first 31 signals only
// ("obsolete, use /proc/<pid>/status").
constexpr uint64_t k_stat_signal_mask = 0x7fffffff;

constexpr uint64_t k_rlim_infinity = ~0ull;

void status_kb(TextBuffer& out, std::string_view label, uint64_t kb) { out.format("{}:\t{:>8} kB\n", label, kb); }

const char* state_description(char state) {
    switch (state) {
    case 'R': return "R (running)";
    case 'S': return "S (sleeping)";
    case 'D': return "D (disk sleep)";
    case 'T': return "T (stopped)";
    case 'Z': return "Z (zombie)";
    default: return "S (sleeping)";
    }
}

// status' Name: Linux escapes backslashes and newlines (seq_escape with
// "\n\\" in proc_task_name) so a hostile comm cannot forge lines.
void escaped_name(TextBuffer& out, std::string_view name) {
    for (char c : name) {
        if (c == '\n')
            out.append("\\n");
        else if (c == '\\')
            out.append("\\\\");
        else
            out.append({ &c, 1 });
    }
}

}  // namespace

void format_seconds_centis(TextBuffer& out, uint64_t ns) {
    out.format("{}.{:02}", ns / k_ns_per_second, (ns % k_ns_per_second) / (k_ns_per_second / 100));
}

void format_meminfo(TextBuffer& out, const MemInfo& info) {
    meminfo_line(out, "MemTotal:", info.total);
    meminfo_line(out, "MemFree:", info.free);
    meminfo_line(out, "MemAvailable:", info.available);
    meminfo_line(out, "Buffers:", info.buffers);
    meminfo_line(out, "Cached:", info.cached);
    meminfo_line(out, "SwapCached:", info.swap_cached);
    meminfo_line(out, "Active:", info.active);
    meminfo_line(out, "Inactive:", info.inactive);
    meminfo_line(out, "Active(anon):", info.active_anon);
    meminfo_line(out, "Inactive(anon):", info.inactive_anon);
    meminfo_line(out, "Active(file):", info.active_file);
    meminfo_line(out, "Inactive(file):", info.inactive_file);
    meminfo_line(out, "Unevictable:", info.unevictable);
    meminfo_line(out, "Mlocked:", info.mlocked);
    meminfo_line(out, "SwapTotal:", info.swap_total);
    meminfo_line(out, "SwapFree:", info.swap_free);
    meminfo_line(out, "Zswap:", 0);
    meminfo_line(out, "Zswapped:", 0);
    meminfo_line(out, "Dirty:", info.dirty);
    meminfo_line(out, "Writeback:", info.writeback);
    meminfo_line(out, "AnonPages:", info.anon_pages);
    meminfo_line(out, "Mapped:", info.mapped);
    meminfo_line(out, "Shmem:", info.shmem);
    meminfo_line(out, "KReclaimable:", info.kreclaimable);
    meminfo_line(out, "Slab:", info.slab);
    meminfo_line(out, "SReclaimable:", info.sreclaimable);
    meminfo_line(out, "SUnreclaim:", info.sunreclaim);
    meminfo_line(out, "KernelStack:", info.kernel_stack);
    meminfo_line(out, "PageTables:", info.page_tables);
    meminfo_line(out, "SecPageTables:", 0);
    meminfo_line(out, "NFS_Unstable:", 0);
    meminfo_line(out, "Bounce:", 0);
    meminfo_line(out, "WritebackTmp:", 0);
    meminfo_line(out, "CommitLimit:", info.commit_limit);
    meminfo_line(out, "Committed_AS:", info.committed_as);
    meminfo_line(out, "VmallocTotal:", info.vmalloc_total);
    meminfo_line(out, "VmallocUsed:", info.vmalloc_used);
    meminfo_line(out, "VmallocChunk:", 0);
    meminfo_line(out, "Percpu:", info.percpu);
    out.format("HardwareCorrupted: {:>5} kB\n", 0);  // its own printf in Linux: wider label, %5lu
    meminfo_line(out, "AnonHugePages:", 0);
    meminfo_line(out, "ShmemHugePages:", 0);
    meminfo_line(out, "ShmemPmdMapped:", 0);
    meminfo_line(out, "FileHugePages:", 0);
    meminfo_line(out, "FilePmdMapped:", 0);
    hugepages_line(out, "HugePages_Total:", 0);
    hugepages_line(out, "HugePages_Free:", 0);
    hugepages_line(out, "HugePages_Rsvd:", 0);
    hugepages_line(out, "HugePages_Surp:", 0);
    meminfo_line(out, "Hugepagesize:", info.hugepage_size);
    meminfo_line(out, "Hugetlb:", 0);
}

void format_load_figure(TextBuffer& out, uint64_t fixed) {
    constexpr unsigned k_shift = 11;
    constexpr uint64_t k_one = 1ull << k_shift;
    fixed += k_one / 200;  // rounds to the hundredth shown (loadavg_proc_show)
    out.format("{}.{:02}", fixed >> k_shift, ((fixed & (k_one - 1)) * 100) >> k_shift);
}

void format_loadavg(TextBuffer& out, const uint64_t (&figures)[3], uint64_t running, uint64_t total, int last_pid) {
    for (uint64_t figure : figures) {
        format_load_figure(out, figure);
        out.append(" ");
    }
    out.format("{}/{} {}\n", running, total, last_pid);
}

void format_uuid_v4(TextBuffer& out, std::array<uint8_t, 16> bytes) {
    bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0f) | 0x40);  // version 4
    bytes[8] = static_cast<uint8_t>((bytes[8] & 0x3f) | 0x80);  // variant 10xx (RFC 4122)
    for (size_t i = 0; i < bytes.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out.append("-");
        out.format("{:02x}", bytes[i]);
    }
    out.append("\n");
}

void format_cpuinfo_entry(TextBuffer& out, const CpuDescription& cpu) {
    // arm64 derives loops_per_jiffy from the timer (lpj = rate / HZ), and
    // prints lpj / (500000 / HZ) . (lpj / (5000 / HZ)) % 100: with HZ = 100.
    uint64_t lpj = cpu.timer_hz / 100;
    out.format("processor\t: {}\n", cpu.index);
    out.format("BogoMIPS\t: {}.{:02}\n", lpj / 5000, (lpj / 50) % 100);
    out.append("Features\t:");
    for (unsigned bit = 0; bit < sizeof(k_hwcap_names) / sizeof(k_hwcap_names[0]); ++bit) {
        if (cpu.hwcap & (1ull << bit))
            out.format(" {}", k_hwcap_names[bit]);
    }
    out.append("\n");
    // MIDR_EL1: Implementer [31:24], Variant [23:20], Architecture [19:16],
    // PartNum [15:4], Revision [3:0] (ARM ARM D17.2.100). Linux prints the
    // architecture as 8 for every ARMv8+ CPU (0xf: "see the ID registers").
    out.format("CPU implementer\t: 0x{:02x}\n", (cpu.midr >> 24) & 0xff);
    out.append("CPU architecture: 8\n");
    out.format("CPU variant\t: 0x{:x}\n", (cpu.midr >> 20) & 0xf);
    out.format("CPU part\t: 0x{:03x}\n", (cpu.midr >> 4) & 0xfff);
    out.format("CPU revision\t: {}\n\n", cpu.midr & 0xf);
}

void format_stat(TextBuffer& out, const SystemStat& stat) {
    // user nice system idle iowait irq softirq steal guest guest_nice
    out.format("cpu  {} 0 {} {} 0 0 0 0 0 0\n", stat.user, stat.system, stat.idle);
    // One line per CPU online; Akuma runs on one, so it repeats the total.
    for (unsigned cpu = 0; cpu < stat.cpus; ++cpu)
        out.format("cpu{} {} 0 {} {} 0 0 0 0 0 0\n", cpu, stat.user / stat.cpus, stat.system / stat.cpus,
                   stat.idle / stat.cpus);
    out.format("intr {}\n", stat.interrupts);
    out.format("ctxt {}\n", stat.context_switches);
    out.format("btime {}\n", stat.boot_time_seconds);
    out.format("processes {}\n", stat.processes);
    out.format("procs_running {}\n", stat.running);
    out.format("procs_blocked {}\n", stat.blocked);
    out.append("softirq 0 0 0 0 0 0 0 0 0 0 0\n");
}

void format_process_stat(TextBuffer& out, const ProcessFigures& p) {
    // 1-9: pid (comm) state ppid pgrp session tty_nr tpgid flags
    out.format("{} ({}) {} {} {} {} {} {} 0", p.pid, p.comm, p.state, p.ppid, p.pgrp, p.session, p.tty_nr, p.tpgid);
    // 10-13: minflt cminflt majflt cmajflt; 14-17: utime stime cutime cstime
    out.format(" 0 0 0 0 {} {} {} {}", p.utime, p.stime, p.cutime, p.cstime);
    // 18-25: priority nice num_threads itrealvalue starttime vsize rss rsslim
    // (priority: Linux's prio - MAX_RT_PRIO, so -1 - rt_priority for
    // SCHED_FIFO (1) and SCHED_RR (2), 20 + nice for the others)
    bool real_time = p.policy == 1 || p.policy == 2;
    int priority = real_time ? -1 - static_cast<int>(p.rt_priority) : 20 + p.nice;
    out.format(" {} {} {} 0 {} {} {} {}", priority, p.nice, p.num_threads, p.start_time, p.vsize, p.rss_pages,
               k_rlim_infinity);
    // 26-30: startcode endcode startstack kstkesp kstkeip (the last two are
    // 0 as on Linux unless the task is dumping core)
    out.format(" {} {} {} 0 0", p.start_code, p.end_code, p.start_stack);
    // 31-34: signal blocked sigignore sigcatch
    out.format(" {} {} {} {}", p.pending_thread & k_stat_signal_mask, p.blocked & k_stat_signal_mask,
               p.ignored & k_stat_signal_mask, p.caught & k_stat_signal_mask);
    // 35-44: wchan nswap cnswap exit_signal processor rt_priority policy
    // delayacct_blkio_ticks guest_time cguest_time
    out.format(" 0 0 0 {} 0 {} {} 0 0 0", p.exit_signal, p.rt_priority, p.policy);
    // 45-52: start_data end_data start_brk arg_start arg_end env_start
    // env_end exit_code
    out.format(" {} {} {} {} {} {} {} {}\n", p.start_data, p.end_data, p.start_brk, p.arg_start, p.arg_end,
               p.env_start, p.env_end, p.exit_code);
}

void format_process_statm(TextBuffer& out, const ProcessFigures& p, uint64_t text_pages, uint64_t data_pages) {
    constexpr uint64_t k_page = 4096;
    // size resident shared text lib data dt (lib and dt are always 0 on Linux 2.6+)
    out.format("{} {} 0 {} 0 {} 0\n", p.vsize / k_page, p.rss_pages, text_pages, data_pages);
}

void format_process_status(TextBuffer& out, const ProcessFigures& p) {
    constexpr uint64_t k_page_kb = 4;
    out.append("Name:\t");
    escaped_name(out, p.comm);
    out.append("\n");
    out.format("Umask:\t{:04o}\n", p.umask);
    out.format("State:\t{}\n", state_description(p.state));
    out.format("Tgid:\t{}\nNgid:\t0\nPid:\t{}\nPPid:\t{}\nTracerPid:\t0\n", p.pid, p.pid, p.ppid);
    const proc::Credentials& c = p.credentials;
    out.format("Uid:\t{}\t{}\t{}\t{}\nGid:\t{}\t{}\t{}\t{}\n", c.uid, c.euid, c.suid, c.fsuid, c.gid, c.egid,
               c.sgid, c.fsgid);
    out.format("FDSize:\t{}\n", p.fd_slots);
    // Linux: the groups separated by spaces, then one more space (even
    // with no groups at all).
    out.append("Groups:\t");
    bool first = true;
    for (uint32_t group : c.groups.view()) {
        out.format(first ? "{}" : " {}", group);
        first = false;
    }
    out.append(" \n");
    out.format("NStgid:\t{}\nNSpid:\t{}\nNSpgid:\t{}\nNSsid:\t{}\n", p.pid, p.pid, p.pgrp, p.session);
    if (p.has_memory) {
        uint64_t size_kb = p.vsize / 1024;
        status_kb(out, "VmPeak", size_kb);  // no high-water mark kept: the current size (see process_files.cpp)
        status_kb(out, "VmSize", size_kb);
        status_kb(out, "VmLck", p.locked / 1024);
        status_kb(out, "VmPin", 0);
        status_kb(out, "VmHWM", p.peak_rss_pages * k_page_kb);
        status_kb(out, "VmRSS", p.rss_pages * k_page_kb);
        status_kb(out, "RssAnon", p.rss_pages * k_page_kb);
        status_kb(out, "RssFile", 0);
        status_kb(out, "RssShmem", 0);
        status_kb(out, "VmData", p.data_kb);
        status_kb(out, "VmStk", p.stack_kb);
        status_kb(out, "VmExe", p.exe_kb);
        status_kb(out, "VmLib", 0);
        status_kb(out, "VmPTE", 0);
        status_kb(out, "VmSwap", 0);
    }
    out.append("HugetlbPages:\t       0 kB\n");
    out.append("CoreDumping:\t0\n");
    out.append("THP_enabled:\t0\n");
    out.format("Threads:\t{}\n", p.num_threads);
    out.append("SigQ:\t0/0\n");
    out.format("SigPnd:\t{:016x}\nShdPnd:\t{:016x}\n", p.pending_thread, p.pending_shared);
    out.format("SigBlk:\t{:016x}\nSigIgn:\t{:016x}\nSigCgt:\t{:016x}\n", p.blocked, p.ignored, p.caught);
    // The bounding set is every capability (CAP_LAST_CAP 40 in 6.1).
    out.format("CapInh:\t{:016x}\nCapPrm:\t{:016x}\nCapEff:\t{:016x}\n", c.capabilities.inheritable,
               c.capabilities.permitted, c.capabilities.effective);
    out.format("CapBnd:\t{:016x}\nCapAmb:\t0000000000000000\n", proc::k_all_capabilities);
    out.format("NoNewPrivs:\t{}\nSeccomp:\t0\nSeccomp_filters:\t0\n", p.no_new_privs ? 1 : 0);
    out.append("Speculation_Store_Bypass:\tunknown\nSpeculationIndirectBranch:\tunknown\n");
    out.append("Cpus_allowed:\t1\nCpus_allowed_list:\t0\nMems_allowed:\t1\nMems_allowed_list:\t0\n");
    out.format("voluntary_ctxt_switches:\t{}\nnonvoluntary_ctxt_switches:\t{}\n", p.voluntary_switches,
               p.involuntary_switches);
}

void format_maps_line(TextBuffer& out, const MapsLine& line) {
    size_t start = out.size();
    out.format("{:08x}-{:08x} {}{}{}{} {:08x} {:02x}:{:02x} {} ", line.start, line.end,
               (line.prot & 1) ? 'r' : '-', (line.prot & 2) ? 'w' : '-', (line.prot & 4) ? 'x' : '-',
               line.shared ? 's' : 'p', line.offset, line.dev_major, line.dev_minor, line.inode);
    if (!line.name.empty()) {
        // Linux pads the header to 25 + 6 * sizeof(void*) - 1 columns, then
        // one more space (show_vma_header_prefix, seq_pad).
        constexpr size_t k_name_column = 25 + 6 * 8 - 1;
        size_t written = out.size() - start;
        for (; written < k_name_column; ++written)
            out.append(" ");
        out.append(" ");
        out.append(line.name);
    }
    out.append("\n");
}

}  // namespace akuma::procfs
