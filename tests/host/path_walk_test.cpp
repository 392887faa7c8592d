// Host tests of the generic path walk (kernel/fs/path_walk.*) and the
// kernel's mount table (kernel/fs/mount_table.*), over a namespace of
// several Ramfs instances stacked with the real MountTable: crossing into
// and out of mounts, stacked and nested mounts, symlinks across mounts,
// walk_to_parent's edge cases, getcwd (directory_path) across mounts,
// Ramfs::in_use (umount's EBUSY test), and mount/unmount/MNT_DETACH.
// Each expectation is Linux's answer for the same namespace (namei.c:
// follow_dotdot + step_into/handle_mounts, MAXSYMLINKS = 40, PATH_MAX and
// NAME_MAX, getcwd's ERANGE, umount's EBUSY and lazy umount_tree).
//
// MountTable deletes the file systems it owns with `delete` (in the kernel
// operator delete is kfree, so this matches Ramfs::create's kmalloc); on
// the host kmalloc is posix_memalign, so this binary (host_path_walk_tests)
// runs with ASan's alloc_dealloc_mismatch check off. LSan still reports any
// file system or mount the table fails to free.
#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "kernel/fs/mount_table.h"
#include "kernel/fs/path_walk.h"
#include "kernel/fs/ramfs.h"
#include "tests/host/host_kmalloc.h"

extern "C" const char* __asan_default_options() { return "alloc_dealloc_mismatch=0"; }

namespace akuma::fs {

// gtest: an inode as "ino 3 (dev 0:2)" rather than its pointer's bytes.
void PrintTo(const InodeRef& inode, std::ostream* out) {
    if (!inode)
        *out << "(null)";
    else
        *out << "ino " << inode->ino() << " (dev " << inode->file_system().device().major << ":"
             << inode->file_system().device().minor << ")";
}

void PrintTo(Error error, std::ostream* out) { *out << error_name(error); }

namespace {

template <typename T>
Error error_of(const ErrorOr<T>& result) {
    EXPECT_TRUE(result.is_error());
    return result.is_error() ? result.error() : Error {};
}

Ramfs* new_ramfs() {
    auto fs = Ramfs::create();
    VERIFY(!fs.is_error());
    return fs.release_value().release();
}

// A namespace: a root Ramfs in a MountTable, and helpers to build trees and
// mount more Ramfs instances on them.
class PathWalkTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_FALSE(m_table.mount_root(new_ramfs(), "rootfs").is_error());
        m_root = m_table.root();
    }

    void TearDown() override {
        m_root.reset();
        // Unmount what the test left mounted, newest first (a stacked or
        // nested mount before the one below it).
        for (;;) {
            InodeRef newest;
            m_table.for_each([&](const Mount& mount) {
                if (mount.covered)
                    newest = mount.root;
            });
            if (!newest)
                break;
            auto unmounted = m_table.unmount(std::move(newest), true);
            ASSERT_FALSE(unmounted.is_error()) << error_name(unmounted.error());
        }
        m_table.free_idle_detached();
        // MountTable has no destructor (the kernel's lives forever): free
        // the root mount by hand.
        Mount* root_mount = m_table.mount_rooted_at(m_table.root());
        ASSERT_NE(root_mount, nullptr);
        FileSystem* root_fs = root_mount->fs;
        delete root_mount;
        delete root_fs;
    }

    Namespace ns() const { return m_table.name_space(); }

    ErrorOr<InodeRef> walk(std::string_view path, bool follow = true) { return walk_path(ns(), m_root, path, follow); }
    ErrorOr<InodeRef> walk_from(const InodeRef& base, std::string_view path, bool follow = true) {
        return walk_path(ns(), base, path, follow);
    }

    InodeRef get(std::string_view path, bool follow = true) {
        auto result = walk(path, follow);
        EXPECT_FALSE(result.is_error()) << path << ": " << error_name(result.error());
        return result.is_error() ? InodeRef() : result.release_value();
    }

    // mkdir -p, in whatever file system each step lands in.
    InodeRef mkdirs(std::string_view path) {
        InodeRef current = top_of_mounts(ns(), m_root);
        std::string rest(path);
        size_t position = 0;
        while (position < rest.size()) {
            size_t end = rest.find('/', position);
            if (end == std::string::npos)
                end = rest.size();
            std::string name = rest.substr(position, end - position);
            position = end + 1;
            if (name.empty())
                continue;
            auto found = current->file_system().lookup(current, name);
            if (!found.is_error()) {
                current = top_of_mounts(ns(), found.release_value());
                continue;
            }
            auto made = current->file_system().mkdir(current, name, 0755, 0, 0);
            EXPECT_FALSE(made.is_error()) << path;
            if (made.is_error())
                return {};
            current = made.release_value();
        }
        return current;
    }

    // Creates a regular file at `path` (its directory must exist).
    InodeRef file(std::string_view path) {
        auto parent = walk_to_parent(ns(), m_root, path);
        EXPECT_FALSE(parent.is_error()) << path;
        if (parent.is_error())
            return {};
        auto made = parent.value().directory->file_system().create_file(parent.value().directory,
                                                                        parent.value().name, 0644, 0, 0);
        EXPECT_FALSE(made.is_error()) << path;
        return made.is_error() ? InodeRef() : made.release_value();
    }

