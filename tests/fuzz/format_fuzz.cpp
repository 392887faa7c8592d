// Formats an arbitrary format string with a fixed set of arguments of every
// kind into a small buffer.
#include "kernel/lib/format.h"

#include <cstdlib>
#include <cstring>

using namespace akuma;

namespace {

struct Custom {
    int value;
};

void format_value(FormatSink& sink, const FormatSpec& spec, const Custom& custom)
{
    char buffer[32];
    size_t length = format_to_buffer(buffer, sizeof(buffer), "<{:#x}>", custom.value);
    format_padded(sink, spec, {buffer, length < sizeof(buffer) ? length : sizeof(buffer) - 1});
}

enum class Kind : int16_t { Negative = -5 };

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    // A heap copy of exactly size bytes lets ASan catch any overread.
    char* copy = static_cast<char*>(std::malloc(size ? size : 1));
    if (size)
        std::memcpy(copy, data, size);
    std::string_view fmt(copy, size);

    char unterminated[3] = {'a', 'b', 'c'};
    const char* null_string = nullptr;
    int object = 0;

    char buffer[48];
    std::memset(buffer, 'Z', sizeof(buffer));
    size_t small = size % sizeof(buffer);  // vary the buffer size too
    size_t total = format_to_buffer(buffer, small, fmt, INT64_MIN, UINT64_MAX, -1, 'x', static_cast<int8_t>(-1),
        static_cast<uint8_t>(255), true, "literal", null_string, std::string_view("view"), unterminated, &object,
        nullptr, Kind::Negative, Custom {42}, 0);
    if (small > 0) {
        size_t used = total < small - 1 ? total : small - 1;
        if (buffer[used] != '\0' || std::strlen(buffer) > used)
            std::abort();
    }
    for (size_t i = small; i < sizeof(buffer); ++i) {
        if (buffer[i] != 'Z')
            std::abort();
    }

    // Fewer arguments than fields, and no arguments at all.
    char other[16];
    (void)format_to_buffer(other, sizeof(other), fmt, 1);
    (void)format_to_buffer(other, sizeof(other), fmt);
    std::free(copy);
    return 0;
}
