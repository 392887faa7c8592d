// libFuzzer target for the cpio newc/crc reader: arbitrary bytes through
// CpioReader::next() until the trailer or an error, checking that every
// returned entry stays inside the input and its name is normalised.
// Seed corpus: tests/fuzz/corpus/cpio/ (small archives made by GNU cpio).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>

#include "kernel/fs/cpio.h"

using namespace akuma;

namespace {

// Consumes values so the work cannot be optimised away.
volatile uint64_t g_sink;

void check(bool condition) {
    if (!condition)
        abort();
}

void check_name(std::string_view name) {
    check(name.size() < CpioReader::k_max_path);
    if (name.empty())
        return;
    check(name.front() != '/' && name.back() != '/');
    size_t start = 0;
    for (size_t i = 0; i <= name.size(); ++i) {
        if (i < name.size() && name[i] != '/') {
            check(name[i] != '\0');
            continue;
        }
        std::string_view component = name.substr(start, i - start);
        check(!component.empty() && component != "." && component != "..");
        start = i + 1;
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::span<const uint8_t> archive(data, size);
    auto reader = std::make_unique<CpioReader>(archive);
    uint64_t sum = 0;
    size_t previous_offset = 0;
    bool first = true;
    for (;;) {
        auto result = reader->next();
        if (result.is_error()) {
            check(reader->error_reason() != nullptr);
            check(reader->error_offset() <= size);
            // Errors are sticky.
            auto again = reader->next();
            check(again.is_error() && again.error() == result.error());
            break;
        }
        if (!result.value()) {
            check(reader->next().value() == std::nullopt);
            break;
        }
        const CpioEntry& entry = *result.value();
        check_name(entry.name);
        // Headers advance by at least a header, 4-aligned; data lies inside.
        check(first || entry.header_offset >= previous_offset + CpioReader::k_header_size);
        check(entry.header_offset % 4 == 0);
        first = false;
        previous_offset = entry.header_offset;
        check(entry.data.empty() || (entry.data.data() >= data && entry.data.data() + entry.data.size() <= data + size));
        check(!entry.hardlink_data_pending || (entry.data.empty() && entry.nlink > 1));
        for (uint8_t byte : entry.data)
            sum += byte;
        sum += entry.mode + entry.inode + entry.name.size() + static_cast<uint8_t>(entry.type);
    }
    g_sink = sum;
    return 0;
}
