// PendingSignals: standard signals merge, real-time ones queue in order,
// the limit and discarding.
#include "kernel/proc/pending_signals.h"

#include <gtest/gtest.h>

using akuma::proc::PendingSignals;
using akuma::proc::SignalInfo;

namespace {

SignalInfo with_value(int signal, uint64_t value) {
    SignalInfo info {};
    info.signo = signal;
    info.value = value;
    return info;
}

TEST(PendingSignals, StandardSignalsMergeKeepingTheFirst) {
    PendingSignals pending;
    ASSERT_FALSE(pending.add(10, with_value(10, 1)).is_error());
    ASSERT_FALSE(pending.add(10, with_value(10, 2)).is_error());
    EXPECT_EQ(pending.mask(), PendingSignals::bit(10));
    EXPECT_EQ(pending.size(), 1u);
    SignalInfo info {};
    ASSERT_TRUE(pending.take(10, info));
    EXPECT_EQ(info.value, 1u);
    EXPECT_FALSE(pending.take(10, info));
    EXPECT_EQ(pending.mask(), 0u);
}

TEST(PendingSignals, RealTimeSignalsQueueInOrderPerSignal) {
    PendingSignals pending;
    for (uint64_t i = 0; i < 3; ++i) {
        ASSERT_FALSE(pending.add(34, with_value(34, i)).is_error());
        ASSERT_FALSE(pending.add(40, with_value(40, 100 + i)).is_error());
    }
    EXPECT_EQ(pending.size(), 6u);
    EXPECT_EQ(pending.queued_extra(), 4u);
    SignalInfo info {};
    for (uint64_t i = 0; i < 3; ++i) {
        ASSERT_TRUE(pending.take(40, info));
        EXPECT_EQ(info.value, 100 + i);
        EXPECT_EQ(pending.contains(40), i < 2);
    }
    for (uint64_t i = 0; i < 3; ++i) {
        ASSERT_TRUE(pending.take(34, info));
        EXPECT_EQ(info.value, i);
    }
    EXPECT_EQ(pending.size(), 0u);
}

TEST(PendingSignals, LimitRefusesRealTimeOnly) {
    PendingSignals pending;
    ASSERT_FALSE(pending.add(34, with_value(34, 0), 2).is_error());
    ASSERT_FALSE(pending.add(34, with_value(34, 1), 2).is_error());
    EXPECT_EQ(pending.add(34, with_value(34, 2), 2).error(), akuma::Error::TryAgain);
    EXPECT_EQ(pending.add(35, with_value(35, 0), 2).error(), akuma::Error::TryAgain);
    ASSERT_FALSE(pending.add(10, with_value(10, 0), 2).is_error());  // standard: not bounded
    EXPECT_EQ(pending.size(), 3u);
    EXPECT_EQ(pending.add(0, with_value(0, 0)).error(), akuma::Error::Invalid);
    EXPECT_EQ(pending.add(65, with_value(65, 0)).error(), akuma::Error::Invalid);
}

TEST(PendingSignals, DiscardDropsEveryInstance) {
    PendingSignals pending;
    for (uint64_t i = 0; i < 4; ++i) {
        ASSERT_FALSE(pending.add(33, with_value(33, i)).is_error());
        ASSERT_FALSE(pending.add(50, with_value(50, i)).is_error());
    }
    pending.discard(33);
    EXPECT_FALSE(pending.contains(33));
    EXPECT_EQ(pending.size(), 4u);
    unsigned seen = 0;
    pending.for_each([&](int signal, const SignalInfo& info) {
        EXPECT_EQ(signal, 50);
        EXPECT_EQ(info.value, seen++);
    });
    EXPECT_EQ(seen, 4u);
    SignalInfo info {};
    ASSERT_TRUE(pending.take(50, info));
    EXPECT_EQ(info.value, 0u);
    ASSERT_FALSE(pending.add(50, with_value(50, 9)).is_error());  // after the tail was reshaped
    pending.discard_mask(PendingSignals::bit(50));
    EXPECT_EQ(pending.size(), 0u);
    ASSERT_FALSE(pending.add(50, with_value(50, 7)).is_error());
    ASSERT_TRUE(pending.take(50, info));
    EXPECT_EQ(info.value, 7u);
}

}  // namespace
