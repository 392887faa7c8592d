// The Linux AArch64 user ABI: syscall numbers, flag values and structure
// layouts as the arm64 kernel defines them (the asm-generic uapi headers plus
// arm64's overrides). tests/host/linux_abi_test.cpp compares the syscall
// table and the constants with the installed Linux 6.1 uapi headers (syscalls
// 451-469 and AT_RSEQ_* were checked by hand against later kernels); every
// struct is pinned down by static_asserts on its size and field offsets.
//
// Naming: constants are k_ plus the Linux name in lower case (O_CREAT ->
// k_o_creat, __NR_read -> k_sys_read, auxv AT_RANDOM -> k_at_random). Struct
// fields drop Linux's prefixes (st_, tv_, sa_, ws_, ...) because glibc
// defines some of those names as macros (st_atime, sa_handler), which would
// break host builds. User addresses inside structs are plain uint64_t: the
// kernel never dereferences them.
// errno values are akuma::Error (kernel/lib/error_or.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace akuma::linux_abi {

// ---- System call numbers ---------------------------------------------------
// Every number arm64's native table assigns (asm-generic unistd.h with
// __BITS_PER_LONG == 64): 244-259 (arch-specific, unused by arm64), 295-402
// and 403-423 (time64 calls, 32-bit only) are not assigned. Where
// asm-generic has a 32/64 pair the 64-bit name is used (__NR3264_fstatat ->
// newfstatat, __NR3264_mmap -> mmap).
// X(name, number): used for the k_sys_* constants and syscall_name().
#define AKUMA_LINUX_SYSCALLS(X)                                                                              \
    X(io_setup, 0)                                                                                           \
    X(io_destroy, 1)                                                                                         \
    X(io_submit, 2)                                                                                          \
    X(io_cancel, 3)                                                                                          \
    X(io_getevents, 4)                                                                                       \
    X(setxattr, 5)                                                                                           \
    X(lsetxattr, 6)                                                                                          \
    X(fsetxattr, 7)                                                                                          \
    X(getxattr, 8)                                                                                           \
    X(lgetxattr, 9)                                                                                          \
    X(fgetxattr, 10)                                                                                         \
    X(listxattr, 11)                                                                                         \
    X(llistxattr, 12)                                                                                        \
    X(flistxattr, 13)                                                                                        \
    X(removexattr, 14)                                                                                       \
    X(lremovexattr, 15)                                                                                      \
    X(fremovexattr, 16)                                                                                      \
    X(getcwd, 17)                                                                                            \
    X(lookup_dcookie, 18)                                                                                    \
    X(eventfd2, 19)                                                                                          \
    X(epoll_create1, 20)                                                                                     \
    X(epoll_ctl, 21)                                                                                         \
    X(epoll_pwait, 22)                                                                                       \
    X(dup, 23)                                                                                               \
    X(dup3, 24)                                                                                              \
    X(fcntl, 25)                                                                                             \
    X(inotify_init1, 26)                                                                                     \
    X(inotify_add_watch, 27)                                                                                 \
    X(inotify_rm_watch, 28)                                                                                  \
    X(ioctl, 29)                                                                                             \
    X(ioprio_set, 30)                                                                                        \
    X(ioprio_get, 31)                                                                                        \
    X(flock, 32)                                                                                             \
    X(mknodat, 33)                                                                                           \
    X(mkdirat, 34)                                                                                           \
    X(unlinkat, 35)                                                                                          \
    X(symlinkat, 36)                                                                                         \
    X(linkat, 37)                                                                                            \
    X(renameat, 38)                                                                                          \
    X(umount2, 39)                                                                                           \
    X(mount, 40)                                                                                             \
    X(pivot_root, 41)                                                                                        \
    X(nfsservctl, 42)                                                                                        \
    X(statfs, 43)                                                                                            \
    X(fstatfs, 44)                                                                                           \
    X(truncate, 45)                                                                                          \
    X(ftruncate, 46)                                                                                         \
    X(fallocate, 47)                                                                                         \
    X(faccessat, 48)                                                                                         \
    X(chdir, 49)                                                                                             \
    X(fchdir, 50)                                                                                            \
    X(chroot, 51)                                                                                            \
    X(fchmod, 52)                                                                                            \
    X(fchmodat, 53)                                                                                          \
    X(fchownat, 54)                                                                                          \
    X(fchown, 55)                                                                                            \
    X(openat, 56)                                                                                            \
    X(close, 57)                                                                                             \
    X(vhangup, 58)                                                                                           \
    X(pipe2, 59)                                                                                             \
    X(quotactl, 60)                                                                                          \
    X(getdents64, 61)                                                                                        \
    X(lseek, 62)                                                                                             \
    X(read, 63)                                                                                              \
    X(write, 64)                                                                                             \
    X(readv, 65)                                                                                             \
    X(writev, 66)                                                                                            \
    X(pread64, 67)                                                                                           \
    X(pwrite64, 68)                                                                                          \
    X(preadv, 69)                                                                                            \
    X(pwritev, 70)                                                                                           \
    X(sendfile, 71)                                                                                          \
    X(pselect6, 72)                                                                                          \
    X(ppoll, 73)                                                                                             \
    X(signalfd4, 74)                                                                                         \
    X(vmsplice, 75)                                                                                          \
    X(splice, 76)                                                                                            \
    X(tee, 77)                                                                                               \
    X(readlinkat, 78)                                                                                        \
    X(newfstatat, 79)                                                                                        \
    X(fstat, 80)                                                                                             \
    X(sync, 81)                                                                                              \
    X(fsync, 82)                                                                                             \
    X(fdatasync, 83)                                                                                         \
    X(sync_file_range, 84)                                                                                   \
    X(timerfd_create, 85)                                                                                    \
    X(timerfd_settime, 86)                                                                                   \
    X(timerfd_gettime, 87)                                                                                   \
    X(utimensat, 88)                                                                                         \
    X(acct, 89)                                                                                              \
    X(capget, 90)                                                                                            \
    X(capset, 91)                                                                                            \
    X(personality, 92)                                                                                       \
    X(exit, 93)                                                                                              \
    X(exit_group, 94)                                                                                        \
    X(waitid, 95)                                                                                            \
    X(set_tid_address, 96)                                                                                   \
    X(unshare, 97)                                                                                           \
    X(futex, 98)                                                                                             \
    X(set_robust_list, 99)                                                                                   \
    X(get_robust_list, 100)                                                                                  \
    X(nanosleep, 101)                                                                                        \
    X(getitimer, 102)                                                                                        \
    X(setitimer, 103)                                                                                        \
    X(kexec_load, 104)                                                                                       \
    X(init_module, 105)                                                                                      \
    X(delete_module, 106)                                                                                    \
    X(timer_create, 107)                                                                                     \
    X(timer_gettime, 108)                                                                                    \
    X(timer_getoverrun, 109)                                                                                 \
    X(timer_settime, 110)                                                                                    \
    X(timer_delete, 111)                                                                                     \
    X(clock_settime, 112)                                                                                    \
    X(clock_gettime, 113)                                                                                    \
    X(clock_getres, 114)                                                                                     \
    X(clock_nanosleep, 115)                                                                                  \
    X(syslog, 116)                                                                                           \
    X(ptrace, 117)                                                                                           \
    X(sched_setparam, 118)                                                                                   \
    X(sched_setscheduler, 119)                                                                               \
    X(sched_getscheduler, 120)                                                                               \
    X(sched_getparam, 121)                                                                                   \
    X(sched_setaffinity, 122)                                                                                \
    X(sched_getaffinity, 123)                                                                                \
    X(sched_yield, 124)                                                                                      \
    X(sched_get_priority_max, 125)                                                                           \
    X(sched_get_priority_min, 126)                                                                           \
    X(sched_rr_get_interval, 127)                                                                            \
    X(restart_syscall, 128)                                                                                  \
    X(kill, 129)                                                                                             \
    X(tkill, 130)                                                                                            \
    X(tgkill, 131)                                                                                           \
    X(sigaltstack, 132)                                                                                      \
    X(rt_sigsuspend, 133)                                                                                    \
    X(rt_sigaction, 134)                                                                                     \
    X(rt_sigprocmask, 135)                                                                                   \
    X(rt_sigpending, 136)                                                                                    \
    X(rt_sigtimedwait, 137)                                                                                  \
    X(rt_sigqueueinfo, 138)                                                                                  \
    X(rt_sigreturn, 139)                                                                                     \
    X(setpriority, 140)                                                                                      \
    X(getpriority, 141)                                                                                      \
    X(reboot, 142)                                                                                           \
    X(setregid, 143)                                                                                         \
    X(setgid, 144)                                                                                           \
    X(setreuid, 145)                                                                                         \
    X(setuid, 146)                                                                                           \
    X(setresuid, 147)                                                                                        \
    X(getresuid, 148)                                                                                        \
    X(setresgid, 149)                                                                                        \
    X(getresgid, 150)                                                                                        \
    X(setfsuid, 151)                                                                                         \
    X(setfsgid, 152)                                                                                         \
    X(times, 153)                                                                                            \
    X(setpgid, 154)                                                                                          \
    X(getpgid, 155)                                                                                          \
    X(getsid, 156)                                                                                           \
    X(setsid, 157)                                                                                           \
    X(getgroups, 158)                                                                                        \
    X(setgroups, 159)                                                                                        \
    X(uname, 160)                                                                                            \
    X(sethostname, 161)                                                                                      \
    X(setdomainname, 162)                                                                                    \
    X(getrlimit, 163)                                                                                        \
    X(setrlimit, 164)                                                                                        \
    X(getrusage, 165)                                                                                        \
    X(umask, 166)                                                                                            \
    X(prctl, 167)                                                                                            \
    X(getcpu, 168)                                                                                           \
    X(gettimeofday, 169)                                                                                     \
    X(settimeofday, 170)                                                                                     \
    X(adjtimex, 171)                                                                                         \
    X(getpid, 172)                                                                                           \
    X(getppid, 173)                                                                                          \
    X(getuid, 174)                                                                                           \
    X(geteuid, 175)                                                                                          \
    X(getgid, 176)                                                                                           \
    X(getegid, 177)                                                                                          \
    X(gettid, 178)                                                                                           \
    X(sysinfo, 179)                                                                                          \
    X(mq_open, 180)                                                                                          \
    X(mq_unlink, 181)                                                                                        \
    X(mq_timedsend, 182)                                                                                     \
    X(mq_timedreceive, 183)                                                                                  \
    X(mq_notify, 184)                                                                                        \
    X(mq_getsetattr, 185)                                                                                    \
    X(msgget, 186)                                                                                           \
    X(msgctl, 187)                                                                                           \
    X(msgrcv, 188)                                                                                           \
    X(msgsnd, 189)                                                                                           \
    X(semget, 190)                                                                                           \
    X(semctl, 191)                                                                                           \
    X(semtimedop, 192)                                                                                       \
    X(semop, 193)                                                                                            \
    X(shmget, 194)                                                                                           \
    X(shmctl, 195)                                                                                           \
    X(shmat, 196)                                                                                            \
    X(shmdt, 197)                                                                                            \
    X(socket, 198)                                                                                           \
    X(socketpair, 199)                                                                                       \
    X(bind, 200)                                                                                             \
    X(listen, 201)                                                                                           \
    X(accept, 202)                                                                                           \
    X(connect, 203)                                                                                          \
    X(getsockname, 204)                                                                                      \
    X(getpeername, 205)                                                                                      \
    X(sendto, 206)                                                                                           \
    X(recvfrom, 207)                                                                                         \
    X(setsockopt, 208)                                                                                       \
    X(getsockopt, 209)                                                                                       \
    X(shutdown, 210)                                                                                         \
    X(sendmsg, 211)                                                                                          \
    X(recvmsg, 212)                                                                                          \
    X(readahead, 213)                                                                                        \
    X(brk, 214)                                                                                              \
    X(munmap, 215)                                                                                           \
    X(mremap, 216)                                                                                           \
    X(add_key, 217)                                                                                          \
    X(request_key, 218)                                                                                      \
    X(keyctl, 219)                                                                                           \
    X(clone, 220)                                                                                            \
    X(execve, 221)                                                                                           \
    X(mmap, 222)                                                                                             \
    X(fadvise64, 223)                                                                                        \
    X(swapon, 224)                                                                                           \
    X(swapoff, 225)                                                                                          \
    X(mprotect, 226)                                                                                         \
    X(msync, 227)                                                                                            \
    X(mlock, 228)                                                                                            \
    X(munlock, 229)                                                                                          \
    X(mlockall, 230)                                                                                         \
    X(munlockall, 231)                                                                                       \
    X(mincore, 232)                                                                                          \
    X(madvise, 233)                                                                                          \
    X(remap_file_pages, 234)                                                                                 \
    X(mbind, 235)                                                                                            \
    X(get_mempolicy, 236)                                                                                    \
    X(set_mempolicy, 237)                                                                                    \
    X(migrate_pages, 238)                                                                                    \
    X(move_pages, 239)                                                                                       \
    X(rt_tgsigqueueinfo, 240)                                                                                \
    X(perf_event_open, 241)                                                                                  \
    X(accept4, 242)                                                                                          \
    X(recvmmsg, 243)                                                                                         \
    X(wait4, 260)                                                                                            \
    X(prlimit64, 261)                                                                                        \
    X(fanotify_init, 262)                                                                                    \
    X(fanotify_mark, 263)                                                                                    \
    X(name_to_handle_at, 264)                                                                                \
    X(open_by_handle_at, 265)                                                                                \
    X(clock_adjtime, 266)                                                                                    \
    X(syncfs, 267)                                                                                           \
    X(setns, 268)                                                                                            \
    X(sendmmsg, 269)                                                                                         \
    X(process_vm_readv, 270)                                                                                 \
    X(process_vm_writev, 271)                                                                                \
    X(kcmp, 272)                                                                                             \
    X(finit_module, 273)                                                                                     \
    X(sched_setattr, 274)                                                                                    \
    X(sched_getattr, 275)                                                                                    \
    X(renameat2, 276)                                                                                        \
    X(seccomp, 277)                                                                                          \
    X(getrandom, 278)                                                                                        \
    X(memfd_create, 279)                                                                                     \
    X(bpf, 280)                                                                                              \
    X(execveat, 281)                                                                                         \
    X(userfaultfd, 282)                                                                                      \
    X(membarrier, 283)                                                                                       \
    X(mlock2, 284)                                                                                           \
    X(copy_file_range, 285)                                                                                  \
    X(preadv2, 286)                                                                                          \
    X(pwritev2, 287)                                                                                         \
    X(pkey_mprotect, 288)                                                                                    \
    X(pkey_alloc, 289)                                                                                       \
    X(pkey_free, 290)                                                                                        \
    X(statx, 291)                                                                                            \
    X(io_pgetevents, 292)                                                                                    \
    X(rseq, 293)                                                                                             \
    X(kexec_file_load, 294)                                                                                  \
    X(pidfd_send_signal, 424)                                                                                \
    X(io_uring_setup, 425)                                                                                   \
    X(io_uring_enter, 426)                                                                                   \
    X(io_uring_register, 427)                                                                                \
    X(open_tree, 428)                                                                                        \
    X(move_mount, 429)                                                                                       \
    X(fsopen, 430)                                                                                           \
    X(fsconfig, 431)                                                                                         \
    X(fsmount, 432)                                                                                          \
    X(fspick, 433)                                                                                           \
    X(pidfd_open, 434)                                                                                       \
    X(clone3, 435)                                                                                           \
    X(close_range, 436)                                                                                      \
    X(openat2, 437)                                                                                          \
    X(pidfd_getfd, 438)                                                                                      \
    X(faccessat2, 439)                                                                                       \
    X(process_madvise, 440)                                                                                  \
    X(epoll_pwait2, 441)                                                                                     \
    X(mount_setattr, 442)                                                                                    \
    X(quotactl_fd, 443)                                                                                      \
    X(landlock_create_ruleset, 444)                                                                          \
    X(landlock_add_rule, 445)                                                                                \
    X(landlock_restrict_self, 446)                                                                           \
    X(memfd_secret, 447)                                                                                     \
    X(process_mrelease, 448)                                                                                 \
    X(futex_waitv, 449)                                                                                      \
    X(set_mempolicy_home_node, 450)                                                                          \
    X(cachestat, 451)                                                                                        \
    X(fchmodat2, 452)                                                                                        \
    X(map_shadow_stack, 453)                                                                                 \
    X(futex_wake, 454)                                                                                       \
    X(futex_wait, 455)                                                                                       \
    X(futex_requeue, 456)                                                                                    \
    X(statmount, 457)                                                                                        \
    X(listmount, 458)                                                                                        \
    X(lsm_get_self_attr, 459)                                                                                \
    X(lsm_set_self_attr, 460)                                                                                \
    X(lsm_list_modules, 461)                                                                                 \
    X(mseal, 462)                                                                                            \
    X(setxattrat, 463)                                                                                       \
    X(getxattrat, 464)                                                                                       \
    X(listxattrat, 465)                                                                                      \
    X(removexattrat, 466)                                                                                    \
    X(open_tree_attr, 467)                                                                                   \
    X(file_getattr, 468)                                                                                     \
    X(file_setattr, 469)

