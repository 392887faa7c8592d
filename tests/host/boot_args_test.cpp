#include "kernel/lib/boot_args.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

using namespace akuma;

namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

Pairs all_pairs(std::string_view line)
{
    Pairs pairs;
    BootArgs(line).for_each([&](std::string_view key, std::string_view value) {
        pairs.emplace_back(std::string(key), std::string(value));
    });
    return pairs;
}

}  // namespace

TEST(BootArgs, EmptyAndWhitespace)
{
    const std::string_view lines[] = {"", " \t \t", "\n\r", std::string_view("\0\0", 2)};
    for (std::string_view line : lines) {
        EXPECT_TRUE(all_pairs(line).empty());
        EXPECT_FALSE(BootArgs(line).has("a"));
        EXPECT_FALSE(BootArgs(line).get("").has_value());
    }
}

TEST(BootArgs, KeysAndValues)
{
    BootArgs args("console=ttyAMA0  quiet\tloglevel=7 root=/dev/vda1 init=/bin/sh");
    EXPECT_TRUE(args.has("console"));
    EXPECT_TRUE(args.has("quiet"));
    EXPECT_FALSE(args.has("quie"));
    EXPECT_FALSE(args.has("quiet2"));
    EXPECT_FALSE(args.has("ttyAMA0"));
    EXPECT_FALSE(args.has(""));
    EXPECT_EQ(args.get("console"), "ttyAMA0");
    EXPECT_EQ(args.get("quiet"), "");
    EXPECT_EQ(args.get("root"), "/dev/vda1");
    EXPECT_EQ(args.get("init"), "/bin/sh");
    EXPECT_FALSE(args.get("missing").has_value());
    EXPECT_EQ(all_pairs(args.command_line()),
        (Pairs {{"console", "ttyAMA0"}, {"quiet", ""}, {"loglevel", "7"}, {"root", "/dev/vda1"}, {"init", "/bin/sh"}}));
}

TEST(BootArgs, LastOccurrenceWins)
{
    BootArgs args("a=1 b a=2 a=3 b=x");
    EXPECT_EQ(args.get("a"), "3");
    EXPECT_EQ(args.get("b"), "x");
    BootArgs bare_last("b=x b");
    EXPECT_EQ(bare_last.get("b"), "");
}

TEST(BootArgs, ValuesMayContainEquals)
{
    BootArgs args("opt=a=b key= x==");
    EXPECT_EQ(args.get("opt"), "a=b");
    EXPECT_EQ(args.get("key"), "");
    EXPECT_EQ(args.get("x"), "=");
}

TEST(BootArgs, Quotes)
{
    BootArgs args("msg=\"hello world\" \"whole=quoted word\" empty=\"\" bare=\"\"x\"\" tail");
    EXPECT_EQ(args.get("msg"), "hello world");
    EXPECT_EQ(args.get("whole"), "quoted word");
    EXPECT_EQ(args.get("empty"), "");
    EXPECT_TRUE(args.has("tail"));
    EXPECT_EQ(all_pairs("\"spaced key\" k=\"a\tb\""), (Pairs {{"spaced key", ""}, {"k", "a\tb"}}));
    // Quotes in the middle of a word are kept literally.
    EXPECT_EQ(all_pairs("a=b\"c\"d e"), (Pairs {{"a", "b\"c\"d"}, {"e", ""}}));
    EXPECT_EQ(all_pairs("k=x\""), (Pairs {{"k", "x\""}}));
}

TEST(BootArgs, MalformedInput)
{
    // An unterminated quote runs to the end of the line.
    EXPECT_EQ(all_pairs("a=1 msg=\"never closed b=2"), (Pairs {{"a", "1"}, {"msg", "never closed b=2"}}));
    EXPECT_EQ(all_pairs("\""), Pairs {});
    EXPECT_EQ(all_pairs("\"\""), Pairs {});
    EXPECT_EQ(all_pairs("k=\""), (Pairs {{"k", ""}}));
    // Words with an empty key are skipped.
    EXPECT_EQ(all_pairs("=value a =b \"=c\" = b"), (Pairs {{"a", ""}, {"b", ""}}));
    BootArgs args("=5");
    EXPECT_FALSE(args.has(""));
    EXPECT_FALSE(args.get("").has_value());
    // Stray quotes in keys are part of the key.
    EXPECT_EQ(all_pairs("a\"b=c d\" e"), (Pairs {{"a\"b", "c d\""}, {"e", ""}}));
}

