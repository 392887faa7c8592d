#include "kernel/lib/format.h"

namespace akuma {

BufferSink::BufferSink(char* buffer, size_t size)
    : m_buffer(buffer)
    , m_size(size)
{
    if (m_size > 0)
        m_buffer[0] = '\0';
}

void BufferSink::write(const char* data, size_t length)
{
    m_total += length;
    if (m_size == 0)
        return;
    size_t room = m_size - 1 - m_used;
    size_t count = length < room ? length : room;
    __builtin_memcpy(m_buffer + m_used, data, count);
    m_used += count;
    m_buffer[m_used] = '\0';
}

namespace {

constexpr std::string_view k_bad_field = "{?}";

void write(FormatSink& sink, std::string_view text)
{
    if (!text.empty())
        sink.write(text.data(), text.size());
}

void write_repeated(FormatSink& sink, char c, size_t count)
{
    char chunk[32];
    __builtin_memset(chunk, c, sizeof(chunk));
    while (count > 0) {
        size_t n = count < sizeof(chunk) ? count : sizeof(chunk);
        sink.write(chunk, n);
        count -= n;
    }
}

// Emits [fill][prefix][zeros][body][fill] so the whole is at least spec.width.
void write_field(FormatSink& sink, const FormatSpec& spec, FormatAlign default_align,
    std::string_view prefix, size_t zeros, std::string_view body)
{
    size_t content = prefix.size() + zeros + body.size();
    size_t padding = spec.width > content ? spec.width - content : 0;
    FormatAlign align = spec.align == FormatAlign::Default ? default_align : spec.align;
    size_t before = align == FormatAlign::Left ? 0 : align == FormatAlign::Right ? padding : padding / 2;
    write_repeated(sink, spec.fill, before);
    write(sink, prefix);
    write_repeated(sink, '0', zeros);
    write(sink, body);
    write_repeated(sink, spec.fill, padding - before);
}

constexpr bool is_align(char c)
{
    return c == '<' || c == '>' || c == '^';
}

constexpr FormatAlign to_align(char c)
{
    return c == '<' ? FormatAlign::Left : c == '>' ? FormatAlign::Right : FormatAlign::Center;
}

constexpr bool is_type(char c)
{
    for (char type : std::string_view("dxXbocsp")) {
        if (c == type)
            return true;
    }
    return false;
}

constexpr bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

// Parses a decimal number of at most k_format_max_width.
bool parse_number(std::string_view text, size_t& pos, uint32_t& out)
{
    if (pos >= text.size() || !is_digit(text[pos]))
        return false;
    uint32_t value = 0;
    while (pos < text.size() && is_digit(text[pos])) {
        value = value * 10 + static_cast<uint32_t>(text[pos] - '0');
        if (value > k_format_max_width)
            return false;
        ++pos;
    }
    out = value;
    return true;
}

// Parses the text between '{' and '}': empty, or ':' followed by a spec.
bool parse_spec(std::string_view text, FormatSpec& spec)
{
    if (text.empty())
        return true;
    if (text[0] != ':')
        return false;
    size_t pos = 1;
    if (text.size() - pos >= 2 && is_align(text[pos + 1])) {
        if (text[pos] == '{')
            return false;
        spec.fill = text[pos];
        spec.align = to_align(text[pos + 1]);
        pos += 2;
    } else if (pos < text.size() && is_align(text[pos])) {
        spec.align = to_align(text[pos]);
        ++pos;
    }
    if (pos < text.size() && text[pos] == '#') {
        spec.alternate = true;
        ++pos;
    }
    if (pos < text.size() && text[pos] == '0') {
        spec.zero_pad = true;
        ++pos;
    }
    if (pos < text.size() && is_digit(text[pos]) && !parse_number(text, pos, spec.width))
        return false;
    if (pos < text.size() && text[pos] == '.') {
        ++pos;
        if (!parse_number(text, pos, spec.precision))
            return false;
        spec.has_precision = true;
    }
    if (pos < text.size()) {
        if (!is_type(text[pos]))
            return false;
        spec.type = text[pos];
        ++pos;
    }
    return pos == text.size();
}

bool format_integer(FormatSink& sink, const FormatSpec& spec, uint64_t magnitude, bool negative)
{
    if (spec.has_precision)
        return false;
    unsigned base = 10;
    const char* digits = "0123456789abcdef";
    std::string_view radix_prefix;
    switch (spec.type) {
    case 0:
    case 'd': break;
    case 'x': base = 16; radix_prefix = "0x"; break;
    case 'X': base = 16; radix_prefix = "0X"; digits = "0123456789ABCDEF"; break;
    case 'b': base = 2; radix_prefix = "0b"; break;
    case 'o': base = 8; radix_prefix = "0o"; break;
    default: return false;
    }

    char body[64];
    size_t start = sizeof(body);
    do {
        body[--start] = digits[magnitude % base];
        magnitude /= base;
    } while (magnitude != 0);
    std::string_view text(body + start, sizeof(body) - start);

    char prefix[3];
    size_t prefix_length = 0;
    if (negative)
        prefix[prefix_length++] = '-';
    if (spec.alternate) {
        for (char c : radix_prefix)
            prefix[prefix_length++] = c;
    }

    size_t zeros = 0;
    if (spec.zero_pad && spec.align == FormatAlign::Default && spec.width > prefix_length + text.size())
        zeros = spec.width - prefix_length - text.size();
    write_field(sink, spec, FormatAlign::Right, {prefix, prefix_length}, zeros, text);
    return true;
}

bool format_pointer(FormatSink& sink, const FormatSpec& spec, uint64_t address)
{
    if (spec.has_precision)
        return false;
    char body[16];
    for (int i = 15; i >= 0; --i) {
        body[i] = "0123456789abcdef"[address & 0xf];
        address >>= 4;
    }
    size_t zeros = 0;
    if (spec.zero_pad && spec.align == FormatAlign::Default && spec.width > 2 + sizeof(body))
        zeros = spec.width - 2 - sizeof(body);
    write_field(sink, spec, FormatAlign::Right, "0x", zeros, {body, sizeof(body)});
    return true;
}

bool format_char(FormatSink& sink, const FormatSpec& spec, char c)
{
    if (spec.has_precision)
        return false;
    write_field(sink, spec, FormatAlign::Left, {}, 0, {&c, 1});
    return true;
}

bool format_string(FormatSink& sink, const FormatSpec& spec, std::string_view text)
{
    if (spec.type != 0 && spec.type != 's')
        return false;
    format_padded(sink, spec, text);
    return true;
}

bool is_numeric_type(char type)
{
    return type == 'd' || type == 'x' || type == 'X' || type == 'b' || type == 'o';
}

bool format_arg(FormatSink& sink, const FormatSpec& spec, const FormatArg& arg)
{
    switch (arg.kind) {
    case FormatArg::Kind::Signed: {
        int64_t value = arg.signed_value;
        if (spec.type == 'c')
            return value >= 0 && value <= 255 && format_char(sink, spec, static_cast<char>(value));
        if (spec.type == 'p')
            return format_pointer(sink, spec, static_cast<uint64_t>(value));
        // Negating in unsigned arithmetic keeps INT64_MIN well defined.
        uint64_t magnitude = value < 0 ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
        return format_integer(sink, spec, magnitude, value < 0);
    }
    case FormatArg::Kind::Unsigned:
        if (spec.type == 'c')
            return arg.unsigned_value <= 255 && format_char(sink, spec, static_cast<char>(arg.unsigned_value));
        if (spec.type == 'p')
            return format_pointer(sink, spec, arg.unsigned_value);
        return format_integer(sink, spec, arg.unsigned_value, false);
    case FormatArg::Kind::Bool:
        if (is_numeric_type(spec.type))
            return format_integer(sink, spec, arg.bool_value ? 1 : 0, false);
        return format_string(sink, spec, arg.bool_value ? "true" : "false");
    case FormatArg::Kind::Char:
        if (is_numeric_type(spec.type))
            return format_integer(sink, spec, static_cast<unsigned char>(arg.char_value), false);
        return (spec.type == 0 || spec.type == 'c') && format_char(sink, spec, arg.char_value);
    case FormatArg::Kind::String:
        return format_string(sink, spec, {arg.string.data, arg.string.length});
    case FormatArg::Kind::Pointer:
        if (is_numeric_type(spec.type))
            return format_integer(sink, spec, arg.unsigned_value, false);
        return (spec.type == 0 || spec.type == 'p') && format_pointer(sink, spec, arg.unsigned_value);
    case FormatArg::Kind::Custom:
        arg.custom.function(sink, spec, arg.custom.object);
        return true;
    }
    return false;
}

}  // namespace

void format_padded(FormatSink& sink, const FormatSpec& spec, std::string_view text)
{
    if (spec.has_precision && text.size() > spec.precision)
        text = {text.data(), spec.precision};
    write_field(sink, spec, FormatAlign::Left, {}, 0, text);
}

void vformat(FormatSink& sink, std::string_view fmt, std::span<const FormatArg> args)
{
    size_t next_arg = 0;
    size_t pos = 0;
    while (pos < fmt.size()) {
        size_t brace = pos;
        while (brace < fmt.size() && fmt[brace] != '{' && fmt[brace] != '}')
            ++brace;
        write(sink, {fmt.data() + pos, brace - pos});
        if (brace == fmt.size())
            break;

        // "{{" and "}}" are escapes; a lone '}' is printed as-is.
        if (fmt[brace] == '}' || (brace + 1 < fmt.size() && fmt[brace + 1] == '{')) {
            write(sink, {fmt.data() + brace, 1});
            pos = brace + (brace + 1 < fmt.size() && fmt[brace + 1] == fmt[brace] ? 2 : 1);
            continue;
        }

        size_t close = brace + 1;
        while (close < fmt.size() && fmt[close] != '}')
            ++close;
        if (close == fmt.size()) {
            write(sink, k_bad_field);
            break;
        }
        pos = close + 1;

        // Every field consumes an argument, even a malformed one, so later
        // fields still line up with their arguments.
        size_t index = next_arg++;
        FormatSpec spec;
        if (!parse_spec({fmt.data() + brace + 1, close - brace - 1}, spec) || index >= args.size()
            || !format_arg(sink, spec, args[index]))
            write(sink, k_bad_field);
    }
}

}  // namespace akuma
