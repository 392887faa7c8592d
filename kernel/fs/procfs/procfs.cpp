// procfs: /proc as Linux lays it out, its files made when opened from the
// generators of system_files.h and process_files.h.
#include <new>

#include "kernel/events/inotify.h"
#include "kernel/fs/file.h"
#include "kernel/fs/inode_files.h"
#include "kernel/fs/mount_table.h"
#include "kernel/fs/procfs/process_files.h"
#include "kernel/fs/procfs/system_files.h"
#include "kernel/fs/pseudo_file_systems.h"
#include "kernel/fs/vfs.h"
#include "kernel/fs/vfs_lock.h"
#include "kernel/ipc/ipc_procfs.h"
#include "kernel/ipc/posix_mq.h"
#include "kernel/lib/format.h"
#include "kernel/lib/string.h"
#include "kernel/proc/process.h"
#include "kernel/proc/process_credentials.h"
#include "kernel/sched/scheduler.h"
#include "kernel/sched/mutex.h"
#include "kernel/syscalls/linux_abi.h"

namespace akuma::procfs {

namespace abi = linux_abi;
using fs::InodeRef;
using fs::InodeType;

namespace {

constexpr uint64_t k_proc_super_magic = 0x9fa0;

enum class Node : uint8_t {
    Root,
    Self,
    Mounts,
    Filesystems,
    Meminfo,
    Cpuinfo,
    Uptime,
    Loadavg,
    Stat,
    Version,
    Sys,
    SysKernel,
    Hostname,
    Osrelease,
    PidMax,
    Shmmax,
    Shmall,
    Shmmni,
    Msgmax,
    Msgmnb,
    Msgmni,
    Sem,
    Random,
    BootId,
    Uuid,
    SysVm,
    DropCaches,
    SysFs,
    SysFsInotify,
    InotifyMaxQueuedEvents,
    InotifyMaxUserInstances,
    InotifyMaxUserWatches,
    SysFsMqueue,
    MqueueMsgMax,
    MqueueMsgsizeMax,
    MqueueQueuesMax,
    MqueueMsgDefault,
    MqueueMsgsizeDefault,
    Net,
    NetPnp,
    NetDev,
    Sysvipc,
    SysvipcShm,
    SysvipcMsg,
    SysvipcSem,
    // Per process (/proc/<pid>/...).
    Process,
    ProcessStat,
    ProcessStatm,
    ProcessStatus,
    ProcessCmdline,
    ProcessComm,
    ProcessEnviron,
    ProcessMaps,
    ProcessMounts,
    ProcessExe,
    ProcessCwd,
    ProcessRoot,
    ProcessFdDirectory,
    ProcessFd,
    // Where /proc/<pid>/fd/N of a pipe leads: the pipe, for stat (its
    // description has no inode of its own to go to).
    PipeTarget,
};

using SystemGenerator = ErrorOr<void> (*)(TextBuffer&);
using ProcessGenerator = ErrorOr<void> (*)(TextBuffer&, int);
// A writable integer sysctl: takes a value root wrote (0..INT_MAX), or
// refuses it (Invalid).
using SysctlSetter = ErrorOr<void> (*)(uint32_t);

// /proc/sys/fs/inotify (events/inotify.h).
ErrorOr<void> write_max_queued_events(TextBuffer& out) {
    return out.number_line(events::inotify_limits().max_queued_events);
}
ErrorOr<void> write_max_user_instances(TextBuffer& out) {
    return out.number_line(events::inotify_limits().max_user_instances);
}
ErrorOr<void> write_max_user_watches(TextBuffer& out) {
    return out.number_line(events::inotify_limits().max_user_watches);
}
ErrorOr<void> set_max_queued_events(uint32_t value) {
    auto limits = events::inotify_limits();
    limits.max_queued_events = value;
    events::set_inotify_limits(limits);
    return {};
}
ErrorOr<void> set_max_user_instances(uint32_t value) {
    auto limits = events::inotify_limits();
    limits.max_user_instances = value;
    events::set_inotify_limits(limits);
    return {};
}
// /proc/sys/vm/drop_caches, as Linux's: bit 1 frees the clean page-cache
// pages nothing maps, bit 2 the lookup cache (Linux: dentries and inodes),
// 4 only silences Linux's log line (Akuma logs nothing); values outside
// 1..4 are EINVAL.
ErrorOr<void> drop_caches(uint32_t value) {
    if (value < 1 || value > 4)
        return Error::Invalid;
    if (value & 1)
        fs::reclaim_page_cache();
    if (value & 2)
        fs::drop_lookup_cache();
    return {};
}
ErrorOr<void> set_max_user_watches(uint32_t value) {
    auto limits = events::inotify_limits();
    limits.max_user_watches = value;
    events::set_inotify_limits(limits);
    return {};
}

ErrorOr<void> write_mounts(TextBuffer& out, int pid);
ErrorOr<void> write_filesystems(TextBuffer& out);

struct NodeInfo {
    Node node;
    Node parent;
    const char* name;
    InodeType type;
    uint16_t permissions;
    SystemGenerator system;
    ProcessGenerator process;
    SysctlSetter set = nullptr;
};

// Linux's names, types and modes. The process directory and the fd
// entries are listed by number, not here.
constexpr NodeInfo k_nodes[] = {
    { Node::Root, Node::Root, "", InodeType::Directory, 0555, nullptr, nullptr },
    { Node::Self, Node::Root, "self", InodeType::Symlink, 0777, nullptr, nullptr },
    { Node::Mounts, Node::Root, "mounts", InodeType::Symlink, 0777, nullptr, nullptr },
    { Node::Filesystems, Node::Root, "filesystems", InodeType::Regular, 0444, write_filesystems, nullptr },
    { Node::Meminfo, Node::Root, "meminfo", InodeType::Regular, 0444, write_meminfo, nullptr },
    { Node::Cpuinfo, Node::Root, "cpuinfo", InodeType::Regular, 0444, write_cpuinfo, nullptr },
    { Node::Uptime, Node::Root, "uptime", InodeType::Regular, 0444, write_uptime, nullptr },
    { Node::Loadavg, Node::Root, "loadavg", InodeType::Regular, 0444, write_loadavg, nullptr },
    { Node::Stat, Node::Root, "stat", InodeType::Regular, 0444, write_stat, nullptr },
    { Node::Version, Node::Root, "version", InodeType::Regular, 0444, write_version, nullptr },
    { Node::Sys, Node::Root, "sys", InodeType::Directory, 0555, nullptr, nullptr },
    { Node::SysKernel, Node::Sys, "kernel", InodeType::Directory, 0555, nullptr, nullptr },
    { Node::Hostname, Node::SysKernel, "hostname", InodeType::Regular, 0444, write_hostname, nullptr },
    { Node::Osrelease, Node::SysKernel, "osrelease", InodeType::Regular, 0444, write_osrelease, nullptr },
    { Node::PidMax, Node::SysKernel, "pid_max", InodeType::Regular, 0444, write_pid_max, nullptr },
    // System V IPC's limits: Linux's defaults, fixed (Linux lets root write them).
    { Node::Shmmax, Node::SysKernel, "shmmax", InodeType::Regular, 0444, ipc::write_sysctl_shmmax, nullptr },
    { Node::Shmall, Node::SysKernel, "shmall", InodeType::Regular, 0444, ipc::write_sysctl_shmall, nullptr },
    { Node::Shmmni, Node::SysKernel, "shmmni", InodeType::Regular, 0444, ipc::write_sysctl_shmmni, nullptr },
    { Node::Msgmax, Node::SysKernel, "msgmax", InodeType::Regular, 0444, ipc::write_sysctl_msgmax, nullptr },
    { Node::Msgmnb, Node::SysKernel, "msgmnb", InodeType::Regular, 0444, ipc::write_sysctl_msgmnb, nullptr },
    { Node::Msgmni, Node::SysKernel, "msgmni", InodeType::Regular, 0444, ipc::write_sysctl_msgmni, nullptr },
    { Node::Sem, Node::SysKernel, "sem", InodeType::Regular, 0444, ipc::write_sysctl_sem, nullptr },
    { Node::Random, Node::SysKernel, "random", InodeType::Directory, 0555, nullptr, nullptr },
    { Node::BootId, Node::Random, "boot_id", InodeType::Regular, 0444, write_boot_id, nullptr },
    { Node::Uuid, Node::Random, "uuid", InodeType::Regular, 0444, write_uuid, nullptr },
    { Node::SysVm, Node::Sys, "vm", InodeType::Directory, 0555, nullptr, nullptr },
    // Written, never read (ProcFile::write_at).
    { Node::DropCaches, Node::SysVm, "drop_caches", InodeType::Regular, 0200, nullptr, nullptr, drop_caches },
    { Node::SysFs, Node::Sys, "fs", InodeType::Directory, 0555, nullptr, nullptr },
    { Node::SysFsInotify, Node::SysFs, "inotify", InodeType::Directory, 0555, nullptr, nullptr },
    { Node::InotifyMaxQueuedEvents, Node::SysFsInotify, "max_queued_events", InodeType::Regular, 0644,
      write_max_queued_events, nullptr, set_max_queued_events },
    { Node::InotifyMaxUserInstances, Node::SysFsInotify, "max_user_instances", InodeType::Regular, 0644,
      write_max_user_instances, nullptr, set_max_user_instances },
    { Node::InotifyMaxUserWatches, Node::SysFsInotify, "max_user_watches", InodeType::Regular, 0644,
      write_max_user_watches, nullptr, set_max_user_watches },
    // POSIX message queues' limits: Linux's defaults, fixed (Linux lets root write them).
    { Node::SysFsMqueue, Node::SysFs, "mqueue", InodeType::Directory, 0555, nullptr, nullptr },
    { Node::MqueueMsgMax, Node::SysFsMqueue, "msg_max", InodeType::Regular, 0444, ipc::write_sysctl_mq_msg_max,
      nullptr },
    { Node::MqueueMsgsizeMax, Node::SysFsMqueue, "msgsize_max", InodeType::Regular, 0444,
      ipc::write_sysctl_mq_msgsize_max, nullptr },
    { Node::MqueueQueuesMax, Node::SysFsMqueue, "queues_max", InodeType::Regular, 0444,
      ipc::write_sysctl_mq_queues_max, nullptr },
    { Node::MqueueMsgDefault, Node::SysFsMqueue, "msg_default", InodeType::Regular, 0444,
      ipc::write_sysctl_mq_msg_default, nullptr },
    { Node::MqueueMsgsizeDefault, Node::SysFsMqueue, "msgsize_default", InodeType::Regular, 0444,
      ipc::write_sysctl_mq_msgsize_default, nullptr },
    { Node::Net, Node::Root, "net", InodeType::Directory, 0555, nullptr, nullptr },
    { Node::NetPnp, Node::Net, "pnp", InodeType::Regular, 0444, write_net_pnp, nullptr },
    { Node::NetDev, Node::Net, "dev", InodeType::Regular, 0444, write_net_dev, nullptr },
    { Node::Sysvipc, Node::Root, "sysvipc", InodeType::Directory, 0555, nullptr, nullptr },
    { Node::SysvipcShm, Node::Sysvipc, "shm", InodeType::Regular, 0444, ipc::write_proc_sysvipc_shm, nullptr },
    { Node::SysvipcMsg, Node::Sysvipc, "msg", InodeType::Regular, 0444, ipc::write_proc_sysvipc_msg, nullptr },
    { Node::SysvipcSem, Node::Sysvipc, "sem", InodeType::Regular, 0444, ipc::write_proc_sysvipc_sem, nullptr },
    { Node::Process, Node::Root, nullptr, InodeType::Directory, 0555, nullptr, nullptr },
    { Node::ProcessStat, Node::Process, "stat", InodeType::Regular, 0444, nullptr, write_process_stat },
    { Node::ProcessStatm, Node::Process, "statm", InodeType::Regular, 0444, nullptr, write_process_statm },
    { Node::ProcessStatus, Node::Process, "status", InodeType::Regular, 0444, nullptr, write_process_status },
    { Node::ProcessCmdline, Node::Process, "cmdline", InodeType::Regular, 0444, nullptr, write_process_cmdline },
    { Node::ProcessComm, Node::Process, "comm", InodeType::Regular, 0644, nullptr, write_process_comm },
    { Node::ProcessEnviron, Node::Process, "environ", InodeType::Regular, 0400, nullptr, write_process_environ },
    { Node::ProcessMaps, Node::Process, "maps", InodeType::Regular, 0444, nullptr, write_process_maps },
    { Node::ProcessMounts, Node::Process, "mounts", InodeType::Regular, 0444, nullptr, write_mounts },
    { Node::ProcessExe, Node::Process, "exe", InodeType::Symlink, 0777, nullptr, nullptr },
    { Node::ProcessCwd, Node::Process, "cwd", InodeType::Symlink, 0777, nullptr, nullptr },
    { Node::ProcessRoot, Node::Process, "root", InodeType::Symlink, 0777, nullptr, nullptr },
    { Node::ProcessFdDirectory, Node::Process, "fd", InodeType::Directory, 0500, nullptr, nullptr },
    { Node::ProcessFd, Node::ProcessFdDirectory, nullptr, InodeType::Symlink, 0700, nullptr, nullptr },
    { Node::PipeTarget, Node::ProcessFdDirectory, nullptr, InodeType::Fifo, 0600, nullptr, nullptr },
};

const NodeInfo& info(Node node) { return k_nodes[static_cast<size_t>(node)]; }

constexpr uint32_t mode_of(const NodeInfo& node) {
    uint32_t type = node.type == InodeType::Directory ? fs::k_mode_directory
                    : node.type == InodeType::Symlink ? fs::k_mode_symlink
                    : node.type == InodeType::Fifo    ? fs::k_mode_fifo
                                                      : fs::k_mode_regular;
    return type | node.permissions;
}

// Inode numbers: the fixed entries are their index + 1; a process's are
// pid << 16 plus the entry's index, its fd links pid << 16 plus 0x1000 + fd.
uint64_t ino_of(Node node, int pid, int fd) {
    if (pid == 0)
        return static_cast<uint64_t>(node) + 1;
    uint64_t base = static_cast<uint64_t>(pid) << 16;
    return node == Node::ProcessFd ? base + 0x1000 + static_cast<uint64_t>(fd) : base + static_cast<uint64_t>(node);
}

bool is_process_node(Node node) { return node >= Node::Process; }

// A decimal name (a pid or an fd), or -1.
int parse_number(std::string_view name) {
    if (name.empty() || name.size() > 9 || (name.size() > 1 && name[0] == '0'))
        return -1;
    int value = 0;
    for (char c : name) {
        if (c < '0' || c > '9')
            return -1;
        value = value * 10 + (c - '0');
    }
    return value;
}

class ProcInode final : public fs::Inode {
public:
    ProcInode(fs::FileSystem& fs, Node node, int pid, int fd, fs::Timestamp now)
        : Inode(fs, ino_of(node, pid, fd), info(node).type, mode_of(info(node)))
        , m_node(node)
        , m_pid(pid)
        , m_fd(fd) {
        m_nlink = info(node).type == InodeType::Directory ? 2 : 1;
        m_atime = m_mtime = m_ctime = now;
    }
    Node node() const { return m_node; }
    int pid() const { return m_pid; }
    // A process's nodes belong to its effective user and group if it is
    // dumpable, else to root (Linux's task_dump_owner).
    void set_owner_ids(uint32_t uid, uint32_t gid) {
        m_uid = uid;
        m_gid = gid;
    }
    int fd() const { return m_fd; }
    ~ProcInode() override {
        if (m_file)
            fs::release(m_file);
    }
    std::string_view target() const { return m_target.view(); }
    // /proc/<pid>/fd/N: the description it names (a reference), which the
    // path walk jumps to (FileSystem::magic_target).
    fs::File* file() const { return m_file; }
    void set_file(fs::File* file) { m_file = file; }
    ErrorOr<void> set_target(std::string_view target) {
        m_target = TRY(BasicString<mm::HeapAllocator>::try_from(target));
        return {};
    }

private:
    Node m_node;
    int m_pid;
    int m_fd;
    BasicString<mm::HeapAllocator> m_target;  // symlinks: made at lookup
    fs::File* m_file { nullptr };
};

ProcInode& proc_inode(const InodeRef& inode) { return static_cast<ProcInode&>(*inode); }

// A /proc file: its text, made when it is opened and again whenever it is
// read from the start (as Linux's seq_file restarts at position 0, so
// `lseek(fd, 0, SEEK_SET)` and a new read give fresh figures).
// A written integer sysctl (Linux's proc_dointvec_minmax with a minimum of
// 0): blanks around one decimal number; a sign, another character or a
// value past INT_MAX is EINVAL.
ErrorOr<uint32_t> parse_sysctl_value(std::span<const uint8_t> data) {
    size_t at = 0;
    auto blank = [&](uint8_t byte) { return byte == ' ' || byte == '\t' || byte == '\n'; };
    while (at < data.size() && blank(data[at]))
        ++at;
    uint64_t value = 0;
    size_t digits = 0;
    for (; at < data.size() && data[at] >= '0' && data[at] <= '9'; ++at, ++digits) {
        value = value * 10 + (data[at] - '0');
        if (value > 0x7fffffff)
            return Error::Invalid;
    }
    while (at < data.size() && blank(data[at]))
        ++at;
    if (digits == 0 || at != data.size())
        return Error::Invalid;
    return static_cast<uint32_t>(value);
}

class ProcFile final : public fs::File {
public:
    ProcFile(uint32_t flags, InodeRef inode) : File(flags, std::move(inode)) {}

