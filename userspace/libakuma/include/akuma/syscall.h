// Raw Linux/AArch64 system calls for Akuma programs: `svc #0` with the
// number in x8 and arguments in x0..x5; the result comes back in x0, a
// negative errno on failure (the kernel ABI, not libc's -1/errno).
// Nothing here touches glibc, so the allocators can use these wrappers
// before libc is initialised and without ever setting errno behind the
// caller's back.
#pragma once

#if !defined(__aarch64__)
#error "akuma/syscall.h is for AArch64 targets; host tests use a PageSource backend instead"
#endif

#include <cstddef>
#include <cstdint>

namespace akuma::user {

// Numbers from the generic syscall table (include/uapi/asm-generic/unistd.h),
// which AArch64 uses unchanged.
namespace sys {
inline constexpr long k_openat = 56;
inline constexpr long k_close = 57;
inline constexpr long k_read = 63;
inline constexpr long k_write = 64;
inline constexpr long k_exit = 93;
inline constexpr long k_exit_group = 94;
inline constexpr long k_futex = 98;
inline constexpr long k_nanosleep = 101;
inline constexpr long k_clock_gettime = 113;
inline constexpr long k_sched_yield = 124;
inline constexpr long k_kill = 129;
inline constexpr long k_tgkill = 131;
inline constexpr long k_getpid = 172;
inline constexpr long k_gettid = 178;
inline constexpr long k_brk = 214;
inline constexpr long k_munmap = 215;
inline constexpr long k_mremap = 216;
inline constexpr long k_mmap = 222;
inline constexpr long k_mprotect = 226;
inline constexpr long k_mincore = 232;
inline constexpr long k_madvise = 233;
inline constexpr long k_getrandom = 278;
} // namespace sys

// mmap/mprotect/madvise constants of the Linux ABI (asm-generic/mman*.h).
inline constexpr int k_prot_none = 0x0;
inline constexpr int k_prot_read = 0x1;
inline constexpr int k_prot_write = 0x2;
inline constexpr int k_prot_exec = 0x4;
inline constexpr int k_map_shared = 0x01;
inline constexpr int k_map_private = 0x02;
inline constexpr int k_map_fixed = 0x10;
inline constexpr int k_map_anonymous = 0x20;
inline constexpr int k_map_noreserve = 0x4000;
inline constexpr int k_madv_dontneed = 4;
inline constexpr int k_futex_wait_private = 0 | 128; // FUTEX_WAIT | FUTEX_PRIVATE_FLAG
inline constexpr int k_futex_wake_private = 1 | 128; // FUTEX_WAKE | FUTEX_PRIVATE_FLAG
inline constexpr int k_clock_realtime = 0;
inline constexpr int k_clock_monotonic = 1;
inline constexpr int k_sigabrt = 6;
inline constexpr int k_stdout_fd = 1;
inline constexpr int k_stderr_fd = 2;

// The largest errno a syscall returns: results in [-4095, -1] are errors,
// everything else (mmap addresses included) is a value.
inline constexpr long k_max_errno = 4095;

inline bool is_syscall_error(long result) { return result < 0 && result >= -k_max_errno; }

// "memory" clobber: the kernel reads and writes user buffers behind the
// compiler's back.
inline long syscall0(long number) {
    register long x8 asm("x8") = number;
    register long x0 asm("x0");
    asm volatile("svc #0" : "=r"(x0) : "r"(x8) : "memory");
    return x0;
}

inline long syscall1(long number, long a0) {
    register long x8 asm("x8") = number;
    register long x0 asm("x0") = a0;
    asm volatile("svc #0" : "+r"(x0) : "r"(x8) : "memory");
    return x0;
}

inline long syscall2(long number, long a0, long a1) {
    register long x8 asm("x8") = number;
    register long x0 asm("x0") = a0;
    register long x1 asm("x1") = a1;
    asm volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1) : "memory");
    return x0;
}

inline long syscall3(long number, long a0, long a1, long a2) {
    register long x8 asm("x8") = number;
    register long x0 asm("x0") = a0;
    register long x1 asm("x1") = a1;
    register long x2 asm("x2") = a2;
    asm volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
    return x0;
}

inline long syscall4(long number, long a0, long a1, long a2, long a3) {
    register long x8 asm("x8") = number;
    register long x0 asm("x0") = a0;
    register long x1 asm("x1") = a1;
    register long x2 asm("x2") = a2;
    register long x3 asm("x3") = a3;
    asm volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
    return x0;
}

