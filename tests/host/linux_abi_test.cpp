// Host tests for the Linux AArch64 ABI definitions (kernel/syscalls/linux_abi.h):
// syscall names and getdents64 record writing. Struct layouts are checked by
// static_asserts in the header itself.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "kernel/syscalls/linux_abi.h"

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

TEST(SyscallName, EveryConstantNamesItself) {
#define AKUMA_CHECK_SYSCALL(name, number)                                                                    \
    EXPECT_EQ(k_sys_##name, uint64_t { number });                                                            \
    EXPECT_STREQ(syscall_name(k_sys_##name), #name);
    AKUMA_LINUX_SYSCALLS(AKUMA_CHECK_SYSCALL)
#undef AKUMA_CHECK_SYSCALL
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
