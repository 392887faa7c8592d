// Host tests for the in-memory root file system (kernel/fs/ramfs.*) and the
// initramfs loader (kernel/fs/initrd_loader.*): every operation with its
// error cases, reference counting and leaks (host kmalloc counts live
// objects), out-of-memory injection, and archives written by hand, from the
// ELF fixtures, and by GNU cpio when it is installed.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "kernel/fs/initrd_loader.h"
#include "kernel/fs/ramfs.h"
#include "kernel/fs/tmpfs_options.h"
#include "tests/host/host_kmalloc.h"

namespace akuma::fs {
namespace {

const RamfsInode& ramfs_node(const InodeRef& inode) { return static_cast<const RamfsInode&>(*inode); }


using test::host_kmalloc_fail_after;
using test::host_kmalloc_live_objects;
using Bytes = std::vector<uint8_t>;
using RamfsPtr = OwnPtr<Ramfs, mm::HeapAllocator>;

std::span<const uint8_t> bytes_of(std::string_view text) {
    return { reinterpret_cast<const uint8_t*>(text.data()), text.size() };
}

class RamfsTest : public ::testing::Test {
protected:
    void SetUp() override {
        m_baseline = host_kmalloc_live_objects();
        auto fs = Ramfs::create();
        ASSERT_FALSE(fs.is_error());
        m_fs = fs.release_value();
        m_root = m_fs->root();
    }

    void TearDown() override {
        host_kmalloc_fail_after(-1);
        m_root.reset();
        m_fs.reset();
        EXPECT_EQ(host_kmalloc_live_objects(), m_baseline) << "leak";
    }

    Ramfs& fs() { return *m_fs; }

    InodeRef get(std::string_view path, bool follow = true) {
        auto result = fs().resolve(m_root, path, follow);
        EXPECT_FALSE(result.is_error()) << path << ": " << error_name(result.error());
        return result.is_error() ? InodeRef() : result.release_value();
    }

    std::optional<Error> resolve_error(
        std::string_view path, bool follow = true, const InodeRef* base = nullptr) {
        auto result = fs().resolve(base ? *base : m_root, path, follow);
        if (!result.is_error())
            return std::nullopt;
        return result.error();
    }

    InodeRef file(const InodeRef& dir, std::string_view name, std::string_view contents = {}) {
        auto created = fs().create_file(dir, name, 0644);
        EXPECT_FALSE(created.is_error()) << name;
        if (created.is_error())
            return {};
        InodeRef inode = created.release_value();
        if (!contents.empty())
            EXPECT_EQ(fs().write(inode, 0, bytes_of(contents)).value(), contents.size());
        return inode;
    }

    InodeRef dir(const InodeRef& parent, std::string_view name) {
        auto created = fs().mkdir(parent, name, 0755);
        EXPECT_FALSE(created.is_error()) << name;
        return created.is_error() ? InodeRef() : created.release_value();
    }

    std::string contents(const InodeRef& inode) {
        std::string out(inode->size(), '\0');
        auto n = fs().read(inode, 0, { reinterpret_cast<uint8_t*>(out.data()), out.size() });
        EXPECT_FALSE(n.is_error());
        EXPECT_EQ(n.value(), out.size());
        return out;
    }

    std::vector<std::string> names(const InodeRef& directory) {
        std::vector<std::string> out;
        for (size_t i = 0;; ++i) {
            auto entry = fs().directory_entry(directory, i);
            EXPECT_FALSE(entry.is_error());
            if (entry.is_error() || !entry.value())
                return out;
            out.emplace_back(entry.value()->name);
        }
    }

    std::string path_of(const InodeRef& directory) {
        char buffer[k_max_path];
        auto length = fs().path_of(directory, buffer);
        EXPECT_FALSE(length.is_error());
        return length.is_error() ? "" : std::string(buffer, length.value() - 1);
    }

