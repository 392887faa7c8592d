// System V IPC as Linux/AArch64 user space sees it: the ipc64 structures
// of the asm-generic uapi headers (arm64 uses them), the command and flag
// numbers, and Linux 6.1's default limits (include/uapi/linux/{msg,sem,
// shm}.h, ipc/util.h). Layouts are checked by static_asserts here and
// against the uapi headers in the host tests.
#pragma once

#include <cstddef>
#include <cstdint>

namespace akuma::ipc {

// ipcget flags and the common commands (uapi/linux/ipc.h).
constexpr int32_t k_ipc_private = 0;
constexpr uint32_t k_ipc_creat = 01000;
constexpr uint32_t k_ipc_excl = 02000;
constexpr uint32_t k_ipc_nowait = 04000;
constexpr int k_ipc_rmid = 0;
constexpr int k_ipc_set = 1;
constexpr int k_ipc_stat = 2;
constexpr int k_ipc_info = 3;
// glibc on arm64 does not add IPC_64 (0x100); Linux's generic syscalls
// never strip it either, so a command carrying it is EINVAL there and here.

// Permission bits the mode keeps (S_IRWXUGO) and the access an operation
// asks for (ipcperms' S_IRUGO / S_IWUGO).
constexpr uint32_t k_mode_permissions = 0777;
constexpr uint32_t k_access_read = 0444;
constexpr uint32_t k_access_write = 0222;

// Message queues.
constexpr int k_msg_stat = 11;
constexpr int k_msg_info = 12;
constexpr int k_msg_stat_any = 13;
constexpr uint32_t k_msg_noerror = 010000;
constexpr uint32_t k_msg_except = 020000;
constexpr uint32_t k_msg_copy = 040000;
constexpr uint64_t k_msgmax = 8192;   // largest message
constexpr uint64_t k_msgmnb = 16384;  // default bytes per queue
constexpr uint64_t k_msgmni = 32000;  // queues
constexpr uint64_t k_msgssz = 16;
constexpr uint64_t k_msgpool = k_msgmni * k_msgmnb / 1024;
constexpr uint64_t k_msgseg = 0xffff;

// Semaphores.
constexpr int k_getpid = 11;
constexpr int k_getval = 12;
constexpr int k_getall = 13;
constexpr int k_getncnt = 14;
constexpr int k_getzcnt = 15;
constexpr int k_setval = 16;
constexpr int k_setall = 17;
constexpr int k_sem_stat = 18;
constexpr int k_sem_info = 19;
constexpr int k_sem_stat_any = 20;
constexpr int16_t k_sem_undo = 0x1000;
constexpr uint64_t k_semmsl = 32000;  // semaphores per set
constexpr uint64_t k_semmni = 32000;  // sets
constexpr uint64_t k_semmns = k_semmni * k_semmsl;
constexpr uint64_t k_semopm = 500;    // operations per semop
constexpr int32_t k_semvmx = 32767;   // largest value
constexpr int32_t k_semaem = k_semvmx;  // largest adjustment on exit
constexpr uint64_t k_semume = k_semopm;
constexpr uint64_t k_semusz = 20;

// Shared memory.
constexpr int k_shm_lock = 11;
constexpr int k_shm_unlock = 12;
constexpr int k_shm_stat = 13;
constexpr int k_shm_info = 14;
constexpr int k_shm_stat_any = 15;
constexpr uint32_t k_shm_rdonly = 010000;
constexpr uint32_t k_shm_rnd = 020000;
constexpr uint32_t k_shm_remap = 040000;
constexpr uint32_t k_shm_exec = 0100000;
constexpr uint32_t k_shm_hugetlb = 04000;
constexpr uint32_t k_shm_noreserve = 010000;
constexpr uint32_t k_shm_dest = 01000;    // mode bit: removed, lives until the last detach
constexpr uint32_t k_shm_locked = 02000;  // mode bit: SHM_LOCK
constexpr uint64_t k_shmmin = 1;
constexpr uint64_t k_shmmni = 4096;
constexpr uint64_t k_shmmax = ~uint64_t { 0 } - (uint64_t { 1 } << 24);  // bytes
constexpr uint64_t k_shmall = k_shmmax;                                  // pages
constexpr uint64_t k_shmlba = 4096;  // arm64 native tasks: one page

// An ID is its slot number plus a sequence number times IPCMNI (Linux
// without ipcmni_extend).
constexpr uint32_t k_ipcmni = 32768;
constexpr uint32_t k_seq_max = 0x7fffffff / k_ipcmni;

struct Ipc64Perm {
    int32_t key;
    uint32_t uid;
    uint32_t gid;
    uint32_t cuid;
    uint32_t cgid;
    uint32_t mode;
    uint16_t seq;
    uint16_t pad2;
    uint64_t unused1;
    uint64_t unused2;
};
static_assert(sizeof(Ipc64Perm) == 48 && offsetof(Ipc64Perm, seq) == 24);

struct Msqid64Ds {
    Ipc64Perm msg_perm;
    int64_t msg_stime;
    int64_t msg_rtime;
    int64_t msg_ctime;
    uint64_t msg_cbytes;
    uint64_t msg_qnum;
    uint64_t msg_qbytes;
    int32_t msg_lspid;
    int32_t msg_lrpid;
    uint64_t unused4;
    uint64_t unused5;
};
static_assert(sizeof(Msqid64Ds) == 120 && offsetof(Msqid64Ds, msg_lspid) == 96);

struct MsgInfo {
    int32_t msgpool, msgmap, msgmax, msgmnb, msgmni, msgssz, msgtql;
    uint16_t msgseg;
};
static_assert(sizeof(MsgInfo) == 32);

struct Semid64Ds {
    Ipc64Perm sem_perm;
    int64_t sem_otime;
    int64_t sem_ctime;
    uint64_t sem_nsems;
    uint64_t unused3;
    uint64_t unused4;
};
static_assert(sizeof(Semid64Ds) == 88);

struct SemInfo {
    int32_t semmap, semmni, semmns, semmnu, semmsl, semopm, semume, semusz, semvmx, semaem;
};
static_assert(sizeof(SemInfo) == 40);

struct SemBuf {
    uint16_t sem_num;
    int16_t sem_op;
    int16_t sem_flg;
};
static_assert(sizeof(SemBuf) == 6);

struct Shmid64Ds {
    Ipc64Perm shm_perm;
    uint64_t shm_segsz;
    int64_t shm_atime;
    int64_t shm_dtime;
    int64_t shm_ctime;
    int32_t shm_cpid;
    int32_t shm_lpid;
    uint64_t shm_nattch;
    uint64_t unused4;
    uint64_t unused5;
};
static_assert(sizeof(Shmid64Ds) == 112 && offsetof(Shmid64Ds, shm_cpid) == 80);

struct ShmInfo64 {
    uint64_t shmmax, shmmin, shmmni, shmseg, shmall, unused1, unused2, unused3, unused4;
};
static_assert(sizeof(ShmInfo64) == 72);

struct ShmInfo {
    int32_t used_ids;
    uint64_t shm_tot, shm_rss, shm_swp, swap_attempts, swap_successes;
};
static_assert(sizeof(ShmInfo) == 48);

}  // namespace akuma::ipc