#define AKUMA_DEFINE_SYSCALL_NUMBER(name, number) constexpr uint64_t k_sys_##name = number;
AKUMA_LINUX_SYSCALLS(AKUMA_DEFINE_SYSCALL_NUMBER)
#undef AKUMA_DEFINE_SYSCALL_NUMBER

// One past the highest number syscall_name() knows.
constexpr uint64_t k_syscall_name_limit = 470;

// The Linux name of an arm64 syscall ("read" for 63), or nullptr for a number
// that is not assigned. For logs such as "[Syscall] unimplemented 42 (...)".
const char* syscall_name(uint64_t number);

static_assert(k_sys_read == 63 && k_sys_write == 64 && k_sys_openat == 56);
static_assert(k_sys_newfstatat == 79 && k_sys_fstat == 80 && k_sys_exit_group == 94);
static_assert(k_sys_brk == 214 && k_sys_mmap == 222 && k_sys_clone3 == 435);

// ---- Files: open(2), *at(2), fcntl(2), lseek(2) -----------------------------
constexpr uint32_t k_o_accmode = 03;
constexpr uint32_t k_o_rdonly = 00;
constexpr uint32_t k_o_wronly = 01;
constexpr uint32_t k_o_rdwr = 02;
constexpr uint32_t k_o_creat = 0100;
constexpr uint32_t k_o_excl = 0200;
constexpr uint32_t k_o_noctty = 0400;
constexpr uint32_t k_o_trunc = 01000;
constexpr uint32_t k_o_append = 02000;
constexpr uint32_t k_o_nonblock = 04000;
constexpr uint32_t k_o_dsync = 010000;
constexpr uint32_t k_o_fasync = 020000;
// arm64 overrides these four (asm/fcntl.h); the asm-generic values differ.
constexpr uint32_t k_o_directory = 040000;
constexpr uint32_t k_o_nofollow = 0100000;
constexpr uint32_t k_o_direct = 0200000;
constexpr uint32_t k_o_largefile = 0400000;
constexpr uint32_t k_o_noatime = 01000000;
constexpr uint32_t k_o_cloexec = 02000000;
constexpr uint32_t k_o_sync = 04000000 | k_o_dsync;
constexpr uint32_t k_o_path = 010000000;
constexpr uint32_t k_o_tmpfile = 020000000 | k_o_directory;

