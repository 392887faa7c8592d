#include "kernel/events/anonymous_file.h"

#include "kernel/lib/format.h"

namespace akuma::events {

namespace {
// Linux's anon_inodefs: its magic, and the one inode every such file shares
// (its number here is far from the pipes' and the file systems').
constexpr uint64_t k_anon_inode_fs_magic = 0x09041934;
constexpr uint64_t k_anon_inode_number = (uint64_t { 1 } << 32) - 1;
}  // namespace

ErrorOr<fs::InodeStat> AnonymousFile::stat() {
    fs::InodeStat result {};
    result.ino = k_anon_inode_number;
    result.mode = 0600;  // S_IRUSR | S_IWUSR, no type bits
    result.nlink = 1;
    result.blksize = 4096;
    return result;
}

ErrorOr<fs::FileSystemStats> AnonymousFile::statfs() {
    return fs::FileSystemStats { .magic = k_anon_inode_fs_magic, .block_size = 4096, .name_max = 255,
                                 .flags = 0x20 /* ST_VALID */ };
}

ErrorOr<size_t> AnonymousFile::anonymous_name(std::span<char> buffer) {
    BufferSink sink(buffer.data(), buffer.size());
    format_to(sink, "anon_inode:{}", m_kind);
    if (sink.truncated())
        return Error::OutOfRange;
    return sink.view().size();
}

}  // namespace akuma::events
