// memfd seals (memfd_create's MFD_ALLOW_SEALING, fcntl F_ADD_SEALS and
// F_GET_SEALS), as Linux 6.1's mm/memfd.c and shmem: a seal is a promise
// about the file that no descriptor or mapping may break afterwards.
//   F_SEAL_SEAL          no more seals
//   F_SEAL_SHRINK        the size never drops (truncate: EPERM)
//   F_SEAL_GROW          the size never rises (truncate, writes and
//                        fallocate past the end: EPERM)
//   F_SEAL_WRITE         the contents never change: write EPERM, no shared
//                        mapping that may write (mmap EPERM; a read-only
//                        one cannot be made writable); refused with EBUSY
//                        while such a mapping exists
//   F_SEAL_FUTURE_WRITE  as F_SEAL_WRITE for what comes later: mappings
//                        that may write already stay so
// Only memfd inodes are sealable (their memfd fs calls make_sealable); the
// checks are the ramfs write, truncate and allocate paths' and mmap's.
#pragma once

#include <cstdint>

#include "kernel/fs/inode.h"
#include "kernel/lib/error_or.h"

namespace akuma::fs {

constexpr uint32_t k_seal_seal = 0x1;
constexpr uint32_t k_seal_shrink = 0x2;
constexpr uint32_t k_seal_grow = 0x4;
constexpr uint32_t k_seal_write = 0x8;
constexpr uint32_t k_seal_future_write = 0x10;
constexpr uint32_t k_all_seals = k_seal_seal | k_seal_shrink | k_seal_grow | k_seal_write | k_seal_future_write;

class Seals {
public:
    // A new memfd inode: sealable, with `initial` seals (F_SEAL_SEAL unless
    // MFD_ALLOW_SEALING).
    static void make_sealable(Inode& inode, uint32_t initial);

    // F_GET_SEALS of a description's inode (null: none): EINVAL for a file
    // that cannot be sealed.
    static ErrorOr<uint32_t> get(const Inode* inode);
    // F_ADD_SEALS, in Linux's order: EPERM unless the description is open
    // for writing, EINVAL for unknown bits or a file that cannot be sealed,
    // EPERM once F_SEAL_SEAL is there, EBUSY for F_SEAL_WRITE while a
    // shared mapping may write.
    static ErrorOr<void> add(Inode* inode, bool open_for_writing, uint32_t seals);

    // For writes of `length` bytes at `offset` (the size is the inode's).
    static ErrorOr<void> check_write(const Inode& inode, uint64_t offset, uint64_t length);
    static ErrorOr<void> check_resize(const Inode& inode, uint64_t new_size);
    // fallocate past the end grows the file (even with FALLOC_FL_KEEP_SIZE).
    static ErrorOr<void> check_allocate(const Inode& inode, uint64_t offset, uint64_t length);

    // Whether a new shared mapping may write (or become writable).
    static bool shared_mappings_may_write(const Inode& inode) {
        return !(seals_of(inode) & (k_seal_write | k_seal_future_write));
    }
    // An address space's first shared mapping of the inode that may write:
    // false (EPERM) if the inode is write-sealed. Forks count in with
    // fork_writable_mapping (the parent's cannot be refused).
    static bool add_writable_mapping(Inode& inode);
    static void fork_writable_mapping(Inode& inode);
    static void remove_writable_mapping(Inode& inode);

private:
    static constexpr uint32_t k_not_sealable = 0x80000000u;
    static uint32_t seals_of(const Inode& inode) { return __atomic_load_n(&inode.m_seals, __ATOMIC_ACQUIRE); }
};

}  // namespace akuma::fs
