#include "kernel/fs/tmpfs_options.h"

namespace akuma::fs {

namespace {

// (No substr: it would pull exceptions into the kernel.)
std::string_view drop_front(std::string_view text, size_t count) {
    return std::string_view(text.data() + count, text.size() - count);
}

// Linux's memparse: simple_strtoull with base 0, then a binary suffix.
std::optional<uint64_t> memparse(std::string_view& text) {
    unsigned base = 10;
    size_t i = 0;
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        base = 16;
        i = 2;
    } else if (text.size() > 1 && text[0] == '0') {
        base = 8;
        i = 1;
    }
    size_t digits_start = i;
    uint64_t value = 0;
    for (; i < text.size(); ++i) {
        char c = text[i];
        unsigned digit;
        if (c >= '0' && c <= '9')
            digit = c - '0';
        else if (c >= 'a' && c <= 'f')
            digit = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            digit = c - 'A' + 10;
        else
            break;
        if (digit >= base)
            break;
        if (__builtin_mul_overflow(value, base, &value) || __builtin_add_overflow(value, digit, &value))
            return std::nullopt;
    }
    if (i == digits_start && base != 8) // "0" alone is octal zero
        return std::nullopt;
    unsigned shift = 0;
    if (i < text.size()) {
        switch (text[i]) {
        case 'E': case 'e': shift = 60; break;
        case 'P': case 'p': shift = 50; break;
        case 'T': case 't': shift = 40; break;
        case 'G': case 'g': shift = 30; break;
        case 'M': case 'm': shift = 20; break;
        case 'K': case 'k': shift = 10; break;
        default: break;
        }
        if (shift)
            ++i;
    }
    if (shift && value > (~uint64_t { 0 } >> shift))
        return std::nullopt;
    text = drop_front(text, i);
    return value << shift;
}

} // namespace

ErrorOr<TmpfsOptions> parse_tmpfs_options(std::string_view options, uint64_t ram_bytes, const char** reason) {
    auto fail = [reason](const char* why) {
        if (reason)
            *reason = why;
        return Error::Invalid;
    };
    if (reason)
        *reason = nullptr;
    TmpfsOptions result;
    while (!options.empty()) {
        size_t comma = 0;
        while (comma < options.size() && options[comma] != ',')
            ++comma;
        std::string_view option(options.data(), comma);
        options = comma < options.size() ? drop_front(options, comma + 1) : std::string_view();
        if (option.empty())
            continue;
        constexpr std::string_view k_mode = "mode=";
        if (option.size() >= k_mode.size() && std::string_view(option.data(), k_mode.size()) == k_mode) {
            std::string_view digits = drop_front(option, k_mode.size());
            uint32_t mode = 0;
            for (char c : digits) {
                if (c < '0' || c > '7' || mode > 07777)
                    return fail("mode is not an octal number up to 07777");
                mode = mode * 8 + static_cast<uint32_t>(c - '0');
            }
            if (digits.empty() || mode > 07777)
                return fail("mode is not an octal number up to 07777");
            result.mode = mode;
            continue;
        }
        constexpr std::string_view k_size = "size=";
        if (option.size() < k_size.size() || std::string_view(option.data(), k_size.size()) != k_size) {
            if (result.unsupported.empty())
                result.unsupported = option;
            continue;
        }
        std::string_view value = drop_front(option, k_size.size());
        auto size = memparse(value);
        if (!size)
            return fail("size is not a number or too large");
        if (value == "%") {
            // Linux: (N << PAGE_SHIFT) * totalram_pages / 100.
            uint64_t scaled;
            if (__builtin_mul_overflow(*size, ram_bytes, &scaled))
                return fail("size percentage too large");
            *size = scaled / 100;
        } else if (!value.empty()) {
            return fail("size has trailing characters");
        }
        result.size = *size;
    }
    return result;
}

} // namespace akuma::fs
