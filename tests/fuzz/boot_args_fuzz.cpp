// Feeds arbitrary bytes as a kernel command line and exercises every API.
#include "kernel/lib/boot_args.h"

#include <cstdlib>
#include <cstring>

using namespace akuma;

namespace {

// Every returned view must lie inside the command line.
void check_inside(std::string_view line, std::string_view part)
{
    if (part.empty())
        return;
    if (part.data() < line.data() || part.data() + part.size() > line.data() + line.size())
        std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    // A heap copy of exactly size bytes lets ASan catch any overread.
    char* copy = static_cast<char*>(std::malloc(size ? size : 1));
    if (size)
        std::memcpy(copy, data, size);
    std::string_view line(copy, size);
    BootArgs args(line);

    size_t count = 0;
    args.for_each([&](std::string_view key, std::string_view value) {
        check_inside(line, key);
        check_inside(line, value);
        if (key.empty())
            std::abort();
        // Look up the first keys found (each lookup rescans the line); each
        // must be present.
        if (++count > 16)
            return;
        if (!args.has(key) || !args.get(key).has_value())
            std::abort();
        (void)args.get_u64(key);
        (void)args.get_bool(key, true);
    });

    size_t manual = 0;
    size_t pos = 0;
    BootArg arg;
    while (args.next(pos, arg)) {
        if (pos > line.size())
            std::abort();
        ++manual;
    }
    if (manual != count)
        std::abort();

    for (std::string_view key : {"a", "console", "mem", "", "\""}) {
        auto value = args.get(key);
        if (value.has_value() != args.has(key))
            std::abort();
        if (value)
            check_inside(line, *value);
        (void)args.get_u64(key);
        (void)args.get_bool(key, false);
    }
    std::free(copy);
    return 0;
}