    ErrorOr<void> generate() {
        m_text.clear();
        const ProcInode& node = proc_inode(inode());
        const NodeInfo& entry = info(node.node());
        if (entry.process)
            TRY(entry.process(m_text, node.pid()));
        else if (entry.system)
            TRY(entry.system(m_text));
        return m_text.status();
    }

    // The writable sysctls (NodeInfo::set): one number; as Linux's
    // (sysctl_writes_strict), a write past offset 0 is taken whole and
    // ignored. Other files have no write method: EINVAL.
    ErrorOr<size_t> write_at(std::span<const uint8_t> data, uint64_t& offset) override {
        const NodeInfo& entry = info(proc_inode(inode()).node());
        if (!entry.set)
            return Error::Invalid;
        if (offset == 0)
            TRY(entry.set(TRY(parse_sysctl_value(data))));
        offset += data.size();
        return data.size();
    }

    ErrorOr<size_t> read_at(std::span<uint8_t> buffer, uint64_t offset, bool) override {
        sched::MutexGuard guard(m_lock);
        if (offset == 0 && m_read_once)
            TRY(generate());
        m_read_once = true;
        auto text = m_text.bytes();
        if (offset >= text.size())
            return size_t { 0 };
        size_t count = text.size() - offset < buffer.size() ? text.size() - offset : buffer.size();
        __builtin_memcpy(buffer.data(), text.data() + offset, count);
        return count;
    }

