// Host tests for the Linux AArch64 ABI definitions (kernel/syscalls/linux_abi.h,
// akuma::Error): syscall numbers and names, errno values and flag constants
// against the installed Linux uapi headers, and getdents64 record writing.
// Struct layouts are checked by static_asserts in the header itself.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kernel/lib/error_or.h"
#include "kernel/syscalls/linux_abi.h"
#include "tests/host/uapi_headers.h"

namespace akuma::linux_abi {
namespace {

TEST(SyscallName, KnownNumbers) {
    EXPECT_STREQ(syscall_name(0), "io_setup");
    EXPECT_STREQ(syscall_name(56), "openat");
    EXPECT_STREQ(syscall_name(63), "read");
    EXPECT_STREQ(syscall_name(64), "write");
    EXPECT_STREQ(syscall_name(79), "newfstatat");
    EXPECT_STREQ(syscall_name(80), "fstat");
    EXPECT_STREQ(syscall_name(84), "sync_file_range");
    EXPECT_STREQ(syscall_name(93), "exit");
    EXPECT_STREQ(syscall_name(94), "exit_group");
    EXPECT_STREQ(syscall_name(214), "brk");
    EXPECT_STREQ(syscall_name(222), "mmap");
    EXPECT_STREQ(syscall_name(243), "recvmmsg");
    EXPECT_STREQ(syscall_name(260), "wait4");
    EXPECT_STREQ(syscall_name(293), "rseq");
    EXPECT_STREQ(syscall_name(294), "kexec_file_load");
    EXPECT_STREQ(syscall_name(424), "pidfd_send_signal");
    EXPECT_STREQ(syscall_name(435), "clone3");
    EXPECT_STREQ(syscall_name(439), "faccessat2");
    EXPECT_STREQ(syscall_name(451), "cachestat");
    EXPECT_STREQ(syscall_name(462), "mseal");
    EXPECT_STREQ(syscall_name(469), "file_setattr");
}

TEST(SyscallName, UnassignedNumbers) {
    for (uint64_t number :
        { 244ull, 250ull, 259ull, 295ull, 350ull, 402ull, 403ull, 415ull, 423ull, 470ull, 1000ull, ~0ull })
        EXPECT_EQ(syscall_name(number), nullptr) << number;
}

// arm64 assigns exactly 0-243, 260-294 and 424-469 (the 403-423 time64 calls
// exist only on 32-bit architectures).
TEST(SyscallName, AssignedRangesAreExactlyArm64s) {
    size_t assigned = 0;
    for (uint64_t number = 0; number < 600; number++) {
        bool expected = number <= 243 || (number >= 260 && number <= 294) || (number >= 424 && number <= 469);
        const char* name = syscall_name(number);
        EXPECT_EQ(name != nullptr, expected) << number;
        if (name != nullptr) {
            assigned++;
            EXPECT_GT(std::strlen(name), 0u) << number;
        }
    }
    EXPECT_EQ(assigned, 325u);
}

// ---- Against the Linux uapi headers ------------------------------------------
// The installed arm64 uapi headers (Debian's linux-libc-dev-arm64-cross, Linux
// 6.1) are read by a small preprocessor (uapi_headers.h), so every value below
// comes from Linux, not from linux_abi.h.

const test::UapiHeaders& headers_of(std::initializer_list<std::string_view> files) {
    static std::map<std::string, std::unique_ptr<test::UapiHeaders>> cache;
    std::string key;
    for (std::string_view file : files)
        key += std::string(file) + " ";
    auto& headers = cache[key];
    if (!headers) {
        headers = std::make_unique<test::UapiHeaders>(AKUMA_LINUX_UAPI_INCLUDE_DIR);
        for (std::string_view file : files)
            EXPECT_TRUE(headers->include(file))
                << file << " is missing under " << AKUMA_LINUX_UAPI_INCLUDE_DIR;
        for (const std::string& problem : headers->problems())
            ADD_FAILURE() << key << ": " << problem;
    }
    return *headers;
}

// arm64's asm/unistd.h: its __ARCH_WANT_* choices, then asm-generic/unistd.h
// with __BITS_PER_LONG 64 (so __NR_fstat is __NR3264_fstat, and the
// time64/off_t-pair names of 32-bit architectures are not defined).
const test::UapiHeaders& unistd_h() {
    return headers_of({ "asm/unistd.h" });
}

// Syscalls newer than the installed headers (Linux 6.1 ends at
// set_mempolicy_home_node, 450); Akuma numbers them as later kernels do.
// Each must be above every number the headers assign.
constexpr std::string_view k_syscalls_newer_than_headers[] = {
    "cachestat",
    "fchmodat2",
    "map_shadow_stack",
    "futex_wake",
    "futex_wait",
    "futex_requeue",
    "statmount",
    "listmount",
    "lsm_get_self_attr",
    "lsm_set_self_attr",
    "lsm_list_modules",
    "mseal",
    "setxattrat",
    "getxattrat",
    "listxattrat",
    "removexattrat",
    "open_tree_attr",
    "file_getattr",
    "file_setattr",
};

bool newer_than_headers(std::string_view name) {
    return std::find(std::begin(k_syscalls_newer_than_headers), std::end(k_syscalls_newer_than_headers), name)
        != std::end(k_syscalls_newer_than_headers);
}

struct NamedNumber {
    std::string name;
    uint64_t number;
};

std::vector<NamedNumber> akuma_syscalls() {
    std::vector<NamedNumber> syscalls;
#define AKUMA_COLLECT_SYSCALL(name, number)                                                                  \
    static_assert(k_sys_##name == (number));                                                                 \
    syscalls.push_back({ #name, number });
    AKUMA_LINUX_SYSCALLS(AKUMA_COLLECT_SYSCALL)
#undef AKUMA_COLLECT_SYSCALL
    return syscalls;
}

// name -> number of every __NR_ the headers define for arm64.
std::map<std::string, uint64_t> header_syscalls() {
    std::map<std::string, uint64_t> syscalls;
    for (const std::string& macro : unistd_h().names_with_prefix("__NR_")) {
        // Not syscalls: one past the last number, and the first of the 16
        // numbers left to architectures (arm64 defines none).
        if (macro == "__NR_syscalls" || macro == "__NR_arch_specific_syscall")
            continue;
        auto number = unistd_h().value(macro);
        EXPECT_TRUE(number.has_value()) << macro << " has no integer value";
        if (number)
            syscalls[macro.substr(5)] = static_cast<uint64_t>(*number);
    }
    return syscalls;
}

TEST(SyscallHeaders, ReadAsArm64) {
    auto syscalls = header_syscalls();
    // Spot checks of the parse itself (not of Akuma): a 64-bit view with
    // arm64's __ARCH_WANT_* choices.
    EXPECT_EQ(syscalls.size(), 306u); // as aarch64-linux-gnu-gcc -dM counts them
    EXPECT_EQ(syscalls["read"], 63u);
    EXPECT_EQ(syscalls["fcntl"], 25u); // __NR_fcntl -> __NR3264_fcntl
    EXPECT_EQ(syscalls["newfstatat"], 79u); // __NR_newfstatat -> __NR3264_fstatat
    EXPECT_EQ(syscalls["mmap"], 222u);
    EXPECT_EQ(syscalls["renameat"], 38u); // __ARCH_WANT_RENAMEAT
    EXPECT_EQ(syscalls["clone3"], 435u); // __ARCH_WANT_SYS_CLONE3
    EXPECT_EQ(syscalls["memfd_secret"], 447u);
    for (const char* only_32_bit : { "fcntl64", "fstatat64", "mmap2", "llseek", "clock_gettime64",
             "futex_time64", "sync_file_range2", "stat", "lstat" })
        EXPECT_FALSE(syscalls.contains(only_32_bit)) << only_32_bit;
    EXPECT_EQ(unistd_h().value("__NR_syscalls"), 451);
    EXPECT_EQ(unistd_h().value("__NR_arch_specific_syscall"), 244);
}

TEST(SyscallNumbers, AkumaTableMatchesTheHeaders) {
    auto header = header_syscalls();
    uint64_t header_end = static_cast<uint64_t>(unistd_h().value("__NR_syscalls").value_or(0));
    ASSERT_GT(header_end, 400u);
    size_t matched = 0;
    for (const NamedNumber& syscall : akuma_syscalls()) {
        auto known = header.find(syscall.name);
        if (known != header.end()) {
            EXPECT_EQ(syscall.number, known->second) << "__NR_" << syscall.name;
            EXPECT_FALSE(newer_than_headers(syscall.name)) << syscall.name << " is in the headers now";
            matched++;
        } else {
            EXPECT_TRUE(newer_than_headers(syscall.name))
                << syscall.name << " (" << syscall.number << ") is not a Linux syscall on arm64";
            EXPECT_GE(syscall.number, header_end) << syscall.name;
        }
    }
    EXPECT_EQ(matched, header.size());
}

TEST(SyscallNumbers, EveryHeaderSyscallIsInAkumasTable) {
    std::map<std::string, uint64_t> akuma;
    for (const NamedNumber& syscall : akuma_syscalls())
        akuma[syscall.name] = syscall.number;
    for (const auto& [name, number] : header_syscalls()) {
        auto found = akuma.find(name);
        if (found == akuma.end())
            ADD_FAILURE() << "__NR_" << name << " (" << number << ") is missing from AKUMA_LINUX_SYSCALLS";
        else
            EXPECT_EQ(found->second, number) << "__NR_" << name;
    }
    for (std::string_view name : k_syscalls_newer_than_headers)
        EXPECT_TRUE(akuma.contains(std::string(name))) << name;
}

TEST(SyscallName, NamesEveryNumberAsTheHeadersDo) {
    std::map<uint64_t, std::string> by_number;
    for (const auto& [name, number] : header_syscalls())
        EXPECT_TRUE(by_number.emplace(number, name).second) << "two names for " << number;
    for (const NamedNumber& syscall : akuma_syscalls())
        if (newer_than_headers(syscall.name))
            by_number.emplace(syscall.number, syscall.name);
    EXPECT_EQ(k_syscall_name_limit, by_number.rbegin()->first + 1);
    for (uint64_t number = 0; number < k_syscall_name_limit + 64; number++) {
        const char* name = syscall_name(number);
        auto expected = by_number.find(number);
        if (expected == by_number.end())
            EXPECT_EQ(name, nullptr) << number;
        else
            EXPECT_STREQ(name, expected->second.c_str()) << number;
    }
}

// errno: asm-generic/errno-base.h (1-34) and errno.h, which arm64 uses as is.
TEST(ErrnoValues, EveryAkumaErrorHasTheHeadersNumber) {
    const auto& errno_h = headers_of({ "asm/errno.h" });
    EXPECT_EQ(errno_h.value("EAGAIN"), 11); // the parse itself
    EXPECT_EQ(errno_h.value("EWOULDBLOCK"), 11);
    size_t named = 0;
    for (int number = -64; number <= 4095; number++) {
        const char* name = error_name(static_cast<Error>(number));
        if (name == nullptr || std::strcmp(name, "E?") == 0)
            continue; // not an Error enumerator
        named++;
        auto value = errno_h.value(name);
        EXPECT_TRUE(value.has_value()) << name << " (" << number << ") is not in asm-generic/errno*.h";
        if (value)
            EXPECT_EQ(*value, number) << "Error " << number << " is named " << name;
    }
    EXPECT_GE(named, 36u); // the walk found the enumerators
}

// ---- Flag and structure constants --------------------------------------------
struct AbiConstant {
    const char* header_name;
    uint64_t value; // Akuma's, sign- or zero-extended as its type is
    unsigned bits;
};

template <typename T> constexpr AbiConstant abi(const char* header_name, T value) {
    return { header_name, static_cast<uint64_t>(value), unsigned(sizeof(T) * 8) };
}

// linux_abi.h's constants and the uapi macro each must equal. Not here:
// DT_* (checked against S_IF* below), F_OK..R_OK (POSIX values, glibc's
// unistd.h, no uapi header), SIG_DFL/SIG_IGN (casts), USER_HZ (kernel
// internal).
const AbiConstant k_abi_constants[] = {
    // Files: open(2), *at(2), fcntl(2), lseek(2)
    abi("O_ACCMODE", k_o_accmode),
    abi("O_RDONLY", k_o_rdonly),
    abi("O_WRONLY", k_o_wronly),
    abi("O_RDWR", k_o_rdwr),
    abi("O_CREAT", k_o_creat),
    abi("O_EXCL", k_o_excl),
    abi("O_NOCTTY", k_o_noctty),
    abi("O_TRUNC", k_o_trunc),
    abi("O_APPEND", k_o_append),
    abi("O_NONBLOCK", k_o_nonblock),
    abi("O_DSYNC", k_o_dsync),
    abi("FASYNC", k_o_fasync),
    abi("O_DIRECTORY", k_o_directory),
    abi("O_NOFOLLOW", k_o_nofollow),
    abi("O_DIRECT", k_o_direct),
    abi("O_LARGEFILE", k_o_largefile),
    abi("O_NOATIME", k_o_noatime),
    abi("O_CLOEXEC", k_o_cloexec),
    abi("O_SYNC", k_o_sync),
    abi("O_PATH", k_o_path),
    abi("O_TMPFILE", k_o_tmpfile),
    abi("AT_FDCWD", k_at_fdcwd),
    abi("AT_SYMLINK_NOFOLLOW", k_at_symlink_nofollow),
    abi("AT_EACCESS", k_at_eaccess),
    abi("AT_REMOVEDIR", k_at_removedir),
    abi("AT_SYMLINK_FOLLOW", k_at_symlink_follow),
    abi("AT_NO_AUTOMOUNT", k_at_no_automount),
    abi("AT_EMPTY_PATH", k_at_empty_path),
    abi("AT_STATX_SYNC_TYPE", k_at_statx_sync_type),
    abi("AT_RECURSIVE", k_at_recursive),
    abi("RENAME_NOREPLACE", k_rename_noreplace),
    abi("RENAME_EXCHANGE", k_rename_exchange),
    abi("RENAME_WHITEOUT", k_rename_whiteout),
    abi("SEEK_SET", k_seek_set),
    abi("SEEK_CUR", k_seek_cur),
    abi("SEEK_END", k_seek_end),
    abi("SEEK_DATA", k_seek_data),
    abi("SEEK_HOLE", k_seek_hole),
    abi("F_DUPFD", k_f_dupfd),
    abi("F_GETFD", k_f_getfd),
    abi("F_SETFD", k_f_setfd),
    abi("F_GETFL", k_f_getfl),
    abi("F_SETFL", k_f_setfl),
    abi("F_GETLK", k_f_getlk),
    abi("F_SETLK", k_f_setlk),
    abi("F_SETLKW", k_f_setlkw),
    abi("F_SETOWN", k_f_setown),
    abi("F_GETOWN", k_f_getown),
    abi("F_SETSIG", k_f_setsig),
    abi("F_OWNER_TID", k_f_owner_tid),
    abi("F_OWNER_PID", k_f_owner_pid),
    abi("F_OWNER_PGRP", k_f_owner_pgrp),
    abi("F_GETSIG", k_f_getsig),
    abi("F_SETOWN_EX", k_f_setown_ex),
    abi("F_GETOWN_EX", k_f_getown_ex),
    abi("F_OFD_GETLK", k_f_ofd_getlk),
    abi("F_OFD_SETLK", k_f_ofd_setlk),
    abi("F_OFD_SETLKW", k_f_ofd_setlkw),
    abi("F_SETLEASE", k_f_setlease),
    abi("F_GETLEASE", k_f_getlease),
    abi("F_NOTIFY", k_f_notify),
    abi("F_DUPFD_CLOEXEC", k_f_dupfd_cloexec),
    abi("F_SETPIPE_SZ", k_f_setpipe_sz),
    abi("F_GETPIPE_SZ", k_f_getpipe_sz),
    abi("F_ADD_SEALS", k_f_add_seals),
    abi("F_GET_SEALS", k_f_get_seals),
    abi("FD_CLOEXEC", k_fd_cloexec),
    abi("F_RDLCK", k_f_rdlck),
    abi("F_WRLCK", k_f_wrlck),
    abi("F_UNLCK", k_f_unlck),
    // File types and modes
    abi("S_IFMT", k_s_ifmt),
    abi("S_IFSOCK", k_s_ifsock),
    abi("S_IFLNK", k_s_iflnk),
    abi("S_IFREG", k_s_ifreg),
    abi("S_IFBLK", k_s_ifblk),
    abi("S_IFDIR", k_s_ifdir),
    abi("S_IFCHR", k_s_ifchr),
    abi("S_IFIFO", k_s_ififo),
    abi("S_ISUID", k_s_isuid),
    abi("S_ISGID", k_s_isgid),
    abi("S_ISVTX", k_s_isvtx),
    abi("STATX_TYPE", k_statx_type),
    abi("STATX_MODE", k_statx_mode),
    abi("STATX_NLINK", k_statx_nlink),
    abi("STATX_UID", k_statx_uid),
    abi("STATX_GID", k_statx_gid),
    abi("STATX_ATIME", k_statx_atime),
    abi("STATX_MTIME", k_statx_mtime),
    abi("STATX_CTIME", k_statx_ctime),
    abi("STATX_INO", k_statx_ino),
    abi("STATX_SIZE", k_statx_size),
    abi("STATX_BLOCKS", k_statx_blocks),
    abi("STATX_BASIC_STATS", k_statx_basic_stats),
    abi("STATX_BTIME", k_statx_btime),
    abi("STATX_MNT_ID", k_statx_mnt_id),
    // Memory: mmap(2), mprotect(2), madvise(2), mremap(2), msync(2)
    abi("PROT_NONE", k_prot_none),
    abi("PROT_READ", k_prot_read),
    abi("PROT_WRITE", k_prot_write),
    abi("PROT_EXEC", k_prot_exec),
    abi("PROT_SEM", k_prot_sem),
    abi("PROT_BTI", k_prot_bti),
    abi("PROT_MTE", k_prot_mte),
    abi("PROT_GROWSDOWN", k_prot_growsdown),
    abi("PROT_GROWSUP", k_prot_growsup),
    abi("MAP_SHARED", k_map_shared),
    abi("MAP_PRIVATE", k_map_private),
    abi("MAP_SHARED_VALIDATE", k_map_shared_validate),
    abi("MAP_TYPE", k_map_type),
    abi("MAP_FIXED", k_map_fixed),
    abi("MAP_ANONYMOUS", k_map_anonymous),
    abi("MAP_GROWSDOWN", k_map_growsdown),
    abi("MAP_DENYWRITE", k_map_denywrite),
    abi("MAP_EXECUTABLE", k_map_executable),
    abi("MAP_LOCKED", k_map_locked),
    abi("MAP_NORESERVE", k_map_noreserve),
    abi("MAP_POPULATE", k_map_populate),
    abi("MAP_NONBLOCK", k_map_nonblock),
    abi("MAP_STACK", k_map_stack),
    abi("MAP_HUGETLB", k_map_hugetlb),
    abi("MAP_SYNC", k_map_sync),
    abi("MAP_FIXED_NOREPLACE", k_map_fixed_noreplace),
    abi("MAP_UNINITIALIZED", k_map_uninitialized),
    abi("MADV_NORMAL", k_madv_normal),
    abi("MADV_RANDOM", k_madv_random),
    abi("MADV_SEQUENTIAL", k_madv_sequential),
    abi("MADV_WILLNEED", k_madv_willneed),
    abi("MADV_DONTNEED", k_madv_dontneed),
    abi("MADV_FREE", k_madv_free),
    abi("MADV_REMOVE", k_madv_remove),
    abi("MADV_DONTFORK", k_madv_dontfork),
    abi("MADV_DOFORK", k_madv_dofork),
    abi("MADV_MERGEABLE", k_madv_mergeable),
    abi("MADV_UNMERGEABLE", k_madv_unmergeable),
    abi("MADV_HUGEPAGE", k_madv_hugepage),
    abi("MADV_NOHUGEPAGE", k_madv_nohugepage),
    abi("MADV_DONTDUMP", k_madv_dontdump),
    abi("MADV_DODUMP", k_madv_dodump),
    abi("MADV_WIPEONFORK", k_madv_wipeonfork),
    abi("MADV_KEEPONFORK", k_madv_keeponfork),
    abi("MADV_COLD", k_madv_cold),
    abi("MADV_PAGEOUT", k_madv_pageout),
    abi("MADV_POPULATE_READ", k_madv_populate_read),
    abi("MADV_POPULATE_WRITE", k_madv_populate_write),
    abi("MADV_DONTNEED_LOCKED", k_madv_dontneed_locked),
    abi("MADV_COLLAPSE", k_madv_collapse),
    abi("MREMAP_MAYMOVE", k_mremap_maymove),
    abi("MREMAP_FIXED", k_mremap_fixed),
    abi("MREMAP_DONTUNMAP", k_mremap_dontunmap),
    abi("MS_ASYNC", k_ms_async),
    abi("MS_INVALIDATE", k_ms_invalidate),
    abi("MS_SYNC", k_ms_sync),
    // Time
    abi("CLOCK_REALTIME", k_clock_realtime),
    abi("CLOCK_MONOTONIC", k_clock_monotonic),
    abi("CLOCK_PROCESS_CPUTIME_ID", k_clock_process_cputime_id),
    abi("CLOCK_THREAD_CPUTIME_ID", k_clock_thread_cputime_id),
    abi("CLOCK_MONOTONIC_RAW", k_clock_monotonic_raw),
    abi("CLOCK_REALTIME_COARSE", k_clock_realtime_coarse),
    abi("CLOCK_MONOTONIC_COARSE", k_clock_monotonic_coarse),
    abi("CLOCK_BOOTTIME", k_clock_boottime),
    abi("CLOCK_REALTIME_ALARM", k_clock_realtime_alarm),
    abi("CLOCK_BOOTTIME_ALARM", k_clock_boottime_alarm),
    abi("CLOCK_TAI", k_clock_tai),
    abi("TIMER_ABSTIME", k_timer_abstime),
    abi("ADJ_OFFSET", k_adj_offset),
    abi("ADJ_FREQUENCY", k_adj_frequency),
    abi("ADJ_MAXERROR", k_adj_maxerror),
    abi("ADJ_ESTERROR", k_adj_esterror),
    abi("ADJ_STATUS", k_adj_status),
    abi("ADJ_TIMECONST", k_adj_timeconst),
    abi("ADJ_TAI", k_adj_tai),
    abi("ADJ_SETOFFSET", k_adj_setoffset),
    abi("ADJ_MICRO", k_adj_micro),
    abi("ADJ_NANO", k_adj_nano),
    abi("ADJ_TICK", k_adj_tick),
    abi("ADJ_OFFSET_SINGLESHOT", k_adj_offset_singleshot),
    abi("ADJ_OFFSET_SS_READ", k_adj_offset_ss_read),
    abi("STA_UNSYNC", k_sta_unsync),
    abi("TIME_ERROR", k_time_error),
    // futex(2)
    abi("FUTEX_WAIT", k_futex_wait),
    abi("FUTEX_WAKE", k_futex_wake),
    abi("FUTEX_FD", k_futex_fd),
    abi("FUTEX_REQUEUE", k_futex_requeue),
    abi("FUTEX_CMP_REQUEUE", k_futex_cmp_requeue),
    abi("FUTEX_WAKE_OP", k_futex_wake_op),
    abi("FUTEX_LOCK_PI", k_futex_lock_pi),
    abi("FUTEX_UNLOCK_PI", k_futex_unlock_pi),
    abi("FUTEX_TRYLOCK_PI", k_futex_trylock_pi),
    abi("FUTEX_WAIT_BITSET", k_futex_wait_bitset),
    abi("FUTEX_WAKE_BITSET", k_futex_wake_bitset),
    abi("FUTEX_WAIT_REQUEUE_PI", k_futex_wait_requeue_pi),
    abi("FUTEX_CMP_REQUEUE_PI", k_futex_cmp_requeue_pi),
    abi("FUTEX_LOCK_PI2", k_futex_lock_pi2),
    abi("FUTEX_PRIVATE_FLAG", k_futex_private_flag),
    abi("FUTEX_CLOCK_REALTIME", k_futex_clock_realtime),
    abi("FUTEX_CMD_MASK", k_futex_cmd_mask),
    abi("FUTEX_BITSET_MATCH_ANY", k_futex_bitset_match_any),
    abi("FUTEX_WAITERS", k_futex_waiters),
    abi("FUTEX_OWNER_DIED", k_futex_owner_died),
    abi("FUTEX_TID_MASK", k_futex_tid_mask),
    // Signals
    abi("SIGHUP", k_sighup),
    abi("SIGINT", k_sigint),
    abi("SIGQUIT", k_sigquit),
    abi("SIGILL", k_sigill),
    abi("SIGTRAP", k_sigtrap),
    abi("SIGABRT", k_sigabrt),
    abi("SIGIOT", k_sigiot),
    abi("SIGBUS", k_sigbus),
    abi("SIGFPE", k_sigfpe),
    abi("SIGKILL", k_sigkill),
    abi("SIGUSR1", k_sigusr1),
    abi("SIGSEGV", k_sigsegv),
    abi("SIGUSR2", k_sigusr2),
    abi("SIGPIPE", k_sigpipe),
    abi("SIGALRM", k_sigalrm),
    abi("SIGTERM", k_sigterm),
    abi("SIGSTKFLT", k_sigstkflt),
    abi("SIGCHLD", k_sigchld),
    abi("SIGCONT", k_sigcont),
    abi("SIGSTOP", k_sigstop),
    abi("SIGTSTP", k_sigtstp),
    abi("SIGTTIN", k_sigttin),
    abi("SIGTTOU", k_sigttou),
    abi("SIGURG", k_sigurg),
    abi("SIGXCPU", k_sigxcpu),
    abi("SIGXFSZ", k_sigxfsz),
    abi("SIGVTALRM", k_sigvtalrm),
    abi("SIGPROF", k_sigprof),
    abi("SIGWINCH", k_sigwinch),
    abi("SIGIO", k_sigio),
    abi("SIGPWR", k_sigpwr),
    abi("SIGSYS", k_sigsys),
    abi("SIGRTMIN", k_sigrtmin),
    abi("SIGRTMAX", k_sigrtmax),
    abi("_NSIG", k_nsig),
    abi("SIG_DFL", k_sig_dfl),
    abi("SIG_IGN", k_sig_ign),
    abi("SA_NOCLDSTOP", k_sa_nocldstop),
    abi("SA_NOCLDWAIT", k_sa_nocldwait),
    abi("SA_SIGINFO", k_sa_siginfo),
    abi("SA_UNSUPPORTED", k_sa_unsupported),
    abi("SA_EXPOSE_TAGBITS", k_sa_expose_tagbits),
    abi("SA_RESTORER", k_sa_restorer),
    abi("SA_ONSTACK", k_sa_onstack),
    abi("SA_RESTART", k_sa_restart),
    abi("SA_NODEFER", k_sa_nodefer),
    abi("SA_RESETHAND", k_sa_resethand),
    abi("SIG_BLOCK", k_sig_block),
    abi("SIG_UNBLOCK", k_sig_unblock),
    abi("SIG_SETMASK", k_sig_setmask),
    abi("SS_ONSTACK", k_ss_onstack),
    abi("SS_DISABLE", k_ss_disable),
    abi("SS_AUTODISARM", k_ss_autodisarm),
    abi("MINSIGSTKSZ", k_minsigstksz),
    abi("SIGSTKSZ", k_sigstksz),
    // Processes: clone(2), wait4(2), resources
    abi("CSIGNAL", k_csignal),
    abi("CLONE_NEWTIME", k_clone_newtime),
    abi("CLONE_VM", k_clone_vm),
    abi("CLONE_FS", k_clone_fs),
    abi("CLONE_FILES", k_clone_files),
    abi("CLONE_SIGHAND", k_clone_sighand),
    abi("CLONE_PIDFD", k_clone_pidfd),
    abi("CLONE_PTRACE", k_clone_ptrace),
    abi("CLONE_VFORK", k_clone_vfork),
    abi("CLONE_PARENT", k_clone_parent),
    abi("CLONE_THREAD", k_clone_thread),
    abi("CLONE_NEWNS", k_clone_newns),
    abi("CLONE_SYSVSEM", k_clone_sysvsem),
    abi("CLONE_SETTLS", k_clone_settls),
    abi("CLONE_PARENT_SETTID", k_clone_parent_settid),
    abi("CLONE_CHILD_CLEARTID", k_clone_child_cleartid),
    abi("CLONE_DETACHED", k_clone_detached),
    abi("CLONE_UNTRACED", k_clone_untraced),
    abi("CLONE_CHILD_SETTID", k_clone_child_settid),
    abi("CLONE_NEWCGROUP", k_clone_newcgroup),
    abi("CLONE_NEWUTS", k_clone_newuts),
    abi("CLONE_NEWIPC", k_clone_newipc),
    abi("CLONE_NEWUSER", k_clone_newuser),
    abi("CLONE_NEWPID", k_clone_newpid),
    abi("CLONE_NEWNET", k_clone_newnet),
    abi("CLONE_IO", k_clone_io),
    abi("CLONE_CLEAR_SIGHAND", k_clone_clear_sighand),
    abi("CLONE_INTO_CGROUP", k_clone_into_cgroup),
    abi("WNOHANG", k_wnohang),
    abi("WUNTRACED", k_wuntraced),
    abi("WEXITED", k_wexited),
    abi("WCONTINUED", k_wcontinued),
    abi("WNOWAIT", k_wnowait),
    abi("__WNOTHREAD", k_wnothread),
    abi("__WALL", k_wall),
    abi("__WCLONE", k_wclone),
    abi("P_ALL", k_p_all),
    abi("P_PID", k_p_pid),
    abi("P_PGID", k_p_pgid),
    abi("SI_USER", k_si_user),
    abi("SI_KERNEL", k_si_kernel),
    abi("POLL_IN", k_poll_in),
    abi("POLL_OUT", k_poll_out),
    abi("POLL_MSG", k_poll_msg),
    abi("POLL_ERR", k_poll_err),
    abi("POLL_PRI", k_poll_pri),
    abi("POLL_HUP", k_poll_hup),
    abi("SI_TKILL", k_si_tkill),
    abi("CLD_EXITED", k_cld_exited),
    abi("CLD_KILLED", k_cld_killed),
    abi("CLD_DUMPED", k_cld_dumped),
    abi("CLD_STOPPED", k_cld_stopped),
    abi("CLD_CONTINUED", k_cld_continued),
    abi("SEGV_MAPERR", k_segv_maperr),
    abi("SEGV_ACCERR", k_segv_accerr),
    abi("BUS_ADRALN", k_bus_adraln),
    abi("BUS_ADRERR", k_bus_adrerr),
    abi("ILL_ILLOPC", k_ill_illopc),
    abi("TRAP_BRKPT", k_trap_brkpt),
    abi("LINUX_REBOOT_MAGIC1", k_reboot_magic1),
    abi("LINUX_REBOOT_MAGIC2", k_reboot_magic2),
    abi("LINUX_REBOOT_MAGIC2A", k_reboot_magic2a),
    abi("LINUX_REBOOT_MAGIC2B", k_reboot_magic2b),
    abi("LINUX_REBOOT_MAGIC2C", k_reboot_magic2c),
    abi("LINUX_REBOOT_CMD_RESTART", k_reboot_cmd_restart),
    abi("LINUX_REBOOT_CMD_HALT", k_reboot_cmd_halt),
    abi("LINUX_REBOOT_CMD_POWER_OFF", k_reboot_cmd_power_off),
    abi("LINUX_REBOOT_CMD_CAD_ON", k_reboot_cmd_cad_on),
    abi("LINUX_REBOOT_CMD_CAD_OFF", k_reboot_cmd_cad_off),
    abi("RLIMIT_CPU", k_rlimit_cpu),
    abi("RLIMIT_FSIZE", k_rlimit_fsize),
    abi("RLIMIT_DATA", k_rlimit_data),
    abi("RLIMIT_STACK", k_rlimit_stack),
    abi("RLIMIT_CORE", k_rlimit_core),
    abi("RLIMIT_RSS", k_rlimit_rss),
    abi("RLIMIT_NPROC", k_rlimit_nproc),
    abi("RLIMIT_NOFILE", k_rlimit_nofile),
    abi("RLIMIT_MEMLOCK", k_rlimit_memlock),
    abi("RLIMIT_AS", k_rlimit_as),
    abi("RLIMIT_LOCKS", k_rlimit_locks),
    abi("RLIMIT_SIGPENDING", k_rlimit_sigpending),
    abi("RLIMIT_MSGQUEUE", k_rlimit_msgqueue),
    abi("RLIMIT_NICE", k_rlimit_nice),
    abi("RLIMIT_RTPRIO", k_rlimit_rtprio),
    abi("RLIMIT_RTTIME", k_rlimit_rttime),
    abi("RLIM_NLIMITS", k_rlim_nlimits),
    abi("RLIM_INFINITY", k_rlim_infinity),
    abi("RUSAGE_SELF", k_rusage_self),
    abi("RUSAGE_CHILDREN", k_rusage_children),
    abi("RUSAGE_THREAD", k_rusage_thread),
    abi("GRND_NONBLOCK", k_grnd_nonblock),
    abi("GRND_RANDOM", k_grnd_random),
    abi("GRND_INSECURE", k_grnd_insecure),
    // poll(2)
    abi("POLLIN", k_pollin),
    abi("POLLPRI", k_pollpri),
    abi("POLLOUT", k_pollout),
    abi("POLLERR", k_pollerr),
    abi("POLLHUP", k_pollhup),
    abi("POLLNVAL", k_pollnval),
    abi("POLLRDNORM", k_pollrdnorm),
    abi("POLLMSG", k_pollmsg),
    abi("POLLRDBAND", k_pollrdband),
    abi("POLLWRNORM", k_pollwrnorm),
    abi("POLLWRBAND", k_pollwrband),
    abi("POLLRDHUP", k_pollrdhup),
    // Terminals: ioctl(2) requests and termios bits
    abi("TCGETS", k_tcgets),
    abi("TCSETS", k_tcsets),
    abi("TCSETSW", k_tcsetsw),
    abi("TCSETSF", k_tcsetsf),
    abi("TCSBRK", k_tcsbrk),
    abi("TCXONC", k_tcxonc),
    abi("TCFLSH", k_tcflsh),
    abi("TIOCSCTTY", k_tiocsctty),
    abi("TIOCGPGRP", k_tiocgpgrp),
    abi("TIOCSPGRP", k_tiocspgrp),
    abi("TIOCOUTQ", k_tiocoutq),
    abi("TIOCGWINSZ", k_tiocgwinsz),
    abi("TIOCSWINSZ", k_tiocswinsz),
    abi("FIONREAD", k_fionread),
    abi("FIONBIO", k_fionbio),
    abi("FIOASYNC", k_fioasync),
    abi("TIOCNOTTY", k_tiocnotty),
    abi("TIOCGSID", k_tiocgsid),
    abi("FIONCLEX", k_fionclex),
    abi("FIOCLEX", k_fioclex),
    abi("TCIFLUSH", k_tciflush),
    abi("TCOFLUSH", k_tcoflush),
    abi("TCIOFLUSH", k_tcioflush),
    abi("NCCS", k_nccs),
    abi("VINTR", k_vintr),
    abi("VQUIT", k_vquit),
    abi("VERASE", k_verase),
    abi("VKILL", k_vkill),
    abi("VEOF", k_veof),
    abi("VTIME", k_vtime),
    abi("VMIN", k_vmin),
    abi("VSWTC", k_vswtc),
    abi("VSTART", k_vstart),
    abi("VSTOP", k_vstop),
    abi("VSUSP", k_vsusp),
    abi("VEOL", k_veol),
    abi("VREPRINT", k_vreprint),
    abi("VDISCARD", k_vdiscard),
    abi("VWERASE", k_vwerase),
    abi("VLNEXT", k_vlnext),
    abi("VEOL2", k_veol2),
    abi("IGNBRK", k_ignbrk),
    abi("BRKINT", k_brkint),
    abi("IGNPAR", k_ignpar),
    abi("PARMRK", k_parmrk),
    abi("INPCK", k_inpck),
    abi("ISTRIP", k_istrip),
    abi("INLCR", k_inlcr),
    abi("IGNCR", k_igncr),
    abi("ICRNL", k_icrnl),
    abi("IUCLC", k_iuclc),
    abi("IXON", k_ixon),
    abi("IXANY", k_ixany),
    abi("IXOFF", k_ixoff),
    abi("IMAXBEL", k_imaxbel),
    abi("IUTF8", k_iutf8),
    abi("OPOST", k_opost),
    abi("OLCUC", k_olcuc),
    abi("ONLCR", k_onlcr),
    abi("OCRNL", k_ocrnl),
    abi("ONOCR", k_onocr),
    abi("ONLRET", k_onlret),
    abi("CBAUD", k_cbaud),
    abi("B9600", k_b9600),
    abi("B38400", k_b38400),
    abi("B115200", k_b115200),
    abi("CSIZE", k_csize),
    abi("CS8", k_cs8),
    abi("CSTOPB", k_cstopb),
    abi("CREAD", k_cread),
    abi("PARENB", k_parenb),
    abi("PARODD", k_parodd),
    abi("HUPCL", k_hupcl),
    abi("CLOCAL", k_clocal),
    abi("ISIG", k_isig),
    abi("ICANON", k_icanon),
    abi("ECHO", k_echo),
    abi("ECHOE", k_echoe),
    abi("ECHOK", k_echok),
    abi("ECHONL", k_echonl),
    abi("NOFLSH", k_noflsh),
    abi("TOSTOP", k_tostop),
    abi("ECHOCTL", k_echoctl),
    abi("ECHOPRT", k_echoprt),
    abi("ECHOKE", k_echoke),
    abi("FLUSHO", k_flusho),
    abi("PENDIN", k_pendin),
    abi("IEXTEN", k_iexten),
    abi("EXTPROC", k_extproc),
    // ELF auxiliary vector (linux/auxvec.h, arm64 asm/auxvec.h)
    abi("AT_NULL", k_at_null),
    abi("AT_IGNORE", k_at_ignore),
    abi("AT_EXECFD", k_at_execfd),
    abi("AT_PHDR", k_at_phdr),
    abi("AT_PHENT", k_at_phent),
    abi("AT_PHNUM", k_at_phnum),
    abi("AT_PAGESZ", k_at_pagesz),
    abi("AT_BASE", k_at_base),
    abi("AT_FLAGS", k_at_flags),
    abi("AT_ENTRY", k_at_entry),
    abi("AT_NOTELF", k_at_notelf),
    abi("AT_UID", k_at_uid),
    abi("AT_EUID", k_at_euid),
    abi("AT_GID", k_at_gid),
    abi("AT_EGID", k_at_egid),
    abi("AT_PLATFORM", k_at_platform),
    abi("AT_HWCAP", k_at_hwcap),
    abi("AT_CLKTCK", k_at_clktck),
    abi("AT_SECURE", k_at_secure),
    abi("AT_BASE_PLATFORM", k_at_base_platform),
    abi("AT_RANDOM", k_at_random),
    abi("AT_HWCAP2", k_at_hwcap2),
    abi("AT_EXECFN", k_at_execfn),
    abi("AT_SYSINFO_EHDR", k_at_sysinfo_ehdr),
    abi("AT_MINSIGSTKSZ", k_at_minsigstksz),
    abi("HWCAP_FP", k_hwcap_fp),
    abi("HWCAP_ASIMD", k_hwcap_asimd),
    abi("HWCAP_EVTSTRM", k_hwcap_evtstrm),
    abi("HWCAP_AES", k_hwcap_aes),
    abi("HWCAP_PMULL", k_hwcap_pmull),
    abi("HWCAP_SHA1", k_hwcap_sha1),
    abi("HWCAP_SHA2", k_hwcap_sha2),
    abi("HWCAP_CRC32", k_hwcap_crc32),
    abi("HWCAP_ATOMICS", k_hwcap_atomics),
    abi("HWCAP_FPHP", k_hwcap_fphp),
    abi("HWCAP_ASIMDHP", k_hwcap_asimdhp),
    abi("HWCAP_CPUID", k_hwcap_cpuid),
    abi("HWCAP_ASIMDRDM", k_hwcap_asimdrdm),
    abi("HWCAP_JSCVT", k_hwcap_jscvt),
    abi("HWCAP_FCMA", k_hwcap_fcma),
    abi("HWCAP_LRCPC", k_hwcap_lrcpc),
    abi("HWCAP_DCPOP", k_hwcap_dcpop),
    abi("HWCAP_SHA3", k_hwcap_sha3),
    abi("HWCAP_SM3", k_hwcap_sm3),
    abi("HWCAP_SM4", k_hwcap_sm4),
    abi("HWCAP_ASIMDDP", k_hwcap_asimddp),
    abi("HWCAP_SHA512", k_hwcap_sha512),
    abi("HWCAP_SVE", k_hwcap_sve),
    abi("HWCAP_ASIMDFHM", k_hwcap_asimdfhm),
    abi("HWCAP_DIT", k_hwcap_dit),
    abi("HWCAP_USCAT", k_hwcap_uscat),
    abi("HWCAP_ILRCPC", k_hwcap_ilrcpc),
    abi("HWCAP_FLAGM", k_hwcap_flagm),
    abi("HWCAP_SSBS", k_hwcap_ssbs),
    abi("HWCAP_SB", k_hwcap_sb),
    abi("HWCAP_PACA", k_hwcap_paca),
    abi("HWCAP_PACG", k_hwcap_pacg),
    abi("HWCAP2_DCPODP", k_hwcap2_dcpodp),
    abi("HWCAP2_SVE2", k_hwcap2_sve2),
    abi("HWCAP2_FLAGM2", k_hwcap2_flagm2),
    abi("HWCAP2_FRINT", k_hwcap2_frint),
    abi("HWCAP2_I8MM", k_hwcap2_i8mm),
    abi("HWCAP2_BF16", k_hwcap2_bf16),
    abi("HWCAP2_DGH", k_hwcap2_dgh),
    abi("HWCAP2_RNG", k_hwcap2_rng),
    abi("HWCAP2_BTI", k_hwcap2_bti),
    abi("HWCAP2_MTE", k_hwcap2_mte),
    abi("HWCAP2_ECV", k_hwcap2_ecv),
    abi("ITIMER_REAL", k_itimer_real),
    abi("ITIMER_VIRTUAL", k_itimer_virtual),
    abi("ITIMER_PROF", k_itimer_prof),
    abi("CLONE_ARGS_SIZE_VER0", k_clone_args_size_ver0),
    abi("CLONE_ARGS_SIZE_VER1", k_clone_args_size_ver1),
    abi("CLONE_ARGS_SIZE_VER2", k_clone_args_size_ver2),
    // mount(2) (MNT_* and ST_* are glibc's, not in the uapi headers)
    abi("MS_RDONLY", k_ms_rdonly),
    abi("MS_NOSUID", k_ms_nosuid),
    abi("MS_NODEV", k_ms_nodev),
    abi("MS_NOEXEC", k_ms_noexec),
    abi("MS_REMOUNT", k_ms_remount),
    abi("MS_BIND", k_ms_bind),
    abi("MS_MOVE", k_ms_move),
    abi("MS_REC", k_ms_rec),
    abi("MS_UNBINDABLE", k_ms_unbindable),
    abi("MS_PRIVATE", k_ms_private),
    abi("MS_SLAVE", k_ms_slave),
    abi("MS_SHARED", k_ms_shared),
    abi("MS_MGC_MSK", k_ms_mgc_mask),
    abi("MS_MGC_VAL", k_ms_mgc_val),
};

// Constants newer than the installed headers (Linux 6.3's rseq auxv
// entries): the headers must not define them differently.
const AbiConstant k_abi_constants_newer_than_headers[] = {
    abi("AT_RSEQ_FEATURE_SIZE", k_at_rseq_feature_size),
    abi("AT_RSEQ_ALIGN", k_at_rseq_align),
};

const test::UapiHeaders& constant_headers() {
    return headers_of({ "linux/fcntl.h", "linux/fs.h", "linux/stat.h", "linux/mman.h", "linux/time.h",
        "linux/futex.h", "asm/signal.h", "linux/signal.h", "linux/sched.h", "linux/wait.h", "asm/siginfo.h",
        "linux/reboot.h", "linux/resource.h", "linux/random.h", "asm/poll.h", "asm/termbits.h", "linux/timex.h",
        "asm/ioctls.h", "linux/auxvec.h", "asm/hwcap.h", "linux/utsname.h", "linux/mount.h" });
}

void expect_constant(const test::UapiHeaders& headers, const AbiConstant& constant, bool may_be_missing) {
    auto value = headers.value(constant.header_name);
    if (!value) {
        EXPECT_TRUE(may_be_missing) << constant.header_name << " has no integer value in the headers";
        return;
    }
    uint64_t mask = constant.bits == 64 ? ~uint64_t { 0 } : (uint64_t { 1 } << constant.bits) - 1;
    // The header's value must fit Akuma's type (as itself or sign-extended).
    int64_t high = *value >> (constant.bits == 64 ? 63 : constant.bits);
    EXPECT_TRUE(high == 0 || high == -1)
        << constant.header_name << " = " << *value << " does not fit " << constant.bits << " bits";
    EXPECT_EQ(static_cast<uint64_t>(*value) & mask, constant.value & mask)
        << constant.header_name << ": headers " << *value << " (0x" << std::hex
        << (static_cast<uint64_t>(*value) & mask) << "), Akuma 0x" << (constant.value & mask);
}

TEST(AbiConstants, MatchTheHeaders) {
    const auto& headers = constant_headers();
    EXPECT_EQ(headers.value("O_DIRECTORY"), 040000); // the parse: arm64's asm/fcntl.h, not asm-generic's
    EXPECT_EQ(headers.value("SIG_IGN"), 1); // a cast is skipped
    EXPECT_EQ(headers.value("FUTEX_CMD_MASK"), ~int64_t { 128 | 256 });
    for (const AbiConstant& constant : k_abi_constants)
        expect_constant(headers, constant, false);
    for (const AbiConstant& constant : k_abi_constants_newer_than_headers)
        expect_constant(headers, constant, true);
}

TEST(AbiConstants, DerivedFromHeaderValues) {
    const auto& headers = constant_headers();
    EXPECT_EQ(k_utsname_field_size, headers.value("__NEW_UTS_LEN").value_or(0) + 1);
    // d_type is the file type bits of st_mode shifted down (Linux's S_DT()).
    auto dtype_of = [&](const char* s_if) { return headers.value(s_if).value_or(-1) >> 12; };
    EXPECT_EQ(k_dt_fifo, dtype_of("S_IFIFO"));
    EXPECT_EQ(k_dt_chr, dtype_of("S_IFCHR"));
    EXPECT_EQ(k_dt_dir, dtype_of("S_IFDIR"));
    EXPECT_EQ(k_dt_blk, dtype_of("S_IFBLK"));
    EXPECT_EQ(k_dt_reg, dtype_of("S_IFREG"));
    EXPECT_EQ(k_dt_lnk, dtype_of("S_IFLNK"));
    EXPECT_EQ(k_dt_sock, dtype_of("S_IFSOCK"));
    EXPECT_EQ(k_dt_unknown, 0);
    // Signals are 1.._NSIG and a sigset has one bit for each.
    EXPECT_EQ(sigset_bit(k_nsig), uint64_t { 1 } << (headers.value("_NSIG").value_or(0) - 1));
}

TEST(SyscallNumbers, CommonOnes) {
    EXPECT_EQ(k_sys_getdents64, 61u);
    EXPECT_EQ(k_sys_ioctl, 29u);
    EXPECT_EQ(k_sys_rt_sigreturn, 139u);
    EXPECT_EQ(k_sys_set_tid_address, 96u);
    EXPECT_EQ(k_sys_futex, 98u);
    EXPECT_EQ(k_sys_execve, 221u);
    EXPECT_EQ(k_sys_clone, 220u);
    EXPECT_EQ(k_sys_getrandom, 278u);
    EXPECT_EQ(k_sys_prlimit64, 261u);
    EXPECT_EQ(k_sys_statx, 291u);
}

TEST(Sigset, BitForSignal) {
    EXPECT_EQ(sigset_bit(k_sighup), 1u);
    EXPECT_EQ(sigset_bit(k_sigkill), 1u << 8);
    EXPECT_EQ(sigset_bit(k_sigrtmax), 1ull << 63);
}

TEST(Dirent64, RecordSize) {
    EXPECT_EQ(dirent64_record_size(0), 24u);
    EXPECT_EQ(dirent64_record_size(1), 24u);
    EXPECT_EQ(dirent64_record_size(4), 24u); // 19 + 4 + NUL = 24 exactly
    EXPECT_EQ(dirent64_record_size(5), 32u);
    EXPECT_EQ(dirent64_record_size(12), 32u);
    EXPECT_EQ(dirent64_record_size(13), 40u);
    EXPECT_EQ(dirent64_record_size(255), 280u);
    for (size_t length = 0; length < 300; length++) {
        size_t size = dirent64_record_size(length);
        EXPECT_EQ(size % 8, 0u);
        EXPECT_GE(size, k_dirent64_name_offset + length + 1);
        EXPECT_LT(size, k_dirent64_name_offset + length + 1 + 8);
    }
}

struct ParsedDirent {
    uint64_t ino;
    int64_t off;
    uint16_t reclen;
    uint8_t type;
    std::string name;
};

ParsedDirent parse_dirent(const uint8_t* record) {
    ParsedDirent d {};
    std::memcpy(&d.ino, record, 8);
    std::memcpy(&d.off, record + 8, 8);
    std::memcpy(&d.reclen, record + 16, 2);
    d.type = record[18];
    d.name = reinterpret_cast<const char*>(record + 19);
    return d;
}

TEST(Dirent64, WritesFieldsNameNulAndZeroPadding) {
    std::vector<uint8_t> buffer(64, 0xaa);
    size_t size = write_dirent64(buffer, 0x1122334455667788, 42, k_dt_reg, "hello");
    ASSERT_EQ(size, 32u);
    ParsedDirent d = parse_dirent(buffer.data());
    EXPECT_EQ(d.ino, 0x1122334455667788u);
    EXPECT_EQ(d.off, 42);
    EXPECT_EQ(d.reclen, 32);
    EXPECT_EQ(d.type, k_dt_reg);
    EXPECT_EQ(d.name, "hello");
    for (size_t i = 19 + 5; i < 32; i++)
        EXPECT_EQ(buffer[i], 0) << i;
    for (size_t i = 32; i < buffer.size(); i++)
        EXPECT_EQ(buffer[i], 0xaa) << i; // nothing written past the record
}

TEST(Dirent64, ConsecutiveRecordsStayAligned) {
    std::vector<uint8_t> buffer(256, 0xaa);
    std::vector<std::string> names = { ".", "..", "a-longer-file-name", "x" };
    size_t used = 0;
    for (size_t i = 0; i < names.size(); i++) {
        size_t size
            = write_dirent64(std::span(buffer).subspan(used), i + 1, int64_t(i + 1), k_dt_dir, names[i]);
        ASSERT_EQ(size, dirent64_record_size(names[i].size()));
        used += size;
    }
    size_t offset = 0;
    for (size_t i = 0; i < names.size(); i++) {
        EXPECT_EQ(offset % 8, 0u);
        ParsedDirent d = parse_dirent(buffer.data() + offset);
        EXPECT_EQ(d.name, names[i]);
        EXPECT_EQ(d.ino, i + 1);
        offset += d.reclen;
    }
    EXPECT_EQ(offset, used);
}

TEST(Dirent64, DoesNotFit) {
    std::vector<uint8_t> exact(dirent64_record_size(10), 0xaa);
    std::vector<uint8_t> short_by_one(exact.size() - 1, 0xaa);
    EXPECT_EQ(write_dirent64(short_by_one, 1, 1, k_dt_reg, "0123456789"), 0u);
    for (uint8_t byte : short_by_one)
        EXPECT_EQ(byte, 0xaa); // untouched on failure
    EXPECT_EQ(write_dirent64(exact, 1, 1, k_dt_reg, "0123456789"), exact.size());
    EXPECT_EQ(write_dirent64({}, 1, 1, k_dt_reg, ""), 0u);
}

TEST(Dirent64, RecordLengthMustFitReclen) {
    std::string huge(70000, 'n');
    std::vector<uint8_t> buffer(80000);
    EXPECT_EQ(write_dirent64(buffer, 1, 1, k_dt_reg, huge), 0u);
    std::string largest(0xffff - 7 - 20, 'n'); // record size 0xfff8
    EXPECT_EQ(write_dirent64(buffer, 1, 1, k_dt_reg, largest), 0xfff8u);
    EXPECT_EQ(write_dirent64(buffer, 1, 1, k_dt_reg, largest + "n"), 0u); // would need 0x10000
}

} // namespace
} // namespace akuma::linux_abi
