// The small preprocessor linux_abi_test reads the Linux uapi headers with.
#include <gtest/gtest.h>

#include "tests/host/uapi_headers.h"

namespace akuma::test {
namespace {

UapiHeaders parse(std::string_view text) {
    UapiHeaders headers("/nonexistent");
    headers.process_text(text, "/nonexistent");
    return headers;
}

TEST(UapiHeaders, LiteralsAndArithmetic) {
    auto headers = parse("#define A 010\n"
                         "#define B 0x10UL\n"
                         "#define C (A | B) /* a comment */ << 1\n"
                         "#define D ~(A + 1)\n"
                         "#define E -6\n"
                         "#define F 'T'\n"
                         "#define G (1 ? 2 : 3) * 4 % 5\n"
                         "#define H 1 + 2 * 3 - 4 / 2 == 5 && !0\n"
                         "#define LONG_ONE \\\n  (1ULL << 32)\n");
    EXPECT_EQ(headers.value("A"), 8);
    EXPECT_EQ(headers.value("B"), 16);
    EXPECT_EQ(headers.value("C"), 48);
    EXPECT_EQ(headers.value("D"), -10);
    EXPECT_EQ(headers.value("E"), -6);
    EXPECT_EQ(headers.value("F"), 'T');
    EXPECT_EQ(headers.value("G"), 3);
    EXPECT_EQ(headers.value("H"), 1);
    EXPECT_EQ(headers.value("LONG_ONE"), int64_t { 1 } << 32);
    EXPECT_TRUE(headers.problems().empty());
}

TEST(UapiHeaders, ExpansionIsTextual) {
    auto headers = parse("#define SUM 1 + 2\n"
                         "#define PRODUCT SUM * 3\n" // 1 + 2 * 3, as in C
                         "#define SELF SELF\n"
                         "#define LATER EARLIER + 1\n"
                         "#define EARLIER 41\n");
    EXPECT_EQ(headers.value("PRODUCT"), 7);
    EXPECT_EQ(headers.value("SELF"), std::nullopt);
    EXPECT_EQ(headers.value("LATER"), 42);
}

TEST(UapiHeaders, NoValueWithoutAnIntegerExpression) {
    auto headers = parse("#define GUARD\n"
                         "#define STRING \"abc\"\n"
                         "#define _IO(a, b) ((a) << 8 | (b))\n"
                         "#define REQUEST _IO('T', 1)\n"
                         "#define UNKNOWN undefined_name + 1\n"
                         "#define DIVIDE 1 / 0\n"
                         "#define FLOAT 1.5\n");
    for (const char* name : { "GUARD", "STRING", "_IO", "REQUEST", "UNKNOWN", "DIVIDE", "FLOAT", "MISSING" })
        EXPECT_EQ(headers.value(name), std::nullopt) << name;
    EXPECT_TRUE(headers.defined("_IO"));
    EXPECT_TRUE(headers.defined("GUARD"));
    EXPECT_FALSE(headers.defined("MISSING"));
}

TEST(UapiHeaders, CastsAreSkipped) {
    auto headers = parse("#define SIG_IGN ((__sighandler_t)1)\n"
                         "#define ALL ((unsigned long) -1)\n"
                         "#define PTR ((void *)0)\n");
    EXPECT_EQ(headers.value("SIG_IGN"), 1);
    EXPECT_EQ(headers.value("ALL"), -1);
    EXPECT_EQ(headers.value("PTR"), 0);
}

TEST(UapiHeaders, Conditionals) {
    auto headers = parse("#define BITS 64\n"
                         "#define WANT\n"
                         "#if BITS == 32 || defined(COMPAT)\n"
                         "#define LONG 4\n"
                         "#elif defined WANT && BITS > 32\n"
                         "#define LONG 8\n"
                         "#else\n"
                         "#define LONG 0\n"
                         "#endif\n"
                         "#ifndef WANT\n"
                         "#define NOT_WANTED 1\n"
                         "#  if 1\n"
                         "#    define NESTED_IN_FALSE 1\n"
                         "#  endif\n"
                         "#else\n"
                         "#  ifdef WANT\n"
                         "#    define NESTED 1\n"
                         "#  endif\n"
                         "#endif\n"
                         "#if UNDEFINED_IS_ZERO\n"
                         "#error not taken\n"
                         "#endif\n"
                         "#define GONE 1\n"
                         "#undef GONE\n");
    EXPECT_EQ(headers.value("LONG"), 8);
    EXPECT_FALSE(headers.defined("NOT_WANTED"));
    EXPECT_FALSE(headers.defined("NESTED_IN_FALSE"));
    EXPECT_EQ(headers.value("NESTED"), 1);
    EXPECT_FALSE(headers.defined("GONE"));
    EXPECT_TRUE(headers.problems().empty());
}

TEST(UapiHeaders, ReportsProblems) {
    EXPECT_EQ(parse("#error stop\n").problems().size(), 1u);
    EXPECT_EQ(parse("#endif\n").problems().size(), 1u);
    EXPECT_EQ(parse("#if (1\n#endif\n").problems().size(), 1u);
    EXPECT_EQ(parse("#if 1\n#else\n#else\n#endif\n").problems().size(), 1u);
    EXPECT_TRUE(parse("#if 0\n#error skipped\n#endif\n").problems().empty());
}

TEST(UapiHeaders, IncludesUnderTheRoot) {
    UapiHeaders headers(AKUMA_LINUX_UAPI_INCLUDE_DIR);
    EXPECT_FALSE(headers.include("no/such/header.h"));
    ASSERT_TRUE(headers.include("asm/bitsperlong.h")); // includes asm-generic/bitsperlong.h
    EXPECT_EQ(headers.value("__BITS_PER_LONG"), 64);
    EXPECT_TRUE(headers.defined("__ASM_GENERIC_BITS_PER_LONG"));
    EXPECT_TRUE(headers.problems().empty());
    headers.process_text("#include <not/installed.h>\n", AKUMA_LINUX_UAPI_INCLUDE_DIR);
    EXPECT_EQ(headers.missing_includes().count("not/installed.h"), 1u);
}

} // namespace
} // namespace akuma::test