inline long syscall5(long number, long a0, long a1, long a2, long a3, long a4) {
    register long x8 asm("x8") = number;
    register long x0 asm("x0") = a0;
    register long x1 asm("x1") = a1;
    register long x2 asm("x2") = a2;
    register long x3 asm("x3") = a3;
    register long x4 asm("x4") = a4;
    asm volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4) : "memory");
    return x0;
}

inline long syscall6(long number, long a0, long a1, long a2, long a3, long a4, long a5) {
    register long x8 asm("x8") = number;
    register long x0 asm("x0") = a0;
    register long x1 asm("x1") = a1;
    register long x2 asm("x2") = a2;
    register long x3 asm("x3") = a3;
    register long x4 asm("x4") = a4;
    register long x5 asm("x5") = a5;
    asm volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory");
    return x0;
}

// Typed wrappers. Each returns what the kernel returned: a value or -errno.

struct TimeSpec {
    long seconds;
    long nanoseconds;
};

inline long write(int fd, const void* buffer, size_t length) {
    return syscall3(sys::k_write, fd, reinterpret_cast<long>(buffer), static_cast<long>(length));
}

inline long read(int fd, void* buffer, size_t length) {
    return syscall3(sys::k_read, fd, reinterpret_cast<long>(buffer), static_cast<long>(length));
}

[[noreturn]] inline void exit_group(int status) {
    for (;;)
        syscall1(sys::k_exit_group, status);
}

// Returns the mapping address, or -errno (test with is_syscall_error).
inline long mmap(void* address, size_t length, int protection, int flags, int fd, long offset) {
    return syscall6(sys::k_mmap, reinterpret_cast<long>(address), static_cast<long>(length), protection, flags,
        fd, offset);
}

inline long munmap(void* address, size_t length) {
    return syscall2(sys::k_munmap, reinterpret_cast<long>(address), static_cast<long>(length));
}

inline long mprotect(void* address, size_t length, int protection) {
    return syscall3(sys::k_mprotect, reinterpret_cast<long>(address), static_cast<long>(length), protection);
}

inline long madvise(void* address, size_t length, int advice) {
    return syscall3(sys::k_madvise, reinterpret_cast<long>(address), static_cast<long>(length), advice);
}

inline long mincore(void* address, size_t length, unsigned char* vector) {
    return syscall3(
        sys::k_mincore, reinterpret_cast<long>(address), static_cast<long>(length), reinterpret_cast<long>(vector));
}

// The raw brk syscall: returns the new break on success and the unchanged
// current break on failure (never -errno on Linux); brk(0) queries it.
inline uintptr_t brk(uintptr_t address) { return static_cast<uintptr_t>(syscall1(sys::k_brk, static_cast<long>(address))); }

inline long getpid() { return syscall0(sys::k_getpid); }
inline long gettid() { return syscall0(sys::k_gettid); }
inline long sched_yield() { return syscall0(sys::k_sched_yield); }

// Waits while *word == expected (or until woken); wakes up to `count` waiters.
inline long futex_wait(const void* word, int expected) {
    return syscall4(sys::k_futex, reinterpret_cast<long>(word), k_futex_wait_private, expected, 0);
}
inline long futex_wake(const void* word, int count) {
    return syscall3(sys::k_futex, reinterpret_cast<long>(word), k_futex_wake_private, count);
}
inline long kill(long pid, int signal) { return syscall2(sys::k_kill, pid, signal); }
inline long tgkill(long tgid, long tid, int signal) { return syscall3(sys::k_tgkill, tgid, tid, signal); }

inline long clock_gettime(int clock, TimeSpec* time) {
    return syscall2(sys::k_clock_gettime, clock, reinterpret_cast<long>(time));
}

inline long nanosleep(const TimeSpec* request, TimeSpec* remaining) {
    return syscall2(sys::k_nanosleep, reinterpret_cast<long>(request), reinterpret_cast<long>(remaining));
}

inline long getrandom(void* buffer, size_t length, unsigned flags) {
    return syscall3(sys::k_getrandom, reinterpret_cast<long>(buffer), static_cast<long>(length), flags);
}

// Small helpers for messages that must not allocate (allocator failures).
inline size_t string_length(const char* text) {
    size_t length = 0;
    while (text[length])
        length++;
    return length;
}

inline void write_string(int fd, const char* text) { write(fd, text, string_length(text)); }

// Writes "0x" followed by the value in hex, without allocating.
inline void write_hex(int fd, uintptr_t value) {
    char digits[2 + 16];
    digits[0] = '0';
    digits[1] = 'x';
    for (int i = 0; i < 16; i++)
        digits[2 + i] = "0123456789abcdef"[(value >> (60 - 4 * i)) & 0xf];
    write(fd, digits, sizeof(digits));
}

} // namespace akuma::user