TEST(BootArgs, EmbeddedNulSeparates)
{
    std::string line("a=1\0b=2\0", 8);
    EXPECT_EQ(all_pairs(line), (Pairs {{"a", "1"}, {"b", "2"}}));
}

TEST(BootArgs, ViewsPointIntoOriginal)
{
    std::string line = "key=value";
    BootArgs args(line);
    auto value = args.get("key");
    ASSERT_TRUE(value.has_value());
    EXPECT_EQ(value->data(), line.data() + 4);
}

TEST(BootArgs, ForEachStopsWhenCallbackReturnsFalse)
{
    BootArgs args("a b c d");
    std::string seen;
    args.for_each([&](std::string_view key, std::string_view) {
        seen += key;
        return key != "b";
    });
    EXPECT_EQ(seen, "ab");
}

TEST(BootArgs, NextIteratesManually)
{
    BootArgs args("x=1 y");
    size_t pos = 0;
    BootArg arg;
    ASSERT_TRUE(args.next(pos, arg));
    EXPECT_EQ(arg.key, "x");
    EXPECT_EQ(arg.value, "1");
    EXPECT_TRUE(arg.has_value);
    ASSERT_TRUE(args.next(pos, arg));
    EXPECT_EQ(arg.key, "y");
    EXPECT_FALSE(arg.has_value);
    EXPECT_FALSE(args.next(pos, arg));
    EXPECT_FALSE(args.next(pos, arg));
}

TEST(BootArgs, GetU64)
{
    BootArgs args("dec=1234 hex=0x1F HEX=0XfF zero=0 k=4K m=16m g=2G hk=0x10k max=18446744073709551615 "
                  "over=18446744073709551616 hexmax=0xffffffffffffffff hexover=0x10000000000000000 "
                  "bigg=17179869184G okg=17179869183G neg=-1 plus=+1 empty= bare junk=12x suffix2=1KK "
                  "onlyx=0x onlyk=K space=\" 1\" lead0=010 ws=\"1 \"");
    EXPECT_EQ(args.get_u64("dec"), 1234u);
    EXPECT_EQ(args.get_u64("hex"), 0x1Fu);
    EXPECT_EQ(args.get_u64("HEX"), 0xFFu);
    EXPECT_EQ(args.get_u64("zero"), 0u);
    EXPECT_EQ(args.get_u64("k"), 4096u);
    EXPECT_EQ(args.get_u64("m"), 16u << 20);
    EXPECT_EQ(args.get_u64("g"), 2ull << 30);
    EXPECT_EQ(args.get_u64("hk"), 16u << 10);
    EXPECT_EQ(args.get_u64("max"), UINT64_MAX);
    EXPECT_EQ(args.get_u64("over"), std::nullopt);
    EXPECT_EQ(args.get_u64("hexmax"), UINT64_MAX);
    EXPECT_EQ(args.get_u64("hexover"), std::nullopt);
    EXPECT_EQ(args.get_u64("bigg"), std::nullopt);
    EXPECT_EQ(args.get_u64("okg"), 17179869183ull << 30);
    EXPECT_EQ(args.get_u64("lead0"), 10u);
    for (const char* bad : {"neg", "plus", "empty", "bare", "junk", "suffix2", "onlyx", "onlyk", "space", "ws", "missing"})
        EXPECT_EQ(args.get_u64(bad), std::nullopt) << bad;
}

TEST(BootArgs, GetBool)
{
    BootArgs args("bare one=1 on=ON yes=yes t=True zero=0 off=off no=No f=FALSE odd=maybe empty= twice=1 twice=0");
    for (const char* key : {"bare", "one", "on", "yes", "t"}) {
        EXPECT_TRUE(args.get_bool(key, false)) << key;
        EXPECT_TRUE(args.get_bool(key, true)) << key;
    }
    for (const char* key : {"zero", "off", "no", "f", "twice"}) {
        EXPECT_FALSE(args.get_bool(key, false)) << key;
        EXPECT_FALSE(args.get_bool(key, true)) << key;
    }
    for (const char* key : {"odd", "empty", "missing"}) {
        EXPECT_TRUE(args.get_bool(key, true)) << key;
        EXPECT_FALSE(args.get_bool(key, false)) << key;
    }
}
