// Type-safe "{}" formatting (a tiny std::format) shared by the kernel and
// host tests. Arguments are type-erased into FormatArg so the parser and
// renderer (vformat) are compiled once in format.cpp; the templates here only
// build an array of FormatArg.
//
// Field grammar: {} or {:[[fill]align][#][0][width][.precision][type]}
//   align  < left, > right, ^ center (integers default right, text left)
//   #      0x / 0X / 0b / 0o prefix for x / X / b / o
//   0      zero-pad numbers between prefix/sign and digits (ignored if an
//          align is given)
//   width  minimum field width (at most k_format_max_width)
//   .prec  maximum characters taken from a string
//   type   d x X b o (integers, bool, char, pointer), c (char, integer),
//          s (string, bool), p (pointer, integer)
// "{{" and "}}" are literal braces. A bad field (malformed spec, missing
// argument, spec that does not fit the argument) prints "{?}" and formatting
// continues; extra arguments are ignored.
//
// User types opt in by providing, findable by ADL:
//   void format_value(FormatSink&, const FormatSpec&, const T&);
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>

namespace akuma {

class FormatSink {
public:
    virtual void write(const char* data, size_t length) = 0;

protected:
    ~FormatSink() = default;
};

// Writes into a fixed buffer, always keeping it NUL-terminated (when size > 0)
// and counting the length the untruncated output would have.
class BufferSink final : public FormatSink {
public:
    BufferSink(char* buffer, size_t size);

    void write(const char* data, size_t length) override;

    std::string_view view() const { return {m_buffer, m_used}; }
    size_t total_length() const { return m_total; }
    bool truncated() const { return m_total > m_used; }

private:
    char* m_buffer;
    size_t m_size;
    size_t m_used {0};
    size_t m_total {0};
};

enum class FormatAlign : uint8_t { Default, Left, Right, Center };

// Bounds width and precision so a hostile format string cannot request
// unbounded output per field.
constexpr uint32_t k_format_max_width = 4096;

struct FormatSpec {
    char fill {' '};
    FormatAlign align {FormatAlign::Default};
    bool alternate {false};    // '#'
    bool zero_pad {false};     // '0'
    bool has_precision {false};
    uint32_t width {0};
    uint32_t precision {0};
    char type {0};             // 0 when no type was given
};

// Writes text with the spec's precision, width, fill and alignment applied
// (left-aligned by default). Meant for custom format_value implementations.
void format_padded(FormatSink& sink, const FormatSpec& spec, std::string_view text);

using FormatCustomFunction = void (*)(FormatSink&, const FormatSpec&, const void*);

struct FormatArg {
    enum class Kind : uint8_t { Signed, Unsigned, Bool, Char, String, Pointer, Custom };

    struct StringValue {
        const char* data;
        size_t length;
    };
    struct CustomValue {
        const void* object;
        FormatCustomFunction function;
    };

    Kind kind;
    union {
        int64_t signed_value;
        uint64_t unsigned_value;  // also Pointer
        bool bool_value;
        char char_value;
        StringValue string;
        CustomValue custom;
    };
};

void vformat(FormatSink& sink, std::string_view fmt, std::span<const FormatArg> args);

namespace format_detail {

template <typename T>
concept CustomFormattable = requires(FormatSink& sink, const FormatSpec& spec, const T& value) {
    format_value(sink, spec, value);
};

template <typename T>
void call_format_value(FormatSink& sink, const FormatSpec& spec, const void* object)
{
    format_value(sink, spec, *static_cast<const T*>(object));
}

template <typename T>
inline constexpr bool k_unsupported = false;

// Length up to the first NUL, never past the array (it may lack one).
constexpr size_t bounded_length(const char* data, size_t capacity)
{
    size_t length = 0;
    while (length < capacity && data[length] != '\0')
        ++length;
    return length;
}

}  // namespace format_detail

template <typename T>
FormatArg make_format_arg(const T& value)
{
    FormatArg arg;
    if constexpr (std::is_same_v<T, bool>) {
        arg.kind = FormatArg::Kind::Bool;
        arg.bool_value = value;
    } else if constexpr (std::is_same_v<T, char>) {
        arg.kind = FormatArg::Kind::Char;
        arg.char_value = value;
    } else if constexpr (std::is_enum_v<T> && !format_detail::CustomFormattable<T>) {
        return make_format_arg(static_cast<std::underlying_type_t<T>>(value));
    } else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
        arg.kind = FormatArg::Kind::Signed;
        arg.signed_value = value;
    } else if constexpr (std::is_integral_v<T>) {
        arg.kind = FormatArg::Kind::Unsigned;
        arg.unsigned_value = value;
    } else if constexpr (std::is_same_v<T, const char*> || std::is_same_v<T, char*>) {
        const char* text = value ? value : "(null)";
        arg.kind = FormatArg::Kind::String;
        arg.string = {text, __builtin_strlen(text)};
    } else if constexpr (std::is_array_v<T> && std::is_same_v<std::remove_cv_t<std::remove_extent_t<T>>, char>) {
        arg.kind = FormatArg::Kind::String;
        arg.string = {value, format_detail::bounded_length(value, std::extent_v<T>)};
    } else if constexpr (std::is_pointer_v<T> || std::is_null_pointer_v<T>) {
        arg.kind = FormatArg::Kind::Pointer;
        arg.unsigned_value = reinterpret_cast<uintptr_t>(value);
    } else if constexpr (format_detail::CustomFormattable<T>) {
        arg.kind = FormatArg::Kind::Custom;
        arg.custom = {&value, &format_detail::call_format_value<T>};
    } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
        std::string_view text = value;
        arg.kind = FormatArg::Kind::String;
        arg.string = {text.data(), text.size()};
    } else {
        static_assert(format_detail::k_unsupported<T>,
            "akuma::format: unsupported argument type; provide "
            "void format_value(FormatSink&, const FormatSpec&, const T&) next to the type");
    }
    return arg;
}

template <typename... Args>
void format_to(FormatSink& sink, std::string_view fmt, const Args&... args)
{
    if constexpr (sizeof...(Args) == 0) {
        vformat(sink, fmt, {});
    } else {
        const FormatArg array[] = {make_format_arg(args)...};
        vformat(sink, fmt, array);
    }
}

// snprintf semantics: NUL-terminates when size > 0, truncates safely and
// returns the length the full output would have.
template <typename... Args>
size_t format_to_buffer(char* buffer, size_t size, std::string_view fmt, const Args&... args)
{
    BufferSink sink(buffer, size);
    format_to(sink, fmt, args...);
    return sink.total_length();
}

}  // namespace akuma
