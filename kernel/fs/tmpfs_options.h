// Mount options of a tmpfs, as far as the ramfs has them: Linux's
// `size=` (shmem_parse_one), given to the root file system by the boot
// argument initramfs_options= as Linux (6.18) gives it to its rootfs.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "kernel/lib/error_or.h"

namespace akuma::fs {

struct TmpfsOptions {
    // Bytes (0: unlimited); nullopt: not given (the default is half of RAM).
    std::optional<uint64_t> size;
    // mode=OCTAL: the root directory's permission bits (07777 at most, as
    // Linux); nullopt: not given.
    std::optional<uint32_t> mode;
    // The first option other than size= and mode= (nr_inodes=, uid=, ...):
    // the ramfs has none of them, the caller reports it. Empty if none.
    std::string_view unsupported;
};

// Comma-separated options. mode=N is octal (Invalid if not, or above
// 07777). size=N takes memparse syntax (decimal, 0x hex or
// 0-prefixed octal, then an optional K, M, G, T, P or E suffix in either
// case) or N% of `ram_bytes`. Invalid for a malformed or overflowing size;
// *reason (if given) then says which.
ErrorOr<TmpfsOptions> parse_tmpfs_options(std::string_view options, uint64_t ram_bytes,
    const char** reason = nullptr);

} // namespace akuma::fs
