#include "kernel/lib/format.h"

#include <gtest/gtest.h>

#include <climits>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>

using namespace akuma;

namespace {

class StringSink final : public FormatSink {
public:
    void write(const char* data, size_t length) override { text.append(data, length); }
    std::string text;
};

template <typename... Args>
std::string fmt(std::string_view format, const Args&... args)
{
    StringSink sink;
    format_to(sink, format, args...);
    return sink.text;
}

struct Point {
    int x;
    int y;
};

void format_value(FormatSink& sink, const FormatSpec& spec, const Point& point)
{
    char buffer[64];
    size_t length = format_to_buffer(buffer, sizeof(buffer), "({}, {})", point.x, point.y);
    format_padded(sink, spec, {buffer, length});
}

enum class Color : uint8_t { Red = 1, Blue = 200 };
enum Plain : int { PlainMinus = -3 };

enum class Mode { Read, Write };
void format_value(FormatSink& sink, const FormatSpec& spec, Mode mode)
{
    format_padded(sink, spec, mode == Mode::Read ? "read" : "write");
}

}  // namespace

TEST(Format, LiteralTextAndBraces)
{
    EXPECT_EQ(fmt(""), "");
    EXPECT_EQ(fmt("plain text"), "plain text");
    EXPECT_EQ(fmt("{{}}"), "{}");
    EXPECT_EQ(fmt("{{{}}}", 5), "{5}");
    EXPECT_EQ(fmt("a}b"), "a}b");
    EXPECT_EQ(fmt("}"), "}");
}

TEST(Format, Integers)
{
    EXPECT_EQ(fmt("{}", 0), "0");
    EXPECT_EQ(fmt("{}", 42), "42");
    EXPECT_EQ(fmt("{}", -42), "-42");
    EXPECT_EQ(fmt("{}", INT64_MIN), "-9223372036854775808");
    EXPECT_EQ(fmt("{}", INT64_MAX), "9223372036854775807");
    EXPECT_EQ(fmt("{}", UINT64_MAX), "18446744073709551615");
    EXPECT_EQ(fmt("{}", static_cast<short>(-7)), "-7");
    EXPECT_EQ(fmt("{}", static_cast<unsigned short>(65535)), "65535");
    EXPECT_EQ(fmt("{}", 123456789L), "123456789");
    EXPECT_EQ(fmt("{}", 123456789ULL), "123456789");
    EXPECT_EQ(fmt("{} {}", INT32_MIN, UINT32_MAX), "-2147483648 4294967295");
}

TEST(Format, CharTypes)
{
    EXPECT_EQ(fmt("{}", 'A'), "A");
    EXPECT_EQ(fmt("{:d}", 'A'), "65");
    EXPECT_EQ(fmt("{:x}", 'A'), "41");
    EXPECT_EQ(fmt("{:c}", 'A'), "A");
    EXPECT_EQ(fmt("{:3}|", 'A'), "A  |");
    EXPECT_EQ(fmt("{}", static_cast<signed char>(-5)), "-5");
    EXPECT_EQ(fmt("{}", static_cast<unsigned char>(200)), "200");
    EXPECT_EQ(fmt("{}", static_cast<uint8_t>(7)), "7");
    EXPECT_EQ(fmt("{}", static_cast<int8_t>(-128)), "-128");
    EXPECT_EQ(fmt("{:c}", 66), "B");
    EXPECT_EQ(fmt("{:c}", 0x41u), "A");
    EXPECT_EQ(fmt("{:c}", 300), "{?}");
    EXPECT_EQ(fmt("{:c}", -1), "{?}");
    EXPECT_EQ(fmt("{:s}", 'A'), "{?}");
    EXPECT_EQ(fmt("{:.2}", 'A'), "{?}");
}

