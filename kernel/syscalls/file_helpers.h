// Shared pieces of the file system calls: descriptor and path arguments.
#pragma once

#include "kernel/fs/fd_table.h"
#include "kernel/fs/vfs.h"
#include "kernel/syscalls/linux_abi.h"
#include "kernel/syscalls/syscall.h"

namespace akuma::sys {

// A reference to an open file description for the duration of a call.
class FileRef {
public:
    static ErrorOr<FileRef> from_fd(int fd);
    FileRef(FileRef&& other) : m_file(other.m_file) { other.m_file = nullptr; }
    ~FileRef() {
        if (m_file)
            fs::release(m_file);
    }
    fs::OpenFile& operator*() const { return *m_file; }
    fs::OpenFile* operator->() const { return m_file; }

private:
    explicit FileRef(fs::OpenFile* file) : m_file(file) {}
    fs::OpenFile* m_file;
};

// A path argument copied into the kernel (PATH_MAX bytes, heap-allocated so
// it stays off the 16 KiB kernel stack).
class UserPath {
public:
    static constexpr size_t k_max = 4096;
    static ErrorOr<UserPath> copy(mm::UserPtr<const char> user);
    UserPath(UserPath&& other);
    UserPath(const UserPath&) = delete;
    UserPath& operator=(const UserPath&) = delete;
    ~UserPath();
    std::string_view view() const { return { m_buffer, m_length }; }

private:
    // Nearly every path fits here, on the stack: only a longer one takes a
    // heap buffer of k_max (a path syscall is one of the commonest).
    static constexpr size_t k_inline = 192;
    UserPath() = default;
    char* m_buffer = m_inline;
    size_t m_length = 0;
    char m_inline[k_inline];
};

// The directory a *at() call starts from: the cwd for AT_FDCWD (or any
// absolute path), else the directory open as dirfd.
ErrorOr<fs::InodeRef> directory_for(int dirfd, std::string_view path);

// stat structure for user space.
linux_abi::Stat to_linux_stat(const fs::InodeStat& stat);

}  // namespace akuma::sys