    InodeRef symlink(std::string_view path, std::string_view target) {
        auto parent = walk_to_parent(ns(), m_root, path);
        EXPECT_FALSE(parent.is_error()) << path;
        if (parent.is_error())
            return {};
        auto made = parent.value().directory->file_system().symlink(parent.value().directory, parent.value().name,
                                                                    target, 0, 0);
        EXPECT_FALSE(made.is_error()) << path;
        return made.is_error() ? InodeRef() : made.release_value();
    }

    // Mounts a new, empty Ramfs on the directory `path` resolves to (as
    // mount(2) does: the top of what is already there) and returns its root.
    InodeRef mount_new(std::string_view path) {
        InodeRef covered = get(path);
        if (!covered)
            return {};
        Ramfs* fs = new_ramfs();
        InodeRef root = fs->root();
        auto mounted = m_table.mount(fs, covered, "none", 0);
        EXPECT_FALSE(mounted.is_error()) << path;
        return mounted.is_error() ? InodeRef() : root;
    }

    std::string cwd(const InodeRef& directory) {
        char buffer[k_max_path];
        auto length = directory_path(ns(), directory, buffer);
        EXPECT_FALSE(length.is_error()) << error_name(length.error());
        if (length.is_error())
            return "<error>";
        EXPECT_EQ(buffer[length.value() - 1], '\0');
        return std::string(buffer, length.value() - 1);
    }

    // umount2(path): the mount whose root the path resolves to; the only
    // reference the caller keeps is the one passed in (as vfs.cpp does).
    ErrorOr<void> umount(std::string_view path, bool detach = false) {
        auto root = walk(path);
        if (root.is_error())
            return root.error();
        return m_table.unmount(root.release_value(), detach);
    }

    size_t mount_count() const {
        size_t count = 0;
        m_table.for_each([&](const Mount&) { ++count; });
        return count;
    }

    MountTable m_table;
    InodeRef m_root;  // the root file system's root (ns().root)
};

using MountTableTest = PathWalkTest;

// ---- Crossing into mounts ----

TEST_F(PathWalkTest, MountedDirectoryResolvesToTheMountedRoot) {
    InodeRef covered = mkdirs("/mnt");
    mkdirs("/mnt/old");
    InodeRef mounted = mount_new("/mnt");
    mkdirs("/mnt/new");

    EXPECT_TRUE(covered->is_mount_point());
    EXPECT_EQ(get("/mnt"), mounted);
    EXPECT_EQ(get("/mnt/"), mounted);
    EXPECT_EQ(get("/mnt/."), mounted);
    EXPECT_EQ(get("//mnt//"), mounted);
    EXPECT_EQ(&get("/mnt/new")->file_system(), &mounted->file_system());
    // The covered directory's own entries are hidden.
    EXPECT_EQ(error_of(walk("/mnt/old")), Error::NotFound);
    EXPECT_EQ(error_of(walk("/mnt/new/../old")), Error::NotFound);
    // Relative walks cross too.
    EXPECT_EQ(walk_from(m_root, "mnt").value(), mounted);
    EXPECT_EQ(top_of_mounts(ns(), covered), mounted);
    EXPECT_EQ(top_of_mounts(ns(), m_root), m_root);
}

TEST_F(PathWalkTest, StackedMountsTheTopOneWins) {
    InodeRef covered = mkdirs("/mnt");
    InodeRef lower = mount_new("/mnt");
    mkdirs("/mnt/lower_only");
    InodeRef upper = mount_new("/mnt");
    mkdirs("/mnt/upper_only");

    EXPECT_EQ(get("/mnt"), upper);
    EXPECT_EQ(top_of_mounts(ns(), covered), upper);
    EXPECT_EQ(top_of_mounts(ns(), lower), upper);
    EXPECT_EQ(error_of(walk("/mnt/lower_only")), Error::NotFound);
    EXPECT_FALSE(walk("/mnt/upper_only").is_error());
    // ".." from the top crosses both mounts to the directory holding /mnt.
    EXPECT_EQ(get("/mnt/.."), m_root);
    EXPECT_EQ(walk_up(ns(), upper).value(), m_root);
    EXPECT_EQ(cwd(upper), "/mnt");

    // Unmounting the top uncovers the lower one again.
    upper.reset();
    ASSERT_FALSE(umount("/mnt").is_error());
    EXPECT_EQ(get("/mnt"), lower);
    EXPECT_FALSE(walk("/mnt/lower_only").is_error());
    EXPECT_FALSE(lower->is_mount_point());
}

TEST_F(PathWalkTest, DotDotAtAMountRootGoesToTheParentOfTheCoveredDirectory) {
    InodeRef b = mkdirs("/a/b");
    mkdirs("/a/b/c");
    InodeRef mounted = mount_new("/a/b/c");
    InodeRef deep = mkdirs("/a/b/c/x/y");

    EXPECT_EQ(get("/a/b/c/.."), b);
    EXPECT_EQ(get("/a/b/c/x/y/../../.."), b);
    EXPECT_EQ(get("/a/b/c/../c"), mounted);
    EXPECT_EQ(walk_from(deep, "../../..").value(), b);
    EXPECT_EQ(walk_from(mounted, "../../..").value(), m_root);
    EXPECT_EQ(walk_up(ns(), mounted).value(), b);
    EXPECT_EQ(walk_up(ns(), deep).value(), get("/a/b/c/x"));
}