    size_t m_baseline = 0;
    RamfsPtr m_fs;
    InodeRef m_root;
};

template <typename T> Error error_of(const ErrorOr<T>& result) {
    EXPECT_TRUE(result.is_error());
    return result.is_error() ? result.error() : Error {};
}

// ---- Tree basics ----

TEST_F(RamfsTest, RootIsADirectoryWithInodeOne) {
    EXPECT_EQ(m_root->ino(), 1u);
    EXPECT_TRUE(m_root->is_directory());
    InodeStat st = fs().stat(m_root);
    EXPECT_EQ(st.mode, 040755u);
    EXPECT_EQ(st.nlink, 2u);
    EXPECT_EQ(path_of(m_root), "/");
    EXPECT_EQ(names(m_root), (std::vector<std::string> { ".", ".." }));
    EXPECT_EQ(fs().directory_entry(m_root, 1).value()->ino, 1u); // ".." of root is root
    EXPECT_EQ(fs().stats().inodes, 1u);
}

TEST_F(RamfsTest, CreateLookupAndNames) {
    InodeRef a = file(m_root, "a");
    InodeStat st = fs().stat(a);
    EXPECT_EQ(st.mode, 0100644u);
    EXPECT_EQ(st.nlink, 1u);
    EXPECT_EQ(st.size, 0u);
    EXPECT_EQ(st.ino, 2u);
    EXPECT_EQ(fs().lookup(m_root, "a").value(), a);
    EXPECT_EQ(error_of(fs().lookup(m_root, "b")), Error::NotFound);
    EXPECT_EQ(error_of(fs().create_file(m_root, "a", 0644)), Error::Exists);
    EXPECT_EQ(error_of(fs().mkdir(m_root, "a", 0755)), Error::Exists);
    EXPECT_EQ(error_of(fs().create_file(a, "x", 0644)), Error::NotADirectory);

    for (std::string_view bad : { std::string_view(""), std::string_view("."), std::string_view(".."),
             std::string_view("a/b"), std::string_view("a\0b", 3) })
        EXPECT_EQ(error_of(fs().create_file(m_root, bad, 0644)), Error::Invalid) << bad;
    EXPECT_EQ(error_of(fs().create_file(m_root, std::string(256, 'n'), 0644)), Error::NameTooLong);
    InodeRef longest = file(m_root, std::string(255, 'n'));
    EXPECT_EQ(get("/" + std::string(255, 'n')), longest);

    // Type bits in the mode argument are ignored; uid/gid are kept.
    InodeRef owned = fs().create_file(m_root, "owned", 040000 | 04711, 1000, 100).release_value();
    st = fs().stat(owned);
    EXPECT_EQ(st.mode, 0104711u);
    EXPECT_EQ(st.uid, 1000u);
    EXPECT_EQ(st.gid, 100u);
    EXPECT_NE(st.ino, fs().stat(a).ino);
}

// Linux's i_writecount: writers and running programs exclude each other
// (ETXTBSY), each side counted, so the last one out lets the other in.
TEST_F(RamfsTest, WritersAndRunningProgramsExcludeEachOther) {
    InodeRef file = fs().create_file(m_root, "prog", 0755).release_value();
    ASSERT_FALSE(fs().deny_write_access(file).is_error());
    ASSERT_FALSE(fs().deny_write_access(file).is_error());  // two processes run it
    EXPECT_EQ(error_of(fs().get_write_access(file)), Error::TextBusy);
    fs().allow_write_access(file);
    EXPECT_EQ(error_of(fs().get_write_access(file)), Error::TextBusy);  // one still runs
    fs().allow_write_access(file);
    ASSERT_FALSE(fs().get_write_access(file).is_error());
    ASSERT_FALSE(fs().get_write_access(file).is_error());
    EXPECT_EQ(error_of(fs().deny_write_access(file)), Error::TextBusy);
    fs().put_write_access(file);
    EXPECT_EQ(error_of(fs().deny_write_access(file)), Error::TextBusy);  // one writer left
    fs().put_write_access(file);
    EXPECT_FALSE(fs().deny_write_access(file).is_error());
    fs().allow_write_access(file);
    // Directories are never busy.
    InodeRef dir = fs().mkdir(m_root, "d", 0755).release_value();
    EXPECT_FALSE(fs().deny_write_access(dir).is_error());
    EXPECT_FALSE(fs().get_write_access(dir).is_error());
}

TEST_F(RamfsTest, MkdirCountsLinks) {
    InodeRef d = dir(m_root, "d");
    EXPECT_EQ(fs().stat(d).mode, 040755u);
    EXPECT_EQ(fs().stat(d).nlink, 2u);
    EXPECT_EQ(fs().stat(m_root).nlink, 3u);
    dir(d, "e");
    file(d, "f");
    EXPECT_EQ(fs().stat(d).nlink, 3u); // files do not count
    EXPECT_EQ(path_of(get("/d/e")), "/d/e");
}

// ---- Path resolution ----

TEST_F(RamfsTest, ResolvesPathsLikeLinux) {
    InodeRef usr = dir(m_root, "usr");
    InodeRef bin = dir(usr, "bin");
    InodeRef sh = file(bin, "sh", "#!");
    EXPECT_EQ(get("/usr/bin/sh"), sh);
    EXPECT_EQ(get("usr/bin/sh"), sh);
    EXPECT_EQ(get("//usr///bin//sh"), sh);
    EXPECT_EQ(get("/usr/./bin/../bin/sh"), sh);
    EXPECT_EQ(get("/"), m_root);
    EXPECT_EQ(get("///"), m_root);
    EXPECT_EQ(get("."), m_root);
    EXPECT_EQ(get("/usr/bin/"), bin);
    EXPECT_EQ(get("/usr/bin/."), bin);
    EXPECT_EQ(get("/usr/bin/.."), usr);
    auto relative = fs().resolve(usr, "bin/sh", true);
    EXPECT_EQ(relative.value(), sh);
    EXPECT_EQ(fs().resolve(bin, "../..", true).value(), m_root);
    EXPECT_EQ(fs().resolve(bin, "/usr", true).value(), usr); // absolute ignores base

    EXPECT_EQ(resolve_error(""), Error::NotFound);
    EXPECT_EQ(resolve_error("/nope"), Error::NotFound);
    EXPECT_EQ(resolve_error("/usr/nope/sh"), Error::NotFound);
    EXPECT_EQ(resolve_error("/usr/bin/sh/"), Error::NotADirectory);
    EXPECT_EQ(resolve_error("/usr/bin/sh/."), Error::NotADirectory);
    EXPECT_EQ(resolve_error("/usr/bin/sh/x"), Error::NotADirectory);
    EXPECT_EQ(resolve_error("x", true, &sh), Error::NotADirectory); // base must be a directory
    EXPECT_EQ(resolve_error("/" + std::string(256, 'a')), Error::NameTooLong);
    EXPECT_EQ(resolve_error("/usr/" + std::string(256, 'a') + "/x"), Error::NameTooLong);
    EXPECT_EQ(resolve_error("/nope/" + std::string(256, 'a')), Error::NotFound); // walk stops first

    std::string long_path;
    while (long_path.size() + 2 <= 4095)
        long_path += "./";
    long_path += "/";
    ASSERT_EQ(long_path.size(), 4095u);
    EXPECT_EQ(get(long_path), m_root);
    EXPECT_EQ(resolve_error(long_path + "/"), Error::NameTooLong);
}

TEST_F(RamfsTest, DotDotAtRootStaysAtRoot) {
    InodeRef etc = dir(m_root, "etc");
    EXPECT_EQ(get(".."), m_root);
    EXPECT_EQ(get("/../../.."), m_root);
    EXPECT_EQ(get("/../etc/../../etc"), etc);
    EXPECT_EQ(fs().lookup(m_root, "..").value(), m_root);
    EXPECT_EQ(fs().lookup(etc, "..").value(), m_root);
    EXPECT_EQ(fs().lookup(etc, ".").value(), etc);
}

TEST_F(RamfsTest, FollowsSymlinks) {
    InodeRef usr = dir(m_root, "usr");
    InodeRef lib = dir(usr, "lib");
    InodeRef libc = file(lib, "libc.so", "ELF");
    InodeRef abs = fs().symlink(m_root, "lib", "/usr/lib").release_value();
    fs().symlink(usr, "rel", "lib").release_value();
    fs().symlink(lib, "up", "..").release_value();
    InodeRef to_file = fs().symlink(m_root, "libc", "usr/lib/libc.so").release_value();
    fs().symlink(m_root, "file_slash", "usr/lib/libc.so/").release_value();
    fs().symlink(m_root, "chain", "libc").release_value();

    EXPECT_EQ(fs().readlink(abs).value(), "/usr/lib");
    EXPECT_EQ(error_of(fs().readlink(libc)), Error::Invalid);
    InodeStat st = fs().stat(abs);
    EXPECT_EQ(st.mode, 0120777u);
    EXPECT_EQ(st.size, 8u);

    EXPECT_EQ(get("/lib/libc.so"), libc); // intermediate: always followed
    EXPECT_EQ(get("/lib/libc.so", false), libc);
    EXPECT_EQ(get("/usr/rel/libc.so"), libc);
    EXPECT_EQ(get("/usr/lib/up/lib/up/rel"), lib); // ".." is physical
    EXPECT_EQ(get("/lib"), lib);
    EXPECT_EQ(get("/lib", false), abs); // final: only when asked
    EXPECT_EQ(get("/lib/", false), lib); // ... or with a trailing slash
    EXPECT_EQ(get("/chain"), libc); // link to link
    EXPECT_EQ(get("/libc", false), to_file);
    EXPECT_EQ(resolve_error("/libc/"), Error::NotADirectory);
    EXPECT_EQ(resolve_error("/libc/", false), Error::NotADirectory);
    EXPECT_EQ(resolve_error("/file_slash"), Error::NotADirectory);
    EXPECT_FALSE(resolve_error("/file_slash", false)); // the link itself

    fs().symlink(m_root, "dangling", "nowhere").release_value();
    EXPECT_EQ(resolve_error("/dangling"), Error::NotFound);
    EXPECT_FALSE(resolve_error("/dangling", false));

    EXPECT_EQ(error_of(fs().symlink(m_root, "empty", "")), Error::NotFound);
    EXPECT_EQ(error_of(fs().symlink(m_root, "huge", std::string(4096, 'x'))), Error::NameTooLong);
    EXPECT_FALSE(fs().symlink(m_root, "big", std::string(4095, 'x')).is_error());
    EXPECT_EQ(error_of(fs().symlink(m_root, "lib", "x")), Error::Exists);
}

TEST_F(RamfsTest, SymlinkLoopsStopAtForty) {
    fs().symlink(m_root, "self", "self").release_value();
    fs().symlink(m_root, "a", "b").release_value();
    fs().symlink(m_root, "b", "/a").release_value();
    EXPECT_EQ(resolve_error("/self"), Error::SymlinkLoop);
    EXPECT_EQ(resolve_error("/a"), Error::SymlinkLoop);
    EXPECT_EQ(resolve_error("/a/x", false), Error::SymlinkLoop);
    EXPECT_FALSE(resolve_error("/a", false));

    // l0 -> l1 -> ... -> l39 -> target: 40 links are allowed, 41 are not.
    InodeRef target = dir(m_root, "target");
    fs().symlink(m_root, "l39", "target").release_value();
    for (int i = 38; i >= 0; --i)
        fs().symlink(m_root, "l" + std::to_string(i), "l" + std::to_string(i + 1)).release_value();
    EXPECT_EQ(get("/l0"), target);
    EXPECT_EQ(get("/l0/"), target);
    fs().symlink(m_root, "l-1", "l0").release_value();
    EXPECT_EQ(resolve_error("/l-1"), Error::SymlinkLoop);
    EXPECT_EQ(resolve_error("/l-1/x"), Error::SymlinkLoop);
    // Links spread over components count together.
    EXPECT_EQ(get("/l20/../l20"), target);
    EXPECT_EQ(resolve_error("/l0/../l0"), Error::SymlinkLoop);
}

TEST_F(RamfsTest, ResolveParentSplitsOffTheLastComponent) {
    InodeRef a = dir(m_root, "a");
    InodeRef f = file(a, "f");
    fs().symlink(m_root, "link", "a").release_value();

    auto split = [&](const InodeRef& base, std::string_view path) {
        auto result = fs().resolve_parent(base, path);
        EXPECT_FALSE(result.is_error()) << path;
        return result.is_error() ? ParentAndName {} : result.release_value();
    };
    ParentAndName pn = split(m_root, "a/b");
    EXPECT_EQ(pn.directory, a);
    EXPECT_EQ(pn.name, "b");
    EXPECT_FALSE(pn.trailing_slash);
    pn = split(a, "/x");
    EXPECT_EQ(pn.directory, m_root);
    EXPECT_EQ(pn.name, "x");
    pn = split(a, "x");
    EXPECT_EQ(pn.directory, a);
    pn = split(m_root, "//a//new//");
    EXPECT_EQ(pn.directory, a);
    EXPECT_EQ(pn.name, "new");
    EXPECT_TRUE(pn.trailing_slash);
    pn = split(m_root, "link/f");
    EXPECT_EQ(pn.directory, a);
    pn = split(m_root, "link"); // the final symlink is not followed
    EXPECT_EQ(pn.directory, m_root);
    EXPECT_EQ(pn.name, "link");

    EXPECT_EQ(error_of(fs().resolve_parent(m_root, "")), Error::NotFound);
    EXPECT_EQ(error_of(fs().resolve_parent(m_root, "/")), Error::Invalid);
    EXPECT_EQ(error_of(fs().resolve_parent(m_root, "a/.")), Error::Invalid);
    EXPECT_EQ(error_of(fs().resolve_parent(m_root, "a/..")), Error::Invalid);
    EXPECT_EQ(error_of(fs().resolve_parent(m_root, "missing/x")), Error::NotFound);
    EXPECT_EQ(error_of(fs().resolve_parent(m_root, "a/f/x")), Error::NotADirectory);
    EXPECT_EQ(error_of(fs().resolve_parent(f, "x")), Error::NotADirectory);
    EXPECT_EQ(error_of(fs().resolve_parent(m_root, "a/" + std::string(256, 'x'))), Error::NameTooLong);
    EXPECT_EQ(error_of(fs().resolve_parent(m_root, std::string(4096, '/'))), Error::NameTooLong);
}

// ---- File data ----

TEST_F(RamfsTest, ReadWriteAndSparseWrites) {
    InodeRef f = file(m_root, "f", "hello");
    EXPECT_EQ(contents(f), "hello");
    uint8_t buffer[16];
    EXPECT_EQ(fs().read(f, 5, buffer).value(), 0u); // at EOF
    EXPECT_EQ(fs().read(f, 100, buffer).value(), 0u); // past EOF
    EXPECT_EQ(fs().read(f, 3, buffer).value(), 2u);
    EXPECT_EQ(std::string(buffer, buffer + 2), "lo");
    EXPECT_EQ(fs().read(f, 1, std::span(buffer, 3)).value(), 3u);
    EXPECT_EQ(std::string(buffer, buffer + 3), "ell");

    EXPECT_EQ(fs().write(f, 1, bytes_of("ELL")).value(), 3u); // overwrite inside
    EXPECT_EQ(contents(f), "hELLo");
    EXPECT_EQ(fs().write(f, 10, bytes_of("x")).value(), 1u); // gap is zero-filled
    EXPECT_EQ(contents(f), std::string("hELLo\0\0\0\0\0x", 11));
    EXPECT_EQ(fs().write(f, 0, {}).value(), 0u);
    EXPECT_EQ(f->size(), 11u);

    // Appends fill pages one after the other, all data kept.
    std::string expected = contents(f);
    for (int i = 0; i < 1000; ++i) {
        std::string chunk = std::to_string(i) + ",";
        ASSERT_EQ(fs().write(f, f->size(), bytes_of(chunk)).value(), chunk.size());
        expected += chunk;
    }
    EXPECT_EQ(contents(f), expected);
    EXPECT_EQ(fs().stats().owned_data_bytes, (expected.size() + 4095) / 4096 * 4096);

    InodeRef d = dir(m_root, "d");
    InodeRef l = fs().symlink(m_root, "l", "f").release_value();
    EXPECT_EQ(error_of(fs().read(d, 0, buffer)), Error::IsADirectory);
    EXPECT_EQ(error_of(fs().write(d, 0, bytes_of("x"))), Error::IsADirectory);
    EXPECT_EQ(error_of(fs().truncate(d, 0)), Error::IsADirectory);
    EXPECT_EQ(error_of(fs().read(l, 0, buffer)), Error::Invalid);
    EXPECT_EQ(error_of(fs().write(l, 0, bytes_of("x"))), Error::Invalid);
    EXPECT_EQ(error_of(fs().write(f, UINT64_MAX - 1, bytes_of("xyz"))), Error::FileTooBig);
    EXPECT_EQ(error_of(fs().write(f, uint64_t(INT64_MAX), bytes_of("x"))), Error::FileTooBig);
    EXPECT_EQ(error_of(fs().truncate(f, uint64_t(INT64_MAX) + 1)), Error::FileTooBig);
}

TEST_F(RamfsTest, TruncateZeroFillsAndFrees) {
    InodeRef f = file(m_root, "f", "abcdef");
    ASSERT_FALSE(fs().truncate(f, 3).is_error());
    EXPECT_EQ(contents(f), "abc");
    ASSERT_FALSE(fs().truncate(f, 6).is_error()); // the old bytes must not come back
    EXPECT_EQ(contents(f), std::string("abc\0\0\0", 6));
    ASSERT_FALSE(fs().truncate(f, 2).is_error());
    EXPECT_EQ(fs().write(f, 4, bytes_of("z")).value(), 1u);
    EXPECT_EQ(contents(f), std::string("ab\0\0z", 5));
    ASSERT_FALSE(fs().truncate(f, 0).is_error());
    EXPECT_EQ(f->size(), 0u);
    EXPECT_EQ(fs().stats().owned_data_bytes, 0u);
    ASSERT_FALSE(fs().truncate(f, 5000).is_error());
    EXPECT_EQ(contents(f), std::string(5000, '\0'));
    InodeStat st = fs().stat(f);
    EXPECT_EQ(st.blocks, 0u); // a hole, as on tmpfs
    EXPECT_EQ(st.blksize, 4096u);
    EXPECT_EQ(fs().write(f, 4999, bytes_of("z")).value(), 1u);
    EXPECT_EQ(fs().stat(f).blocks, 8u); // the page written, in 512-byte units
    EXPECT_EQ(fs().write(f, 0, bytes_of("a")).value(), 1u);
    EXPECT_EQ(fs().stat(f).blocks, 16u);
}

TEST_F(RamfsTest, BorrowedDataIsCopiedOnFirstChange) {
    const std::string archive = "borrowed bytes from the initrd";
    const std::string original = archive;
    InodeRef f = file(m_root, "f");
    InodeRef g = file(m_root, "g");
    ASSERT_FALSE(fs().set_borrowed_data(f, bytes_of(archive)).is_error());
    ASSERT_FALSE(fs().set_borrowed_data(g, bytes_of(archive)).is_error());
    EXPECT_TRUE(ramfs_node(f).is_borrowed());
    EXPECT_EQ(contents(f), archive);
    EXPECT_EQ(fs().stats().borrowed_data_bytes, 2 * archive.size());
    EXPECT_EQ(fs().stats().owned_data_bytes, 0u);
    EXPECT_EQ(fs().stat(f).blocks, 8u);

    EXPECT_EQ(fs().write(f, 0, bytes_of("B")).value(), 1u);
    EXPECT_FALSE(ramfs_node(f).is_borrowed());
    EXPECT_EQ(contents(f), "Borrowed bytes from the initrd");
    EXPECT_EQ(archive, original); // the image is never written
    EXPECT_EQ(contents(g), original);
    EXPECT_EQ(fs().stats().borrowed_data_bytes, archive.size());
    EXPECT_EQ(fs().stats().owned_data_bytes, 4096u); // one page holds the copy

    // Shrinking keeps borrowing; growing copies.
    ASSERT_FALSE(fs().truncate(g, 8).is_error());
    EXPECT_TRUE(ramfs_node(g).is_borrowed());
    EXPECT_EQ(contents(g), "borrowed");
    EXPECT_EQ(fs().stats().borrowed_data_bytes, 8u);
    ASSERT_FALSE(fs().truncate(g, 10).is_error());
    EXPECT_FALSE(ramfs_node(g).is_borrowed());
    EXPECT_EQ(contents(g), std::string("borrowed\0\0", 10));
    EXPECT_EQ(archive, original);
    EXPECT_EQ(fs().stats().borrowed_data_bytes, 0u);

    // Borrowing again frees the owned copy.
    ASSERT_FALSE(fs().set_borrowed_data(f, bytes_of(archive)).is_error());
    EXPECT_EQ(fs().stats().owned_data_bytes, 4096u); // g's page
    InodeRef d = dir(m_root, "d");
    EXPECT_EQ(error_of(fs().set_borrowed_data(d, bytes_of(archive))), Error::IsADirectory);
}

TEST_F(RamfsTest, OutOfMemoryLeavesFilesUnchanged) {
    const std::string archive = "image";
    InodeRef f = file(m_root, "f");
    ASSERT_FALSE(fs().set_borrowed_data(f, bytes_of(archive)).is_error());
    InodeRef g = file(m_root, "g", "abc");
    host_kmalloc_fail_after(0);
    EXPECT_EQ(error_of(fs().write(f, 0, bytes_of("X"))), Error::NoMemory);
    EXPECT_EQ(error_of(fs().write(g, 5000, bytes_of("X"))), Error::NoMemory); // a new page
    EXPECT_EQ(error_of(fs().truncate(f, 100)), Error::NoMemory); // growing copies a borrowed file
    EXPECT_EQ(error_of(fs().create_file(m_root, "h", 0644)), Error::NoMemory);
    EXPECT_EQ(error_of(fs().symlink(m_root, "s", "t")), Error::NoMemory);
    // Neither needs memory: the byte is in a page g has, and growing leaves a hole.
    EXPECT_EQ(fs().write(g, 1, bytes_of("B")).value(), 1u);
    EXPECT_FALSE(fs().truncate(g, 1 << 20).is_error());
    EXPECT_FALSE(fs().truncate(g, 3).is_error());
    EXPECT_EQ(fs().write(g, 1, bytes_of("b")).value(), 1u);
    host_kmalloc_fail_after(-1);
    EXPECT_TRUE(ramfs_node(f).is_borrowed());
    EXPECT_EQ(contents(f), "image");
    EXPECT_EQ(contents(g), "abc");
    EXPECT_EQ(names(m_root), (std::vector<std::string> { ".", "..", "f", "g" }));
}

// Every allocation of each creating operation fails in turn: the operation
// reports NoMemory and leaves no trace, or succeeds.
TEST_F(RamfsTest, CreationSurvivesOutOfMemoryAtEveryAllocation) {
    InodeRef d = dir(m_root, "d");
    InodeRef f = file(m_root, "f");
    for (int op = 0; op < 6; ++op) {
        SCOPED_TRACE(op);
        for (long n = 0;; ++n) {
            size_t live = host_kmalloc_live_objects();
            size_t inodes = fs().stats().inodes;
            host_kmalloc_fail_after(n);
            ErrorOr<void> result = Error::Invalid;
            switch (op) {
            case 0:
                result = fs().create_file(d, "x", 0644).is_error() ? Error::NoMemory : ErrorOr<void>();
                break;
            case 1:
                result = fs().mkdir(d, "x", 0755).is_error() ? Error::NoMemory : ErrorOr<void>();
                break;
            case 2:
                result = fs().symlink(d, "x", "target").is_error() ? Error::NoMemory : ErrorOr<void>();
                break;
            case 3:
                result = fs().mknod(d, "x", 020600, { 1, 3 }).is_error() ? Error::NoMemory : ErrorOr<void>();
                break;
            case 4:
                result = fs().link(d, "x", f);
                break;
            case 5:
                result = fs().rename(m_root, "f", d, "x");
                break;
            }
            host_kmalloc_fail_after(-1);
            if (result.is_error()) {
                EXPECT_EQ(result.error(), Error::NoMemory);
                EXPECT_EQ(host_kmalloc_live_objects(), live);
                EXPECT_EQ(fs().stats().inodes, inodes);
                EXPECT_EQ(names(d), (std::vector<std::string> { ".", ".." }));
                continue;
            }
            EXPECT_GT(n, 0);
            EXPECT_EQ(names(d), (std::vector<std::string> { ".", "..", "x" }));
            if (op == 5) {
                EXPECT_EQ(error_of(fs().lookup(m_root, "f")), Error::NotFound);
                ASSERT_FALSE(fs().rename(d, "x", m_root, "f").is_error());
            } else if (op == 1) {
                ASSERT_FALSE(fs().rmdir(d, "x").is_error());
            } else {
                ASSERT_FALSE(fs().unlink(d, "x").is_error());
            }
            break;
        }
    }
}

TEST_F(RamfsTest, CreateFailsCleanlyWithoutMemory) {
    size_t live = host_kmalloc_live_objects();
    for (long n = 0; n < 2; ++n) {
        host_kmalloc_fail_after(n);
        auto fs = Ramfs::create();
        EXPECT_EQ(error_of(fs), Error::NoMemory);
        host_kmalloc_fail_after(-1);
        EXPECT_EQ(host_kmalloc_live_objects(), live);
    }
    host_kmalloc_fail_after(2);
    EXPECT_FALSE(Ramfs::create().is_error());
    host_kmalloc_fail_after(-1);
    EXPECT_EQ(host_kmalloc_live_objects(), live);
}

// ---- File data in pages ----

std::string pattern(size_t size, char seed) {
    std::string out(size, '\0');
    for (size_t i = 0; i < size; ++i)
        out[i] = static_cast<char>(seed + i % 251);
    return out;
}

TEST_F(RamfsTest, SparseFilesTakeNoPagesForHoles) {
    constexpr uint64_t k_mib = 1 << 20;
    InodeRef f = file(m_root, "f");
    ASSERT_FALSE(fs().truncate(f, 64 * k_mib).is_error());
    EXPECT_EQ(f->size(), 64 * k_mib);
    EXPECT_EQ(ramfs_node(f).page_count(), 0u);
    EXPECT_EQ(fs().stats().owned_data_bytes, 0u);
    EXPECT_EQ(fs().stats().index_bytes, 0u);
    EXPECT_EQ(fs().stat(f).blocks, 0u);

    EXPECT_EQ(fs().write(f, 60 * k_mib, bytes_of("sixty")).value(), 5u);
    EXPECT_EQ(f->size(), 64 * k_mib);
    EXPECT_EQ(ramfs_node(f).page_count(), 1u);
    EXPECT_EQ(fs().stats().owned_data_bytes, 4096u);
    // Index 15360 needs three levels of 64: a few nodes, not a 64 MiB table.
    EXPECT_EQ(fs().stats().index_bytes, 3 * FilePages::k_node_size);
    EXPECT_EQ(fs().stat(f).blocks, 8u);

    std::string buffer(8192, 'x');
    auto span = std::span(reinterpret_cast<uint8_t*>(buffer.data()), buffer.size());
    EXPECT_EQ(fs().read(f, 60 * k_mib - 4096, span).value(), 8192u);
    EXPECT_EQ(buffer.substr(0, 4096), std::string(4096, '\0')); // the hole before
    EXPECT_EQ(buffer.substr(4096, 5), "sixty");
    EXPECT_EQ(buffer.substr(4101), std::string(8192 - 4101, '\0'));
    EXPECT_EQ(fs().read(f, 64 * k_mib - 10, span).value(), 10u);
    EXPECT_EQ(buffer.substr(0, 10), std::string(10, '\0'));

    // Shrinking below the page frees it and the nodes; the tree collapses.
    ASSERT_FALSE(fs().truncate(f, 60 * k_mib).is_error());
    EXPECT_EQ(fs().stats().owned_data_bytes, 0u);
    EXPECT_EQ(fs().stats().index_bytes, 0u);
    ASSERT_FALSE(fs().truncate(f, 64 * k_mib).is_error());
    EXPECT_EQ(fs().read(f, 60 * k_mib, span).value(), 8192u);
    EXPECT_EQ(buffer, std::string(8192, '\0'));
}

TEST_F(RamfsTest, HugeOffsetsUseAFewNodes) {
    InodeRef f = file(m_root, "f");
    const uint64_t last = uint64_t(INT64_MAX) - 3; // the last page of the largest file
    EXPECT_EQ(fs().write(f, last, bytes_of("end")).value(), 3u);
    EXPECT_EQ(f->size(), uint64_t(INT64_MAX));
    EXPECT_EQ(fs().stats().owned_data_bytes, 4096u);
    EXPECT_LE(fs().stats().index_bytes, FilePages::k_max_height * FilePages::k_node_size);
    EXPECT_EQ(fs().write(f, 0, bytes_of("start")).value(), 5u);
    EXPECT_EQ(fs().write(f, uint64_t(1) << 40, bytes_of("middle")).value(), 6u);
    EXPECT_EQ(ramfs_node(f).page_count(), 3u);
    uint8_t buffer[8];
    EXPECT_EQ(fs().read(f, last, buffer).value(), 3u);
    EXPECT_EQ(std::string(buffer, buffer + 3), "end");
    EXPECT_EQ(fs().read(f, (uint64_t(1) << 40) - 2, buffer).value(), 8u);
    EXPECT_EQ(std::string(buffer, buffer + 8), std::string("\0\0middle", 8));
    EXPECT_EQ(fs().read(f, 0, std::span(buffer, 5)).value(), 5u);
    EXPECT_EQ(std::string(buffer, buffer + 5), "start");
    ASSERT_FALSE(fs().truncate(f, 4096).is_error());
    EXPECT_EQ(ramfs_node(f).page_count(), 1u);
    EXPECT_EQ(fs().stats().index_bytes, 0u); // one page: no node at all
    EXPECT_EQ(contents(f).substr(0, 5), "start");
}

TEST_F(RamfsTest, WritesAndTruncatesAcrossPageBoundaries) {
    InodeRef f = file(m_root, "f");
    std::string data = pattern(10000, 'a');
    EXPECT_EQ(fs().write(f, 4000, bytes_of(data)).value(), data.size()); // pages 0..3
    EXPECT_EQ(ramfs_node(f).page_count(), 4u);
    std::string expected = std::string(4000, '\0') + data;
    EXPECT_EQ(contents(f), expected);

    // Down into page 1: pages 2 and 3 go, page 1's tail is cleared.
    ASSERT_FALSE(fs().truncate(f, 5000).is_error());
    EXPECT_EQ(ramfs_node(f).page_count(), 2u);
    ASSERT_FALSE(fs().truncate(f, 12000).is_error());
    EXPECT_EQ(ramfs_node(f).page_count(), 2u);
    EXPECT_EQ(contents(f), expected.substr(0, 5000) + std::string(7000, '\0'));
    // Exactly at a page boundary: the page below stays whole.
    ASSERT_FALSE(fs().truncate(f, 4096).is_error());
    EXPECT_EQ(ramfs_node(f).page_count(), 1u);
    EXPECT_EQ(contents(f), expected.substr(0, 4096));
    // A write past the end leaves a hole, and the old bytes never return.
    EXPECT_EQ(fs().write(f, 9000, bytes_of("tail")).value(), 4u);
    EXPECT_EQ(ramfs_node(f).page_count(), 2u);
    EXPECT_EQ(contents(f), expected.substr(0, 4096) + std::string(9000 - 4096, '\0') + "tail");
    ASSERT_FALSE(fs().truncate(f, 1).is_error());
    EXPECT_EQ(contents(f), expected.substr(0, 1));
    ASSERT_FALSE(fs().truncate(f, 0).is_error());
    EXPECT_EQ(ramfs_node(f).page_count(), 0u);
    EXPECT_EQ(fs().stats().owned_data_bytes, 0u);
}

// Random writes, reads and truncates against a std::string and a set of the
// pages that must exist (written, not truncated away since).
TEST_F(RamfsTest, RandomOperationsMatchAReferenceModel) {
    InodeRef f = file(m_root, "f");
    std::string model;
    std::set<uint64_t> pages;
    uint64_t state = 12345;
    auto next = [&](uint64_t bound) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        return (state >> 33) % bound;
    };
    constexpr uint64_t k_span = 64 * 1024;
    for (int step = 0; step < 3000; ++step) {
        SCOPED_TRACE(step);
        switch (next(4)) {
        case 0:
        case 1: {
            uint64_t offset = next(k_span);
            std::string data = pattern(1 + next(9000), static_cast<char>(step));
            ASSERT_EQ(fs().write(f, offset, bytes_of(data)).value(), data.size());
            if (model.size() < offset + data.size())
                model.resize(offset + data.size(), '\0');
            model.replace(offset, data.size(), data);
            for (uint64_t page = offset / 4096; page <= (offset + data.size() - 1) / 4096; ++page)
                pages.insert(page);
            break;
        }
        case 2: {
            uint64_t size = next(k_span + 8192);
            ASSERT_FALSE(fs().truncate(f, size).is_error());
            model.resize(size, '\0');
            pages.erase(pages.lower_bound((size + 4095) / 4096), pages.end());
            break;
        }
        case 3: {
            uint64_t offset = next(k_span + 8192);
            std::string buffer(next(10000), 'x');
            size_t n = fs().read(f, offset, { reinterpret_cast<uint8_t*>(buffer.data()), buffer.size() }).value();
            size_t want = offset >= model.size() ? 0 : std::min(buffer.size(), model.size() - offset);
            ASSERT_EQ(n, want);
            if (n)
                ASSERT_EQ(buffer.substr(0, n), model.substr(offset, n));
            break;
        }
        }
        ASSERT_EQ(f->size(), model.size());
        ASSERT_EQ(ramfs_node(f).page_count(), pages.size());
        ASSERT_EQ(fs().stats().owned_data_bytes, pages.size() * 4096);
    }
    EXPECT_EQ(contents(f), model);
}

// Every allocation of a write into a deep hole fails in turn: NoMemory and
// no trace (no page, no node), or success.
TEST_F(RamfsTest, WriteSurvivesOutOfMemoryAtEveryAllocation) {
    InodeRef f = file(m_root, "f", "head");
    for (long n = 0;; ++n) {
        size_t live = host_kmalloc_live_objects();
        RamfsStats before = fs().stats();
        host_kmalloc_fail_after(n);
        auto written = fs().write(f, uint64_t(1) << 45, bytes_of("deep"));
        host_kmalloc_fail_after(-1);
        if (written.is_error()) {
            EXPECT_EQ(written.error(), Error::NoMemory);
            EXPECT_EQ(host_kmalloc_live_objects(), live);
            EXPECT_EQ(fs().stats().owned_data_bytes, before.owned_data_bytes);
            EXPECT_EQ(fs().stats().index_bytes, before.index_bytes);
            EXPECT_EQ(contents(f), "head");
            continue;
        }
        EXPECT_GT(n, 2); // a page and the nodes above it
        EXPECT_EQ(f->size(), (uint64_t(1) << 45) + 4);
        break;
    }
}

// ---- Size limit (tmpfs size=) ----

class RamfsLimitTest : public RamfsTest {
protected:
    void SetUp() override {
        m_baseline = host_kmalloc_live_objects();
        auto fs = Ramfs::create(k_limit);
        ASSERT_FALSE(fs.is_error());
        m_fs = fs.release_value();
        m_root = m_fs->root();
    }
    static constexpr uint64_t k_limit = 64 * 1024; // 16 pages
};

TEST_F(RamfsLimitTest, WritesPastTheLimitAreShortThenFailWithNoSpace) {
    EXPECT_EQ(fs().size_limit(), k_limit);
    InodeRef f = file(m_root, "f");
    std::string big = pattern(20 * 4096, 'A');
    // As tmpfs: what fits is written and the count is short.
    EXPECT_EQ(fs().write(f, 0, bytes_of(big)).value(), k_limit);
    EXPECT_EQ(f->size(), k_limit);
    EXPECT_EQ(contents(f), big.substr(0, k_limit));
    EXPECT_EQ(fs().stats().owned_data_bytes, k_limit);
    // Nothing fits any more: ENOSPC, nothing changes.
    EXPECT_EQ(error_of(fs().write(f, k_limit, bytes_of("x"))), Error::NoSpace);
    InodeRef g = file(m_root, "g");
    EXPECT_EQ(error_of(fs().write(g, 0, bytes_of("x"))), Error::NoSpace);
    EXPECT_EQ(g->size(), 0u);
    // Pages a file has are rewritten freely; growing makes a hole, no page.
    EXPECT_EQ(fs().write(f, 100, bytes_of("rewrite")).value(), 7u);
    ASSERT_FALSE(fs().truncate(f, 1 << 30).is_error());
    EXPECT_EQ(fs().stats().owned_data_bytes, k_limit);
    EXPECT_EQ(error_of(fs().write(f, 1 << 20, bytes_of("y"))), Error::NoSpace);

    // Freeing one page (truncating into page 14) lets one more page in: a
    // write across two pages writes up to the first one's end.
    ASSERT_FALSE(fs().truncate(f, 14 * 4096 + 10).is_error());
    EXPECT_EQ(fs().stats().owned_data_bytes, k_limit - 4096);
    std::string across = pattern(5000, 'q');
    EXPECT_EQ(fs().write(f, (1 << 20) + 100, bytes_of(across)).value(), 4096u - 100);
    EXPECT_EQ(f->size(), (1u << 20) + 4096);
    EXPECT_EQ(fs().stats().owned_data_bytes, k_limit);

    // Removing the file gives everything back.
    ASSERT_FALSE(fs().unlink(m_root, "f").is_error());
    f.reset();
    EXPECT_EQ(fs().stats().owned_data_bytes, 0u);
    EXPECT_EQ(fs().write(g, 0, bytes_of(big)).value(), k_limit);
}

TEST_F(RamfsLimitTest, BorrowedFilesCountOnlyOnceCopied) {
    std::string archive = pattern(3 * 4096, 'b');
    InodeRef f = file(m_root, "f");
    ASSERT_FALSE(fs().set_borrowed_data(f, bytes_of(archive)).is_error());
    EXPECT_EQ(fs().stats().owned_data_bytes, 0u); // the initrd's memory, not ours
    InodeRef g = file(m_root, "g");
    EXPECT_EQ(fs().write(g, 0, bytes_of(pattern(14 * 4096, 'g'))).value(), 14u * 4096);
    // The copy needs three pages, two are left: refused whole, still borrowed.
    EXPECT_EQ(error_of(fs().write(f, 0, bytes_of("X"))), Error::NoSpace);
    EXPECT_TRUE(ramfs_node(f).is_borrowed());
    EXPECT_EQ(contents(f), archive);
    ASSERT_FALSE(fs().truncate(g, 13 * 4096).is_error());
    EXPECT_EQ(fs().write(f, 0, bytes_of("X")).value(), 1u);
    EXPECT_FALSE(ramfs_node(f).is_borrowed());
    EXPECT_EQ(contents(f), "X" + archive.substr(1));
    EXPECT_EQ(fs().stats().owned_data_bytes, k_limit);
}

TEST(RamfsSizeLimit, RoundsUpToPagesAndZeroMeansUnlimited) {
    auto unlimited = Ramfs::create(0).release_value();
    EXPECT_EQ(unlimited->size_limit(), 0u);
    auto one_page = Ramfs::create(1).release_value();
    EXPECT_EQ(one_page->size_limit(), 4096u);
    InodeRef f = one_page->create_file(one_page->root(), "f", 0644).release_value();
    EXPECT_EQ(one_page->write(f, 4000, bytes_of(std::string(200, 'x'))).value(), 96u);
    EXPECT_EQ(error_of(one_page->write(f, 4096, bytes_of("x"))), Error::NoSpace);
    f.reset();
}

// ---- tmpfs options (initramfs_options=) ----

TEST(TmpfsOptions, ParsesSizeAsLinuxDoes) {
    constexpr uint64_t k_ram = 128ull << 20;
    auto size_of = [&](std::string_view options) -> std::optional<uint64_t> {
        auto parsed = parse_tmpfs_options(options, k_ram);
        EXPECT_FALSE(parsed.is_error()) << options;
        return parsed.is_error() ? std::nullopt : parsed.value().size;
    };
    EXPECT_EQ(size_of(""), std::nullopt);
    EXPECT_EQ(size_of("size=65536"), 65536u);
    EXPECT_EQ(size_of("size=64k"), 65536u);
    EXPECT_EQ(size_of("size=64K"), 65536u);
    EXPECT_EQ(size_of("size=3m"), 3u << 20);
    EXPECT_EQ(size_of("size=2G"), 2ull << 30);
    EXPECT_EQ(size_of("size=1t"), 1ull << 40);
    EXPECT_EQ(size_of("size=0x1000"), 4096u);
    EXPECT_EQ(size_of("size=010"), 8u); // simple_strtoull base 0: octal
    EXPECT_EQ(size_of("size=0"), 0u); // unlimited
    EXPECT_EQ(size_of("size=50%"), k_ram / 2);
    EXPECT_EQ(size_of("size=75%"), k_ram * 3 / 4);
    EXPECT_EQ(size_of("size=1k%"), k_ram * 1024 / 100); // memparse, then '%'

    EXPECT_EQ(size_of("size=1m,size=2m"), 2u << 20); // the last one counts
    EXPECT_EQ(size_of(",size=1m,"), 1u << 20);
    // Other tmpfs options are reported, not applied; size= still is.
    auto parsed = parse_tmpfs_options("mode=0755,size=8k,nr_inodes=10", k_ram).value();
    EXPECT_EQ(parsed.size, 8192u);
    EXPECT_EQ(parsed.mode, 0755u);
    EXPECT_EQ(parsed.unsupported, "nr_inodes=10");
    EXPECT_EQ(parse_tmpfs_options("mode=1777", k_ram).value().mode, 01777u);
    EXPECT_FALSE(parse_tmpfs_options("size=1m", k_ram).value().mode);
    EXPECT_EQ(parse_tmpfs_options("size=8k", k_ram).value().unsupported, "");

    const char* reason = nullptr;
    for (std::string_view bad : { "size=", "size=abc", "size=1x", "size=1%k", "size=99999999999999999999",
             "size=16E", "mode=0755,size=x", "mode=", "mode=8", "mode=17777", "mode=0x1ff" }) {
        EXPECT_EQ(error_of(parse_tmpfs_options(bad, k_ram, &reason)), Error::Invalid) << bad;
        EXPECT_NE(reason, nullptr) << bad;
    }
}

// ---- Links and removal ----

TEST_F(RamfsTest, UnlinkedFileStaysReadableWhileReferenced) {
    file(m_root, "first"); // allocates the root's entry array
    size_t before = host_kmalloc_live_objects();
    InodeRef f = file(m_root, "f", "still here");
    uint64_t ino = f->ino();
    ASSERT_FALSE(fs().unlink(m_root, "f").is_error());
    EXPECT_EQ(error_of(fs().lookup(m_root, "f")), Error::NotFound);
    EXPECT_EQ(f->nlink(), 0u);
    EXPECT_EQ(contents(f), "still here");
    EXPECT_EQ(fs().write(f, 10, bytes_of("!")).value(), 1u);
    EXPECT_EQ(contents(f), "still here!");
    EXPECT_EQ(fs().stat(f).ino, ino);
    EXPECT_EQ(error_of(fs().link(m_root, "back", f)), Error::NotFound); // no resurrection
    EXPECT_EQ(fs().stats().inodes, 3u);
    f.reset(); // the last reference frees inode and data
    EXPECT_EQ(fs().stats().inodes, 2u);
    EXPECT_EQ(fs().stats().owned_data_bytes, 0u);
    EXPECT_EQ(host_kmalloc_live_objects(), before);
    // Names are reusable and inode numbers are not.
    EXPECT_GT(file(m_root, "f")->ino(), ino);
}

TEST_F(RamfsTest, UnlinkAndRmdirErrors) {
    InodeRef d = dir(m_root, "d");
    file(d, "f");
    EXPECT_EQ(error_of(fs().unlink(m_root, "d")), Error::IsADirectory);
    EXPECT_EQ(error_of(fs().unlink(m_root, "nope")), Error::NotFound);
    EXPECT_EQ(error_of(fs().rmdir(m_root, "nope")), Error::NotFound);
    EXPECT_EQ(error_of(fs().rmdir(m_root, "d")), Error::NotEmpty);
    EXPECT_EQ(error_of(fs().rmdir(d, "f")), Error::NotADirectory);
    EXPECT_EQ(error_of(fs().rmdir(m_root, ".")), Error::Invalid);
    EXPECT_EQ(error_of(fs().unlink(d, "f/")), Error::Invalid);
    InodeRef f = get("/d/f");
    EXPECT_EQ(error_of(fs().unlink(f, "x")), Error::NotADirectory);
    ASSERT_FALSE(fs().unlink(d, "f").is_error());
    EXPECT_EQ(fs().stat(m_root).nlink, 3u);
    ASSERT_FALSE(fs().rmdir(m_root, "d").is_error());
    EXPECT_EQ(fs().stat(m_root).nlink, 2u);
    EXPECT_EQ(names(m_root), (std::vector<std::string> { ".", ".." }));
}

TEST_F(RamfsTest, RemovedDirectoryIsDead) {
    InodeRef d = dir(m_root, "d");
    ASSERT_FALSE(fs().rmdir(m_root, "d").is_error());
    EXPECT_EQ(d->nlink(), 0u);
    EXPECT_EQ(error_of(fs().create_file(d, "x", 0644)), Error::NotFound);
    EXPECT_EQ(error_of(fs().mkdir(d, "x", 0755)), Error::NotFound);
    EXPECT_EQ(error_of(fs().lookup(d, "..")), Error::NotFound);
    EXPECT_EQ(error_of(fs().resolve(d, "..", true)), Error::NotFound);
    EXPECT_EQ(fs().resolve(d, ".", true).value(), d);
    char buffer[64];
    EXPECT_EQ(error_of(fs().path_of(d, buffer)), Error::NotFound);
    EXPECT_EQ(names(d), (std::vector<std::string> { ".", ".." }));
}

TEST_F(RamfsTest, HardLinks) {
    InodeRef d = dir(m_root, "d");
    InodeRef f = file(m_root, "f", "shared");
    ASSERT_FALSE(fs().link(d, "g", f).is_error());
    EXPECT_EQ(f->nlink(), 2u);
    EXPECT_EQ(get("/d/g"), f);
    EXPECT_EQ(error_of(fs().link(d, "g", f)), Error::Exists);
    EXPECT_EQ(error_of(fs().link(m_root, "d2", d)), Error::NotPermitted);
    EXPECT_EQ(error_of(fs().link(f, "x", f)), Error::NotADirectory);
    ASSERT_FALSE(fs().unlink(m_root, "f").is_error());
    EXPECT_EQ(f->nlink(), 1u);
    f.reset();
    EXPECT_EQ(contents(get("/d/g")), "shared");
}

// ---- Rename ----

TEST_F(RamfsTest, RenameFiles) {
    InodeRef a = dir(m_root, "a");
    InodeRef b = dir(m_root, "b");
    InodeRef f = file(a, "f", "data");
    ASSERT_FALSE(fs().rename(a, "f", a, "g").is_error());
    EXPECT_EQ(get("/a/g"), f);
    EXPECT_EQ(error_of(fs().lookup(a, "f")), Error::NotFound);
    ASSERT_FALSE(fs().rename(a, "g", b, "h").is_error());
    EXPECT_EQ(get("/b/h"), f);
    EXPECT_EQ(names(a), (std::vector<std::string> { ".", ".." }));
    EXPECT_EQ(f->nlink(), 1u);

    // Replacing a file frees the old one once unreferenced.
    size_t inodes = fs().stats().inodes;
    file(b, "old", "old");
    file(b, "z");
    ASSERT_FALSE(fs().rename(b, "h", b, "old").is_error());
    EXPECT_EQ(contents(get("/b/old")), "data");
    EXPECT_EQ(names(b), (std::vector<std::string> { ".", "..", "old", "z" })); // replaced in place
    EXPECT_EQ(fs().stats().inodes, inodes + 1);

    // Onto another name of the same inode: nothing happens (Linux).
    ASSERT_FALSE(fs().link(b, "alias", f).is_error());
    ASSERT_FALSE(fs().rename(b, "old", b, "alias").is_error());
    EXPECT_EQ(names(b), (std::vector<std::string> { ".", "..", "old", "z", "alias" }));
    EXPECT_EQ(f->nlink(), 2u);
    ASSERT_FALSE(fs().rename(b, "z", b, "z").is_error());

    EXPECT_EQ(error_of(fs().rename(b, "missing", a, "x")), Error::NotFound);
    EXPECT_EQ(error_of(fs().rename(b, "z", m_root, "a")), Error::IsADirectory);
    EXPECT_EQ(error_of(fs().rename(b, "z", f, "x")), Error::NotADirectory);
    EXPECT_EQ(error_of(fs().rename(b, "..", a, "x")), Error::Invalid);
    EXPECT_EQ(error_of(fs().rename(b, "z", a, "")), Error::Invalid);
}

TEST_F(RamfsTest, RenameDirectories) {
    InodeRef a = dir(m_root, "a");
    InodeRef sub = dir(a, "sub");
    InodeRef deep = dir(sub, "deep");
    InodeRef b = dir(m_root, "b");
    InodeRef full = dir(m_root, "full");
    file(full, "x");
    file(m_root, "file");

    EXPECT_EQ(error_of(fs().rename(m_root, "a", sub, "a")), Error::Invalid); // into own subtree
    EXPECT_EQ(error_of(fs().rename(m_root, "a", deep, "z")), Error::Invalid);
    EXPECT_EQ(error_of(fs().rename(m_root, "a", a, "z")), Error::Invalid);
    EXPECT_EQ(error_of(fs().rename(m_root, "a", m_root, "full")), Error::NotEmpty);
    EXPECT_EQ(error_of(fs().rename(m_root, "a", m_root, "file")), Error::NotADirectory);

    // Moving a directory updates both parents' link counts and "..".
    ASSERT_FALSE(fs().rename(a, "sub", b, "moved").is_error());
    EXPECT_EQ(fs().stat(a).nlink, 2u);
    EXPECT_EQ(fs().stat(b).nlink, 3u);
    EXPECT_EQ(get("/b/moved/deep/../.."), b);
    EXPECT_EQ(path_of(deep), "/b/moved/deep");

    // A directory over an empty one.
    uint32_t root_links = fs().stat(m_root).nlink;
    ASSERT_FALSE(fs().rename(b, "moved", m_root, "a").is_error());
    EXPECT_EQ(a->nlink(), 0u); // replaced, now dead
    EXPECT_EQ(get("/a"), sub);
    EXPECT_EQ(fs().stat(m_root).nlink, root_links);
    EXPECT_EQ(fs().stat(b).nlink, 2u);
    EXPECT_EQ(path_of(deep), "/a/deep");
    EXPECT_EQ(error_of(fs().create_file(a, "x", 0644)), Error::NotFound);
    EXPECT_EQ(error_of(fs().rename(m_root, "file", a, "x")), Error::NotFound);

    // Within the same directory.
    ASSERT_FALSE(fs().rename(m_root, "a", m_root, "c").is_error());
    EXPECT_EQ(fs().stat(m_root).nlink, root_links);
    EXPECT_EQ(path_of(deep), "/c/deep");
}

// ---- Listing, paths, attributes ----

TEST_F(RamfsTest, DirectoryEntriesInInsertionOrder) {
    InodeRef d = dir(m_root, "d");
    InodeRef z = file(d, "z");
    dir(d, "a");
    fs().symlink(d, "m", "z").release_value();
    fs().mknod(d, "c", 020666, { 1, 3 }).release_value();
    EXPECT_EQ(names(d), (std::vector<std::string> { ".", "..", "z", "a", "m", "c" }));
    auto dot = fs().directory_entry(d, 0).value();
    EXPECT_EQ(dot->ino, d->ino());
    EXPECT_EQ(dot->type, InodeType::Directory);
    auto dotdot = fs().directory_entry(d, 1).value();
    EXPECT_EQ(dotdot->name, "..");
    EXPECT_EQ(dotdot->ino, 1u);
    EXPECT_EQ(fs().directory_entry(d, 2).value()->ino, z->ino());
    EXPECT_EQ(fs().directory_entry(d, 2).value()->type, InodeType::Regular);
    EXPECT_EQ(fs().directory_entry(d, 3).value()->type, InodeType::Directory);
    EXPECT_EQ(fs().directory_entry(d, 4).value()->type, InodeType::Symlink);
    EXPECT_EQ(fs().directory_entry(d, 5).value()->type, InodeType::CharDevice);
    EXPECT_FALSE(fs().directory_entry(d, 6).value());
    EXPECT_FALSE(fs().directory_entry(d, 1000).value());
    EXPECT_EQ(error_of(fs().directory_entry(z, 0)), Error::NotADirectory);
    EXPECT_EQ(error_of(fs().unlink(d, "a")), Error::IsADirectory);
    ASSERT_FALSE(fs().rmdir(d, "a").is_error());
    EXPECT_EQ(names(d), (std::vector<std::string> { ".", "..", "z", "m", "c" }));
}

TEST_F(RamfsTest, PathOfChecksTheBuffer) {
    InodeRef d = dir(dir(dir(m_root, "usr"), "local"), "bin");
    char buffer[32];
    std::memset(buffer, 'X', sizeof buffer);
    EXPECT_EQ(fs().path_of(d, buffer).value(), 15u); // "/usr/local/bin" + NUL
    EXPECT_STREQ(buffer, "/usr/local/bin");
    EXPECT_EQ(fs().path_of(d, std::span(buffer, 15)).value(), 15u);
    EXPECT_STREQ(buffer, "/usr/local/bin");
    EXPECT_EQ(error_of(fs().path_of(d, std::span(buffer, 14))), Error::OutOfRange);
    EXPECT_EQ(error_of(fs().path_of(d, std::span(buffer, 0))), Error::OutOfRange);
    EXPECT_EQ(fs().path_of(m_root, std::span(buffer, 2)).value(), 2u);
    EXPECT_STREQ(buffer, "/");
    EXPECT_EQ(error_of(fs().path_of(m_root, std::span(buffer, 1))), Error::OutOfRange);
    EXPECT_EQ(error_of(fs().path_of(file(m_root, "f"), buffer)), Error::NotADirectory);
}

TEST_F(RamfsTest, DevicesAndStat) {
    InodeRef tty = fs().mknod(m_root, "tty", 020620, { 5, 0 }, 0, 5).release_value();
    EXPECT_EQ(tty->type(), InodeType::CharDevice);
    EXPECT_EQ(tty->rdev(), (DeviceNumber { 5, 0 }));
    InodeStat st = fs().stat(tty);
    EXPECT_EQ(st.mode, 020620u);
    EXPECT_EQ(st.rdev, 0x500u);
    EXPECT_EQ(st.gid, 5u);
    EXPECT_EQ(st.size, 0u);
    EXPECT_EQ(st.blocks, 0u);
    EXPECT_EQ(fs().stat(fs().mknod(m_root, "big", 020600, { 0x1234, 0x56789 }).release_value()).rdev,
        0x0000'1000'5672'3489u); // glibc makedev layout
    InodeRef disk = fs().mknod(m_root, "blk", 060600, { 254, 16 }).release_value();
    EXPECT_EQ(disk->type(), InodeType::BlockDevice);
    EXPECT_EQ(fs().stat(disk).mode, 060600u);
    EXPECT_EQ(fs().stat(disk).rdev, 0xfe10u);
    InodeRef fifo = fs().mknod(m_root, "fifo", 010600, {}).release_value();
    EXPECT_EQ(fifo->type(), InodeType::Fifo);
    EXPECT_EQ(fs().mknod(m_root, "socket", 0140600, {}).release_value()->type(), InodeType::Socket);
    EXPECT_EQ(error_of(fs().mknod(m_root, "regular", 0100600, {})), Error::Invalid);
    EXPECT_EQ(error_of(fs().read(tty, 0, {})), Error::Invalid);
    EXPECT_EQ(error_of(fs().readlink(tty)), Error::Invalid);

    fs().set_mode(tty, 0100777);
    EXPECT_EQ(tty->mode(), 020777u); // the type cannot change
    fs().set_owner(tty, 7, 8);
    EXPECT_EQ(tty->uid(), 7u);
    EXPECT_EQ(tty->gid(), 8u);
    // chown clears set-user-ID, and set-group-ID with group execute; not on directories.
    InodeRef prog = fs().create_file(m_root, "setid", 06755).release_value();
    fs().set_owner(prog, 1, 1);
    EXPECT_EQ(prog->mode() & 07777, 0755u);
    InodeRef locked = fs().create_file(m_root, "lockable", 02644).release_value();
    fs().set_owner(locked, 1, 1);
    EXPECT_EQ(locked->mode() & 07777, 02644u);
    InodeRef dir = fs().mkdir(m_root, "setgid-dir", 02755).release_value();
    fs().set_owner(dir, 1, 1);
    EXPECT_EQ(dir->mode() & 07777, 02755u);
    fs().set_times(tty, Timestamp { 10, 5 }, std::nullopt);
    EXPECT_EQ(fs().stat(tty).atime, (Timestamp { 10, 5 }));
    EXPECT_EQ(fs().stat(tty).mtime, (Timestamp { 0, 0 }));
}

int64_t g_clock_seconds = 0;
Timestamp test_clock() {
    return { g_clock_seconds, 7 };
}

TEST_F(RamfsTest, TimesComeFromTheClock) {
    fs().set_clock(test_clock);
    g_clock_seconds = 100;
    InodeRef d = dir(m_root, "d");
    InodeStat st = fs().stat(d);
    EXPECT_EQ(st.atime, (Timestamp { 100, 7 }));
    EXPECT_EQ(st.mtime, (Timestamp { 100, 7 }));
    EXPECT_EQ(st.ctime, (Timestamp { 100, 7 }));
    EXPECT_EQ(fs().stat(m_root).mtime.seconds, 100);

    g_clock_seconds = 200;
    InodeRef f = file(d, "f");
    EXPECT_EQ(fs().stat(d).mtime.seconds, 200);
    EXPECT_EQ(fs().stat(m_root).mtime.seconds, 100);

    g_clock_seconds = 300;
    uint8_t buffer[4];
    ASSERT_FALSE(fs().read(f, 0, buffer).is_error());
    EXPECT_EQ(fs().stat(f).mtime.seconds, 200); // reads change nothing
    EXPECT_EQ(fs().write(f, 0, bytes_of("x")).value(), 1u);
    EXPECT_EQ(fs().stat(f).mtime.seconds, 300);
    EXPECT_EQ(fs().stat(f).ctime.seconds, 300);
    EXPECT_EQ(fs().stat(f).atime.seconds, 200);

    g_clock_seconds = 400;
    ASSERT_FALSE(fs().link(m_root, "g", f).is_error());
    EXPECT_EQ(fs().stat(f).ctime.seconds, 400);
    EXPECT_EQ(fs().stat(f).mtime.seconds, 300);
    EXPECT_EQ(fs().stat(m_root).mtime.seconds, 400);

    g_clock_seconds = 500;
    ASSERT_FALSE(fs().rename(m_root, "g", d, "h").is_error());
    EXPECT_EQ(fs().stat(d).mtime.seconds, 500);
    EXPECT_EQ(fs().stat(m_root).mtime.seconds, 500);
    EXPECT_EQ(fs().stat(f).ctime.seconds, 500);
}

TEST_F(RamfsTest, DeepTreesAreFreedWithoutRecursion) {
    // Deeper than any path can name: built with relative mkdirs.
    InodeRef d = m_root;
    for (int i = 0; i < 20000; ++i)
        d = dir(d, "d");
    file(d, "leaf", "x");
    for (int i = 0; i < 50; ++i)
        file(m_root, "f" + std::to_string(i), "y");
    EXPECT_EQ(fs().stats().inodes, 20000u + 1 + 1 + 50);
    char buffer[64];
    EXPECT_EQ(error_of(fs().path_of(d, buffer)), Error::OutOfRange);
    d.reset();
    // TearDown destroys the tree and checks for leaks.
}

// ---- initrd loader ----

struct Member {
    std::string name;
    uint32_t mode = 0100644;
    std::string data;
    uint32_t inode = 0; // 0: a fresh one
    uint32_t nlink = 1;
    uint32_t uid = 0;
    uint32_t gid = 0;
    uint32_t mtime = 0;
    uint32_t rdev_major = 0;
    uint32_t rdev_minor = 0;
};

// Writes newc archives (cpio_test.cpp tests the format itself).
class Writer {
public:
    size_t add(const Member& m) {
        size_t offset = m_out.size();
        m_out += "070701";
        uint32_t inode = m.inode ? m.inode : ++m_next_inode + 1000;
        for (uint32_t field : { inode, m.mode, m.uid, m.gid, m.nlink, m.mtime, uint32_t(m.data.size()), 0u,
                 0u, m.rdev_major, m.rdev_minor, uint32_t(m.name.size() + 1), 0u }) {
            char hex[9];
            snprintf(hex, sizeof hex, "%08x", field);
            m_out += hex;
        }
        m_out += m.name;
        m_out += '\0';
        pad();
        m_out += m.data;
        pad();
        return offset;
    }
    Writer& operator<<(const Member& m) {
        add(m);
        return *this;
    }
    Bytes finish() {
        add(Member { .name = "TRAILER!!!", .mode = 0 });
        return Bytes(m_out.begin(), m_out.end());
    }

private:
    void pad() {
        while (m_out.size() % 4)
            m_out += '\0';
    }
    std::string m_out;
    uint32_t m_next_inode = 0;
};

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

class InitrdTest : public RamfsTest {
protected:
    ErrorOr<InitrdLoadResult> load(const Bytes& archive) {
        m_reason = nullptr;
        return load_initrd(fs(), archive, &m_reason);
    }
    const char* m_reason = nullptr;
};

Bytes sample_archive() {
    Writer w;
    w << Member { .name = ".", .mode = 040700, .mtime = 11 } << Member { .name = "bin", .mode = 040755 }
      << Member { .name = "bin/busybox",
             .mode = 0100755,
             .data = std::string(10000, 'B'),
             .uid = 1,
             .gid = 2,
             .mtime = 1234 }
      << Member { .name = "bin/sh", .mode = 0120777, .data = "busybox" }
      << Member { .name = "dev/console", .mode = 020600, .rdev_major = 5, .rdev_minor = 1 } // parent missing
      << Member { .name = "dev/sda", .mode = 060600, .rdev_major = 8 }
      << Member { .name = "dev/fifo", .mode = 010644 }
      << Member { .name = "./etc//passwd", .data = "root:x:0:0::/root:/bin/sh\n" }
      << Member { .name = "empty" } // A newc hard-link set: the data comes with the last name.
      << Member { .name = "h1", .inode = 77, .nlink = 3 }
      << Member { .name = "etc/h2", .inode = 77, .nlink = 3 }
      << Member { .name = "h3", .data = "linked", .inode = 77, .nlink = 3 };
    return w.finish();
}

TEST_F(InitrdTest, LoadsEveryEntryType) {
    Bytes archive = sample_archive();
    const Bytes original = archive;
    auto result = load(archive);
    ASSERT_FALSE(result.is_error()) << m_reason;
    const InitrdLoadResult& r = result.value();
    EXPECT_EQ(r.files, 4u);
    EXPECT_EQ(r.hard_links, 2u);
    EXPECT_EQ(r.directories, 2u);
    EXPECT_EQ(r.symlinks, 1u);
    EXPECT_EQ(r.devices, 1u);
    EXPECT_EQ(r.skipped, 2u);
    EXPECT_EQ(m_reason, nullptr);

    EXPECT_EQ(fs().stat(m_root).mode, 040700u);
    EXPECT_EQ(fs().stat(m_root).mtime.seconds, 11);
    InodeRef busybox = get("/bin/busybox");
    EXPECT_TRUE(ramfs_node(busybox).is_borrowed());
    EXPECT_EQ(contents(busybox), std::string(10000, 'B'));
    InodeStat st = fs().stat(busybox);
    EXPECT_EQ(st.mode, 0100755u);
    EXPECT_EQ(st.uid, 1u);
    EXPECT_EQ(st.gid, 2u);
    EXPECT_EQ(st.mtime, (Timestamp { 1234, 0 }));
    EXPECT_EQ(st.atime, (Timestamp { 1234, 0 }));
    EXPECT_EQ(get("/bin/sh"), busybox);
    EXPECT_EQ(fs().readlink(get("/bin/sh", false)).value(), "busybox");
    InodeRef console = get("/dev/console");
    EXPECT_EQ(console->rdev(), (DeviceNumber { 5, 1 }));
    EXPECT_EQ(console->mode(), 020600u);
    EXPECT_EQ(fs().stat(get("/dev")).mode, 040755u); // created parent
    EXPECT_EQ(names(get("/dev")), (std::vector<std::string> { ".", "..", "console" }));
    EXPECT_EQ(contents(get("/etc/passwd")), "root:x:0:0::/root:/bin/sh\n");
    EXPECT_EQ(get("/empty")->size(), 0u);
    InodeRef h1 = get("/h1");
    EXPECT_EQ(get("/etc/h2"), h1);
    EXPECT_EQ(get("/h3"), h1);
    EXPECT_EQ(h1->nlink(), 3u);
    EXPECT_EQ(contents(h1), "linked");
    EXPECT_EQ(
        names(m_root), (std::vector<std::string> { ".", "..", "bin", "dev", "etc", "empty", "h1", "h3" }));
    EXPECT_EQ(fs().stats().owned_data_bytes, 0u); // all file data is the archive's
    EXPECT_EQ(fs().stats().borrowed_data_bytes, 10000u + 26 + 6);

    // Writing to a loaded file copies it; the archive never changes.
    EXPECT_EQ(fs().write(busybox, 0, bytes_of("ELF")).value(), 3u);
    EXPECT_EQ(contents(busybox).substr(0, 4), "ELFB");
    ASSERT_FALSE(fs().truncate(h1, 0).is_error());
    EXPECT_EQ(archive, original);
}

TEST_F(InitrdTest, LaterEntriesReplaceEarlierOnes) {
    Writer w;
    w << Member { .name = "x", .data = "file" } << Member { .name = "x", .mode = 040711 } // file -> directory
      << Member { .name = "x/inner", .data = "in" }
      << Member { .name = "x", .mode = 040700, .uid = 9 } // directory over directory: attributes only
      << Member { .name = "y", .mode = 040755 }
      << Member { .name = "y", .mode = 0120777, .data = "x" } // empty directory -> symlink
      << Member { .name = "y/new", .data = "through the link" } << Member { .name = "z", .data = "one" }
      << Member { .name = "z", .data = "two" };
    Bytes archive = w.finish();
    auto result = load(archive);
    ASSERT_FALSE(result.is_error()) << m_reason;
    InodeRef x = get("/x");
    EXPECT_TRUE(x->is_directory());
    EXPECT_EQ(x->mode(), 040700u);
    EXPECT_EQ(x->uid(), 9u);
    EXPECT_EQ(contents(get("/x/inner")), "in");
    EXPECT_EQ(get("/y"), x);
    EXPECT_EQ(contents(get("/x/new")), "through the link");
    EXPECT_EQ(contents(get("/z")), "two");
    EXPECT_EQ(names(m_root), (std::vector<std::string> { ".", "..", "x", "y", "z" }));
    EXPECT_EQ(fs().stats().inodes, 6u);
}

TEST_F(InitrdTest, ConflictsAreReportedWithTheEntry) {
    Writer w;
    w << Member { .name = "d", .mode = 040755 } << Member { .name = "d/f", .data = "keep" };
    size_t offset = w.add(Member { .name = "d", .data = "not a directory" });
    w << Member { .name = "never" };
    Bytes archive = w.finish();
    auto result = load(archive);
    EXPECT_EQ(error_of(result), Error::NotEmpty);
    ASSERT_NE(m_reason, nullptr);
    EXPECT_EQ(std::string(m_reason),
        "cannot add 'd': ENOTEMPTY (entry at byte offset " + std::to_string(offset) + ")");
    EXPECT_EQ(contents(get("/d/f")), "keep");
    EXPECT_EQ(error_of(fs().lookup(m_root, "never")), Error::NotFound);

    // The archives stay alive: the loaded files borrow from them.
    Writer w2;
    w2 << Member { .name = "file", .data = "x" } << Member { .name = "file/sub" };
    Bytes archive2 = w2.finish();
    EXPECT_EQ(error_of(load(archive2)), Error::NotADirectory);
    EXPECT_NE(std::string(m_reason).find("'file/sub'"), std::string::npos);

    Writer w3;
    w3 << Member { .name = "loop", .mode = 0120777, .data = "loop" } << Member { .name = "loop/x" };
    Bytes archive3 = w3.finish();
    EXPECT_EQ(error_of(load(archive3)), Error::SymlinkLoop);

    Writer w4;
    w4 << Member { .name = std::string(256, 'n') };
    Bytes archive4 = w4.finish();
    EXPECT_EQ(error_of(load(archive4)), Error::NameTooLong);
}

TEST_F(InitrdTest, MalformedArchiveKeepsWhatWasLoaded) {
    Bytes archive = sample_archive();
    // Cut inside busybox's data.
    archive.resize(400);
    auto result = load(archive);
    EXPECT_EQ(error_of(result), Error::Invalid);
    ASSERT_NE(m_reason, nullptr);
    // "." takes 110 + 2 bytes, "bin" 110 + 4 + 2 padding: busybox's header is at 228.
    EXPECT_EQ(std::string(m_reason), "file data extends past the archive at byte offset 228");
    EXPECT_TRUE(get("/bin")->is_directory());
    EXPECT_EQ(error_of(fs().lookup(get("/bin"), "busybox")), Error::NotFound);

    Bytes garbage = { 'n', 'o', 't', ' ', 'c', 'p', 'i', 'o' };
    garbage.resize(200, 'x');
    EXPECT_EQ(error_of(load(garbage)), Error::Invalid);
    EXPECT_EQ(std::string(m_reason), "bad magic (want 070701 or 070702) at byte offset 0");
    EXPECT_EQ(error_of(load({})), Error::Invalid);
    EXPECT_EQ(load_initrd(fs(), garbage, nullptr).error(), Error::Invalid); // reason is optional
}

// Every allocation of a whole load fails in turn: NoMemory with a reason,
// whatever was loaded stays consistent, and nothing leaks.
TEST_F(InitrdTest, SurvivesOutOfMemoryAtEveryAllocation) {
    Bytes archive = sample_archive();
    size_t baseline = host_kmalloc_live_objects();
    long n = 0;
    for (;; ++n) {
        auto fs = Ramfs::create();
        ASSERT_FALSE(fs.is_error());
        RamfsPtr ramfs = fs.release_value();
        const char* reason = nullptr;
        host_kmalloc_fail_after(n);
        auto result = load_initrd(*ramfs, archive, &reason);
        host_kmalloc_fail_after(-1);
        bool done = !result.is_error();
        if (!done) {
            EXPECT_EQ(result.error(), Error::NoMemory) << n;
            ASSERT_NE(reason, nullptr);
            EXPECT_NE(std::string(reason).find("ENOMEM"), std::string::npos) << reason;
            // What is there is usable.
            auto bin = ramfs->resolve(ramfs->root(), "/bin", true);
            if (!bin.is_error())
                EXPECT_TRUE(bin.value()->is_directory());
        } else {
            EXPECT_EQ(result.value().files, 4u);
        }
        ramfs.reset();
        ASSERT_EQ(host_kmalloc_live_objects(), baseline) << "after failing at allocation " << n;
        if (done)
            break;
    }
    EXPECT_GT(n, 20);
}

TEST_F(InitrdTest, LoadsTheElfFixturesWithoutCopying) {
    std::string dir = AKUMA_TEST_DATA_DIR "/elf/";
    std::vector<std::string> files = { "hello-static", "hello-static-pie", "hello-dynamic", "tls-static" };
    Writer w;
    w << Member { .name = "bin", .mode = 040755 };
    size_t total = 0;
    for (const std::string& name : files) {
        std::string data = read_file(dir + name);
        ASSERT_FALSE(data.empty()) << dir + name;
        total += data.size();
        w << Member { .name = "bin/" + name, .mode = 0100755, .data = data };
    }
    Bytes archive = w.finish();
    auto result = load(archive);
    ASSERT_FALSE(result.is_error()) << m_reason;
    EXPECT_EQ(fs().stats().borrowed_data_bytes, total);
    EXPECT_EQ(fs().stats().owned_data_bytes, 0u);
    for (const std::string& name : files) {
        InodeRef f = get("/bin/" + name);
        EXPECT_EQ(contents(f), read_file(dir + name));
        EXPECT_EQ(contents(f).substr(0, 4),
            "\x7f"
            "ELF");
    }
}

// ---- Archives made by GNU cpio ----

bool have_cpio() {
    return system("cpio --version >/dev/null 2>&1") == 0;
}

class GnuCpio : public InitrdTest, public ::testing::WithParamInterface<const char*> {
protected:
    void SetUp() override {
        InitrdTest::SetUp();
        if (!have_cpio())
            GTEST_SKIP() << "cpio is not installed";
        char pattern[] = "/tmp/akuma_ramfs_XXXXXX";
        ASSERT_NE(mkdtemp(pattern), nullptr);
        m_dir = pattern;
    }
    void TearDown() override {
        if (!m_dir.empty())
            std::filesystem::remove_all(m_dir);
        InitrdTest::TearDown();
    }

    void put(const std::string& path, const std::string& data) { std::ofstream(m_dir + "/" + path) << data; }

    Bytes archive_of_tree() {
        std::string command
            = "cd '" + m_dir + "' && find . | LC_ALL=C sort | cpio -o -H " + GetParam() + " 2>/dev/null";
        FILE* pipe = popen(command.c_str(), "r");
        EXPECT_NE(pipe, nullptr);
        Bytes out;
        uint8_t buffer[4096];
        size_t n;
        while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0)
            out.insert(out.end(), buffer, buffer + n);
        EXPECT_EQ(pclose(pipe), 0);
        return out;
    }

    std::string m_dir;
};

TEST_P(GnuCpio, LoadsWhatCpioWrote) {
    namespace stdfs = std::filesystem;
    stdfs::create_directories(m_dir + "/usr/lib/deep");
    stdfs::create_directories(m_dir + "/bin");
    stdfs::create_directories(m_dir + "/empty_dir");
    put("bin/busybox", std::string(70000, 'b') + "end");
    put("usr/lib/deep/odd", "abc");
    put("usr/lib/empty", "");
    put("h1", "hard");
    stdfs::create_hard_link(m_dir + "/h1", m_dir + "/usr/h2");
    stdfs::create_symlink("busybox", m_dir + "/bin/sh");
    stdfs::create_symlink("usr/lib", m_dir + "/lib");
    chmod((m_dir + "/bin/busybox").c_str(), 04755);
    bool has_fifo = mkfifo((m_dir + "/fifo").c_str(), 0644) == 0;

    Bytes archive = archive_of_tree();
    auto result = load(archive);
    ASSERT_FALSE(result.is_error()) << m_reason;
    EXPECT_EQ(result.value().files, 4u);
    EXPECT_EQ(result.value().hard_links, 1u);
    EXPECT_EQ(result.value().directories, 6u); // ".", bin, empty_dir, usr, usr/lib, usr/lib/deep
    EXPECT_EQ(result.value().symlinks, 2u);
    EXPECT_EQ(result.value().skipped, has_fifo ? 1u : 0u);

    // Compare every path with the host's view of it.
    for (const auto& entry : stdfs::recursive_directory_iterator(m_dir)) {
        std::string relative = "/" + entry.path().lexically_relative(m_dir).string();
        SCOPED_TRACE(relative);
        struct stat host;
        ASSERT_EQ(lstat(entry.path().c_str(), &host), 0);
        if (S_ISFIFO(host.st_mode)) {
            EXPECT_EQ(resolve_error(relative), Error::NotFound);
            continue;
        }
        InodeRef inode = get(relative, false);
        ASSERT_TRUE(inode);
        InodeStat st = fs().stat(inode);
        EXPECT_EQ(st.mode, host.st_mode);
        EXPECT_EQ(st.uid, host.st_uid);
        EXPECT_EQ(st.mtime.seconds, host.st_mtime);
        if (S_ISREG(host.st_mode)) {
            EXPECT_EQ(contents(inode), read_file(entry.path()));
            EXPECT_EQ(st.nlink, host.st_nlink);
        } else if (S_ISLNK(host.st_mode)) {
            auto target = fs().readlink(inode);
            ASSERT_FALSE(target.is_error());
            EXPECT_EQ(target.value(), stdfs::read_symlink(entry.path()).string());
        }
    }
    EXPECT_EQ(get("/h1"), get("/usr/h2"));
    EXPECT_EQ(contents(get("/lib/deep/odd")), "abc");
    EXPECT_EQ(fs().stats().borrowed_data_bytes, 70003u + 3 + 4);
}

INSTANTIATE_TEST_SUITE_P(Formats, GnuCpio, ::testing::Values("newc", "crc"));

} // namespace
} // namespace akuma::fs