constexpr int32_t k_at_fdcwd = -100;
constexpr uint32_t k_at_symlink_nofollow = 0x100;
constexpr uint32_t k_at_eaccess = 0x200; // faccessat
constexpr uint32_t k_at_removedir = 0x200; // unlinkat
constexpr uint32_t k_at_symlink_follow = 0x400;
constexpr uint32_t k_at_no_automount = 0x800;
constexpr uint32_t k_at_empty_path = 0x1000;
constexpr uint32_t k_at_statx_sync_type = 0x6000;
constexpr uint32_t k_at_recursive = 0x8000;

constexpr uint32_t k_rename_noreplace = 1;
constexpr uint32_t k_rename_exchange = 2;
constexpr uint32_t k_rename_whiteout = 4;

// faccessat mode bits.
constexpr uint32_t k_f_ok = 0;
constexpr uint32_t k_x_ok = 1;
constexpr uint32_t k_w_ok = 2;
constexpr uint32_t k_r_ok = 4;

constexpr uint32_t k_seek_set = 0;
constexpr uint32_t k_seek_cur = 1;
constexpr uint32_t k_seek_end = 2;
constexpr uint32_t k_seek_data = 3;
constexpr uint32_t k_seek_hole = 4;

constexpr uint32_t k_f_dupfd = 0;
constexpr uint32_t k_f_getfd = 1;
constexpr uint32_t k_f_setfd = 2;
constexpr uint32_t k_f_getfl = 3;
constexpr uint32_t k_f_setfl = 4;
constexpr uint32_t k_f_getlk = 5;
constexpr uint32_t k_f_setlk = 6;
constexpr uint32_t k_f_setlkw = 7;
constexpr uint32_t k_f_setown = 8;
constexpr uint32_t k_f_getown = 9;
constexpr uint32_t k_f_setsig = 10;
constexpr uint32_t k_f_getsig = 11;
constexpr uint32_t k_f_setown_ex = 15;
constexpr uint32_t k_f_getown_ex = 16;
// struct f_owner_ex's types.
constexpr int32_t k_f_owner_tid = 0;
constexpr int32_t k_f_owner_pid = 1;
constexpr int32_t k_f_owner_pgrp = 2;
constexpr uint32_t k_f_ofd_getlk = 36;
constexpr uint32_t k_f_ofd_setlk = 37;
constexpr uint32_t k_f_ofd_setlkw = 38;
constexpr uint32_t k_f_setlease = 1024;
constexpr uint32_t k_f_getlease = 1025;
constexpr uint32_t k_f_notify = 1026;
constexpr uint32_t k_f_dupfd_cloexec = 1030;
constexpr uint32_t k_f_setpipe_sz = 1031;
constexpr uint32_t k_f_getpipe_sz = 1032;
constexpr uint32_t k_f_add_seals = 1033;
constexpr uint32_t k_f_get_seals = 1034;
constexpr uint32_t k_fd_cloexec = 1;
constexpr uint32_t k_f_rdlck = 0;
constexpr uint32_t k_f_wrlck = 1;
constexpr uint32_t k_f_unlck = 2;

// ---- File types and modes -------------------------------------------------
constexpr uint32_t k_s_ifmt = 0170000;
constexpr uint32_t k_s_ifsock = 0140000;
constexpr uint32_t k_s_iflnk = 0120000;
constexpr uint32_t k_s_ifreg = 0100000;
constexpr uint32_t k_s_ifblk = 0060000;
constexpr uint32_t k_s_ifdir = 0040000;
constexpr uint32_t k_s_ifchr = 0020000;
constexpr uint32_t k_s_ififo = 0010000;
constexpr uint32_t k_s_isuid = 04000;
constexpr uint32_t k_s_isgid = 02000;
constexpr uint32_t k_s_isvtx = 01000;

// getdents64 d_type values.
constexpr uint8_t k_dt_unknown = 0;
constexpr uint8_t k_dt_fifo = 1;
constexpr uint8_t k_dt_chr = 2;
constexpr uint8_t k_dt_dir = 4;
constexpr uint8_t k_dt_blk = 6;
constexpr uint8_t k_dt_reg = 8;
constexpr uint8_t k_dt_lnk = 10;
constexpr uint8_t k_dt_sock = 12;
constexpr uint8_t k_dt_wht = 14;

// statx(2) mask bits.
constexpr uint32_t k_statx_type = 0x1;
constexpr uint32_t k_statx_mode = 0x2;
constexpr uint32_t k_statx_nlink = 0x4;
constexpr uint32_t k_statx_uid = 0x8;
constexpr uint32_t k_statx_gid = 0x10;
constexpr uint32_t k_statx_atime = 0x20;
constexpr uint32_t k_statx_mtime = 0x40;
constexpr uint32_t k_statx_ctime = 0x80;
constexpr uint32_t k_statx_ino = 0x100;
constexpr uint32_t k_statx_size = 0x200;
constexpr uint32_t k_statx_blocks = 0x400;
constexpr uint32_t k_statx_basic_stats = 0x7ff;
constexpr uint32_t k_statx_btime = 0x800;
constexpr uint32_t k_statx_mnt_id = 0x1000;

