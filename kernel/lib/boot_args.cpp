#include "kernel/lib/boot_args.h"

#include <limits>

namespace akuma {

namespace {

constexpr bool is_separator(char c)
{
    // NUL counts as whitespace so a view that includes the DTB string's
    // terminator parses the same as one that does not.
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\0';
}

constexpr char to_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equals_ignoring_case(std::string_view a, std::string_view b)
{
    if (a.size() != b.size())
        return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (to_lower(a[i]) != to_lower(b[i]))
            return false;
    }
    return true;
}

void strip_trailing_quote(std::string_view& text)
{
    if (!text.empty() && text.back() == '"')
        text.remove_suffix(1);
}

// Splits one word into key and value, removing the quotes described in the
// header. Returns false for words with an empty key.
bool parse_word(std::string_view word, BootArg& out)
{
    bool quoted_word = word.front() == '"';
    if (quoted_word)
        word.remove_prefix(1);

    size_t equals = 0;
    while (equals < word.size() && word[equals] != '=')
        ++equals;

    std::string_view key(word.data(), equals);
    std::string_view value;
    bool has_value = equals < word.size();
    if (!has_value) {
        if (quoted_word)
            strip_trailing_quote(key);
    } else {
        value = std::string_view(word.data() + equals + 1, word.size() - equals - 1);
        if (!value.empty() && value.front() == '"') {
            value.remove_prefix(1);
            strip_trailing_quote(value);
        } else if (quoted_word) {
            strip_trailing_quote(value);
        }
    }
    if (key.empty())
        return false;
    out = {key, value, has_value};
    return true;
}

int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = to_lower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return 99;
}

}  // namespace

bool BootArgs::next(size_t& pos, BootArg& out) const
{
    while (true) {
        while (pos < m_line.size() && is_separator(m_line[pos]))
            ++pos;
        if (pos >= m_line.size())
            return false;

        size_t start = pos;
        bool in_quote = false;
        while (pos < m_line.size() && (in_quote || !is_separator(m_line[pos]))) {
            if (m_line[pos] == '"')
                in_quote = !in_quote;
            ++pos;
        }
        if (parse_word(std::string_view(m_line.data() + start, pos - start), out))
            return true;
    }
}

std::optional<BootArg> BootArgs::find_last(std::string_view key) const
{
    std::optional<BootArg> found;
    size_t pos = 0;
    BootArg arg;
    while (next(pos, arg)) {
        if (arg.key == key)
            found = arg;
    }
    return found;
}

std::optional<std::string_view> BootArgs::get(std::string_view key) const
{
    auto arg = find_last(key);
    if (!arg)
        return std::nullopt;
    return arg->value;
}

std::optional<uint64_t> BootArgs::get_u64(std::string_view key) const
{
    auto found = get(key);
    if (!found)
        return std::nullopt;
    std::string_view text = *found;

    uint64_t base = 10;
    size_t pos = 0;
    if (text.size() > 2 && text[0] == '0' && to_lower(text[1]) == 'x') {
        base = 16;
        pos = 2;
    }

    constexpr uint64_t max = std::numeric_limits<uint64_t>::max();
    uint64_t value = 0;
    size_t first_digit = pos;
    for (; pos < text.size(); ++pos) {
        uint64_t digit = static_cast<uint64_t>(digit_value(text[pos]));
        if (digit >= base)
            break;
        if (value > (max - digit) / base)
            return std::nullopt;
        value = value * base + digit;
    }
    if (pos == first_digit)
        return std::nullopt;

    if (pos < text.size()) {
        unsigned shift;
        switch (to_lower(text[pos])) {
        case 'k': shift = 10; break;
        case 'm': shift = 20; break;
        case 'g': shift = 30; break;
        default: return std::nullopt;
        }
        if (++pos != text.size() || value > (max >> shift))
            return std::nullopt;
        value <<= shift;
    }
    return value;
}

bool BootArgs::get_bool(std::string_view key, bool fallback) const
{
    auto arg = find_last(key);
    if (!arg)
        return fallback;
    if (!arg->has_value)
        return true;
    constexpr std::string_view k_true_words[] = {"1", "on", "yes", "true"};
    constexpr std::string_view k_false_words[] = {"0", "off", "no", "false"};
    for (std::string_view word : k_true_words) {
        if (equals_ignoring_case(arg->value, word))
            return true;
    }
    for (std::string_view word : k_false_words) {
        if (equals_ignoring_case(arg->value, word))
            return false;
    }
    return fallback;
}

}  // namespace akuma
