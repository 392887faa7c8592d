// The open file descriptions of a file system's own inodes: regular files,
// directories, and O_PATH handles (any inode, no I/O). They reach the data
// through the inode's FileSystem, under the VFS lock.
#pragma once

#include "kernel/fs/file.h"

namespace akuma::fs {

class RegularFile : public File {
public:
    // `holds_write_access`: opened for writing, it holds the inode's write
    // access (FileSystem::get_write_access) until it goes away.
    RegularFile(uint32_t flags, InodeRef inode, bool holds_write_access);
    ~RegularFile() override;

    ErrorOr<size_t> read_at(std::span<uint8_t> buffer, uint64_t offset, bool nonblocking) override;
    ErrorOr<size_t> read_to_user(uint64_t address, size_t count, uint64_t offset) override;
    ErrorOr<size_t> write_at(std::span<const uint8_t> data, uint64_t& offset) override;
    ErrorOr<void> truncate(uint64_t size) override;
    ErrorOr<void> sync() override;
    ErrorOr<InodeRef> mappable_inode() override;

private:
    bool m_holds_write_access;
};

class DirectoryFile final : public File {
public:
    DirectoryFile(uint32_t flags, InodeRef inode) : File(flags, std::move(inode)) {}

    // read(2) of a directory is EISDIR.
    ErrorOr<size_t> read_at(std::span<uint8_t> buffer, uint64_t offset, bool nonblocking) override;
    // The position is an entry index: only SEEK_SET makes sense (EINVAL).
    ErrorOr<uint64_t> seek(int64_t offset, int whence) override;
    ErrorOr<size_t> read_directory(std::span<uint8_t> buffer) override;
    ErrorOr<void> sync() override { return {}; }
};

// O_PATH: a place in the tree for *at calls, fstat, fchdir; the generic
// checks refuse I/O (EBADF).
class PathFile final : public File {
public:
    PathFile(uint32_t flags, InodeRef inode) : File(flags, std::move(inode)) {}
};

// Opens a regular file or directory of any file system: its own File if it
// makes them (FileOpener), else RegularFile / DirectoryFile. Called without
// the VFS lock. NoMemory.
ErrorOr<File*> open_inode_file(const InodeRef& inode, uint32_t flags, bool holds_write_access);

}  // namespace akuma::fs