TEST_F(PathWalkTest, NestedMounts) {
    mkdirs("/mnt");
    InodeRef outer = mount_new("/mnt");
    mkdirs("/mnt/inner");
    InodeRef inner = mount_new("/mnt/inner");
    InodeRef leaf = mkdirs("/mnt/inner/leaf");

    EXPECT_EQ(get("/mnt/inner"), inner);
    EXPECT_EQ(get("/mnt/inner/.."), outer);
    EXPECT_EQ(get("/mnt/inner/../.."), m_root);
    EXPECT_EQ(walk_from(leaf, "../../..").value(), m_root);
    EXPECT_EQ(walk_from(leaf, "../../../mnt/inner/leaf").value(), leaf);
}

TEST_F(PathWalkTest, DotDotAtTheNamespaceRootStaysThere) {
    mkdirs("/etc");
    EXPECT_EQ(get("/.."), m_root);
    EXPECT_EQ(get("/../.."), m_root);
    EXPECT_EQ(get("/../../."), m_root);
    EXPECT_EQ(get(".."), m_root);
    EXPECT_EQ(get("../../etc/../.."), m_root);
    EXPECT_EQ(get("/../etc"), get("/etc"));
    EXPECT_EQ(walk_up(ns(), m_root).value(), m_root);
}

// Linux: `mount -t tmpfs none /` then "/.." is the new tmpfs (follow_dotdot
// stays at the root and step_into then crosses its mounts), and ".." at
// the new root stays there too. Akuma starts "/" at the top of the mounts
// on the root, so "/.." must be the same directory as "/".
TEST_F(PathWalkTest, DotDotAtTheRootWithAMountOnTheRootStaysOnTop) {
    mkdirs("/old_only");
    InodeRef top = mount_new("/");
    mkdirs("/new_only");

    EXPECT_EQ(get("/"), top);
    EXPECT_EQ(error_of(walk("/old_only")), Error::NotFound);
    EXPECT_EQ(get("/.."), top);
    EXPECT_EQ(walk_up(ns(), top).value(), top);
    EXPECT_EQ(error_of(walk("/../old_only")), Error::NotFound);
    EXPECT_FALSE(walk("/new_only/../../new_only").is_error());
    EXPECT_EQ(cwd(top), "/");
}

TEST_F(PathWalkTest, WalkWithoutMountTableIsOneFileSystem) {
    mkdirs("/mnt");
    mount_new("/mnt");
    Namespace plain { .root = m_root };
    InodeRef covered = m_root->file_system().lookup(m_root, "mnt").value();
    EXPECT_EQ(walk_path(plain, m_root, "/mnt", true).value(), covered);
    EXPECT_EQ(walk_up(plain, covered).value(), m_root);
    EXPECT_EQ(top_of_mounts(plain, covered), covered);
}

// ---- Symlinks ----

TEST_F(PathWalkTest, SymlinksCrossMounts) {
    InodeRef etc = mkdirs("/etc");
    mkdirs("/mnt");
    InodeRef mounted = mount_new("/mnt");
    InodeRef inside = mkdirs("/mnt/inside");
    symlink("/relative", "mnt/inside");   // into the mount, relative
    symlink("/absolute", "/mnt/inside");  // into the mount, absolute
    symlink("/to_mount", "mnt");          // a mount point itself
    symlink("/mnt/to_etc", "/etc");       // out of the mount, absolute
    symlink("/mnt/up", "../etc");         // out of the mount through ".."
    symlink("/mnt/inside/up2", "../../etc/.");
    symlink("/mnt/dot", ".");

    EXPECT_EQ(get("/relative"), inside);
    EXPECT_EQ(get("/absolute"), inside);
    EXPECT_EQ(get("/to_mount"), mounted);
    EXPECT_EQ(get("/to_mount/inside"), inside);
    EXPECT_EQ(get("/mnt/to_etc"), etc);
    EXPECT_EQ(get("/mnt/up"), etc);
    EXPECT_EQ(get("/mnt/inside/up2"), etc);
    EXPECT_EQ(get("/mnt/dot"), mounted);
    EXPECT_EQ(get("/mnt/dot/.."), m_root);
    EXPECT_EQ(get("/relative/../up/../mnt"), mounted);
    // The final link itself when not following.
    EXPECT_EQ(get("/mnt/up", false)->type(), InodeType::Symlink);
}

TEST_F(PathWalkTest, FortyLinksInOneWalkResolveFortyOneAreALoop) {
    InodeRef target = mkdirs("/target");
    mkdirs("/mnt");
    mount_new("/mnt");
    // A chain of 41 links alternating between the two file systems:
    // /l0 -> /mnt/l1 -> /l2 -> ... -> /l40 -> /target.
    auto link_path = [](int i) { return (i % 2 ? "/mnt/l" : "/l") + std::to_string(i); };
    for (int i = 0; i <= 40; ++i)
        symlink(link_path(i), i == 40 ? std::string("/target") : link_path(i + 1));

    EXPECT_EQ(get(link_path(1)), target);  // 40 links
    EXPECT_EQ(get(link_path(1) + "/."), target);
    EXPECT_EQ(error_of(walk(link_path(0))), Error::SymlinkLoop);  // 41
    EXPECT_EQ(error_of(walk(link_path(0) + "/x")), Error::SymlinkLoop);
    // Not following the final link: 0 links.
    EXPECT_EQ(get(link_path(0), false)->type(), InodeType::Symlink);
}