TEST(Format, Bool)
{
    EXPECT_EQ(fmt("{} {}", true, false), "true false");
    EXPECT_EQ(fmt("{:d} {:d}", true, false), "1 0");
    EXPECT_EQ(fmt("{:s}", true), "true");
    EXPECT_EQ(fmt("{:>6}|", true), "  true|");
    EXPECT_EQ(fmt("{:6}|", false), "false |");
    EXPECT_EQ(fmt("{:c}", true), "{?}");
}

TEST(Format, Strings)
{
    const char* c_string = "hello";
    const char* null_string = nullptr;
    char* mutable_string = const_cast<char*>("mut");
    std::string_view view = "view";
    char array[8] = {'a', 'b', 'c', '\0', 'x', 'x', 'x', 'x'};
    char unterminated[3] = {'x', 'y', 'z'};
    EXPECT_EQ(fmt("{}", c_string), "hello");
    EXPECT_EQ(fmt("{}", null_string), "(null)");
    EXPECT_EQ(fmt("{}", mutable_string), "mut");
    EXPECT_EQ(fmt("{}", view), "view");
    EXPECT_EQ(fmt("{}", std::string_view {}), "");
    EXPECT_EQ(fmt("{}", "literal"), "literal");
    EXPECT_EQ(fmt("{}", array), "abc");
    EXPECT_EQ(fmt("{}", unterminated), "xyz");
    EXPECT_EQ(fmt("{}", std::string("std")), "std");
    EXPECT_EQ(fmt("{:s}", "s"), "s");
    EXPECT_EQ(fmt("[{}]", std::string_view("a\0b", 3)), std::string("[a\0b]", 5));
}

TEST(Format, StringSpecs)
{
    EXPECT_EQ(fmt("{:8}|", "abc"), "abc     |");
    EXPECT_EQ(fmt("{:<8}|", "abc"), "abc     |");
    EXPECT_EQ(fmt("{:>8}|", "abc"), "     abc|");
    EXPECT_EQ(fmt("{:^8}|", "abc"), "  abc   |");
    EXPECT_EQ(fmt("{:*^9}|", "abc"), "***abc***|");
    EXPECT_EQ(fmt("{:.2}", "abcdef"), "ab");
    EXPECT_EQ(fmt("{:.0}|", "abcdef"), "|");
    EXPECT_EQ(fmt("{:.10}", "abc"), "abc");
    EXPECT_EQ(fmt("{:>5.2}|", "abcdef"), "   ab|");
    EXPECT_EQ(fmt("{:2}", "abcdef"), "abcdef");
    EXPECT_EQ(fmt("{:08}|", "ab"), "ab      |");
    EXPECT_EQ(fmt("{:x}", "abc"), "{?}");
    EXPECT_EQ(fmt("{:d}", "abc"), "{?}");
    EXPECT_EQ(fmt("{:p}", "abc"), "{?}");
}

TEST(Format, IntegerSpecs)
{
    EXPECT_EQ(fmt("{:x}", 255), "ff");
    EXPECT_EQ(fmt("{:X}", 255), "FF");
    EXPECT_EQ(fmt("{:#x}", 255), "0xff");
    EXPECT_EQ(fmt("{:#X}", 255), "0XFF");
    EXPECT_EQ(fmt("{:b}", 5), "101");
    EXPECT_EQ(fmt("{:#b}", 5), "0b101");
    EXPECT_EQ(fmt("{:o}", 8), "10");
    EXPECT_EQ(fmt("{:#o}", 8), "0o10");
    EXPECT_EQ(fmt("{:#x}", 0), "0x0");
    EXPECT_EQ(fmt("{:d}", 12), "12");
    EXPECT_EQ(fmt("{:#d}", 12), "12");
    EXPECT_EQ(fmt("{:x}", -255), "-ff");
    EXPECT_EQ(fmt("{:#x}", -255), "-0xff");
    EXPECT_EQ(fmt("{:b}", UINT64_MAX), std::string(64, '1'));
    EXPECT_EQ(fmt("{:#b}", INT64_MIN), "-0b1" + std::string(63, '0'));
    EXPECT_EQ(fmt("{:x}", INT64_MIN), "-8000000000000000");
    EXPECT_EQ(fmt("{:o}", UINT64_MAX), "1777777777777777777777");
}