    ErrorOr<uint64_t> seek(int64_t offset, int whence) override {
        if (whence == abi::k_seek_end) {
            sched::MutexGuard guard(m_lock);
            offset += static_cast<int64_t>(m_text.size());
            whence = abi::k_seek_set;
        }
        return File::seek(offset, whence);
    }

private:
    sched::Mutex m_lock;  // the text, between readers of one description
    TextBuffer m_text;
    bool m_read_once { false };
};

// Mount options as /proc/mounts shows them.
void write_mount_options(TextBuffer& out, uint32_t flags) {
    out.append(flags & fs::k_mount_read_only ? "ro" : "rw");
    if (flags & fs::k_mount_no_suid)
        out.append(",nosuid");
    if (flags & fs::k_mount_no_dev)
        out.append(",nodev");
    if (flags & fs::k_mount_no_exec)
        out.append(",noexec");
    out.append(",noatime");  // access times are set at creation and by utimensat only
}

// Linux escapes space, tab, newline and backslash in /proc/mounts as octal.
void write_escaped(TextBuffer& out, std::string_view text) {
    for (char c : text) {
        if (c == ' ' || c == '\t' || c == '\n' || c == '\\')
            out.format("\\{:03o}", static_cast<unsigned>(static_cast<unsigned char>(c)));
        else
            out.write(&c, 1);
    }
}

ErrorOr<void> write_mounts(TextBuffer& out, int) {
    fs::VfsLockGuard guard;
    const fs::MountTable& table = fs::mount_table();
    fs::Namespace ns = table.name_space();
    auto* path = static_cast<char*>(mm::kmalloc(fs::k_max_path));
    if (!path)
        return Error::NoMemory;
    table.for_each([&](const fs::Mount& mount) {
        size_t length = 2;
        if (mount.covered) {
            auto found = fs::directory_path(ns, mount.covered, { path, fs::k_max_path });
            length = found.is_error() ? 0 : found.value();
        } else {
            __builtin_memcpy(path, "/", 2);
        }
        if (length == 0)
            return;  // not reachable from the root (under a detached mount)
        write_escaped(out, mount.source.view());
        out.append(" ");
        write_escaped(out, { path, length - 1 });
        out.format(" {} ", mount.fs->type_name());
        write_mount_options(out, mount.flags);
        out.append(" 0 0\n");
    });
    mm::kfree(path);
    return out.status();
}

ErrorOr<void> write_filesystems(TextBuffer& out) {
    for (const auto& type : fs::file_system_types())
        out.format("{}\t{}\n", type.needs_device ? "" : "nodev", type.name);
    return out.status();
}

class Procfs final : public fs::FileSystem, public fs::FileOpener {
public:
    explicit Procfs(Clock clock) { set_clock(clock); }
    ~Procfs() override { m_root.reset(); }