TEST_F(PathWalkTest, TheLinkLimitCountsTheWholeWalk) {
    InodeRef target = mkdirs("/target");
    // Two chains of 20 and 21 links, walked one after the other.
    for (int i = 0; i < 20; ++i)
        symlink("/a" + std::to_string(i), i == 19 ? std::string("/target") : "/a" + std::to_string(i + 1));
    for (int i = 0; i < 21; ++i)
        symlink("/b" + std::to_string(i), i == 20 ? std::string("/target") : "/b" + std::to_string(i + 1));

    EXPECT_EQ(get("/a0/../b1"), target);                        // 20 + 20
    EXPECT_EQ(error_of(walk("/a0/../b0")), Error::SymlinkLoop);  // 20 + 21
    EXPECT_EQ(get("/a0/../b0", false)->type(), InodeType::Symlink);  // 20 + the final one unfollowed
}

TEST_F(PathWalkTest, SelfLoopAndMutualLoop) {
    symlink("/self", "self");
    symlink("/ping", "/pong");
    symlink("/pong", "ping");
    EXPECT_EQ(error_of(walk("/self")), Error::SymlinkLoop);
    EXPECT_EQ(error_of(walk("/self/")), Error::SymlinkLoop);
    EXPECT_EQ(error_of(walk("/self/x", false)), Error::SymlinkLoop);
    EXPECT_EQ(error_of(walk("/ping")), Error::SymlinkLoop);
    EXPECT_EQ(get("/self", false)->type(), InodeType::Symlink);
}

TEST_F(PathWalkTest, TrailingSlashOnSymlinks) {
    InodeRef regular = file("/file");
    mkdirs("/mnt");
    InodeRef mounted = mount_new("/mnt");
    symlink("/to_file", "/file");
    symlink("/to_dir", "/mnt");
    symlink("/to_file_slash", "/file/");
    symlink("/dangling", "/nowhere");

    EXPECT_EQ(get("/to_file"), regular);
    EXPECT_EQ(error_of(walk("/to_file/")), Error::NotADirectory);
    EXPECT_EQ(error_of(walk("/to_file/", false)), Error::NotADirectory);
    EXPECT_EQ(error_of(walk("/to_file/.")), Error::NotADirectory);
    EXPECT_EQ(error_of(walk("/to_file_slash")), Error::NotADirectory);
    EXPECT_EQ(error_of(walk("/file/")), Error::NotADirectory);
    // A trailing slash follows a final link to a directory even without
    // follow (as Linux's LOOKUP_DIRECTORY): it lands in the mount.
    EXPECT_EQ(get("/to_dir/", false), mounted);
    EXPECT_EQ(get("/to_dir//", false), mounted);
    EXPECT_EQ(get("/to_dir", false)->type(), InodeType::Symlink);
    EXPECT_EQ(error_of(walk("/dangling/", false)), Error::NotFound);
}

// ---- walk_to_parent ----

TEST_F(PathWalkTest, WalkToParentSplitsTheLastComponent) {
    InodeRef a = mkdirs("/a");
    mkdirs("/mnt");
    InodeRef mounted = mount_new("/mnt");
    symlink("/link", "/mnt");

    auto parent = [&](const InodeRef& base, std::string_view path) {
        auto result = walk_to_parent(ns(), base, path);
        EXPECT_FALSE(result.is_error()) << path << ": " << error_name(result.error());
        return result.is_error() ? ParentAndName {} : result.release_value();
    };

    std::string path = "/a/b//";
    ParentAndName result = parent(m_root, path);
    EXPECT_EQ(result.directory, a);
    EXPECT_EQ(result.name, "b");
    EXPECT_TRUE(result.trailing_slash);
    EXPECT_EQ(result.name.data(), path.data() + 3);  // into the path

    result = parent(m_root, "/a/b");
    EXPECT_EQ(result.directory, a);
    EXPECT_EQ(result.name, "b");
    EXPECT_FALSE(result.trailing_slash);

    result = parent(a, "b");  // relative, one component
    EXPECT_EQ(result.directory, a);
    EXPECT_EQ(result.name, "b");

    result = parent(m_root, "/mnt/x");  // into the mount
    EXPECT_EQ(result.directory, mounted);

    result = parent(m_root, "/link/x");  // through a link
    EXPECT_EQ(result.directory, mounted);

    result = parent(m_root, "/mnt");  // the mount point's own name
    EXPECT_EQ(result.directory, m_root);
    EXPECT_EQ(result.name, "mnt");

    result = parent(m_root, "/mnt/../a/..//x");
    EXPECT_EQ(result.directory, m_root);
    EXPECT_EQ(result.name, "x");

    // The last component is not looked up: it need not exist, and a final
    // symlink is not followed.
    result = parent(m_root, "/link");
    EXPECT_EQ(result.directory, m_root);
    EXPECT_EQ(result.name, "link");
    result = parent(m_root, "/nothing/");
    EXPECT_EQ(result.directory, m_root);
    EXPECT_EQ(result.name, "nothing");
    EXPECT_TRUE(result.trailing_slash);
}

