// panic("fmt", args...): print the message with the caller's location and a
// backtrace, then end the machine with a failure status. The location is
// captured through default arguments evaluated at the call site.
#pragma once

#include <string_view>

#include "kernel/lib/kprint.h"

namespace akuma {

struct FormatWithLocation {
    template <size_t N>
    FormatWithLocation(const char (&text)[N], const char* file_name = __builtin_FILE(),
                       unsigned line_number = __builtin_LINE(), const char* function_name = __builtin_FUNCTION())
        : format(text, N - 1), file(file_name), line(line_number), function(function_name) {}

    std::string_view format;
    const char* file;
    unsigned line;
    const char* function;
};

namespace debug {
void panic_begin(const FormatWithLocation& where);
[[noreturn]] void panic_end(uint64_t frame_pointer);
}  // namespace debug

template <typename... Args>
[[noreturn]] [[gnu::noinline]] void panic(FormatWithLocation where, const Args&... args) {
    debug::panic_begin(where);
    format_to(console_sink(), where.format, args...);
    debug::panic_end(reinterpret_cast<uint64_t>(__builtin_frame_address(0)));
}

}  // namespace akuma