    ErrorOr<void> make_root() {
        m_root = TRY(make(Node::Root, 0, -1));
        return {};
    }

    static constexpr std::string_view k_type_name = "proc";
    std::string_view type_name() const override { return k_type_name; }
    InodeRef root() const override { return m_root; }
    fs::FileSystemStats statfs() const override {
        return fs::FileSystemStats { .magic = k_proc_super_magic, .block_size = 4096, .name_max = fs::k_max_name };
    }
    fs::FileOpener* file_opener() override { return this; }

    ErrorOr<InodeRef> lookup(const InodeRef& directory, std::string_view name) override;
    ErrorOr<InodeRef> parent(const InodeRef& directory) override;
    ErrorOr<std::optional<fs::DirEntryView>> directory_entry(const InodeRef& directory, size_t index) override;
    ErrorOr<std::string_view> readlink(const InodeRef& inode) override {
        if (inode->type() != InodeType::Symlink)
            return Error::Invalid;
        return proc_inode(inode).target();
    }
    fs::File* magic_target(const InodeRef& link) override {
        return link->type() == InodeType::Symlink ? proc_inode(link).file() : nullptr;
    }
    InodeRef magic_link_inode(const InodeRef& link) override {
        fs::File* file = magic_target(link);
        if (!file || file->inode())
            return file ? file->inode() : InodeRef();
        if (!file->pipe())
            return {};  // a socket or an anonymous file: only its name
        const ProcInode& node = proc_inode(link);
        auto target = make(Node::PipeTarget, node.pid(), node.fd());
        if (target.is_error())
            return {};
        fs::retain(file);
        proc_inode(target.value()).set_file(file);
        return target.release_value();
    }
    fs::InodeStat stat(const InodeRef& inode) const override {
        const ProcInode& node = proc_inode(inode);
        if (node.node() == Node::PipeTarget && node.file()) {
            if (auto pipe_stat = node.file()->stat(); !pipe_stat.is_error())
                return pipe_stat.value();
        }
        return FileSystem::stat(inode);
    }
    ErrorOr<fs::File*> open(const InodeRef& inode, uint32_t flags) override;
    // A size change is accepted and means nothing, as Linux's proc_setattr
    // takes it: `echo 3 > /proc/sys/vm/drop_caches` opens with O_TRUNC.
    ErrorOr<void> truncate(const InodeRef& inode, uint64_t) override {
        return inode->is_directory() ? ErrorOr<void>(Error::IsADirectory) : ErrorOr<void>();
    }

