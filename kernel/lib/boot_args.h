// Parser for the Linux-style kernel command line (/chosen/bootargs).
//
// Words are separated by spaces, tabs, CR, LF or NUL; each word is `key` or
// `key=value`. Double quotes group whitespace into one word:
//   msg="hello world"    key "msg", value "hello world"
//   "msg=hello world"    same (the whole word may be quoted)
// Only quotes at the start of the word, at the start of the value and at the
// end of either are stripped; any other quote is kept literally. Malformed
// input is handled without failing:
//   - an unterminated quote extends the word to the end of the line;
//   - a word with an empty key (`=value`, `""`) is ignored;
//   - a key containing stray quotes is simply a key that contains quotes.
// The parser keeps no state and never copies: every key and value is a view
// into the string given to the constructor, which the caller keeps alive.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>

namespace akuma {

struct BootArg {
    std::string_view key;
    std::string_view value;  // "" for a bare key
    bool has_value;          // false for a bare `key`, true for `key=`
};

class BootArgs {
public:
    explicit constexpr BootArgs(std::string_view command_line)
        : m_line(command_line)
    {
    }

    bool has(std::string_view key) const { return find_last(key).has_value(); }

    // Value of the last occurrence of key; "" for a bare key.
    std::optional<std::string_view> get(std::string_view key) const;

    // Decimal or 0x-hex, optionally followed by K, M or G (binary units,
    // either case). Missing key, bad syntax or overflow give nullopt.
    std::optional<uint64_t> get_u64(std::string_view key) const;

    // A bare key and 1/on/yes/true mean true; 0/off/no/false mean false
    // (case-insensitive). A missing key or other values give fallback.
    bool get_bool(std::string_view key, bool fallback) const;

    // Calls f(key, value) for every word in order. If f returns bool,
    // returning false stops the iteration.
    template <typename F>
    void for_each(F f) const
    {
        size_t pos = 0;
        BootArg arg;
        while (next(pos, arg)) {
            if constexpr (std::is_same_v<decltype(f(arg.key, arg.value)), bool>) {
                if (!f(arg.key, arg.value))
                    return;
            } else {
                f(arg.key, arg.value);
            }
        }
    }

    std::string_view command_line() const { return m_line; }

    // Parses the word at or after pos and advances pos past it. Words with an
    // empty key are skipped. Returns false at the end of the line.
    bool next(size_t& pos, BootArg& out) const;

private:
    std::optional<BootArg> find_last(std::string_view key) const;

    std::string_view m_line;
};

}  // namespace akuma