// ---- Memory: mmap(2), mprotect(2), madvise(2), mremap(2), msync(2) ----------
constexpr uint32_t k_prot_none = 0x0;
constexpr uint32_t k_prot_read = 0x1;
constexpr uint32_t k_prot_write = 0x2;
constexpr uint32_t k_prot_exec = 0x4;
constexpr uint32_t k_prot_sem = 0x8;
constexpr uint32_t k_prot_bti = 0x10; // arm64
constexpr uint32_t k_prot_mte = 0x20; // arm64
constexpr uint32_t k_prot_growsdown = 0x01000000;
constexpr uint32_t k_prot_growsup = 0x02000000;

constexpr uint32_t k_map_shared = 0x01;
constexpr uint32_t k_map_private = 0x02;
constexpr uint32_t k_map_shared_validate = 0x03;
constexpr uint32_t k_map_type = 0x0f;
constexpr uint32_t k_map_fixed = 0x10;
constexpr uint32_t k_map_anonymous = 0x20;
constexpr uint32_t k_map_growsdown = 0x0100;
constexpr uint32_t k_map_denywrite = 0x0800;
constexpr uint32_t k_map_executable = 0x1000;
constexpr uint32_t k_map_locked = 0x2000;
constexpr uint32_t k_map_noreserve = 0x4000;
constexpr uint32_t k_map_populate = 0x8000;
constexpr uint32_t k_map_nonblock = 0x10000;
constexpr uint32_t k_map_stack = 0x20000;
constexpr uint32_t k_map_hugetlb = 0x40000;
constexpr uint32_t k_map_sync = 0x80000;
constexpr uint32_t k_map_fixed_noreplace = 0x100000;
constexpr uint32_t k_map_uninitialized = 0x4000000;

constexpr uint32_t k_madv_normal = 0;
constexpr uint32_t k_madv_random = 1;
constexpr uint32_t k_madv_sequential = 2;
constexpr uint32_t k_madv_willneed = 3;
constexpr uint32_t k_madv_dontneed = 4;
constexpr uint32_t k_madv_free = 8;
constexpr uint32_t k_madv_remove = 9;
constexpr uint32_t k_madv_dontfork = 10;
constexpr uint32_t k_madv_dofork = 11;
constexpr uint32_t k_madv_mergeable = 12;
constexpr uint32_t k_madv_unmergeable = 13;
constexpr uint32_t k_madv_hugepage = 14;
constexpr uint32_t k_madv_nohugepage = 15;
constexpr uint32_t k_madv_dontdump = 16;
constexpr uint32_t k_madv_dodump = 17;
constexpr uint32_t k_madv_wipeonfork = 18;
constexpr uint32_t k_madv_keeponfork = 19;
constexpr uint32_t k_madv_cold = 20;
constexpr uint32_t k_madv_pageout = 21;
constexpr uint32_t k_madv_populate_read = 22;
constexpr uint32_t k_madv_populate_write = 23;
constexpr uint32_t k_madv_dontneed_locked = 24;
constexpr uint32_t k_madv_collapse = 25;

constexpr uint32_t k_mremap_maymove = 1;
constexpr uint32_t k_mremap_fixed = 2;
constexpr uint32_t k_mremap_dontunmap = 4;

constexpr uint32_t k_ms_async = 1;
constexpr uint32_t k_ms_invalidate = 2;
constexpr uint32_t k_ms_sync = 4;

// ---- Time ------------------------------------------------------------------
constexpr int32_t k_clock_realtime = 0;
constexpr int32_t k_clock_monotonic = 1;
constexpr int32_t k_clock_process_cputime_id = 2;
constexpr int32_t k_clock_thread_cputime_id = 3;
constexpr int32_t k_clock_monotonic_raw = 4;
constexpr int32_t k_clock_realtime_coarse = 5;
constexpr int32_t k_clock_monotonic_coarse = 6;
constexpr int32_t k_clock_boottime = 7;
constexpr int32_t k_clock_realtime_alarm = 8;
constexpr int32_t k_clock_boottime_alarm = 9;
constexpr int32_t k_clock_tai = 11;
// struct timex's modes (linux/timex.h). adjtime(3)'s requests are
// ADJ_OFFSET_SINGLESHOT and ADJ_OFFSET_SS_READ: the bit Linux calls
// ADJ_ADJTIME internally with ADJ_OFFSET (and ADJ_OFFSET_READONLY, the bit
// ADJ_NANO is otherwise).
constexpr uint32_t k_adj_offset = 0x0001;
constexpr uint32_t k_adj_frequency = 0x0002;
constexpr uint32_t k_adj_maxerror = 0x0004;
constexpr uint32_t k_adj_esterror = 0x0008;
constexpr uint32_t k_adj_status = 0x0010;
constexpr uint32_t k_adj_timeconst = 0x0020;
constexpr uint32_t k_adj_tai = 0x0080;
constexpr uint32_t k_adj_setoffset = 0x0100;
constexpr uint32_t k_adj_micro = 0x1000;
constexpr uint32_t k_adj_nano = 0x2000;
constexpr uint32_t k_adj_tick = 0x4000;
constexpr uint32_t k_adj_offset_singleshot = 0x8001;
constexpr uint32_t k_adj_offset_ss_read = 0xa001;
constexpr uint32_t k_adj_adjtime = 0x8000;          // Linux-internal names, not in the uapi
constexpr uint32_t k_adj_offset_readonly = 0x2000;
constexpr int32_t k_sta_unsync = 0x0040;
constexpr int32_t k_time_error = 5;  // the clock state adjtimex returns: not synchronised
constexpr uint32_t k_timer_abstime = 1;
// CPU-time clocks of a given process or thread (clock_getcpuclockid,
// pthread_getcpuclockid): negative ids, (~pid << 3) | per-thread | which.
constexpr int32_t k_cpuclock_prof = 0;   // user + system time
constexpr int32_t k_cpuclock_virt = 1;   // user time
constexpr int32_t k_cpuclock_sched = 2;  // all CPU time (what CLOCK_*_CPUTIME_ID are)
constexpr int32_t k_cpuclock_which_mask = 3;  // 3 itself: a posix-clock fd (CLOCKFD)
constexpr int32_t k_cpuclock_perthread = 4;

// ---- futex(2) ----------------------------------------------------------------
constexpr uint32_t k_futex_wait = 0;
constexpr uint32_t k_futex_wake = 1;
constexpr uint32_t k_futex_fd = 2;
constexpr uint32_t k_futex_requeue = 3;
constexpr uint32_t k_futex_cmp_requeue = 4;
constexpr uint32_t k_futex_wake_op = 5;
constexpr uint32_t k_futex_lock_pi = 6;
constexpr uint32_t k_futex_unlock_pi = 7;
constexpr uint32_t k_futex_trylock_pi = 8;
constexpr uint32_t k_futex_wait_bitset = 9;
constexpr uint32_t k_futex_wake_bitset = 10;
constexpr uint32_t k_futex_wait_requeue_pi = 11;
constexpr uint32_t k_futex_cmp_requeue_pi = 12;
constexpr uint32_t k_futex_lock_pi2 = 13;
constexpr uint32_t k_futex_private_flag = 128;
constexpr uint32_t k_futex_clock_realtime = 256;
constexpr uint32_t k_futex_cmd_mask = ~(k_futex_private_flag | k_futex_clock_realtime);
constexpr uint32_t k_futex_bitset_match_any = 0xffffffff;
// Robust-futex word bits.
constexpr uint32_t k_futex_waiters = 0x80000000;
constexpr uint32_t k_futex_owner_died = 0x40000000;
constexpr uint32_t k_futex_tid_mask = 0x3fffffff;