// ---- The page cache (cache_page: what mappings map) ----

namespace {

using namespace akuma;
using namespace akuma::fs;

class RamfsCacheTest : public ::testing::Test {
protected:
    void SetUp() override {
        m_baseline = test::host_kmalloc_live_objects();
        m_fs = Ramfs::create(4 * k_data_page_size).release_value();
        m_root = m_fs->root();
    }
    void TearDown() override {
        m_root.reset();
        m_fs.reset();
        EXPECT_EQ(test::host_kmalloc_live_objects(), m_baseline) << "leak";
    }
    Ramfs& fs() { return *m_fs; }
    InodeRef make(std::string_view name) { return fs().create_file(m_root, name, 0644).release_value(); }

    size_t m_baseline = 0;
    OwnPtr<Ramfs, mm::HeapAllocator> m_fs;
    InodeRef m_root;
};

TEST_F(RamfsCacheTest, OwnedFilesMapTheirOwnPagesAndWritesShowThrough) {
    InodeRef f = make("f");
    std::string text(5000, 'x');
    ASSERT_EQ(fs().write(f, 0, bytes_of(text)).value(), text.size());
    auto first = fs().cache_page(f, 0, false);
    ASSERT_FALSE(first.is_error());
    EXPECT_EQ(first.value()[4095], 'x');
    EXPECT_EQ(fs().cache_page(f, 0, true).value(), first.value());  // one page, whoever maps it
    ASSERT_EQ(fs().write(f, 10, bytes_of("via write")).value(), 9u);
    EXPECT_EQ(std::string(reinterpret_cast<char*>(first.value()) + 10, 9), "via write");
    auto last = fs().cache_page(f, 1, false).value();
    EXPECT_EQ(last[903], 'x');
    EXPECT_EQ(last[904], 0);  // past the end of the file: zeros
    EXPECT_EQ(error_of(fs().cache_page(f, 2, false)), Error::OutOfRange);  // SIGBUS
}

TEST_F(RamfsCacheTest, HolesGetPagesCountedAgainstTheLimit) {
    InodeRef f = make("f");
    ASSERT_FALSE(fs().truncate(f, 8 * k_data_page_size).is_error());
    EXPECT_EQ(ramfs_node(f).page_count(), 0u);
    for (uint64_t index = 0; index < 4; ++index) {
        auto page = fs().cache_page(f, index, false);
        ASSERT_FALSE(page.is_error()) << index;
        EXPECT_EQ(page.value()[0], 0);
    }
    EXPECT_EQ(ramfs_node(f).page_count(), 4u);
    EXPECT_EQ(error_of(fs().cache_page(f, 4, false)), Error::NoSpace);  // size=4 pages: full
    EXPECT_EQ(fs().stats().owned_data_bytes, 4 * k_data_page_size);
}

TEST_F(RamfsCacheTest, BorrowedFilesCachePagesOutsideTheLimitUntilShared) {
    static const std::string archive(3 * k_data_page_size + 10, 'b');
    InodeRef f = make("borrowed");
    ASSERT_FALSE(fs().set_borrowed_data(f, bytes_of(archive)).is_error());
    for (uint64_t index = 0; index < 4; ++index) {
        auto page = fs().cache_page(f, index, false);
        ASSERT_FALSE(page.is_error()) << index;
        EXPECT_EQ(page.value()[0], 'b');
        EXPECT_EQ(fs().cache_page(f, index, false).value(), page.value());  // cached once
    }
    EXPECT_EQ(fs().cache_page(f, 3, false).value()[10], 0);
    EXPECT_TRUE(ramfs_node(f).is_borrowed());
    EXPECT_EQ(ramfs_node(f).cached_page_count(), 4u);
    EXPECT_EQ(fs().stats().owned_data_bytes, 0u);  // a cache of the initrd: not counted
    EXPECT_EQ(fs().stats().cached_borrowed_bytes, 4 * k_data_page_size);
    // A writable shared mapping needs the file's own pages: the file is
    // copied (4 pages: exactly the limit) and the cache goes.
    auto shared = fs().cache_page(f, 1, true);
    ASSERT_FALSE(shared.is_error());
    EXPECT_FALSE(ramfs_node(f).is_borrowed());
    EXPECT_EQ(ramfs_node(f).cached_page_count(), 0u);
    EXPECT_EQ(fs().stats().owned_data_bytes, 4 * k_data_page_size);
    EXPECT_EQ(shared.value()[0], 'b');
    ASSERT_EQ(fs().write(f, k_data_page_size, bytes_of("w")).value(), 1u);
    EXPECT_EQ(shared.value()[0], 'w');
}

TEST_F(RamfsCacheTest, OnlyRegularFiles) {
    EXPECT_EQ(error_of(fs().cache_page(m_root, 0, false)), Error::IsADirectory);
}

}  // namespace

