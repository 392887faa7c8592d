// Files with no place in any file system (Linux's anon_inode files):
// eventfd, epoll, timerfd, signalfd, pidfd, inotify. All of them are one
// inode of an internal file system on Linux: fstat shows mode 0600 without a
// file type, the same inode number for all, and /proc/PID/fd shows
// "anon_inode:KIND". They are streams: no offset, lseek is ESPIPE.
#pragma once

#include "kernel/fs/file.h"

namespace akuma::events {

class AnonymousFile : public fs::File {
public:
    AnonymousFile* anonymous() override { return this; }
    // The kind's name, a literal: kinds compare by its address.
    const char* kind() const { return m_kind; }
    // No pread/pwrite (ESPIPE), but lseek "succeeds" and leaves the
    // position at 0: Linux gives them noop_llseek.
    bool is_seekable() const override { return false; }
    bool ignores_seek() const override { return true; }
    ErrorOr<fs::InodeStat> stat() override;
    ErrorOr<fs::FileSystemStats> statfs() override;
    ErrorOr<size_t> anonymous_name(std::span<char> buffer) override;

protected:
    // `kind` (a literal) names it in /proc as Linux does: "[eventfd]",
    // "[eventpoll]", ..., but "inotify" without brackets.
    AnonymousFile(uint32_t flags, const char* kind) : File(flags, {}), m_kind(kind) {}

private:
    const char* m_kind;
};

}  // namespace akuma::events
