// The calendar repeats every 400 years (146097 days). Counting years from
// 1 March makes the leap day the last day of its year, so the month lengths
// before it follow a fixed 31/30 pattern: day-of-year <-> month is then a
// linear formula, (153 * m + 2) / 5 days before month m (m = 0 is March).
#include "kernel/lib/civil_time.h"

namespace akuma {

namespace {

constexpr int64_t k_days_per_era = 146097;     // 400 years
constexpr int64_t k_days_per_century = 36524;  // 100 years, the last not leap
constexpr int64_t k_days_per_olympiad = 1461;  // 4 years, the last leap
constexpr int64_t k_days_per_year = 365;
constexpr int64_t k_seconds_per_day = 86400;
// 1970-01-01 counted from 0000-03-01 (year 0 = 1 BC, a leap year).
constexpr int64_t k_epoch_from_march_zero = 719468;

int64_t floor_div(int64_t value, int64_t divisor) {
    int64_t quotient = value / divisor;
    return (value % divisor < 0) ? quotient - 1 : quotient;
}

int64_t min(int64_t a, int64_t b) { return a < b ? a : b; }

unsigned march_based_month(unsigned month) { return month > 2 ? month - 3 : month + 9; }

}  // namespace

int64_t days_from_civil(int64_t year, unsigned month, unsigned day) {
    int64_t march_year = month > 2 ? year : year - 1;
    int64_t era = floor_div(march_year, 400);
    int64_t year_of_era = march_year - era * 400;  // 0-399
    int64_t day_of_year = (153 * march_based_month(month) + 2) / 5 + day - 1;
    int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * k_days_per_era + day_of_era - k_epoch_from_march_zero;
}

CivilTime civil_from_unix_seconds(int64_t seconds) {
    int64_t days = floor_div(seconds, k_seconds_per_day);
    int64_t second_of_day = seconds - days * k_seconds_per_day;

    int64_t from_march_zero = days + k_epoch_from_march_zero;
    int64_t era = floor_div(from_march_zero, k_days_per_era);
    int64_t rest = from_march_zero - era * k_days_per_era;
    // The leap day ending a 400-year era (or a 4-year cycle) would make the
    // quotient one too big: clamp to the last century (year) of the cycle.
    int64_t century = min(rest / k_days_per_century, 3);
    rest -= century * k_days_per_century;
    int64_t olympiad = rest / k_days_per_olympiad;
    rest -= olympiad * k_days_per_olympiad;
    int64_t year_in_olympiad = min(rest / k_days_per_year, 3);
    rest -= year_in_olympiad * k_days_per_year;  // day of the March-based year, 0-365

    auto month_index = static_cast<unsigned>((5 * rest + 2) / 153);
    CivilTime time {};
    time.day = static_cast<unsigned>(rest - (153 * month_index + 2) / 5 + 1);
    time.month = month_index < 10 ? month_index + 3 : month_index - 9;
    time.year = era * 400 + century * 100 + olympiad * 4 + year_in_olympiad + (time.month <= 2 ? 1 : 0);
    time.hour = static_cast<unsigned>(second_of_day / 3600);
    time.minute = static_cast<unsigned>(second_of_day / 60 % 60);
    time.second = static_cast<unsigned>(second_of_day % 60);
    return time;
}

void format_value(FormatSink& sink, const FormatSpec&, const CivilTime& time) {
    format_to(sink, "{:04}-{:02}-{:02} {:02}:{:02}:{:02}", time.year, time.month, time.day, time.hour, time.minute,
              time.second);
}

}  // namespace akuma
