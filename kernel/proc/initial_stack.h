// Builds a new program's initial stack as Linux's execve does on arm64
// (fs/exec.c copies the strings, create_elf_tables in fs/binfmt_elf.c adds the
// rest) into a kernel buffer that stands for the user range
// [top_va - buffer.size(), top_va). Nothing allocates; the bytes from sp to
// top_va are all written (padding zeroed), the rest of the buffer is untouched.
//
// Layout from top_va down, as Linux without stack randomisation:
//   8 zero bytes          the end marker (bprm->p starts one pointer below the top)
//   execfn, NUL           AT_EXECFN points here
//   envp strings          envp[0] lowest: copy_strings copies the last one first
//   argv strings          argv[0] lowest (mm->arg_start)
//   (round down to 16)    arch_align_stack
//   platform, NUL         AT_PLATFORM; both omitted when platform is empty
//   16 random bytes       AT_RANDOM; not aligned, as in Linux
//   (padding)             so that sp ends 16-byte aligned (STACK_ROUND)
//   auxv pairs, AT_NULL pair
//   envp pointers, NULL
//   argv pointers, NULL
//   argc                  <- sp
//
// auxv order: the caller's entries as given, then AT_RANDOM, AT_EXECFN,
// AT_PLATFORM (if any) and AT_NULL. Linux 6.x on arm64 emits AT_SYSINFO_EHDR,
// AT_MINSIGSTKSZ (ARCH_DLINFO comes first), AT_HWCAP, AT_PAGESZ, AT_CLKTCK,
// AT_PHDR, AT_PHENT, AT_PHNUM, AT_BASE, AT_FLAGS, AT_ENTRY, AT_UID, AT_EUID,
// AT_GID, AT_EGID, AT_SECURE, AT_RANDOM, AT_HWCAP2, AT_EXECFN, AT_PLATFORM,
// [AT_EXECFD], AT_RSEQ_FEATURE_SIZE, AT_RSEQ_ALIGN, AT_NULL. Pass the entries
// in that order; libc looks entries up by type, so the position of the three
// added here does not matter.
//
// Rules taken from Linux (fs/exec.c):
// - An empty argv becomes {""} with argc 1 (Linux >= 5.18), so argv[0] is
//   never NULL.
// - Each string including its NUL must be at most k_max_arg_strlen
//   (MAX_ARG_STRLEN, 32 pages), else TooBig (E2BIG).
// - All strings (execfn, envp, argv, with NULs) plus 8 bytes per argv and envp
//   pointer must fit in max(min(stack_rlimit / 4, 6 MiB), 128 KiB)
//   (bprm_stack_limits): 2 MiB with the default 8 MiB RLIMIT_STACK. Else TooBig.
// Other errors: TooBig if the layout does not fit the buffer; Invalid if a
// string contains NUL, the caller's auxv holds AT_NULL, AT_RANDOM, AT_EXECFN
// or AT_PLATFORM, or top_va < buffer.size().
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "kernel/lib/error_or.h"
#include "kernel/syscalls/linux_abi.h"

namespace akuma::proc {

using AuxEntry = linux_abi::AuxEntry;

constexpr uint64_t k_max_arg_strlen = 32 * 4096;
constexpr uint64_t k_default_stack_rlimit = 8 * 1024 * 1024;

struct InitialStackInput {
    std::span<const std::string_view> argv;
    std::span<const std::string_view> envp;
    // Without AT_RANDOM, AT_EXECFN, AT_PLATFORM and AT_NULL: those are added.
    std::span<const AuxEntry> auxv;
    std::string_view execfn; // the path given to execve (bprm->filename)
    std::string_view platform; // "aarch64"
    std::array<uint8_t, 16> random;
    uint64_t stack_rlimit { k_default_stack_rlimit }; // RLIMIT_STACK soft limit
};

struct InitialStack {
    uint64_t sp; // 16-byte aligned, points at argc
    uint64_t argv_va;
    uint64_t envp_va;
    uint64_t auxv_va;
    uint64_t bytes_used; // top_va - sp
    // The argument and environment strings, NULs included (mm->arg_start,
    // arg_end, env_start, env_end), for /proc/<pid>/cmdline and environ.
    uint64_t arg_start;
    uint64_t arg_end;
    uint64_t env_start;
    uint64_t env_end;
};

ErrorOr<InitialStack> build_initial_stack(
    std::span<uint8_t> buffer, uint64_t top_va, const InitialStackInput& input);

} // namespace akuma::proc