// ---- Signals -------------------------------------------------------------------
constexpr int32_t k_sighup = 1;
constexpr int32_t k_sigint = 2;
constexpr int32_t k_sigquit = 3;
constexpr int32_t k_sigill = 4;
constexpr int32_t k_sigtrap = 5;
constexpr int32_t k_sigabrt = 6;
constexpr int32_t k_sigiot = 6;
constexpr int32_t k_sigbus = 7;
constexpr int32_t k_sigfpe = 8;
constexpr int32_t k_sigkill = 9;
constexpr int32_t k_sigusr1 = 10;
constexpr int32_t k_sigsegv = 11;
constexpr int32_t k_sigusr2 = 12;
constexpr int32_t k_sigpipe = 13;
constexpr int32_t k_sigalrm = 14;
constexpr int32_t k_sigterm = 15;
constexpr int32_t k_sigstkflt = 16;
constexpr int32_t k_sigchld = 17;
constexpr int32_t k_sigcont = 18;
constexpr int32_t k_sigstop = 19;
constexpr int32_t k_sigtstp = 20;
constexpr int32_t k_sigttin = 21;
constexpr int32_t k_sigttou = 22;
constexpr int32_t k_sigurg = 23;
constexpr int32_t k_sigxcpu = 24;
constexpr int32_t k_sigxfsz = 25;
constexpr int32_t k_sigvtalrm = 26;
constexpr int32_t k_sigprof = 27;
constexpr int32_t k_sigwinch = 28;
constexpr int32_t k_sigio = 29;
constexpr int32_t k_sigpwr = 30;
constexpr int32_t k_sigsys = 31;
constexpr int32_t k_sigrtmin = 32;
constexpr int32_t k_sigrtmax = 64;
constexpr int32_t k_nsig = 64; // signals are 1..k_nsig

// The kernel's sigset_t on arm64: one 64-bit word, bit (n - 1) for signal n.
using Sigset = uint64_t;
constexpr Sigset sigset_bit(int32_t signal) {
    return Sigset { 1 } << (signal - 1);
}

constexpr uint64_t k_sig_dfl = 0;
constexpr uint64_t k_sig_ign = 1;

constexpr uint64_t k_sa_nocldstop = 0x00000001;
constexpr uint64_t k_sa_nocldwait = 0x00000002;
constexpr uint64_t k_sa_siginfo = 0x00000004;
constexpr uint64_t k_sa_unsupported = 0x00000400;
constexpr uint64_t k_sa_expose_tagbits = 0x00000800;
constexpr uint64_t k_sa_restorer = 0x04000000;
constexpr uint64_t k_sa_onstack = 0x08000000;
constexpr uint64_t k_sa_restart = 0x10000000;
constexpr uint64_t k_sa_nodefer = 0x40000000;
constexpr uint64_t k_sa_resethand = 0x80000000;

constexpr int32_t k_sig_block = 0;
constexpr int32_t k_sig_unblock = 1;
constexpr int32_t k_sig_setmask = 2;

constexpr int32_t k_ss_onstack = 1;
constexpr int32_t k_ss_disable = 2;
constexpr uint32_t k_ss_autodisarm = 1u << 31;
constexpr uint64_t k_minsigstksz = 5120; // arm64 asm/signal.h
constexpr uint64_t k_sigstksz = 16384;

// ---- Processes: clone(2), wait4(2), resources ----------------------------------
constexpr uint64_t k_csignal = 0xff; // exit signal in clone flags
constexpr uint64_t k_clone_newtime = 0x00000080;
constexpr uint64_t k_clone_vm = 0x00000100;
constexpr uint64_t k_clone_fs = 0x00000200;
constexpr uint64_t k_clone_files = 0x00000400;
constexpr uint64_t k_clone_sighand = 0x00000800;
constexpr uint64_t k_clone_pidfd = 0x00001000;
constexpr uint64_t k_clone_ptrace = 0x00002000;
constexpr uint64_t k_clone_vfork = 0x00004000;
constexpr uint64_t k_clone_parent = 0x00008000;
constexpr uint64_t k_clone_thread = 0x00010000;
constexpr uint64_t k_clone_newns = 0x00020000;
constexpr uint64_t k_clone_sysvsem = 0x00040000;
constexpr uint64_t k_clone_settls = 0x00080000;
constexpr uint64_t k_clone_parent_settid = 0x00100000;
constexpr uint64_t k_clone_child_cleartid = 0x00200000;
constexpr uint64_t k_clone_detached = 0x00400000;
constexpr uint64_t k_clone_untraced = 0x00800000;
constexpr uint64_t k_clone_child_settid = 0x01000000;
constexpr uint64_t k_clone_newcgroup = 0x02000000;
constexpr uint64_t k_clone_newuts = 0x04000000;
constexpr uint64_t k_clone_newipc = 0x08000000;
constexpr uint64_t k_clone_newuser = 0x10000000;
constexpr uint64_t k_clone_newpid = 0x20000000;
constexpr uint64_t k_clone_newnet = 0x40000000;
constexpr uint64_t k_clone_io = 0x80000000;
constexpr uint64_t k_clone_clear_sighand = 0x100000000;
constexpr uint64_t k_clone_into_cgroup = 0x200000000;

constexpr uint32_t k_wnohang = 0x00000001;
constexpr uint32_t k_wuntraced = 0x00000002;
constexpr uint32_t k_wexited = 0x00000004;
constexpr uint32_t k_wcontinued = 0x00000008;
constexpr uint32_t k_wnowait = 0x01000000;
constexpr uint32_t k_wnothread = 0x20000000;
constexpr uint32_t k_wall = 0x40000000;
constexpr uint32_t k_wclone = 0x80000000;

constexpr int32_t k_p_all = 0;  // waitid idtype
constexpr int32_t k_p_pid = 1;
constexpr int32_t k_p_pgid = 2;
constexpr int32_t k_p_pidfd = 3;

// siginfo si_code values (asm-generic/siginfo.h).
constexpr int32_t k_si_user = 0;
constexpr int32_t k_si_kernel = 0x80;
// si_code of SIGPOLL (and of an F_SETSIG signal): why the file signals.
constexpr int32_t k_poll_in = 1;
constexpr int32_t k_poll_out = 2;
constexpr int32_t k_poll_msg = 3;
constexpr int32_t k_poll_err = 4;
constexpr int32_t k_poll_pri = 5;
constexpr int32_t k_poll_hup = 6;
constexpr int32_t k_si_tkill = -6;
constexpr int32_t k_si_timer = -2;

// struct sigevent sigev_notify values.
constexpr int32_t k_sigev_signal = 0;
constexpr int32_t k_sigev_none = 1;
constexpr int32_t k_sigev_thread = 2;
constexpr int32_t k_sigev_thread_id = 4;
constexpr int32_t k_cld_exited = 1;
constexpr int32_t k_cld_killed = 2;
constexpr int32_t k_cld_dumped = 3;
constexpr int32_t k_cld_stopped = 5;
constexpr int32_t k_cld_continued = 6;
constexpr int32_t k_segv_maperr = 1;
constexpr int32_t k_segv_accerr = 2;
constexpr int32_t k_bus_adraln = 1;
constexpr int32_t k_bus_adrerr = 2;
constexpr int32_t k_ill_illopc = 1;
constexpr int32_t k_trap_brkpt = 1;

// reboot(2)
constexpr uint32_t k_reboot_magic1 = 0xfee1dead;
constexpr uint32_t k_reboot_magic2 = 672274793;
constexpr uint32_t k_reboot_magic2a = 85072278;
constexpr uint32_t k_reboot_magic2b = 369367448;
constexpr uint32_t k_reboot_magic2c = 537993216;
constexpr uint32_t k_reboot_cmd_restart = 0x01234567;
constexpr uint32_t k_reboot_cmd_halt = 0xcdef0123;
constexpr uint32_t k_reboot_cmd_power_off = 0x4321fedc;
constexpr uint32_t k_reboot_cmd_cad_on = 0x89abcdef;
constexpr uint32_t k_reboot_cmd_cad_off = 0x00000000;


constexpr uint32_t k_rlimit_cpu = 0;
constexpr uint32_t k_rlimit_fsize = 1;
constexpr uint32_t k_rlimit_data = 2;
constexpr uint32_t k_rlimit_stack = 3;
constexpr uint32_t k_rlimit_core = 4;
constexpr uint32_t k_rlimit_rss = 5;
constexpr uint32_t k_rlimit_nproc = 6;
constexpr uint32_t k_rlimit_nofile = 7;
constexpr uint32_t k_rlimit_memlock = 8;
constexpr uint32_t k_rlimit_as = 9;
constexpr uint32_t k_rlimit_locks = 10;
constexpr uint32_t k_rlimit_sigpending = 11;
constexpr uint32_t k_rlimit_msgqueue = 12;
constexpr uint32_t k_rlimit_nice = 13;
constexpr uint32_t k_rlimit_rtprio = 14;
constexpr uint32_t k_rlimit_rttime = 15;
constexpr uint32_t k_rlim_nlimits = 16;
constexpr uint64_t k_rlim_infinity = ~uint64_t { 0 };