TEST(Format, WidthAlignAndZeroPad)
{
    EXPECT_EQ(fmt("{:5}|", 42), "   42|");
    EXPECT_EQ(fmt("{:<5}|", 42), "42   |");
    EXPECT_EQ(fmt("{:^5}|", 42), " 42  |");
    EXPECT_EQ(fmt("{:>5}|", 42), "   42|");
    EXPECT_EQ(fmt("{:_>5}|", 42), "___42|");
    EXPECT_EQ(fmt("{:05}", 42), "00042");
    EXPECT_EQ(fmt("{:05}", -42), "-0042");
    EXPECT_EQ(fmt("{:#010x}", 255), "0x000000ff");
    EXPECT_EQ(fmt("{:#010x}", -255), "-0x00000ff");
    EXPECT_EQ(fmt("{:08b}", 5), "00000101");
    EXPECT_EQ(fmt("{:02}", 12345), "12345");
    EXPECT_EQ(fmt("{:<05}|", 42), "42   |");  // explicit align disables '0'
    EXPECT_EQ(fmt("{:0}", 7), "7");
    EXPECT_EQ(fmt("{:007}", 7), "0000007");
    EXPECT_EQ(fmt("{:#>#6x}", 255), "##0xff");
    EXPECT_EQ(fmt("{:0>4}", 7), "0007");  // '0' as a fill character
    EXPECT_EQ(fmt("{:255}", 1), std::string(254, ' ') + "1");
    EXPECT_EQ(fmt("{:0255}", -1), "-" + std::string(253, '0') + "1");
    EXPECT_EQ(fmt("{:4096}", 1).size(), 4096u);
    EXPECT_EQ(fmt("{:4097}", 1), "{?}");
    EXPECT_EQ(fmt("{:99999999999999999999}", 1), "{?}");
}

TEST(Format, Pointers)
{
    int object = 0;
    const void* null_pointer = nullptr;
    EXPECT_EQ(fmt("{}", null_pointer), "0x0000000000000000");
    EXPECT_EQ(fmt("{}", nullptr), "0x0000000000000000");
    EXPECT_EQ(fmt("{}", reinterpret_cast<void*>(0xdeadbeefULL)), "0x00000000deadbeef");
    EXPECT_EQ(fmt("{:p}", reinterpret_cast<const int*>(0x1234)), "0x0000000000001234");
    EXPECT_EQ(fmt("{:x}", reinterpret_cast<void*>(0x1234)), "1234");
    EXPECT_EQ(fmt("{:#x}", reinterpret_cast<void*>(0x1234)), "0x1234");
    EXPECT_EQ(fmt("{:>20}|", reinterpret_cast<void*>(0x1)), "  0x0000000000000001|");
    EXPECT_EQ(fmt("{:<20}|", reinterpret_cast<void*>(0x1)), "0x0000000000000001  |");
    EXPECT_EQ(fmt("{:p}", 0xffff000000001000ULL), "0xffff000000001000");
    EXPECT_EQ(fmt("{:s}", null_pointer), "{?}");
    EXPECT_EQ(fmt("{:c}", null_pointer), "{?}");
    EXPECT_EQ(fmt("{:.3}", null_pointer), "{?}");
    char expected[32];
    std::snprintf(expected, sizeof(expected), "0x%016llx",
        static_cast<unsigned long long>(reinterpret_cast<uintptr_t>(&object)));
    EXPECT_EQ(fmt("{}", &object), expected);
    volatile int volatile_object = 0;
    EXPECT_EQ(fmt("{}", &volatile_object).size(), 18u);
    void (*function)() = [] {};
    EXPECT_EQ(fmt("{}", function).size(), 18u);
}

