// Host tests for the permission checks (kernel/fs/permission.*), with Linux
// 6.1's answers: owner/group/other classes, what root's capabilities
// override, the sticky directory, chmod's and chown's rules, the owner of
// new inodes in set-group-ID directories, and what a write does to set-ID
// bits.
#include <gtest/gtest.h>

#include "kernel/fs/permission.h"
#include "kernel/fs/ramfs.h"

namespace akuma::fs {
namespace {

using proc::Credentials;

Credentials user(uint32_t uid, uint32_t gid, std::initializer_list<uint32_t> groups = {}) {
    Credentials c = proc::root_credentials();
    std::vector<uint32_t> list(groups);
    EXPECT_FALSE(proc::set_groups(c, proc::GroupList::create(list).release_value()).is_error());
    EXPECT_FALSE(proc::set_resgid(c, gid, gid, gid).is_error());
    EXPECT_FALSE(proc::set_resuid(c, uid, uid, uid).is_error());
    return c;
}

bool allowed(const Credentials& c, uint32_t mode, uint32_t uid, uint32_t gid, unsigned mask, bool directory = false) {
    return !check_access(c, mode, uid, gid, directory, mask).is_error();
}

TEST(Permission, OwnerBitsComeFirstEvenWhenStricter) {
    Credentials u = user(1000, 1000);
    EXPECT_FALSE(allowed(u, 0077, 1000, 1000, k_may_read));  // owner class: no bits
    EXPECT_TRUE(allowed(u, 0400, 1000, 0, k_may_read));
    EXPECT_FALSE(allowed(u, 0400, 1000, 0, k_may_write));
    EXPECT_TRUE(allowed(u, 0040, 0, 1000, k_may_read));        // group class
    EXPECT_FALSE(allowed(u, 0704, 0, 1000, k_may_read));       // group class: no bits, other's ignored
    EXPECT_TRUE(allowed(u, 0004, 0, 0, k_may_read));           // other
    EXPECT_TRUE(allowed(user(1000, 1000, { 50 }), 0070, 0, 50, k_may_read | k_may_write | k_may_exec));
    EXPECT_EQ(check_access(u, 0, 0, 0, false, k_may_read).error(), Error::AccessDenied);
}

TEST(Permission, RootOverridesAllButExecuteWithoutAnyBit) {
    Credentials root = proc::root_credentials();
    EXPECT_TRUE(allowed(root, 0, 1000, 1000, k_may_read | k_may_write));
    EXPECT_FALSE(allowed(root, 0644, 1000, 1000, k_may_exec));
    EXPECT_TRUE(allowed(root, 0100, 1000, 1000, k_may_exec));  // any x bit will do
    EXPECT_TRUE(allowed(root, 0, 1000, 1000, k_may_exec | k_may_write, true));  // directories: all
}

TEST(Permission, DacReadSearchAloneReadsAndSearches) {
    Credentials c = proc::root_credentials();
    c.capabilities.effective = proc::capability_bit(proc::Capability::DacReadSearch);
    c.fsuid = 5;
    EXPECT_TRUE(allowed(c, 0, 0, 0, k_may_read));
    EXPECT_FALSE(allowed(c, 0, 0, 0, k_may_write));
    EXPECT_TRUE(allowed(c, 0, 0, 0, k_may_exec | k_may_read, true));
    EXPECT_FALSE(allowed(c, 0, 0, 0, k_may_write, true));
}

class PermissionFs : public ::testing::Test {
protected:
    void SetUp() override {
        fs = Ramfs::create().release_value();
        sticky = fs->mkdir(fs->root(), "tmp", 01777, 0, 0).release_value();
        mine = fs->create_file(sticky, "mine", 0644, 1000, 1000).release_value();
        theirs = fs->create_file(sticky, "theirs", 0666, 2000, 2000).release_value();
    }
    OwnPtr<Ramfs, mm::HeapAllocator> fs;
    InodeRef sticky, mine, theirs;
};

TEST_F(PermissionFs, StickyDirectoryProtectsOthersFiles) {
    Credentials u = user(1000, 1000);
    EXPECT_FALSE(check_may_delete(u, *sticky, *mine).is_error());
    EXPECT_EQ(check_may_delete(u, *sticky, *theirs).error(), Error::NotPermitted);
    EXPECT_FALSE(check_may_delete(proc::root_credentials(), *sticky, *theirs).is_error());
    // The directory's owner may remove anything in it.
    auto owned = fs->mkdir(fs->root(), "owned", 01777, 1000, 1000).release_value();
    auto other = fs->create_file(owned, "x", 0600, 2000, 2000).release_value();
    EXPECT_FALSE(check_may_delete(u, *owned, *other).is_error());
    // Without write on the directory: EACCES before the sticky rule.
    auto closed = fs->mkdir(fs->root(), "closed", 0755, 0, 0).release_value();
    EXPECT_EQ(check_may_delete(u, *closed, *mine).error(), Error::AccessDenied);
    EXPECT_EQ(check_may_create(u, *closed).error(), Error::AccessDenied);
}

TEST_F(PermissionFs, ChmodAndChown) {
    Credentials u = user(1000, 1000, { 1000 });
    EXPECT_EQ(mode_for_chmod(u, *theirs, 0600).error(), Error::NotPermitted);
    EXPECT_EQ(mode_for_chmod(u, *mine, 04755).value(), 04755u);
    // Set-group-ID for a group the owner is not in: silently dropped.
    fs->set_owner(mine, 1000, 3000);
    EXPECT_EQ(mode_for_chmod(u, *mine, 02755).value(), 0755u);
    EXPECT_EQ(mode_for_chmod(proc::root_credentials(), *mine, 02755).value(), 02755u);
    EXPECT_EQ(check_chown(u, *mine, 2000, proc::k_id_unchanged).error(), Error::NotPermitted);
    EXPECT_FALSE(check_chown(u, *mine, 1000, 1000).is_error());   // own uid, own group
    EXPECT_EQ(check_chown(u, *mine, proc::k_id_unchanged, 4000).error(), Error::NotPermitted);
    EXPECT_EQ(check_chown(u, *theirs, proc::k_id_unchanged, 1000).error(), Error::NotPermitted);
    EXPECT_FALSE(check_chown(proc::root_credentials(), *theirs, 5, 5).is_error());
    EXPECT_TRUE(owns_or_capable(u, *mine));
    EXPECT_FALSE(owns_or_capable(u, *theirs));
    // chown(-1, -1) of another's set-user-ID file would clear the bit: EPERM.
    EXPECT_FALSE(check_chown(u, *theirs, proc::k_id_unchanged, proc::k_id_unchanged).is_error());
    fs->set_mode(theirs, 04755);
    EXPECT_EQ(check_chown(u, *theirs, proc::k_id_unchanged, proc::k_id_unchanged).error(), Error::NotPermitted);
}

TEST_F(PermissionFs, NewInodesInSetGroupIdDirectories) {
    Credentials u = user(1000, 1000);
    auto shared = fs->mkdir(fs->root(), "shared", 02775, 0, 50).release_value();
    auto file = owner_for_new_inode(u, *shared, k_mode_regular | 0644);
    EXPECT_EQ(file.uid, 1000u);
    EXPECT_EQ(file.gid, 50u);
    EXPECT_EQ(file.mode, k_mode_regular | 0644);
    auto directory = owner_for_new_inode(u, *shared, k_mode_directory | 0755);
    EXPECT_EQ(directory.mode, k_mode_directory | 02755);  // inherits the bit
    auto setgid_file = owner_for_new_inode(u, *shared, k_mode_regular | 02755);
    EXPECT_EQ(setgid_file.mode, k_mode_regular | 0755);  // not in group 50
    auto plain = owner_for_new_inode(u, *fs->root(), k_mode_regular | 0644);
    EXPECT_EQ(plain.gid, 1000u);
}

TEST_F(PermissionFs, WritesDropSetIdBits) {
    Credentials u = user(1000, 1000);
    fs->set_mode(mine, 06755);
    EXPECT_EQ(mode_after_unprivileged_write(u, *mine), std::optional<uint32_t>(0755u));
    fs->set_mode(mine, 02745);  // set-group-ID without group execute: kept for a group member
    EXPECT_EQ(mode_after_unprivileged_write(u, *mine), std::nullopt);
    EXPECT_EQ(mode_after_unprivileged_write(user(2000, 2000), *mine), std::optional<uint32_t>(0745u));
    fs->set_mode(mine, 04755);
    EXPECT_EQ(mode_after_unprivileged_write(proc::root_credentials(), *mine), std::nullopt);  // CAP_FSETID
}

}  // namespace
}  // namespace akuma::fs
