// The /proc text formats (kernel/fs/procfs/proc_format.h) against lines
// taken from Linux 6.1 on arm64 (Debian's 6.1 kernel under QEMU, through
// ../shared/tools/linux-ref), and TextBuffer's growth, cap and failures.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kernel/fs/procfs/proc_format.h"
#include "kernel/fs/procfs/text_buffer.h"
#include "kernel/sched/load_average.h"
#include "tests/host/host_kmalloc.h"

using namespace akuma;
using namespace akuma::procfs;

namespace {

std::string text(const TextBuffer& buffer) { return std::string(buffer.view()); }

// The line of `all` that starts with `prefix`.
std::string line_starting(const std::string& all, const std::string& prefix) {
    size_t at = all.rfind("\n" + prefix) != std::string::npos ? all.find("\n" + prefix) + 1 : 0;
    if (all.compare(at, prefix.size(), prefix) != 0)
        return "";
    return all.substr(at, all.find('\n', at) - at);
}

}  // namespace

TEST(TextBuffer, AppendsAndFormats) {
    TextBuffer out;
    out.append("abc ");
    out.format("{} {:>4}|", 42, "x");
    EXPECT_EQ(text(out), "abc 42    x|");
    EXPECT_FALSE(out.status().is_error());
    EXPECT_EQ(out.bytes().size(), out.size());
}

TEST(TextBuffer, GrowsPastManyBlocks) {
    TextBuffer out;
    std::string expected;
    for (int i = 0; i < 5000; ++i) {
        out.format("line {}\n", i);
        expected += "line " + std::to_string(i) + "\n";
    }
    EXPECT_EQ(text(out), expected);
}

TEST(TextBuffer, CapMakesItNoMemory) {
    TextBuffer out(16);
    out.append("0123456789");
    out.append("0123456789");  // over the cap: dropped whole
    EXPECT_TRUE(out.failed());
    EXPECT_EQ(out.status().error(), Error::NoMemory);
    EXPECT_EQ(text(out), "0123456789");
    out.append("x");  // stays failed
    EXPECT_EQ(out.size(), 10u);
}

TEST(TextBuffer, HeapFailureIsNoMemoryAndLeaksNothing) {
    size_t before = test::host_kmalloc_live_objects();
    {
        TextBuffer out;
        test::host_kmalloc_fail_after(0);
        out.append("hello");
        test::host_kmalloc_fail_after(-1);
        EXPECT_EQ(out.status().error(), Error::NoMemory);
    }
    {
        TextBuffer out;
        out.append("a");
        test::host_kmalloc_fail_after(0);
        out.append(std::string(1000, 'b'));  // the grow fails: the old text stays
        test::host_kmalloc_fail_after(-1);
        EXPECT_TRUE(out.failed());
        EXPECT_EQ(text(out), "a");
    }
    EXPECT_EQ(test::host_kmalloc_live_objects(), before);
}