namespace akuma::fs {
namespace {

// FilePages::collect_range (fault-around's lookup) gives exactly what
// find() gives for each index of the range, across leaf nodes and tree
// heights, and leaves the holes' slots alone.
TEST(FilePagesTest, CollectRangeMatchesFind) {
    for (auto present : { std::vector<uint64_t> {}, std::vector<uint64_t> { 0 },
                          std::vector<uint64_t> { 0, 5, 63, 64, 65, 127, 130, 4097, 262143 } }) {
        FilePages pages;
        for (uint64_t index : present) {
            auto* page = static_cast<uint8_t*>(allocate_data_page());
            ASSERT_NE(page, nullptr);
            ASSERT_FALSE(pages.insert(index, page).is_error());
        }
        for (auto [first, end] : { std::pair<uint64_t, uint64_t> { 0, 1 }, { 3, 200 }, { 60, 70 }, { 64, 64 },
                                   { 4000, 5000 }, { 0, 300000 }, { 262143, 262150 } }) {
            auto* marker = reinterpret_cast<uint8_t*>(uintptr_t { 1 });  // what a hole's slot keeps
            std::vector<uint8_t*> collected(end - first, marker);
            pages.collect_range(first, end, collected.data());
            std::vector<std::pair<uint64_t, uint8_t*>> seen, expected;
            for (uint64_t index = first; index < end; ++index) {
                if (collected[index - first] != marker)
                    seen.emplace_back(index, collected[index - first]);
            }
            for (uint64_t index : present) {
                if (index >= first && index < end)
                    expected.emplace_back(index, pages.find(index));
            }
            EXPECT_EQ(seen, expected) << "range [" << first << ", " << end << ") of " << present.size() << " pages";
        }
    }
}

}  // namespace
}  // namespace akuma::fs
