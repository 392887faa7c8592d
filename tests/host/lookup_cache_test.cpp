// Host tests of the lookup cache (kernel/fs/lookup_cache.*) over Ramfs
// inodes: hits and misses, negative entries, least-recently-used eviction,
// forgetting by name, directory and file system, the references entries
// hold, and a path walk served from the cache.
#include <gtest/gtest.h>

#include <string>

#include "kernel/fs/lookup_cache.h"
#include "kernel/fs/mount_table.h"
#include "kernel/fs/path_walk.h"
#include "kernel/fs/ramfs.h"

namespace akuma::fs {
namespace {

OwnPtr<Ramfs, mm::HeapAllocator> make_ramfs() {
    auto fs = Ramfs::create();
    VERIFY(!fs.is_error());
    return fs.release_value();
}

InodeRef make_file(Ramfs& fs, const InodeRef& directory, std::string_view name) {
    auto made = fs.create_file(directory, name, 0644, 0, 0);
    VERIFY(!made.is_error());
    return made.release_value();
}

TEST(LookupCache, RemembersInodesAndAbsentNames) {
    auto fs = make_ramfs();
    InodeRef root = fs->root();
    InodeRef file = make_file(*fs, root, "file");
    LookupCache cache(8);
    EXPECT_FALSE(cache.find(root, "file").has_value());
    cache.insert(root, "file", file);
    cache.insert(root, "missing", InodeRef {});
    auto hit = cache.find(root, "file");
    ASSERT_TRUE(hit.has_value());
    EXPECT_EQ(*hit, file);
    auto absent = cache.find(root, "missing");
    ASSERT_TRUE(absent.has_value());
    EXPECT_FALSE(*absent);
    EXPECT_FALSE(cache.find(root, "fil").has_value());   // a prefix is another name
    EXPECT_FALSE(cache.find(root, "file2").has_value());
    auto stats = cache.stats();
    EXPECT_EQ(stats.entries, 2u);
    EXPECT_EQ(stats.negative_entries, 1u);
    EXPECT_EQ(stats.hits, 2u);
    EXPECT_EQ(stats.misses, 3u);
    // A new answer for a name replaces the old one.
    cache.insert(root, "missing", file);
    EXPECT_EQ(*cache.find(root, "missing"), file);
    EXPECT_EQ(cache.stats().negative_entries, 0u);
    cache.forget(root, "file");
    EXPECT_FALSE(cache.find(root, "file").has_value());
    EXPECT_EQ(cache.stats().entries, 1u);
    cache.clear();
}

TEST(LookupCache, EvictsTheLeastRecentlyUsed) {
    auto fs = make_ramfs();
    InodeRef root = fs->root();
    LookupCache cache(3);
    cache.insert(root, "a", InodeRef {});
    cache.insert(root, "b", InodeRef {});
    cache.insert(root, "c", InodeRef {});
    EXPECT_TRUE(cache.find(root, "a").has_value());  // "b" is now the oldest
    cache.insert(root, "d", InodeRef {});
    EXPECT_TRUE(cache.find(root, "a").has_value());
    EXPECT_FALSE(cache.find(root, "b").has_value());
    EXPECT_TRUE(cache.find(root, "c").has_value());
    EXPECT_TRUE(cache.find(root, "d").has_value());
    EXPECT_EQ(cache.stats().entries, 3u);
    EXPECT_EQ(cache.stats().evictions, 1u);
    cache.clear();
}

TEST(LookupCache, ManyNamesInOneDirectoryAllHit) {
    auto fs = make_ramfs();
    InodeRef root = fs->root();
    LookupCache cache(1000);
    for (int i = 0; i < 1000; ++i) {
        std::string name = "name-" + std::to_string(i);
        cache.insert(root, name, make_file(*fs, root, name));
    }
    for (int i = 0; i < 1000; ++i) {
        std::string name = "name-" + std::to_string(i);
        auto hit = cache.find(root, name);
        ASSERT_TRUE(hit.has_value()) << name;
        ASSERT_TRUE(*hit);
        EXPECT_EQ(*hit, fs->lookup(root, name).value()) << name;
    }
    EXPECT_EQ(cache.stats().evictions, 0u);
    cache.clear();
}

TEST(LookupCache, ForgetsADirectoryAndAFileSystem) {
    auto first = make_ramfs();
    auto second = make_ramfs();
    InodeRef dir = first->mkdir(first->root(), "dir", 0755, 0, 0).release_value();
    LookupCache cache(16);
    cache.insert(first->root(), "dir", dir);
    cache.insert(dir, "x", make_file(*first, dir, "x"));
    cache.insert(dir, "y", InodeRef {});
    cache.insert(second->root(), "z", make_file(*second, second->root(), "z"));
    cache.forget_directory(dir.get());
    EXPECT_FALSE(cache.find(dir, "x").has_value());
    EXPECT_FALSE(cache.find(dir, "y").has_value());
    EXPECT_TRUE(cache.find(first->root(), "dir").has_value());
    cache.forget_file_system(*first);
    EXPECT_FALSE(cache.find(first->root(), "dir").has_value());
    EXPECT_TRUE(cache.find(second->root(), "z").has_value());
    EXPECT_EQ(cache.stats().entries, 1u);
    cache.clear();
}

TEST(LookupCache, EntriesHoldReferencesUntilForgotten) {
    auto fs = make_ramfs();
    InodeRef root = fs->root();
    LookupCache cache(16);
    {
        InodeRef file = make_file(*fs, root, "file");
        cache.insert(root, "file", file);
    }
    ASSERT_FALSE(fs->unlink(root, "file").is_error());
    // Unlinked, but the (stale) entry keeps the inode: a file system with
    // cached entries is in use (umount's EBUSY) until they are forgotten.
    EXPECT_TRUE(fs->in_use(1));  // 1: the test's own reference to the root
    cache.forget(root, "file");
    EXPECT_FALSE(fs->in_use(1));
}

// A walk through a mount table with the cache: the second walk of a path is
// answered from it, misses included; what a name change does not tell the
// cache stays stale (which is why the VFS forgets names on every change).
TEST(LookupCache, PathWalksUseIt) {
    MountTable table;
    ASSERT_FALSE(table.mount_root(make_ramfs().release(), "rootfs").is_error());
    LookupCache cache(64);
    table.set_lookup_cache(&cache);
    InodeRef root = table.root();
    FileSystem& fs = root->file_system();
    InodeRef a = fs.mkdir(root, "a", 0755, 0, 0).release_value();
    InodeRef b = fs.mkdir(a, "b", 0755, 0, 0).release_value();
    InodeRef c = fs.create_file(b, "c", 0644, 0, 0).release_value();
    auto walk = [&](std::string_view path) { return walk_path(table.name_space(), root, path, true); };
    EXPECT_EQ(walk("/a/b/c").value(), c);
    EXPECT_EQ(cache.stats().misses, 3u);
    EXPECT_EQ(cache.stats().hits, 0u);
    EXPECT_EQ(walk("/a/b/c").value(), c);
    EXPECT_EQ(cache.stats().hits, 3u);
    EXPECT_EQ(walk("/a/none").error(), Error::NotFound);
    EXPECT_EQ(walk("/a/none").error(), Error::NotFound);
    EXPECT_EQ(cache.stats().negative_entries, 1u);
    EXPECT_EQ(cache.stats().hits, 6u);  // "a" twice more, and "none" the second time (negative)
    ASSERT_FALSE(fs.create_file(a, "none", 0644, 0, 0).is_error());
    EXPECT_EQ(walk("/a/none").error(), Error::NotFound);  // not told
    cache.forget(a, "none");
    EXPECT_FALSE(walk("/a/none").is_error());
    // The references go before the root mount is freed by hand.
    cache.clear();
    a.reset();
    b.reset();
    c.reset();
    root.reset();
    Mount* root_mount = table.mount_rooted_at(table.root());
    ASSERT_NE(root_mount, nullptr);
    FileSystem* root_fs = root_mount->fs;
    delete root_mount;
    delete root_fs;
}

}  // namespace
}  // namespace akuma::fs