constexpr int32_t k_rusage_self = 0;
constexpr int32_t k_rusage_children = -1;
constexpr int32_t k_rusage_thread = 1;

constexpr uint32_t k_grnd_nonblock = 0x1;
constexpr uint32_t k_grnd_random = 0x2;
constexpr uint32_t k_grnd_insecure = 0x4;

// ---- poll(2) ---------------------------------------------------------------------
constexpr uint16_t k_pollin = 0x0001;
constexpr uint16_t k_pollpri = 0x0002;
constexpr uint16_t k_pollout = 0x0004;
constexpr uint16_t k_pollerr = 0x0008;
constexpr uint16_t k_pollhup = 0x0010;
constexpr uint16_t k_pollnval = 0x0020;
constexpr uint16_t k_pollrdnorm = 0x0040;
constexpr uint16_t k_pollrdband = 0x0080;
constexpr uint16_t k_pollwrnorm = 0x0100;
constexpr uint16_t k_pollwrband = 0x0200;
constexpr uint16_t k_pollmsg = 0x0400;
constexpr uint16_t k_pollrdhup = 0x2000;

// ---- Terminals: ioctl(2) requests and termios bits --------------------------------
constexpr uint32_t k_tcgets = 0x5401;
constexpr uint32_t k_tcsets = 0x5402;
constexpr uint32_t k_tcsetsw = 0x5403;
constexpr uint32_t k_tcsetsf = 0x5404;
constexpr uint32_t k_tcsbrk = 0x5409;
constexpr uint32_t k_tcxonc = 0x540A;
constexpr uint32_t k_tcflsh = 0x540B;
constexpr uint32_t k_tiocsctty = 0x540E;
constexpr uint32_t k_tiocgpgrp = 0x540F;
constexpr uint32_t k_tiocspgrp = 0x5410;
constexpr uint32_t k_tiocoutq = 0x5411;
constexpr uint32_t k_tiocgwinsz = 0x5413;
constexpr uint32_t k_tiocswinsz = 0x5414;
constexpr uint32_t k_fionread = 0x541B;
constexpr uint32_t k_fionbio = 0x5421;
constexpr uint32_t k_tiocnotty = 0x5422;
constexpr uint32_t k_tiocgptpeer = 0x5441;
constexpr uint32_t k_tiocgsid = 0x5429;
constexpr uint32_t k_fionclex = 0x5450;
constexpr uint32_t k_fioasync = 0x5452;
constexpr uint32_t k_fioclex = 0x5451;

// TCFLSH arguments.
constexpr uint32_t k_tciflush = 0;
constexpr uint32_t k_tcoflush = 1;
constexpr uint32_t k_tcioflush = 2;

// c_cc indices.
constexpr size_t k_nccs = 19;
constexpr size_t k_vintr = 0;
constexpr size_t k_vquit = 1;
constexpr size_t k_verase = 2;
constexpr size_t k_vkill = 3;
constexpr size_t k_veof = 4;
constexpr size_t k_vtime = 5;
constexpr size_t k_vmin = 6;
constexpr size_t k_vswtc = 7;
constexpr size_t k_vstart = 8;
constexpr size_t k_vstop = 9;
constexpr size_t k_vsusp = 10;
constexpr size_t k_veol = 11;
constexpr size_t k_vreprint = 12;
constexpr size_t k_vdiscard = 13;
constexpr size_t k_vwerase = 14;
constexpr size_t k_vlnext = 15;
constexpr size_t k_veol2 = 16;

// c_iflag
constexpr uint32_t k_ignbrk = 0x001;
constexpr uint32_t k_brkint = 0x002;
constexpr uint32_t k_ignpar = 0x004;
constexpr uint32_t k_parmrk = 0x008;
constexpr uint32_t k_inpck = 0x010;
constexpr uint32_t k_istrip = 0x020;
constexpr uint32_t k_inlcr = 0x040;
constexpr uint32_t k_igncr = 0x080;
constexpr uint32_t k_icrnl = 0x100;
constexpr uint32_t k_iuclc = 0x200;
constexpr uint32_t k_ixon = 0x400;
constexpr uint32_t k_ixany = 0x800;
constexpr uint32_t k_ixoff = 0x1000;
constexpr uint32_t k_imaxbel = 0x2000;
constexpr uint32_t k_iutf8 = 0x4000;
// c_oflag
constexpr uint32_t k_opost = 0x01;
constexpr uint32_t k_olcuc = 0x02;
constexpr uint32_t k_onlcr = 0x04;
constexpr uint32_t k_ocrnl = 0x08;
constexpr uint32_t k_onocr = 0x10;
constexpr uint32_t k_onlret = 0x20;
// c_cflag
constexpr uint32_t k_cbaud = 0x100f;
constexpr uint32_t k_b9600 = 0x000d;
constexpr uint32_t k_b38400 = 0x000f;
constexpr uint32_t k_b115200 = 0x1002;
constexpr uint32_t k_csize = 0x30;
constexpr uint32_t k_cs8 = 0x30;
constexpr uint32_t k_cstopb = 0x40;
constexpr uint32_t k_cread = 0x80;
constexpr uint32_t k_parenb = 0x100;
constexpr uint32_t k_parodd = 0x200;
constexpr uint32_t k_hupcl = 0x400;
constexpr uint32_t k_clocal = 0x800;
// c_lflag
constexpr uint32_t k_isig = 0x00001;
constexpr uint32_t k_icanon = 0x00002;
constexpr uint32_t k_echo = 0x00008;
constexpr uint32_t k_echoe = 0x00010;
constexpr uint32_t k_echok = 0x00020;
constexpr uint32_t k_echonl = 0x00040;
constexpr uint32_t k_noflsh = 0x00080;
constexpr uint32_t k_tostop = 0x00100;
constexpr uint32_t k_echoctl = 0x00200;
constexpr uint32_t k_echoprt = 0x00400;
constexpr uint32_t k_echoke = 0x00800;
constexpr uint32_t k_flusho = 0x01000;
constexpr uint32_t k_pendin = 0x04000;
constexpr uint32_t k_iexten = 0x08000;
constexpr uint32_t k_extproc = 0x10000;

// ---- ELF auxiliary vector (linux/auxvec.h, arm64 asm/auxvec.h) ----------------------
constexpr uint64_t k_at_null = 0;
constexpr uint64_t k_at_ignore = 1;
constexpr uint64_t k_at_execfd = 2;
constexpr uint64_t k_at_phdr = 3;
constexpr uint64_t k_at_phent = 4;
constexpr uint64_t k_at_phnum = 5;
constexpr uint64_t k_at_pagesz = 6;
constexpr uint64_t k_at_base = 7;
constexpr uint64_t k_at_flags = 8;
constexpr uint64_t k_at_entry = 9;
constexpr uint64_t k_at_notelf = 10;
constexpr uint64_t k_at_uid = 11;
constexpr uint64_t k_at_euid = 12;
constexpr uint64_t k_at_gid = 13;
constexpr uint64_t k_at_egid = 14;
constexpr uint64_t k_at_platform = 15;
constexpr uint64_t k_at_hwcap = 16;
constexpr uint64_t k_at_clktck = 17;
constexpr uint64_t k_at_secure = 23;
constexpr uint64_t k_at_base_platform = 24;
constexpr uint64_t k_at_random = 25;
constexpr uint64_t k_at_hwcap2 = 26;
constexpr uint64_t k_at_rseq_feature_size = 27;
constexpr uint64_t k_at_rseq_align = 28;
constexpr uint64_t k_at_execfn = 31;
constexpr uint64_t k_at_sysinfo_ehdr = 33;
constexpr uint64_t k_at_minsigstksz = 51;

