// Kernel console output: kprint/kprintln format with kernel/lib/format.h
// and write to the console. Output before the UART is known is kept in a
// small buffer and replayed once the console starts.
#pragma once

#include <string_view>

#include "kernel/lib/format.h"

namespace akuma {

FormatSink& console_sink();

template <typename... Args>
void kprint(std::string_view fmt, const Args&... args) {
    format_to(console_sink(), fmt, args...);
}

template <typename... Args>
void kprintln(std::string_view fmt, const Args&... args) {
    format_to(console_sink(), fmt, args...);
    console_sink().write("\n", 1);
}

}  // namespace akuma