    // Inodes are made for each lookup and go with their last reference.
    void destroy_inode(fs::Inode* inode) override {
        delete static_cast<ProcInode*>(inode);
        __atomic_sub_fetch(&m_live, 1, __ATOMIC_RELAXED);
    }
    bool in_use(uint32_t root_references) const override {
        return user_count(*m_root) != 1 + root_references || __atomic_load_n(&m_live, __ATOMIC_RELAXED) > 1;
    }

private:
    ErrorOr<InodeRef> make(Node node, int pid, int fd) {
        auto* inode = new (std::nothrow) ProcInode(*this, node, pid, fd, now());
        if (!inode)
            return Error::NoMemory;
        if (is_process_node(node) && pid > 0) {
            sched::SchedulerLockGuard guard;
            // (fd/ stays the process's own: Linux lets a process list its
            // own descriptors whatever its owner, proc_fd_permission. Here
            // its user can too.)
            proc::Process* process = proc::find_process_locked(pid);
            bool own_fds = node == Node::ProcessFdDirectory;
            if (process && (own_fds || __atomic_load_n(&process->dumpable, __ATOMIC_RELAXED))) {
                auto owner = proc::credentials_of(*process);
                inode->set_owner_ids(owner.euid, owner.egid);
            }
        }
        __atomic_add_fetch(&m_live, 1, __ATOMIC_RELAXED);
        return InodeRef(inode);
    }
    ErrorOr<InodeRef> make_link(Node node, int pid, int fd, std::string_view target) {
        auto inode = TRY(make(node, pid, fd));
        TRY(proc_inode(inode).set_target(target));
        return inode;
    }
    ErrorOr<InodeRef> lookup_link(Node node, int pid, int fd);
    std::string_view number_name(int value) {
        BufferSink sink(m_name, sizeof m_name);
        format_to(sink, "{}", value);
        return sink.view();
    }