TEST_F(PathWalkTest, WalkToParentErrors) {
    mkdirs("/a");
    file("/a/file");
    EXPECT_EQ(error_of(walk_to_parent(ns(), m_root, "")), Error::NotFound);
    EXPECT_EQ(error_of(walk_to_parent(ns(), m_root, "/")), Error::Invalid);
    EXPECT_EQ(error_of(walk_to_parent(ns(), m_root, "///")), Error::Invalid);
    EXPECT_EQ(error_of(walk_to_parent(ns(), m_root, ".")), Error::Invalid);
    EXPECT_EQ(error_of(walk_to_parent(ns(), m_root, "..")), Error::Invalid);
    EXPECT_EQ(error_of(walk_to_parent(ns(), m_root, "x/..")), Error::Invalid);
    EXPECT_EQ(error_of(walk_to_parent(ns(), m_root, "/a/.")), Error::Invalid);
    EXPECT_EQ(error_of(walk_to_parent(ns(), m_root, "/a/../")), Error::Invalid);
    EXPECT_EQ(error_of(walk_to_parent(ns(), m_root, "/a/file/x")), Error::NotADirectory);
    EXPECT_EQ(error_of(walk_to_parent(ns(), m_root, "/a/file/x/y")), Error::NotADirectory);
    EXPECT_EQ(error_of(walk_to_parent(ns(), m_root, "/nope/x")), Error::NotFound);
    InodeRef file = get("/a/file");
    EXPECT_EQ(error_of(walk_to_parent(ns(), file, "x")), Error::NotADirectory);  // base not a directory

    // NAME_MAX: 255 bytes pass, 256 do not (also in the middle).
    std::string longest(255, 'n');
    std::string longest_path = "/a/" + longest;
    auto named = walk_to_parent(ns(), m_root, longest_path);
    ASSERT_FALSE(named.is_error());
    EXPECT_EQ(named.value().name.size(), 255u);
    EXPECT_EQ(error_of(walk_to_parent(ns(), m_root, "/a/" + longest + "n")), Error::NameTooLong);
    EXPECT_EQ(error_of(walk_to_parent(ns(), m_root, "/a/" + longest + "n/")), Error::NameTooLong);
    EXPECT_EQ(error_of(walk_to_parent(ns(), m_root, "/" + longest + "n/x")), Error::NameTooLong);

    // PATH_MAX counts the NUL: 4095 bytes pass, 4096 do not.
    std::string path = "/";
    while (path.size() < 4093)
        path += "./";
    path += "x";
    path.resize(4095, '/');
    ASSERT_EQ(path.size(), 4095u);
    auto longest_allowed = walk_to_parent(ns(), m_root, path);
    ASSERT_FALSE(longest_allowed.is_error()) << error_name(longest_allowed.error());
    EXPECT_EQ(longest_allowed.value().directory, m_root);
    EXPECT_EQ(error_of(walk(path)), Error::NotFound);  // walked: x does not exist
    EXPECT_EQ(error_of(walk_to_parent(ns(), m_root, path + "/")), Error::NameTooLong);
    EXPECT_EQ(error_of(walk(path + "/")), Error::NameTooLong);
}

TEST(PathWalkNames, CheckName) {
    EXPECT_FALSE(check_name("a").is_error());
    EXPECT_FALSE(check_name("...").is_error());
    EXPECT_FALSE(check_name(std::string(255, 'x')).is_error());
    EXPECT_EQ(error_of(check_name(std::string(256, 'x'))), Error::NameTooLong);
    EXPECT_EQ(error_of(check_name("")), Error::Invalid);
    EXPECT_EQ(error_of(check_name(".")), Error::Invalid);
    EXPECT_EQ(error_of(check_name("..")), Error::Invalid);
    EXPECT_EQ(error_of(check_name("a/b")), Error::Invalid);
    EXPECT_EQ(error_of(check_name(std::string_view("a\0b", 3))), Error::Invalid);
}

// ---- directory_path (getcwd) ----

TEST_F(PathWalkTest, DirectoryPathAcrossMounts) {
    EXPECT_EQ(cwd(m_root), "/");
    mkdirs("/srv/mnt");
    InodeRef mounted = mount_new("/srv/mnt");
    InodeRef inside = mkdirs("/srv/mnt/a/b");
    mkdirs("/srv/mnt/a/b/nest");
    InodeRef nested = mount_new("/srv/mnt/a/b/nest");
    InodeRef deepest = mkdirs("/srv/mnt/a/b/nest/z");

    EXPECT_EQ(cwd(mounted), "/srv/mnt");
    EXPECT_EQ(cwd(inside), "/srv/mnt/a/b");
    EXPECT_EQ(cwd(nested), "/srv/mnt/a/b/nest");
    EXPECT_EQ(cwd(deepest), "/srv/mnt/a/b/nest/z");
    // getcwd returns the length with the NUL.
    char buffer[64];
    EXPECT_EQ(directory_path(ns(), inside, buffer).value(), sizeof("/srv/mnt/a/b"));
    // Not a directory.
    InodeRef regular = file("/srv/mnt/f");
    EXPECT_EQ(error_of(directory_path(ns(), regular, buffer)), Error::NotADirectory);
}

TEST_F(PathWalkTest, DirectoryPathBufferTooSmall) {
    InodeRef dir = mkdirs("/ab/cd");
    mkdirs("/mnt");
    InodeRef mounted = mount_new("/mnt");
    char buffer[16];
    // "/ab/cd" + NUL is 7 bytes: exactly 7 fits, 6 is ERANGE.
    EXPECT_EQ(directory_path(ns(), dir, std::span<char>(buffer, 7)).value(), 7u);
    EXPECT_EQ(std::string(buffer), "/ab/cd");
    EXPECT_EQ(error_of(directory_path(ns(), dir, std::span<char>(buffer, 6))), Error::OutOfRange);
    EXPECT_EQ(error_of(directory_path(ns(), dir, std::span<char>(buffer, 1))), Error::OutOfRange);
    EXPECT_EQ(error_of(directory_path(ns(), dir, std::span<char>(buffer, 0))), Error::OutOfRange);
    // The root: "/" + NUL.
    EXPECT_EQ(directory_path(ns(), m_root, std::span<char>(buffer, 2)).value(), 2u);
    EXPECT_EQ(error_of(directory_path(ns(), m_root, std::span<char>(buffer, 1))), Error::OutOfRange);
    // A mount root: "/mnt" + NUL.
    EXPECT_EQ(directory_path(ns(), mounted, std::span<char>(buffer, 5)).value(), 5u);
    EXPECT_EQ(std::string(buffer), "/mnt");
    EXPECT_EQ(error_of(directory_path(ns(), mounted, std::span<char>(buffer, 4))), Error::OutOfRange);
}

