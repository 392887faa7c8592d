// Seconds since the Unix epoch <-> UTC calendar date and time, in the
// proleptic Gregorian calendar (no leap seconds, like POSIX time).
#pragma once

#include <cstdint>

#include "kernel/lib/format.h"

namespace akuma {

struct CivilTime {
    int64_t year;
    unsigned month;  // 1-12
    unsigned day;    // 1-31
    unsigned hour;
    unsigned minute;
    unsigned second;
};

// Days since 1970-01-01 (negative before it).
int64_t days_from_civil(int64_t year, unsigned month, unsigned day);

CivilTime civil_from_unix_seconds(int64_t seconds);

// Prints "YYYY-MM-DD HH:MM:SS".
void format_value(FormatSink& sink, const FormatSpec& spec, const CivilTime& time);

}  // namespace akuma