TEST(ProcFormat, SecondsWithTwoDecimals) {
    TextBuffer out;
    format_seconds_centis(out, 2'779'000'000);
    out.append(" ");
    format_seconds_centis(out, 5'000'000);
    EXPECT_EQ(text(out), "2.77 0.00");
}

TEST(ProcFormat, MeminfoLinesAsLinux) {
    MemInfo info {};
    info.total = 486660;
    info.free = 463812;
    info.hugepage_size = 2048;
    info.vmalloc_total = 133143592960;
    TextBuffer out;
    format_meminfo(out, info);
    std::string all = text(out);
    EXPECT_EQ(all.substr(0, all.find('\n')), "MemTotal:         486660 kB");
    EXPECT_EQ(line_starting(all, "MemFree:"), "MemFree:          463812 kB");
    EXPECT_EQ(line_starting(all, "Buffers:"), "Buffers:               0 kB");
    EXPECT_EQ(line_starting(all, "Active(anon):"), "Active(anon):          0 kB");
    EXPECT_EQ(line_starting(all, "HardwareCorrupted:"), "HardwareCorrupted:     0 kB");
    EXPECT_EQ(line_starting(all, "VmallocTotal:"), "VmallocTotal:   133143592960 kB");
    EXPECT_EQ(line_starting(all, "HugePages_Total:"), "HugePages_Total:       0");
    EXPECT_EQ(line_starting(all, "Hugepagesize:"), "Hugepagesize:       2048 kB");
    // Linux 6.1's order of the fields busybox free and top read.
    const char* order[] = { "MemTotal:", "MemFree:", "MemAvailable:", "Buffers:", "Cached:", "SwapCached:",
                            "SwapTotal:", "SwapFree:", "Shmem:", "SReclaimable:", "Hugetlb:" };
    size_t last = 0;
    for (const char* field : order) {
        size_t at = all.find(std::string("\n") + field);
        if (std::string(field) == "MemTotal:")
            at = 0;
        ASSERT_NE(at, std::string::npos) << field;
        EXPECT_GE(at, last) << field;
        last = at;
    }
}

TEST(ProcFormat, LoadAverageMatchesLinuxArithmetic) {
    sched::LoadAverage load;
    uint64_t zero[3] = {};
    TextBuffer out;
    format_loadavg(out, zero, 1, 44, 81);
    EXPECT_EQ(text(out), "0.00 0.00 0.00 1/44 81\n");

    // A steady load of one thread: the 1-minute figure passes 0.63 after a
    // minute (1 - 1/e) and reaches 1.00 (rounding up while rising).
    for (int i = 0; i < 12; ++i)
        load.sample(1);
    TextBuffer minute;
    format_load_figure(minute, load.figures[0]);
    EXPECT_EQ(text(minute), "0.63");
    for (int i = 0; i < 2000; ++i)
        load.sample(1);
    EXPECT_EQ(load.figures[0], sched::LoadAverage::k_one);
    EXPECT_EQ(load.figures[2], sched::LoadAverage::k_one);
    for (int i = 0; i < 2000; ++i)
        load.sample(0);
    EXPECT_EQ(load.figures[0], 0u);
}

TEST(ProcFormat, LoadFigureRoundsToHundredths) {
    TextBuffer out;
    format_load_figure(out, 2048 * 3 + 1024);  // 3.5
    out.append(" ");
    format_load_figure(out, 2047);  // 0.9995 rounds up to 1.00
    EXPECT_EQ(text(out), "3.50 1.00");
}

TEST(ProcFormat, UuidVersion4) {
    TextBuffer out;
    std::array<uint8_t, 16> bytes;
    bytes.fill(0xff);
    format_uuid_v4(out, bytes);
    EXPECT_EQ(text(out), "ffffffff-ffff-4fff-bfff-ffffffffffff\n");
    TextBuffer zero;
    bytes.fill(0);
    format_uuid_v4(zero, bytes);
    EXPECT_EQ(text(zero), "00000000-0000-4000-8000-000000000000\n");
}

TEST(ProcFormat, CpuinfoAsLinuxOnCortexA76) {
    TextBuffer out;
    // Cortex-A76 r4p1 under QEMU, 62.5 MHz timer; fp asimd aes pmull sha1
    // sha2 crc32 atomics asimdrdm asimddp.
    uint64_t hwcap = (1 << 0) | (1 << 1) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) |
                     (1 << 12) | (1 << 20);
    format_cpuinfo_entry(out, { 0, 0x414fd0b1, hwcap, 62'500'000 });
    EXPECT_EQ(text(out),
              "processor\t: 0\n"
              "BogoMIPS\t: 125.00\n"
              "Features\t: fp asimd aes pmull sha1 sha2 crc32 atomics asimdrdm asimddp\n"
              "CPU implementer\t: 0x41\n"
              "CPU architecture: 8\n"
              "CPU variant\t: 0x4\n"
              "CPU part\t: 0xd0b\n"
              "CPU revision\t: 1\n\n");
}

TEST(ProcFormat, StatFile) {
    SystemStat stat {};
    stat.user = 6;
    stat.system = 244;
    stat.idle = 10;
    stat.cpus = 1;
    stat.interrupts = 637;
    stat.context_switches = 1021;
    stat.boot_time_seconds = 1796563519;
    stat.processes = 81;
    stat.running = 2;
    TextBuffer out;
    format_stat(out, stat);
    EXPECT_EQ(text(out),
              "cpu  6 0 244 10 0 0 0 0 0 0\n"
              "cpu0 6 0 244 10 0 0 0 0 0 0\n"
              "intr 637\n"
              "ctxt 1021\n"
              "btime 1796563519\n"
              "processes 81\n"
              "procs_running 2\n"
              "procs_blocked 0\n"
              "softirq 0 0 0 0 0 0 0 0 0 0 0\n");
}