    InodeRef m_root;
    uint32_t m_live { 0 };  // inodes alive (the root included): any other is in use
    char m_name[16] {};  // directory_entry's names (valid until the next call: VFS lock)
};

ErrorOr<InodeRef> Procfs::lookup(const InodeRef& directory, std::string_view name) {
    if (!directory->is_directory())
        return Error::NotADirectory;
    const ProcInode& dir = proc_inode(directory);
    int pid = dir.pid();
    for (const NodeInfo& entry : k_nodes) {
        if (entry.parent != dir.node() || !entry.name || name != entry.name)
            continue;
        if (entry.node == Node::Root)
            continue;
        if (entry.type == InodeType::Symlink)
            return lookup_link(entry.node, pid, -1);
        if (is_process_node(entry.node) && !process_exists(pid))
            return Error::NotFound;
        return make(entry.node, pid, -1);
    }
    int number = parse_number(name);
    if (number < 0)
        return Error::NotFound;
    if (dir.node() == Node::Root) {
        if (number == 0 || !process_exists(number))
            return Error::NotFound;
        return make(Node::Process, number, -1);
    }
    if (dir.node() == Node::ProcessFdDirectory)
        return lookup_link(Node::ProcessFd, pid, number);
    return Error::NotFound;
}

// Links are resolved when they are looked up: their targets follow the
// processes, read under the process resources lock, which comes before the
// VFS lock (page faults hold an address space's lock, ordered after the
// resources lock, when they take the VFS lock): the VFS lock is let go
// while they are read.
ErrorOr<InodeRef> Procfs::lookup_link(Node node, int pid, int fd) {
    switch (node) {
    case Node::Self: return make_link(node, 0, -1, number_name(proc::current_process()->pid));
    case Node::Mounts: return make_link(node, 0, -1, "self/mounts");
    case Node::ProcessRoot:
        if (!process_exists(pid))
            return Error::NotFound;
        return make_link(node, pid, -1, "/");
    case Node::ProcessExe: {
        auto* path = static_cast<char*>(mm::kmalloc(fs::k_max_path));
        if (!path)
            return Error::NoMemory;
        auto length = [&] {
            fs::VfsLockReleased released;  // the process resources lock comes first
            return process_exe_path(pid, { path, fs::k_max_path });
        }();
        auto inode = length.is_error() ? ErrorOr<InodeRef>(length.error())
                                       : make_link(node, pid, -1, { path, length.value() });
        mm::kfree(path);
        return inode;
    }
    case Node::ProcessCwd: {
        InodeRef cwd = TRY([&] {
            fs::VfsLockReleased released;  // the process resources lock comes first
            return process_cwd(pid);
        }());
        auto* path = static_cast<char*>(mm::kmalloc(fs::k_max_path));
        if (!path)
            return Error::NoMemory;
        auto length = fs::directory_path(fs::mount_table().name_space(), cwd, { path, fs::k_max_path });
        auto inode = length.is_error() ? ErrorOr<InodeRef>(length.error())
                                       : make_link(node, pid, -1, { path, length.value() - 1 });
        mm::kfree(path);
        return inode;
    }
    case Node::ProcessFd: {
        fs::File* file = TRY([&] {
            fs::VfsLockReleased released;  // the process resources lock comes first
            return process_open_file(pid, fd);
        }());
        auto inode = [&]() -> ErrorOr<InodeRef> {
            auto* path = static_cast<char*>(mm::kmalloc(fs::k_max_path));
            if (!path)
                return Error::NoMemory;
            auto length = fs::describe_file_locked(*file, { path, fs::k_max_path });
            auto made = length.is_error() ? ErrorOr<InodeRef>(length.error())
                                          : make_link(node, pid, fd, { path, length.value() });
            mm::kfree(path);
            return made;
        }();
        if (inode.is_error()) {
            fs::release(file);
            return inode;
        }
        proc_inode(inode.value()).set_file(file);  // the link keeps it for the walk's jump
        return inode;
    }
    default: return Error::NotFound;
    }
}

ErrorOr<InodeRef> Procfs::parent(const InodeRef& directory) {
    const ProcInode& dir = proc_inode(directory);
    if (dir.node() == Node::Root)
        return m_root;
    Node parent = info(dir.node()).parent;
    if (parent == Node::Root)
        return m_root;
    return make(parent, is_process_node(parent) ? dir.pid() : 0, -1);
}

ErrorOr<std::optional<fs::DirEntryView>> Procfs::directory_entry(const InodeRef& directory, size_t index) {
    if (!directory->is_directory())
        return Error::NotADirectory;
    const ProcInode& dir = proc_inode(directory);
    if (index == 0)
        return std::optional(fs::DirEntryView { ".", dir.ino(), InodeType::Directory });
    if (index == 1) {
        Node parent = info(dir.node()).parent;
        uint64_t ino = dir.node() == Node::Root ? dir.ino() : ino_of(parent, is_process_node(parent) ? dir.pid() : 0, -1);
        return std::optional(fs::DirEntryView { "..", ino, InodeType::Directory });
    }
    size_t position = 2;
    for (const NodeInfo& entry : k_nodes) {
        if (entry.parent != dir.node() || !entry.name || entry.node == Node::Root)
            continue;
        if (position++ == index)
            return std::optional(fs::DirEntryView { entry.name, ino_of(entry.node, dir.pid(), -1), entry.type });
    }
    if (dir.node() != Node::Root && dir.node() != Node::ProcessFdDirectory)
        return std::optional<fs::DirEntryView>();
    // Then the processes or the descriptors, by number.
    Vector<int, mm::HeapAllocator> numbers;
    if (dir.node() == Node::Root)
        TRY(list_process_ids(numbers));
    else
        TRY([&] {
            fs::VfsLockReleased released;  // the process resources lock comes first
            return process_open_fds(dir.pid(), numbers);
        }());
    // The index past the named entries is the number itself (plus that
    // base): the first number at or above it comes next, whatever came or
    // went meanwhile (Linux's procfs positions the same way).
    uint64_t wanted = index - position;
    size_t at = 0;
    while (at < numbers.size() && static_cast<uint64_t>(numbers[at]) < wanted)
        ++at;
    if (at >= numbers.size())
        return std::optional<fs::DirEntryView>();
    int number = numbers[at];
    bool processes = dir.node() == Node::Root;
    return std::optional(fs::DirEntryView { number_name(number),
                                            processes ? ino_of(Node::Process, number, -1)
                                                      : ino_of(Node::ProcessFd, dir.pid(), number),
                                            processes ? InodeType::Directory : InodeType::Symlink,
                                            position + static_cast<uint64_t>(number) + 1 });
}

ErrorOr<fs::File*> Procfs::open(const InodeRef& inode, uint32_t flags) {
    // Files without a write method answer writes with EINVAL, as Linux's.
    // /proc/sys files obey their mode even for root (Linux's
    // proc_sys_permission): drop_caches cannot be read by anyone.
    if (proc_inode(inode).node() == Node::DropCaches && (flags & abi::k_o_accmode) != abi::k_o_wronly)
        return Error::AccessDenied;
    if (inode->is_directory()) {
        auto* file = new (std::nothrow) fs::DirectoryFile(flags, inode);
        if (!file)
            return Error::NoMemory;
        return static_cast<fs::File*>(file);
    }
    auto* file = new (std::nothrow) ProcFile(flags, inode);
    if (!file)
        return Error::NoMemory;
    if (auto generated = file->generate(); generated.is_error()) {
        fs::release(file);
        return generated.error();
    }
    return static_cast<fs::File*>(file);
}

}  // namespace

}  // namespace akuma::procfs

namespace akuma::fs {

ErrorOr<FileSystem*> make_procfs(FileSystem::Clock clock) {
    auto* fs = new (std::nothrow) procfs::Procfs(clock);
    if (!fs)
        return Error::NoMemory;
    if (auto made = fs->make_root(); made.is_error()) {
        delete fs;
        return made.error();
    }
    return static_cast<FileSystem*>(fs);
}

std::optional<int> procfs_process_directory(const Inode& inode) {
    if (inode.file_system().type_name() != procfs::Procfs::k_type_name)
        return std::nullopt;
    const auto& node = static_cast<const procfs::ProcInode&>(inode);
    if (node.node() != procfs::Node::Process)
        return std::nullopt;
    return node.pid();
}

}  // namespace akuma::fs
