// Host tests for kernel/time/duration.h: the one user-time conversion every
// timed wait uses must reject what Linux rejects and saturate, never wrap.
#include <gtest/gtest.h>

#include <climits>

#include "kernel/time/duration.h"

namespace akuma::time {
namespace {

TEST(Duration, TimespecConvertsExactly) {
    EXPECT_EQ(timespec_ns(0, 0).value(), 0u);
    EXPECT_EQ(timespec_ns(1, 5).value(), 1'000'000'005u);
    EXPECT_EQ(timespec_ns(0, 999'999'999).value(), 999'999'999u);
    EXPECT_EQ(timeval_ns(2, 999'999).value(), 2'999'999'000u);
}

TEST(Duration, InvalidFieldsAreEinval) {
    EXPECT_EQ(timespec_ns(-1, 0).error(), Error::Invalid);
    EXPECT_EQ(timespec_ns(0, -1).error(), Error::Invalid);
    EXPECT_EQ(timespec_ns(0, 1'000'000'000).error(), Error::Invalid);
    EXPECT_EQ(timeval_ns(0, 1'000'000).error(), Error::Invalid);
    EXPECT_EQ(timeval_ns(LLONG_MIN, 0).error(), Error::Invalid);
}

// nanosleep({LLONG_MAX, 0}) wrapped to a short sleep before: it saturates.
TEST(Duration, HugeValuesSaturateToNever) {
    EXPECT_EQ(timespec_ns(LLONG_MAX, 0).value(), k_never);
    EXPECT_EQ(timespec_ns(LLONG_MAX, 999'999'999).value(), k_never);
    EXPECT_EQ(timeval_ns(LLONG_MAX, 999'999).value(), k_never);
    // The largest second count that still fits, and the first that does not.
    int64_t fits = static_cast<int64_t>(k_never / k_ns_per_second);
    EXPECT_EQ(timespec_ns(fits, 0).value(), static_cast<uint64_t>(fits) * k_ns_per_second);
    EXPECT_EQ(timespec_ns(fits + 1, 0).value(), k_never);
    EXPECT_EQ(timespec_ns(fits, 999'999'999).value(), k_never);
}

TEST(Duration, DeadlinesSaturate) {
    EXPECT_EQ(deadline_after(100, 50), 150u);
    EXPECT_EQ(deadline_after(100, k_never), k_never);
    EXPECT_EQ(deadline_after(k_never - 10, 11), k_never);
    EXPECT_EQ(deadline_after(k_never - 10, 10), k_never);
    EXPECT_EQ(time_left(150, 100), 50u);
    EXPECT_EQ(time_left(100, 150), 0u);
    EXPECT_EQ(saturating_mul(k_never / 2, 3), k_never);
    EXPECT_EQ(saturating_mul(7, 0), 0u);
}

}  // namespace
}  // namespace akuma::time