TEST_F(PathWalkTest, DirectoryPathOfARemovedDirectoryIsNotFound) {
    InodeRef gone = mkdirs("/d/gone");
    mkdirs("/mnt");
    mount_new("/mnt");
    InodeRef gone_in_mount = mkdirs("/mnt/gone");
    InodeRef d = get("/d");
    ASSERT_FALSE(d->file_system().rmdir(d, "gone").is_error());
    InodeRef mounted = get("/mnt");
    ASSERT_FALSE(mounted->file_system().rmdir(mounted, "gone").is_error());
    char buffer[64];
    EXPECT_EQ(error_of(directory_path(ns(), gone, buffer)), Error::NotFound);
    EXPECT_EQ(error_of(directory_path(ns(), gone_in_mount, buffer)), Error::NotFound);
    // ".." of a removed directory is ENOENT too, and nothing is found in it.
    EXPECT_EQ(error_of(walk_from(gone, "..")), Error::NotFound);
    EXPECT_EQ(error_of(walk_from(gone, "x")), Error::NotFound);
}

TEST_F(PathWalkTest, DirectoryPathOfAnUnmountedRootIsNotFound) {
    // A file system root that no mount covers (never mounted, or unmounted
    // while a cwd held it: MNT_DETACH) is not reachable from the root.
    Ramfs* loose = new_ramfs();
    {
        InodeRef loose_root = loose->root();
        char buffer[64];
        EXPECT_EQ(error_of(directory_path(ns(), loose_root, buffer)), Error::NotFound);
        // ".." at an unreachable root stays there (Linux: a detached tree).
        EXPECT_EQ(walk_up(ns(), loose_root).value(), loose_root);
    }
    OwnPtr<Ramfs, mm::HeapAllocator>::adopt(loose).reset();

    mkdirs("/mnt");
    InodeRef mounted = mount_new("/mnt");
    InodeRef inside = mkdirs("/mnt/in");
    ASSERT_FALSE(m_table.unmount(mounted, true).is_error());
    char buffer[64];
    EXPECT_EQ(error_of(directory_path(ns(), mounted, buffer)), Error::NotFound);
    EXPECT_EQ(error_of(directory_path(ns(), inside, buffer)), Error::NotFound);
    EXPECT_EQ(walk_from(inside, "../..").value(), mounted);
}

// A mount whose covered directory lives in a lazily unmounted file system:
// Linux's umount -l takes the whole tree out (umount_tree), so the inner
// mount is gone from the table and its root is unreachable (getcwd: no
// path from the root; Linux prints "(unreachable)", Akuma answers ENOENT).
TEST_F(PathWalkTest, DirectoryPathOfAMountInsideADetachedMountIsNotFound) {
    mkdirs("/outer");
    mount_new("/outer");
    mkdirs("/outer/inner");
    InodeRef inner = mount_new("/outer/inner");
    InodeRef leaf = mkdirs("/outer/inner/leaf");
    EXPECT_EQ(error_of(umount("/outer")), Error::Busy);  // a mount inside
    ASSERT_FALSE(umount("/outer", true).is_error());
    char buffer[64];
    EXPECT_EQ(error_of(directory_path(ns(), inner, buffer)), Error::NotFound);
    EXPECT_EQ(error_of(directory_path(ns(), leaf, buffer)), Error::NotFound);
    EXPECT_EQ(error_of(walk("/outer/inner")), Error::NotFound);
}

// ---- Ramfs::in_use (umount's EBUSY test) ----

class RamfsInUseForMount : public ::testing::Test {
protected:
    void SetUp() override { m_fs = new_ramfs(); }
    void TearDown() override { OwnPtr<Ramfs, mm::HeapAllocator>::adopt(m_fs).reset(); }

    InodeRef root() const { return m_fs->root(); }

    Ramfs* m_fs;
};

TEST_F(RamfsInUseForMount, IdleTreeIsNotInUse) {
    {
        InodeRef r = root();
        InodeRef dir = m_fs->mkdir(r, "d", 0755).value();
        InodeRef sub = m_fs->mkdir(dir, "sub", 0755).value();
        InodeRef f = m_fs->create_file(sub, "f", 0644).value();
        ASSERT_FALSE(m_fs->link(r, "hard", f).is_error());  // nlink 2: two entries hold it
        ASSERT_FALSE(m_fs->symlink(dir, "l", "/x").is_error());
    }
    EXPECT_FALSE(m_fs->in_use(0));
    EXPECT_TRUE(m_fs->in_use(1));  // one more root reference expected than there is
}