TEST(Format, Enums)
{
    EXPECT_EQ(fmt("{}", Color::Blue), "200");
    EXPECT_EQ(fmt("{:#x}", Color::Red), "0x1");
    EXPECT_EQ(fmt("{}", PlainMinus), "-3");
    EXPECT_EQ(fmt("{:>6}|", Mode::Write), " write|");
}

TEST(Format, CustomTypes)
{
    Point point {3, -4};
    EXPECT_EQ(fmt("p={}", point), "p=(3, -4)");
    EXPECT_EQ(fmt("[{:>10}]", point), "[   (3, -4)]");
    EXPECT_EQ(fmt("[{:.3}]", point), "[(3,]");
    EXPECT_EQ(fmt("{} {} {}", point, 1, point), "(3, -4) 1 (3, -4)");
}

TEST(Format, BadFields)
{
    EXPECT_EQ(fmt("{}"), "{?}");
    EXPECT_EQ(fmt("{} {} {}", 1), "1 {?} {?}");
    EXPECT_EQ(fmt("{}", 1, 2, 3), "1");
    EXPECT_EQ(fmt("a{", 1), "a{?}");
    EXPECT_EQ(fmt("a{:x", 1), "a{?}");
    EXPECT_EQ(fmt("{0}", 1), "{?}");
    EXPECT_EQ(fmt("{:q}", 1), "{?}");
    EXPECT_EQ(fmt("{:xx}", 1), "{?}");
    EXPECT_EQ(fmt("{:.}", "abc"), "{?}");
    EXPECT_EQ(fmt("{:.3}", 1), "{?}");
    EXPECT_EQ(fmt("{: }", 1), "{?}");
    EXPECT_EQ(fmt("{:{<5}", 1), "{?}");
    EXPECT_EQ(fmt("{:<<<}", 1), "{?}");
    EXPECT_EQ(fmt("{:s}", 1), "{?}");
    // A bad field still consumes its argument so later fields line up.
    EXPECT_EQ(fmt("{:q} {} {}", 1, 2, 3), "{?} 2 3");
    EXPECT_EQ(fmt("{:s}{}", 1, "x"), "{?}x");
}

TEST(Format, ManyArguments)
{
    EXPECT_EQ(fmt("{}{}{}{}{}{}{}{}{}{}{}{}", 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11), "01234567891011");
    EXPECT_EQ(fmt("[DTB] RAM {:#x} size {} KiB", 0x40000000ULL, 131072), "[DTB] RAM 0x40000000 size 131072 KiB");
}

TEST(FormatBuffer, TruncatesAndTerminates)
{
    char buffer[8];
    std::memset(buffer, 'Z', sizeof(buffer));
    EXPECT_EQ(format_to_buffer(buffer, sizeof(buffer), "{}-{}", 12345, 67890), 11u);
    EXPECT_STREQ(buffer, "12345-6");

    std::memset(buffer, 'Z', sizeof(buffer));
    EXPECT_EQ(format_to_buffer(buffer, 1, "abc"), 3u);
    EXPECT_EQ(buffer[0], '\0');
    EXPECT_EQ(buffer[1], 'Z');

    EXPECT_EQ(format_to_buffer(nullptr, 0, "abc{}", 12), 5u);

    std::memset(buffer, 'Z', sizeof(buffer));
    EXPECT_EQ(format_to_buffer(buffer, sizeof(buffer), "1234567"), 7u);
    EXPECT_STREQ(buffer, "1234567");

    EXPECT_EQ(format_to_buffer(buffer, sizeof(buffer), ""), 0u);
    EXPECT_STREQ(buffer, "");

    EXPECT_EQ(format_to_buffer(buffer, sizeof(buffer), "{:300}", 1), 300u);
    EXPECT_STREQ(buffer, "       ");
}

