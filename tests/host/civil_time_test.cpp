// Calendar conversion (kernel/lib/civil_time.cpp) against the C library's
// gmtime_r and fixed dates around leap days.
#include <gtest/gtest.h>

#include <cstdint>
#include <ctime>
#include <random>
#include <string>

#include "kernel/lib/civil_time.h"

using akuma::civil_from_unix_seconds;
using akuma::CivilTime;
using akuma::days_from_civil;

namespace {

// 2401-01-01 00:00:00 UTC.
constexpr int64_t k_end_of_2400 = 13601088000;

std::string text(const CivilTime& time) {
    char buffer[32];
    akuma::BufferSink sink(buffer, sizeof(buffer));
    akuma::format_to(sink, "{}", time);
    return std::string(sink.view());
}

void expect_matches_gmtime(int64_t seconds) {
    time_t value = static_cast<time_t>(seconds);
    tm expected {};
    ASSERT_NE(gmtime_r(&value, &expected), nullptr);
    CivilTime actual = civil_from_unix_seconds(seconds);
    ASSERT_EQ(actual.year, expected.tm_year + 1900) << seconds;
    ASSERT_EQ(actual.month, unsigned(expected.tm_mon + 1)) << seconds;
    ASSERT_EQ(actual.day, unsigned(expected.tm_mday)) << seconds;
    ASSERT_EQ(actual.hour, unsigned(expected.tm_hour)) << seconds;
    ASSERT_EQ(actual.minute, unsigned(expected.tm_min)) << seconds;
    ASSERT_EQ(actual.second, unsigned(expected.tm_sec)) << seconds;
    ASSERT_EQ(days_from_civil(actual.year, actual.month, actual.day) * 86400 + actual.hour * 3600 +
                  actual.minute * 60 + actual.second,
              seconds);
}

TEST(CivilTime, FixedDates) {
    EXPECT_EQ(text(civil_from_unix_seconds(0)), "1970-01-01 00:00:00");
    EXPECT_EQ(text(civil_from_unix_seconds(951782400)), "2000-02-29 00:00:00");
    EXPECT_EQ(text(civil_from_unix_seconds(4107542399)), "2100-02-28 23:59:59");
    EXPECT_EQ(text(civil_from_unix_seconds(4107542400)), "2100-03-01 00:00:00");  // 2100 is not leap
    EXPECT_EQ(text(civil_from_unix_seconds(13574563200)), "2400-02-29 00:00:00");
    EXPECT_EQ(text(civil_from_unix_seconds(k_end_of_2400 - 1)), "2400-12-31 23:59:59");
    EXPECT_EQ(text(civil_from_unix_seconds(1795504353)), "2026-11-24 07:12:33");
    EXPECT_EQ(text(civil_from_unix_seconds(-1)), "1969-12-31 23:59:59");
}

TEST(CivilTime, DaysFromCivil) {
    EXPECT_EQ(days_from_civil(1970, 1, 1), 0);
    EXPECT_EQ(days_from_civil(1969, 12, 31), -1);
    EXPECT_EQ(days_from_civil(2000, 3, 1) - days_from_civil(2000, 2, 28), 2);
    EXPECT_EQ(days_from_civil(1900, 3, 1) - days_from_civil(1900, 2, 28), 1);
    EXPECT_EQ(days_from_civil(2400, 1, 1) - days_from_civil(2000, 1, 1), 146097);
}

TEST(CivilTime, EveryDayBoundaryAroundLeapDays) {
    for (int year : { 1972, 1999, 2000, 2024, 2100, 2399, 2400 }) {
        for (int64_t day = days_from_civil(year, 2, 20); day <= days_from_civil(year, 3, 5); ++day) {
            expect_matches_gmtime(day * 86400);
            expect_matches_gmtime(day * 86400 - 1);
        }
    }
}

TEST(CivilTime, RandomTimestampsMatchGmtime) {
    std::mt19937_64 random(20261124);
    std::uniform_int_distribution<int64_t> seconds(0, k_end_of_2400 - 1);
    for (int i = 0; i < 100000; ++i)
        expect_matches_gmtime(seconds(random));
}

}  // namespace