TEST_F(RamfsInUseForMount, AnExtraReferenceToAnyInodeIsInUse) {
    {
        InodeRef r = root();
        InodeRef dir = m_fs->mkdir(r, "d", 0755).value();
        InodeRef sub = m_fs->mkdir(dir, "sub", 0755).value();
        m_fs->create_file(sub, "f", 0644).value();
        m_fs->create_file(r, "z", 0644).value();
        ASSERT_FALSE(m_fs->symlink(sub, "l", "/x").is_error());
    }
    EXPECT_FALSE(m_fs->in_use(0));
    for (std::string_view path : { "/", "/d", "/d/sub", "/d/sub/f", "/z", "/d/sub/l" }) {
        InodeRef held = m_fs->resolve(root(), path, false).value();
        EXPECT_TRUE(m_fs->in_use(0)) << path;
        EXPECT_EQ(m_fs->in_use(1), path != "/") << path;
    }
    EXPECT_FALSE(m_fs->in_use(0));
}

TEST_F(MountTableTest, AMountOnADirectoryMakesItsFileSystemInUse) {
    mkdirs("/mnt");
    FileSystem& lower_fs = mount_new("/mnt")->file_system();
    mkdirs("/mnt/deep/er");
    EXPECT_FALSE(lower_fs.in_use(1));  // its root referenced by the table only
    EXPECT_TRUE(lower_fs.in_use(0));
    InodeRef nested = mount_new("/mnt/deep/er");  // a `covered` reference on er
    EXPECT_TRUE(lower_fs.in_use(1));
    EXPECT_FALSE(nested->file_system().in_use(2));  // the table's and ours
    nested.reset();
    EXPECT_EQ(error_of(umount("/mnt")), Error::Busy);
    ASSERT_FALSE(umount("/mnt/deep/er").is_error());
    EXPECT_FALSE(lower_fs.in_use(1));
    // The root file system (the table's and m_root): /mnt is covered.
    EXPECT_TRUE(m_root->file_system().in_use(2));
    ASSERT_FALSE(umount("/mnt").is_error());
    EXPECT_FALSE(m_root->file_system().in_use(2));
}

// Linux: an open file that was unlinked, or a cwd that was removed, still
// pins the file system (umount: EBUSY). Ramfs::in_use once looked only at
// the inodes it could reach through the tree, so it missed both and umount
// freed a Ramfs with live inodes (its destructor's VERIFY: a panic).
TEST_F(RamfsInUseForMount, AnUnlinkedButReferencedInodeIsInUse) {
    InodeRef r = root();
    InodeRef open_file = m_fs->create_file(r, "f", 0644).value();
    ASSERT_FALSE(m_fs->unlink(r, "f").is_error());
    EXPECT_TRUE(m_fs->in_use(1)) << "an open, unlinked file";
    open_file.reset();
    EXPECT_FALSE(m_fs->in_use(1));
    InodeRef cwd = m_fs->mkdir(r, "d", 0755).value();
    ASSERT_FALSE(m_fs->rmdir(r, "d").is_error());
    EXPECT_TRUE(m_fs->in_use(1)) << "a removed cwd";
    cwd.reset();
    EXPECT_FALSE(m_fs->in_use(1));
}

// ---- MountTable: mount, unmount, MNT_DETACH ----

TEST_F(MountTableTest, MountAndUnmount) {
    InodeRef covered = mkdirs("/mnt");
    mkdirs("/mnt/old");
    InodeRef mounted = mount_new("/mnt");
    EXPECT_EQ(mount_count(), 2u);
    EXPECT_TRUE(covered->is_mount_point());
    EXPECT_EQ(m_table.mounted_on(covered), mounted);
    EXPECT_EQ(m_table.covered_by(mounted), covered);
    EXPECT_FALSE(m_table.covered_by(m_root));  // the namespace root covers nothing
    EXPECT_FALSE(m_table.mounted_on(m_root));
    EXPECT_EQ(m_table.mount_rooted_at(mounted)->covered, covered);
    EXPECT_EQ(m_table.mount_of(*get("/mnt")), m_table.mount_rooted_at(mounted));
    EXPECT_EQ(m_table.mount_of(*covered), m_table.mount_rooted_at(m_root));
    EXPECT_EQ(m_table.mount_rooted_at(covered), nullptr);
    // Every mount gets its own anonymous device.
    EXPECT_NE(mounted->file_system().device(), m_root->file_system().device());

    mounted.reset();
    ASSERT_FALSE(umount("/mnt").is_error());
    EXPECT_EQ(mount_count(), 1u);
    EXPECT_FALSE(covered->is_mount_point());
    EXPECT_EQ(get("/mnt"), covered);
    EXPECT_FALSE(walk("/mnt/old").is_error());
    EXPECT_FALSE(m_table.mounted_on(covered));
}

TEST_F(MountTableTest, MountOnANonDirectoryIsNotADirectory) {
    InodeRef regular = file("/file");
    // The file system is freed (LSan would report it otherwise).
    EXPECT_EQ(error_of(m_table.mount(new_ramfs(), regular, "none", 0)), Error::NotADirectory);
    EXPECT_FALSE(regular->is_mount_point());
    EXPECT_EQ(mount_count(), 1u);
}

TEST_F(MountTableTest, UnmountOfWhatIsNotAMountRootIsInvalid) {
    InodeRef dir = mkdirs("/mnt");
    InodeRef mounted = mount_new("/mnt");
    InodeRef inside = mkdirs("/mnt/x");
    EXPECT_EQ(error_of(m_table.unmount(m_root, false)), Error::Invalid);  // the root mount
    EXPECT_EQ(error_of(m_table.unmount(m_root, true)), Error::Invalid);
    EXPECT_EQ(error_of(m_table.unmount(dir, false)), Error::Invalid);     // the covered directory
    EXPECT_EQ(error_of(m_table.unmount(inside, false)), Error::Invalid);  // inside a mount
    EXPECT_EQ(mount_count(), 2u);
    EXPECT_EQ(get("/mnt"), mounted);
}