TEST(FormatBuffer, BufferSinkState)
{
    char buffer[4];
    BufferSink sink(buffer, sizeof(buffer));
    EXPECT_FALSE(sink.truncated());
    EXPECT_STREQ(buffer, "");
    format_to(sink, "ab");
    EXPECT_EQ(sink.view(), "ab");
    EXPECT_FALSE(sink.truncated());
    format_to(sink, "{}", 123);
    EXPECT_EQ(sink.view(), "ab1");
    EXPECT_TRUE(sink.truncated());
    EXPECT_EQ(sink.total_length(), 5u);
    EXPECT_STREQ(buffer, "ab1");
}

// Compares integer formatting with snprintf for random values and specs.
TEST(FormatRandom, MatchesSnprintf)
{
    std::mt19937_64 random(12345);
    auto pick = [&](uint64_t n) { return random() % n; };
    for (int i = 0; i < 100000; ++i) {
        uint64_t bits = random();
        int shift = static_cast<int>(pick(64));
        bits >>= shift;  // favour small magnitudes too
        bool is_signed = pick(2) == 0;
        unsigned width = pick(4) == 0 ? 0 : static_cast<unsigned>(pick(40));
        const char types[] = {'\0', 'd', 'x', 'X', 'o'};
        char type = types[pick(5)];
        int flag = static_cast<int>(pick(3));  // 0 none, 1 left, 2 zero
        bool alternate = (type == 'x' || type == 'X') && pick(2) == 0 && bits != 0;
        if (type != '\0' && type != 'd')
            is_signed = false;  // printf's %x/%o take unsigned arguments

        std::string spec = "{:";
        std::string c_format = "%";
        if (flag == 1) {
            spec += '<';
            c_format += '-';
        }
        if (alternate) {
            spec += '#';
            c_format += '#';
        }
        if (flag == 2) {
            spec += '0';
            c_format += '0';
        }
        if (width != 0) {
            spec += std::to_string(width);
            c_format += std::to_string(width);
        }
        if (type != '\0')
            spec += type;
        spec += '}';
        c_format += "ll";
        c_format += type == '\0' ? (is_signed ? 'd' : 'u') : (type == 'd' && !is_signed ? 'u' : type);

        char expected[128];
        char actual[128];
        size_t length;
        if (is_signed) {
            long long value = static_cast<long long>(bits);
            if (pick(2) == 0 && value != LLONG_MIN)
                value = -value;
            std::snprintf(expected, sizeof(expected), c_format.c_str(), value);
            length = format_to_buffer(actual, sizeof(actual), spec, static_cast<int64_t>(value));
        } else {
            std::snprintf(expected, sizeof(expected), c_format.c_str(), static_cast<unsigned long long>(bits));
            length = format_to_buffer(actual, sizeof(actual), spec, bits);
        }
        ASSERT_STREQ(actual, expected) << "spec " << spec << " printf " << c_format << " bits " << bits;
        ASSERT_EQ(length, std::strlen(expected));
    }
}

// Every integer width and signedness goes through the same path as int64_t.
TEST(FormatRandom, AllIntegerTypes)
{
    std::mt19937_64 random(99);
    for (int i = 0; i < 10000; ++i) {
        uint64_t bits = random();
        char expected[160];
        std::snprintf(expected, sizeof(expected), "%d %u %d %u %d %u %lld %llu", static_cast<int8_t>(bits),
            static_cast<uint8_t>(bits), static_cast<int16_t>(bits), static_cast<uint16_t>(bits),
            static_cast<int32_t>(bits), static_cast<uint32_t>(bits), static_cast<long long>(bits),
            static_cast<unsigned long long>(bits));
        EXPECT_EQ(fmt("{} {} {} {} {} {} {} {}", static_cast<int8_t>(bits), static_cast<uint8_t>(bits),
                      static_cast<int16_t>(bits), static_cast<uint16_t>(bits), static_cast<int32_t>(bits),
                      static_cast<uint32_t>(bits), static_cast<int64_t>(bits), bits),
            expected);
    }
}
