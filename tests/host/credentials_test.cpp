// Host tests for the credential rules (kernel/proc/credentials.*): the
// set*id transitions of Linux's kernel/sys.c for root and for others, the
// capability fix-ups that follow them (commoncap.c), exec's set-ID rules
// and AT_SECURE, kill's rule, and the shared group list. Expected values
// are Linux 6.1's (userspace/tests/creds.c checks the same on Linux and on
// Akuma).
#include <gtest/gtest.h>

#include <vector>

#include "kernel/proc/credentials.h"
#include "tests/host/host_kmalloc.h"

namespace akuma::proc {
namespace {

constexpr uint32_t k_keep = k_id_unchanged;

Credentials user(uint32_t uid, uint32_t gid) {
    Credentials c = root_credentials();
    EXPECT_FALSE(set_resgid(c, gid, gid, gid).is_error());
    EXPECT_FALSE(set_resuid(c, uid, uid, uid).is_error());
    return c;
}

void expect_uids(const Credentials& c, uint32_t r, uint32_t e, uint32_t s, uint32_t fs) {
    EXPECT_EQ(c.uid, r);
    EXPECT_EQ(c.euid, e);
    EXPECT_EQ(c.suid, s);
    EXPECT_EQ(c.fsuid, fs);
}

TEST(Credentials, RootStartsWithEverything) {
    Credentials c = root_credentials();
    expect_uids(c, 0, 0, 0, 0);
    EXPECT_EQ(c.capabilities.effective, k_all_capabilities);
    EXPECT_EQ(c.capabilities.permitted, k_all_capabilities);
    EXPECT_TRUE(c.capable(Capability::Setuid));
    EXPECT_EQ(c.groups.size(), 0u);
}

TEST(Credentials, RootSetuidDropsEverythingForGood) {
    Credentials c = root_credentials();
    ASSERT_FALSE(set_uid(c, 1000).is_error());
    expect_uids(c, 1000, 1000, 1000, 1000);
    EXPECT_EQ(c.capabilities.effective, 0u);
    EXPECT_EQ(c.capabilities.permitted, 0u);
    EXPECT_EQ(set_uid(c, 0).error(), Error::NotPermitted);
    EXPECT_EQ(set_resuid(c, 0, 0, 0).error(), Error::NotPermitted);
    EXPECT_EQ(set_reuid(c, k_keep, 0).error(), Error::NotPermitted);
    EXPECT_EQ(set_uid(c, k_keep).error(), Error::Invalid);
}

TEST(Credentials, SeteuidKeepsTheSavedRootAndComesBack) {
    Credentials c = root_credentials();
    ASSERT_FALSE(set_resuid(c, k_keep, 1000, k_keep).is_error());
    expect_uids(c, 0, 1000, 0, 1000);
    EXPECT_EQ(c.capabilities.effective, 0u);  // effective root left
    EXPECT_EQ(c.capabilities.permitted, k_all_capabilities);  // root is still real and saved
    ASSERT_FALSE(set_resuid(c, k_keep, 0, k_keep).is_error());
    expect_uids(c, 0, 0, 0, 0);
    EXPECT_EQ(c.capabilities.effective, k_all_capabilities);
}

TEST(Credentials, UnprivilegedSetuidChoosesAmongRealAndSaved) {
    Credentials c = root_credentials();
    ASSERT_FALSE(set_resuid(c, 1000, 2000, 3000).is_error());
    EXPECT_EQ(c.capabilities.permitted, 0u);
    EXPECT_EQ(set_uid(c, 2000).error(), Error::NotPermitted);  // the effective one is not enough
    ASSERT_FALSE(set_uid(c, 3000).is_error());
    expect_uids(c, 1000, 3000, 3000, 3000);  // only the effective (and fs) change
    ASSERT_FALSE(set_uid(c, 1000).is_error());
    expect_uids(c, 1000, 1000, 3000, 1000);
}

TEST(Credentials, SetreuidMovesTheSavedId) {
    Credentials c = user(1000, 1000);
    Credentials root = root_credentials();
    ASSERT_FALSE(set_reuid(root, 1000, 2000).is_error());
    expect_uids(root, 1000, 2000, 2000, 2000);  // the real one was set: saved = new effective
    // Unprivileged: real may become the effective, effective any of three.
    ASSERT_FALSE(set_reuid(root, 2000, 1000).is_error());
    expect_uids(root, 2000, 1000, 1000, 1000);
    EXPECT_EQ(set_reuid(c, 5, k_keep).error(), Error::NotPermitted);
    // Effective set to the old real one alone: the saved one stays.
    Credentials d = root_credentials();
    ASSERT_FALSE(set_resuid(d, 1000, 2000, 3000).is_error());
    ASSERT_FALSE(set_reuid(d, k_keep, 1000).is_error());
    expect_uids(d, 1000, 1000, 3000, 1000);
    ASSERT_FALSE(set_reuid(d, k_keep, 3000).is_error());
    expect_uids(d, 1000, 3000, 3000, 3000);
}

TEST(Credentials, SetresuidUnprivilegedAnyOfTheThree) {
    Credentials c = root_credentials();
    ASSERT_FALSE(set_resuid(c, 1000, 2000, 3000).is_error());
    ASSERT_FALSE(set_resuid(c, 3000, 1000, 2000).is_error());
    expect_uids(c, 3000, 1000, 2000, 1000);
    EXPECT_EQ(set_resuid(c, 4000, k_keep, k_keep).error(), Error::NotPermitted);
    expect_uids(c, 3000, 1000, 2000, 1000);  // nothing changed
}

TEST(Credentials, GroupsFollowTheSameRules) {
    Credentials c = root_credentials();
    ASSERT_FALSE(set_gid(c, 100).is_error());
    EXPECT_EQ(c.gid, 100u);
    EXPECT_EQ(c.egid, 100u);
    EXPECT_EQ(c.sgid, 100u);
    EXPECT_EQ(c.fsgid, 100u);
    Credentials u = user(1000, 1000);
    EXPECT_EQ(set_gid(u, 0).error(), Error::NotPermitted);
    EXPECT_EQ(set_regid(u, 0, k_keep).error(), Error::NotPermitted);
    EXPECT_EQ(set_resgid(u, k_keep, k_keep, 5).error(), Error::NotPermitted);
    ASSERT_FALSE(set_regid(c, 200, 300).is_error());
    EXPECT_EQ(c.sgid, 300u);
    EXPECT_EQ(c.fsgid, 300u);
    EXPECT_EQ(set_gid(c, k_keep).error(), Error::Invalid);
}

TEST(Credentials, FsuidIsAlwaysAnsweredAndChangedOnlyWhenAllowed) {
    Credentials c = root_credentials();
    EXPECT_EQ(set_fsuid(c, 1000), 0u);
    EXPECT_EQ(c.fsuid, 1000u);
    EXPECT_FALSE(c.capable(Capability::DacOverride));  // the file-system capabilities went
    EXPECT_TRUE(c.capable(Capability::Setuid));        // the others stay
    EXPECT_EQ(set_fsuid(c, 0), 1000u);
    EXPECT_TRUE(c.capable(Capability::DacOverride));   // and come back
    EXPECT_EQ(set_fsuid(c, k_keep), 0u);              // -1 only asks
    Credentials u = user(1000, 1000);
    EXPECT_EQ(set_fsuid(u, 0), 1000u);
    EXPECT_EQ(u.fsuid, 1000u);  // not allowed: unchanged
    EXPECT_EQ(set_fsgid(u, 0), 1000u);
    EXPECT_EQ(u.fsgid, 1000u);
    // Every change of the effective user resets the file-system one.
    set_fsuid(c, 1000);
    ASSERT_FALSE(set_resuid(c, k_keep, 0, k_keep).is_error());
    EXPECT_EQ(c.fsuid, 0u);
}

TEST(Credentials, KeepCapabilitiesKeepsThePermittedSet) {
    Credentials c = root_credentials();
    c.keep_capabilities = true;
    ASSERT_FALSE(set_resuid(c, 1000, 1000, 1000).is_error());
    EXPECT_EQ(c.capabilities.permitted, k_all_capabilities);
    EXPECT_EQ(c.capabilities.effective, 0u);  // the effective set still goes with effective root
}

TEST(Credentials, SetgroupsNeedsSetgidAndSorts) {
    Credentials c = root_credentials();
    const uint32_t groups[] = { 30, 10, 20, 10 };
    auto list = GroupList::create(groups);
    ASSERT_FALSE(list.is_error());
    ASSERT_FALSE(set_groups(c, list.value()).is_error());
    std::vector<uint32_t> seen(c.groups.view().begin(), c.groups.view().end());
    EXPECT_EQ(seen, (std::vector<uint32_t> { 10, 10, 20, 30 }));
    EXPECT_TRUE(c.in_group(20));
    EXPECT_TRUE(c.in_group(0));  // the fsgid
    EXPECT_FALSE(c.in_group(15));
    Credentials u = user(1000, 1000);
    EXPECT_EQ(set_groups(u, GroupList()).error(), Error::NotPermitted);
}

TEST(Credentials, GroupListsAreSharedAndFreed) {
    size_t before = test::host_kmalloc_live_objects();
    {
        const uint32_t groups[] = { 5, 4 };
        auto list = GroupList::create(groups).release_value();
        Credentials a = root_credentials();
        a.groups = list;
        Credentials b = a;  // a copy shares the list
        EXPECT_EQ(b.groups.view().data(), a.groups.view().data());
        a.groups = GroupList();
        EXPECT_TRUE(b.groups.contains(4));
    }
    EXPECT_EQ(test::host_kmalloc_live_objects(), before);
    test::host_kmalloc_fail_after(0);
    const uint32_t one[] = { 1 };
    EXPECT_EQ(GroupList::create(one).error(), Error::NoMemory);
    test::host_kmalloc_fail_after(-1);
}

TEST(Credentials, ExecOfASetuidRootFileByAUser) {
    Credentials c = user(1000, 1000);
    bool secure = apply_exec(c, { 0104755, 0, 0, false }, false);
    EXPECT_TRUE(secure);
    expect_uids(c, 1000, 0, 0, 0);
    EXPECT_EQ(c.capabilities.effective, k_all_capabilities);
    EXPECT_EQ(c.capabilities.permitted, k_all_capabilities);
}

TEST(Credentials, ExecIgnoresSetIdOnNosuidAndWithNoNewPrivs) {
    Credentials c = user(1000, 1000);
    EXPECT_FALSE(apply_exec(c, { 0104755, 0, 0, true }, false));
    expect_uids(c, 1000, 1000, 1000, 1000);
    EXPECT_FALSE(apply_exec(c, { 0104755, 0, 0, false }, true));
    expect_uids(c, 1000, 1000, 1000, 1000);
    EXPECT_EQ(c.capabilities.effective, 0u);
}

TEST(Credentials, ExecSetgidNeedsGroupExecute) {
    Credentials c = user(1000, 1000);
    EXPECT_FALSE(apply_exec(c, { 0102745, 0, 50, false }, false));  // no group x: a locking mark
    EXPECT_EQ(c.egid, 1000u);
    EXPECT_TRUE(apply_exec(c, { 0102755, 0, 50, false }, false));
    EXPECT_EQ(c.egid, 50u);
    EXPECT_EQ(c.sgid, 50u);
    EXPECT_EQ(c.fsgid, 50u);
}

TEST(Credentials, ExecByRootAndBySeteuidRoot) {
    Credentials root = root_credentials();
    root.capabilities.effective = 0;  // dropped with capset
    EXPECT_FALSE(apply_exec(root, { 0100755, 1000, 1000, false }, false));
    EXPECT_EQ(root.capabilities.effective, k_all_capabilities);  // root's exec gives them back
    // Real root, effective user: permitted again, not effective; a set-ID
    // change of the effective user from the real one is secure.
    Credentials mixed = root_credentials();
    ASSERT_FALSE(set_resuid(mixed, k_keep, 1000, k_keep).is_error());
    EXPECT_TRUE(apply_exec(mixed, { 0100755, 0, 0, false }, false));
    expect_uids(mixed, 0, 1000, 1000, 1000);
    EXPECT_EQ(mixed.capabilities.permitted, k_all_capabilities);
    EXPECT_EQ(mixed.capabilities.effective, 0u);
}

TEST(Credentials, KillRule) {
    Credentials root = root_credentials();
    Credentials a = user(1000, 1000);
    Credentials b = user(2000, 2000);
    EXPECT_TRUE(may_signal(root, a));
    EXPECT_FALSE(may_signal(a, root));
    EXPECT_FALSE(may_signal(a, b));
    EXPECT_TRUE(may_signal(a, a));
    // The sender's real or effective vs the target's real or saved.
    Credentials c = root_credentials();
    ASSERT_FALSE(set_resuid(c, 3000, 4000, 1000).is_error());
    EXPECT_TRUE(may_signal(a, c));   // a's uid is c's saved one
    Credentials d = root_credentials();
    ASSERT_FALSE(set_resuid(d, 5000, 1000, 5000).is_error());
    EXPECT_FALSE(may_signal(a, d));  // c's effective one does not count
    EXPECT_TRUE(may_signal(d, a));   // d's effective one matches a's real one
}

}  // namespace
}  // namespace akuma::proc