// AT_HWCAP bits (arm64 asm/hwcap.h).
constexpr uint64_t k_hwcap_fp = 1ull << 0;
constexpr uint64_t k_hwcap_asimd = 1ull << 1;
constexpr uint64_t k_hwcap_evtstrm = 1ull << 2;
constexpr uint64_t k_hwcap_aes = 1ull << 3;
constexpr uint64_t k_hwcap_pmull = 1ull << 4;
constexpr uint64_t k_hwcap_sha1 = 1ull << 5;
constexpr uint64_t k_hwcap_sha2 = 1ull << 6;
constexpr uint64_t k_hwcap_crc32 = 1ull << 7;
constexpr uint64_t k_hwcap_atomics = 1ull << 8;
constexpr uint64_t k_hwcap_fphp = 1ull << 9;
constexpr uint64_t k_hwcap_asimdhp = 1ull << 10;
constexpr uint64_t k_hwcap_cpuid = 1ull << 11; // EL0 may read ID registers (emulated MRS)
constexpr uint64_t k_hwcap_asimdrdm = 1ull << 12;
constexpr uint64_t k_hwcap_jscvt = 1ull << 13;
constexpr uint64_t k_hwcap_fcma = 1ull << 14;
constexpr uint64_t k_hwcap_lrcpc = 1ull << 15;
constexpr uint64_t k_hwcap_dcpop = 1ull << 16;
constexpr uint64_t k_hwcap_sha3 = 1ull << 17;
constexpr uint64_t k_hwcap_sm3 = 1ull << 18;
constexpr uint64_t k_hwcap_sm4 = 1ull << 19;
constexpr uint64_t k_hwcap_asimddp = 1ull << 20;
constexpr uint64_t k_hwcap_sha512 = 1ull << 21;
constexpr uint64_t k_hwcap_sve = 1ull << 22;
constexpr uint64_t k_hwcap_asimdfhm = 1ull << 23;
constexpr uint64_t k_hwcap_dit = 1ull << 24;
constexpr uint64_t k_hwcap_uscat = 1ull << 25;
constexpr uint64_t k_hwcap_ilrcpc = 1ull << 26;
constexpr uint64_t k_hwcap_flagm = 1ull << 27;
constexpr uint64_t k_hwcap_ssbs = 1ull << 28;
constexpr uint64_t k_hwcap_sb = 1ull << 29;
constexpr uint64_t k_hwcap_paca = 1ull << 30;
constexpr uint64_t k_hwcap_pacg = 1ull << 31;
// AT_HWCAP2 bits.
constexpr uint64_t k_hwcap2_dcpodp = 1ull << 0;
constexpr uint64_t k_hwcap2_sve2 = 1ull << 1;
constexpr uint64_t k_hwcap2_flagm2 = 1ull << 7;
constexpr uint64_t k_hwcap2_frint = 1ull << 8;
constexpr uint64_t k_hwcap2_i8mm = 1ull << 13;
constexpr uint64_t k_hwcap2_bf16 = 1ull << 14;
constexpr uint64_t k_hwcap2_dgh = 1ull << 15;
constexpr uint64_t k_hwcap2_rng = 1ull << 16;
constexpr uint64_t k_hwcap2_bti = 1ull << 17;
constexpr uint64_t k_hwcap2_mte = 1ull << 18;
constexpr uint64_t k_hwcap2_ecv = 1ull << 19;

// ---- Structures -----------------------------------------------------------------

// One auxv entry (Elf64_auxv_t).
struct AuxEntry {
    uint64_t type;
    uint64_t value;
};
static_assert(sizeof(AuxEntry) == 16);

struct Timespec {
    int64_t sec;
    int64_t nsec;
};
static_assert(sizeof(Timespec) == 16 && offsetof(Timespec, nsec) == 8);

struct Timeval {
    int64_t sec;
    int64_t usec;
};
static_assert(sizeof(Timeval) == 16 && offsetof(Timeval, usec) == 8);

// struct __kernel_timex (adjtimex, clock_adjtime): 64-bit fields with
// padding after the ints, and 11 reserved ints at the end.
struct Timex {
    uint32_t modes;
    int32_t pad0;
    int64_t offset;
    int64_t freq;
    int64_t maxerror;
    int64_t esterror;
    int32_t status;
    int32_t pad1;
    int64_t constant;
    int64_t precision;
    int64_t tolerance;
    Timeval time;
    int64_t tick;
    int64_t ppsfreq;
    int64_t jitter;
    int32_t shift;
    int32_t pad2;
    int64_t stabil;
    int64_t jitcnt;
    int64_t calcnt;
    int64_t errcnt;
    int64_t stbcnt;
    int32_t tai;
    int32_t reserved[11];
};
static_assert(sizeof(Timex) == 208 && offsetof(Timex, status) == 40 && offsetof(Timex, time) == 72 &&
              offsetof(Timex, shift) == 112 && offsetof(Timex, tai) == 160);

struct Itimerval {
    Timeval interval;
    Timeval value;
};
static_assert(sizeof(Itimerval) == 32 && offsetof(Itimerval, value) == 16);
// timerfd_settime/gettime's struct itimerspec.
// struct sigevent (timer_create).
struct Sigevent {
    uint64_t value;
    int32_t signo;
    int32_t notify;
    int32_t thread_id;  // SIGEV_THREAD_ID
    uint8_t pad[44];
};
static_assert(sizeof(Sigevent) == 64 && offsetof(Sigevent, thread_id) == 16);

struct Itimerspec {
    Timespec interval;
    Timespec value;
};
static_assert(sizeof(Itimerspec) == 32);

constexpr int32_t k_itimer_real = 0;
constexpr int32_t k_itimer_virtual = 1;
constexpr int32_t k_itimer_prof = 2;

struct Timezone {
    int32_t minuteswest;
    int32_t dsttime;
};
static_assert(sizeof(Timezone) == 8);

// struct stat of arm64 (asm-generic/stat.h); fstat, newfstatat.
struct Stat {
    uint64_t dev;
    uint64_t ino;
    uint32_t mode;
    uint32_t nlink;
    uint32_t uid;
    uint32_t gid;
    uint64_t rdev;
    uint64_t pad1;
    int64_t size;
    int32_t blksize;
    int32_t pad2;
    int64_t blocks;
    int64_t atime_sec;
    uint64_t atime_nsec;
    int64_t mtime_sec;
    uint64_t mtime_nsec;
    int64_t ctime_sec;
    uint64_t ctime_nsec;
    uint32_t unused4;
    uint32_t unused5;
};
static_assert(sizeof(Stat) == 128);

// struct statfs (asm-generic/statfs.h, 64-bit).
struct Statfs {
    int64_t type;
    int64_t bsize;
    uint64_t blocks;
    uint64_t bfree;
    uint64_t bavail;
    uint64_t files;
    uint64_t ffree;
    int32_t fsid[2];
    int64_t namelen;
    int64_t frsize;
    int64_t flags;
    int64_t spare[4];
};
static_assert(sizeof(Statfs) == 120);
static_assert(offsetof(Statfs, fsid) == 56 && offsetof(Statfs, namelen) == 64 && offsetof(Statfs, flags) == 80);

// mount(2) flags (linux/mount.h) and umount2(2) flags.
constexpr uint64_t k_ms_rdonly = 1;
constexpr uint64_t k_ms_nosuid = 2;
constexpr uint64_t k_ms_nodev = 4;
constexpr uint64_t k_ms_noexec = 8;
constexpr uint64_t k_ms_remount = 32;
constexpr uint64_t k_ms_bind = 4096;
constexpr uint64_t k_ms_move = 8192;
constexpr uint64_t k_ms_rec = 16384;
constexpr uint64_t k_ms_unbindable = 1 << 17;
constexpr uint64_t k_ms_private = 1 << 18;
constexpr uint64_t k_ms_slave = 1 << 19;
constexpr uint64_t k_ms_shared = 1 << 20;
constexpr uint64_t k_ms_mgc_mask = 0xffff0000;
constexpr uint64_t k_ms_mgc_val = 0xc0ed0000;
constexpr uint32_t k_mnt_force = 1;
constexpr uint32_t k_mnt_detach = 2;
constexpr uint32_t k_mnt_expire = 4;
constexpr uint32_t k_umount_nofollow = 8;
// statfs f_flags (ST_*).
constexpr uint64_t k_st_rdonly = 1;
constexpr uint64_t k_st_nosuid = 2;
constexpr uint64_t k_st_nodev = 4;
constexpr uint64_t k_st_noexec = 8;
constexpr uint64_t k_st_valid = 0x20;
static_assert(offsetof(Stat, ino) == 8 && offsetof(Stat, mode) == 16 && offsetof(Stat, nlink) == 20);
static_assert(offsetof(Stat, uid) == 24 && offsetof(Stat, gid) == 28 && offsetof(Stat, rdev) == 32);
static_assert(offsetof(Stat, size) == 48 && offsetof(Stat, blksize) == 56 && offsetof(Stat, blocks) == 64);
static_assert(offsetof(Stat, atime_sec) == 72 && offsetof(Stat, mtime_sec) == 88);
static_assert(offsetof(Stat, ctime_sec) == 104 && offsetof(Stat, ctime_nsec) == 112);