TEST_F(MountTableTest, UnmountIsBusyWhileAnythingUsesTheFileSystem) {
    mkdirs("/mnt");
    mount_new("/mnt");
    mkdirs("/mnt/sub/deeper");
    InodeRef open = file("/mnt/sub/deeper/f");  // an open file
    EXPECT_EQ(error_of(umount("/mnt")), Error::Busy);
    open.reset();
    InodeRef cwd_dir = get("/mnt/sub");  // a cwd
    EXPECT_EQ(error_of(umount("/mnt")), Error::Busy);
    cwd_dir.reset();
    InodeRef cwd_root = get("/mnt");  // a cwd at the mount's root
    EXPECT_EQ(error_of(umount("/mnt")), Error::Busy);
    cwd_root.reset();
    mount_new("/mnt/sub/deeper");  // a mount inside it
    EXPECT_EQ(error_of(umount("/mnt")), Error::Busy);
    ASSERT_FALSE(umount("/mnt/sub/deeper").is_error());
    EXPECT_EQ(mount_count(), 2u);
    ASSERT_FALSE(umount("/mnt").is_error());
    EXPECT_EQ(mount_count(), 1u);
}

TEST_F(MountTableTest, AMountOnTopOfAMountRootKeepsItBusy) {
    mkdirs("/mnt");
    InodeRef lower = mount_new("/mnt");
    InodeRef upper = mount_new("/mnt");
    upper.reset();
    // Only the lower mount's root can name it now (umount /mnt is the top).
    EXPECT_EQ(error_of(m_table.unmount(std::move(lower), false)), Error::Busy);
    ASSERT_FALSE(umount("/mnt").is_error());
    ASSERT_FALSE(umount("/mnt").is_error());
    EXPECT_EQ(mount_count(), 1u);
}

TEST_F(MountTableTest, DetachTakesABusyMountOutAndFreesItWhenIdle) {
    InodeRef covered = mkdirs("/mnt");
    InodeRef mounted = mount_new("/mnt");
    InodeRef open = file("/mnt/f");
    InodeRef cwd_dir = mkdirs("/mnt/d");
    mounted.reset();
    EXPECT_EQ(error_of(umount("/mnt")), Error::Busy);
    ASSERT_FALSE(umount("/mnt", true).is_error());
    // Out of the tree at once...
    EXPECT_EQ(mount_count(), 1u);
    EXPECT_FALSE(covered->is_mount_point());
    EXPECT_EQ(get("/mnt"), covered);
    // ...but what was open stays usable.
    EXPECT_EQ(open->type(), InodeType::Regular);
    EXPECT_EQ(walk_from(cwd_dir, "..").value(), cwd_dir->file_system().root());
    EXPECT_EQ(walk_from(cwd_dir, "../..").value(), cwd_dir->file_system().root());  // a detached tree's top
    EXPECT_FALSE(cwd_dir->file_system().mkdir(cwd_dir, "still_works", 0755, 0, 0).is_error());

    size_t live = test::host_kmalloc_live_objects();
    m_table.free_idle_detached();
    EXPECT_EQ(test::host_kmalloc_live_objects(), live);  // still in use
    open.reset();
    m_table.free_idle_detached();
    EXPECT_EQ(test::host_kmalloc_live_objects(), live);
    cwd_dir.reset();
    m_table.free_idle_detached();
    EXPECT_LT(test::host_kmalloc_live_objects(), live);  // its inodes are gone
    live = test::host_kmalloc_live_objects();
    m_table.free_idle_detached();
    EXPECT_EQ(test::host_kmalloc_live_objects(), live);  // freed once
}

TEST_F(MountTableTest, DetachOfAnIdleMountFreesItAtOnce) {
    mkdirs("/mnt");
    InodeRef mounted = mount_new("/mnt");
    mkdirs("/mnt/a/b");
    size_t live = test::host_kmalloc_live_objects();
    ASSERT_FALSE(m_table.unmount(std::move(mounted), true).is_error());
    EXPECT_LT(test::host_kmalloc_live_objects(), live);
    EXPECT_EQ(mount_count(), 1u);
}

// Linux's umount -l detaches the mounts inside the file system too
// (umount_tree); they are freed when idle.
TEST_F(MountTableTest, DetachTakesTheMountsInsideWithIt) {
    mkdirs("/outer");
    InodeRef outer = mount_new("/outer");
    InodeRef inner_dir = mkdirs("/outer/inner");
    InodeRef inner = mount_new("/outer/inner");
    ASSERT_FALSE(m_table.unmount(std::move(outer), true).is_error());
    EXPECT_EQ(mount_count(), 1u);
    EXPECT_FALSE(m_table.covered_by(inner));
    EXPECT_FALSE(m_table.mounted_on(inner_dir));
    EXPECT_FALSE(inner_dir->is_mount_point());
    EXPECT_EQ(error_of(m_table.unmount(inner, false)), Error::Invalid);  // no longer a mount
    // Both are freed once nothing holds them (LSan reports it otherwise).
    inner.reset();
    inner_dir.reset();
    m_table.free_idle_detached();
}

}  // namespace
}  // namespace akuma::fs