namespace {

ProcessFigures sample_process() {
    ProcessFigures p {};
    p.pid = 81;
    p.comm = "prog";
    p.state = 'R';
    p.ppid = 1;
    p.tpgid = -1;
    p.utime = 1;
    p.stime = 2;
    p.num_threads = 1;
    p.start_time = 268;
    p.vsize = 851968;
    p.rss_pages = 1;
    p.peak_rss_pages = 1;
    p.start_code = 4194304;
    p.end_code = 4708632;
    p.start_stack = 281473954817760;
    p.exit_signal = 17;
    p.start_data = 4769808;
    p.end_data = 4792488;
    p.start_brk = 557801472;
    p.arg_start = 281473954819997;
    p.arg_end = 281473954820003;
    p.env_start = 281473954820003;
    p.env_end = 281473954820082;
    p.umask = 022;
    p.fd_slots = 64;
    p.has_memory = true;
    p.data_kb = 168;
    p.stack_kb = 132;
    p.exe_kb = 504;
    return p;
}

}  // namespace

TEST(ProcFormat, ProcessStatHas52FieldsAsLinux) {
    TextBuffer out;
    format_process_stat(out, sample_process());
    // Linux 6.1's line for the same process, but flags (PF_RANDOMIZE there)
    // and minflt, which Akuma does not count.
    EXPECT_EQ(text(out),
              "81 (prog) R 1 0 0 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 268 851968 1 18446744073709551615 "
              "4194304 4708632 281473954817760 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 4769808 4792488 557801472 "
              "281473954819997 281473954820003 281473954820003 281473954820082 0\n");
    std::string line = text(out);
    std::string after_comm = line.substr(line.rfind(')') + 2);
    size_t fields = 2;
    for (size_t i = 0; i < after_comm.size(); ++i)
        fields += after_comm[i] == ' ';
    EXPECT_EQ(fields + 1, 52u);
}

// Fields 18, 19, 40 and 41 as Linux's do_task_stat prints them: priority is
// task_prio (20 + nice, or -1 - rt_priority under SCHED_FIFO/SCHED_RR).
TEST(ProcFormat, ProcessStatShowsSchedulingAttributes) {
    auto fields = [](const ProcessFigures& p) {
        TextBuffer out;
        format_process_stat(out, p);
        std::string line = text(out);
        std::string rest = line.substr(line.rfind(')') + 2);
        std::vector<std::string> result { "", "", "" };  // fields 1-2, and 0 unused
        size_t start = 0;
        for (size_t i = 0; i <= rest.size(); ++i) {
            if (i == rest.size() || rest[i] == ' ' || rest[i] == '\n') {
                result.push_back(rest.substr(start, i - start));
                start = i + 1;
            }
        }
        return result;  // result[n] is field n
    };
    ProcessFigures p = sample_process();
    p.nice = -7;
    auto reniced = fields(p);
    EXPECT_EQ(reniced[18], "13");
    EXPECT_EQ(reniced[19], "-7");
    EXPECT_EQ(reniced[40], "0");
    EXPECT_EQ(reniced[41], "0");
    p.policy = 1;  // SCHED_FIFO
    p.rt_priority = 10;
    auto fifo = fields(p);
    EXPECT_EQ(fifo[18], "-11");
    EXPECT_EQ(fifo[19], "-7");
    EXPECT_EQ(fifo[40], "10");
    EXPECT_EQ(fifo[41], "1");
    p.policy = 5;  // SCHED_IDLE
    p.rt_priority = 0;
    p.nice = 19;
    auto idle = fields(p);
    EXPECT_EQ(idle[18], "39");
    EXPECT_EQ(idle[41], "5");
}

TEST(ProcFormat, ProcessStatKeepsOddComm) {
    ProcessFigures p = sample_process();
    p.comm = "a) b";
    TextBuffer out;
    format_process_stat(out, p);
    EXPECT_EQ(text(out).substr(0, 13), "81 (a) b) R 1");
}

TEST(ProcFormat, ProcessStatusShowsCredentials) {
    ProcessFigures p = sample_process();
    proc::Credentials& c = p.credentials;
    const uint32_t groups[] = { 27, 4 };
    ASSERT_FALSE(proc::set_groups(c, proc::GroupList::create(groups).release_value()).is_error());
    ASSERT_FALSE(proc::set_resgid(c, 100, 200, 300).is_error());
    ASSERT_FALSE(proc::set_resuid(c, 1000, 0, 1002).is_error());
    proc::set_fsuid(c, 1003);
    p.no_new_privs = true;
    TextBuffer out;
    format_process_status(out, p);
    std::string all = text(out);
    EXPECT_EQ(line_starting(all, "Uid:"), "Uid:\t1000\t0\t1002\t1003");
    EXPECT_EQ(line_starting(all, "Gid:"), "Gid:\t100\t200\t300\t200");
    EXPECT_EQ(line_starting(all, "Groups:"), "Groups:\t4 27 ");  // sorted, and Linux's trailing space
    // Effective root with a file-system user other than 0: the file-system
    // capabilities (0, 1, 2, 3, 4, 9, 27, 32) are out of the effective set.
    EXPECT_EQ(line_starting(all, "CapEff:"), "CapEff:\t000001fef7fffde0");
    EXPECT_EQ(line_starting(all, "CapPrm:"), "CapPrm:\t000001ffffffffff");
    EXPECT_EQ(line_starting(all, "NoNewPrivs:"), "NoNewPrivs:\t1");
}