struct StatxTimestamp {
    int64_t sec;
    uint32_t nsec;
    int32_t reserved;
};
static_assert(sizeof(StatxTimestamp) == 16);

struct Statx {
    uint32_t mask;
    uint32_t blksize;
    uint64_t attributes;
    uint32_t nlink;
    uint32_t uid;
    uint32_t gid;
    uint16_t mode;
    uint16_t spare0;
    uint64_t ino;
    uint64_t size;
    uint64_t blocks;
    uint64_t attributes_mask;
    StatxTimestamp atime;
    StatxTimestamp btime;
    StatxTimestamp ctime;
    StatxTimestamp mtime;
    uint32_t rdev_major;
    uint32_t rdev_minor;
    uint32_t dev_major;
    uint32_t dev_minor;
    uint64_t mnt_id;
    uint32_t dio_mem_align;
    uint32_t dio_offset_align;
    uint64_t spare3[12];
};
static_assert(sizeof(Statx) == 256);
static_assert(offsetof(Statx, nlink) == 16 && offsetof(Statx, mode) == 28 && offsetof(Statx, ino) == 32);
static_assert(offsetof(Statx, atime) == 64 && offsetof(Statx, mtime) == 112);
static_assert(offsetof(Statx, rdev_major) == 128 && offsetof(Statx, dev_minor) == 140);
static_assert(offsetof(Statx, mnt_id) == 144 && offsetof(Statx, spare3) == 160);

constexpr size_t k_utsname_field_size = 65; // __NEW_UTS_LEN + 1

struct Utsname {
    char sysname[k_utsname_field_size];
    char nodename[k_utsname_field_size];
    char release[k_utsname_field_size];
    char version[k_utsname_field_size];
    char machine[k_utsname_field_size];
    char domainname[k_utsname_field_size];
};
static_assert(sizeof(Utsname) == 390 && offsetof(Utsname, machine) == 260);

struct Iovec {
    uint64_t base; // user address
    uint64_t len;
};
static_assert(sizeof(Iovec) == 16);

// The kernel's struct termios (asm-generic/termbits.h), which TCGETS/TCSETS*
// use; glibc's own struct termios is larger and converted in libc.
struct Termios {
    uint32_t iflag;
    uint32_t oflag;
    uint32_t cflag;
    uint32_t lflag;
    uint8_t line;
    uint8_t cc[k_nccs];
};
static_assert(sizeof(Termios) == 36 && offsetof(Termios, line) == 16 && offsetof(Termios, cc) == 17);

struct Winsize {
    uint16_t row;
    uint16_t col;
    uint16_t xpixel;
    uint16_t ypixel;
};
static_assert(sizeof(Winsize) == 8);

struct Rlimit {
    uint64_t cur;
    uint64_t max;
};
static_assert(sizeof(Rlimit) == 16);

struct PollFd {
    int32_t fd;
    int16_t events;
    int16_t revents;
};
static_assert(sizeof(PollFd) == 8);

// rt_sigaction's struct sigaction as the arm64 kernel reads it (it has
// SA_RESTORER, and the mask comes last).
struct KernelSigaction {
    uint64_t handler; // k_sig_dfl, k_sig_ign or a user address
    uint64_t flags;
    uint64_t restorer;
    Sigset mask;
};
static_assert(sizeof(KernelSigaction) == 32 && offsetof(KernelSigaction, restorer) == 16);
static_assert(offsetof(KernelSigaction, mask) == 24);

// stack_t of sigaltstack(2).
struct SignalStack {
    uint64_t sp;
    int32_t flags;
    uint32_t pad;
    uint64_t size;
};
static_assert(sizeof(SignalStack) == 24 && offsetof(SignalStack, size) == 16);

struct Sysinfo {
    int64_t uptime;
    uint64_t loads[3];
    uint64_t totalram;
    uint64_t freeram;
    uint64_t sharedram;
    uint64_t bufferram;
    uint64_t totalswap;
    uint64_t freeswap;
    uint16_t procs;
    uint16_t pad;
    uint32_t pad2; // alignment padding, explicit so it is never left uninitialised
    uint64_t totalhigh;
    uint64_t freehigh;
    uint32_t mem_unit;
    uint32_t pad3;
};
static_assert(sizeof(Sysinfo) == 112 && offsetof(Sysinfo, procs) == 80);
static_assert(offsetof(Sysinfo, totalhigh) == 88 && offsetof(Sysinfo, mem_unit) == 104);

struct Rusage {
    Timeval utime;
    Timeval stime;
    int64_t maxrss;
    int64_t ixrss;
    int64_t idrss;
    int64_t isrss;
    int64_t minflt;
    int64_t majflt;
    int64_t nswap;
    int64_t inblock;
    int64_t oublock;
    int64_t msgsnd;
    int64_t msgrcv;
    int64_t nsignals;
    int64_t nvcsw;
    int64_t nivcsw;
};
static_assert(sizeof(Rusage) == 144 && offsetof(Rusage, maxrss) == 32);

// times(2); clock_t counts USER_HZ (100) ticks.
struct Tms {
    int64_t utime;
    int64_t stime;
    int64_t cutime;
    int64_t cstime;
};
static_assert(sizeof(Tms) == 32);
constexpr uint64_t k_user_hz = 100; // also AT_CLKTCK

// clone3(2) arguments; user space passes its size, which grew over time.
struct CloneArgs {
    uint64_t flags;
    uint64_t pidfd;
    uint64_t child_tid;
    uint64_t parent_tid;
    uint64_t exit_signal;
    uint64_t stack;
    uint64_t stack_size;
    uint64_t tls;
    uint64_t set_tid;
    uint64_t set_tid_size;
    uint64_t cgroup;
};
static_assert(sizeof(CloneArgs) == 88 && offsetof(CloneArgs, tls) == 56);
constexpr size_t k_clone_args_size_ver0 = 64;
constexpr size_t k_clone_args_size_ver1 = 80;
constexpr size_t k_clone_args_size_ver2 = 88;

// ---- getdents64 records ------------------------------------------------------------
// struct linux_dirent64: the name (NUL-terminated) starts right after d_type,
// at offset 19, and each record is padded to a multiple of 8 bytes.
struct Dirent64Header {
    uint64_t ino;
    int64_t off; // position of the next entry, for lseek
    uint16_t reclen;
    uint8_t type;
};
constexpr size_t k_dirent64_name_offset = 19;
static_assert(offsetof(Dirent64Header, off) == 8 && offsetof(Dirent64Header, reclen) == 16);
static_assert(offsetof(Dirent64Header, type) + 1 == k_dirent64_name_offset);

// Record size for a name of name_length bytes: header, name, NUL, padding.
constexpr size_t dirent64_record_size(size_t name_length) {
    return (k_dirent64_name_offset + name_length + 1 + 7) & ~size_t { 7 };
}

// Writes one record at the start of out and returns its size, or 0 if it does
// not fit (or its size would not fit d_reclen). The padding is zeroed so no
// stale kernel bytes reach user space. name must not contain NUL.
inline size_t write_dirent64(
    std::span<uint8_t> out, uint64_t ino, int64_t next_offset, uint8_t type, std::string_view name) {
    if (name.size() > 0xffff)
        return 0;
    size_t record = dirent64_record_size(name.size());
    if (record > out.size() || record > 0xffff)
        return 0;
    Dirent64Header header { ino, next_offset, static_cast<uint16_t>(record), type };
    __builtin_memcpy(out.data(), &header, k_dirent64_name_offset);
    __builtin_memcpy(out.data() + k_dirent64_name_offset, name.data(), name.size());
    size_t name_end = k_dirent64_name_offset + name.size();
    __builtin_memset(out.data() + name_end, 0, record - name_end);
    return record;
}

} // namespace akuma::linux_abi