TEST(ProcFormat, ProcessStatusLinesAsLinux) {
    ProcessFigures p = sample_process();
    p.comm = "bad\nname";
    p.blocked = 1ull << 16;
    TextBuffer out;
    format_process_status(out, p);
    std::string all = text(out);
    EXPECT_EQ(all.substr(0, all.find('\n')), "Name:\tbad\\nname");
    EXPECT_EQ(line_starting(all, "Umask:"), "Umask:\t0022");
    EXPECT_EQ(line_starting(all, "State:"), "State:\tR (running)");
    EXPECT_EQ(line_starting(all, "Tgid:"), "Tgid:\t81");
    EXPECT_EQ(line_starting(all, "PPid:"), "PPid:\t1");
    EXPECT_EQ(line_starting(all, "Uid:"), "Uid:\t0\t0\t0\t0");
    EXPECT_EQ(line_starting(all, "Groups:"), "Groups:\t ");
    EXPECT_EQ(line_starting(all, "VmSize:"), "VmSize:\t     832 kB");
    EXPECT_EQ(line_starting(all, "VmRSS:"), "VmRSS:\t       4 kB");
    EXPECT_EQ(line_starting(all, "VmData:"), "VmData:\t     168 kB");
    EXPECT_EQ(line_starting(all, "VmStk:"), "VmStk:\t     132 kB");
    EXPECT_EQ(line_starting(all, "VmExe:"), "VmExe:\t     504 kB");
    EXPECT_EQ(line_starting(all, "Threads:"), "Threads:\t1");
    EXPECT_EQ(line_starting(all, "SigBlk:"), "SigBlk:\t0000000000010000");
    EXPECT_EQ(line_starting(all, "CapEff:"), "CapEff:\t000001ffffffffff");
    // Linux's order.
    EXPECT_LT(all.find("\nPid:"), all.find("\nPPid:"));
    EXPECT_LT(all.find("\nFDSize:"), all.find("\nVmPeak:"));
    EXPECT_LT(all.find("\nVmExe:"), all.find("\nThreads:"));
    EXPECT_LT(all.find("\nThreads:"), all.find("\nSigPnd:"));
    EXPECT_LT(all.find("\nSigCgt:"), all.find("\nCapInh:"));
}

TEST(ProcFormat, ZombieStatusHasNoVmLines) {
    ProcessFigures p = sample_process();
    p.state = 'Z';
    p.has_memory = false;
    TextBuffer out;
    format_process_status(out, p);
    std::string all = text(out);
    EXPECT_EQ(line_starting(all, "State:"), "State:\tZ (zombie)");
    EXPECT_EQ(all.find("VmSize"), std::string::npos);
}

TEST(ProcFormat, Statm) {
    TextBuffer out;
    format_process_statm(out, sample_process(), 126, 75);
    EXPECT_EQ(text(out), "208 1 0 126 0 75 0\n");
}

TEST(ProcFormat, MapsLinesAsLinux) {
    TextBuffer out;
    format_maps_line(out, { 0x400000, 0x47e000, 5, false, 0, 0, 2, 8, "/prog" });
    format_maps_line(out, { 0x493000, 0x498000, 3, false, 0, 0, 0, 0, "" });
    format_maps_line(out, { 0x213f6000, 0x21418000, 3, false, 0, 0, 0, 0, "[heap]" });
    format_maps_line(out, { 0xffffc3152000, 0xffffc3173000, 3, true, 0x1000, 0, 0, 0, "[stack]" });
    EXPECT_EQ(text(out),
              "00400000-0047e000 r-xp 00000000 00:02 8                                  /prog\n"
              "00493000-00498000 rw-p 00000000 00:00 0 \n"
              "213f6000-21418000 rw-p 00000000 00:00 0                                  [heap]\n"
              "ffffc3152000-ffffc3173000 rw-s 00001000 00:00 0                          [stack]\n");
}
