// In-kernel tests, registered next to the code they test:
//
//   KTEST(fdt_reports_memory, "DTB: memory ranges found") {
//       KEXPECT(platform().memory_range_count > 0);
//       KEXPECT_EQ(a, b);
//   }
//
// Each KTEST places a descriptor in the .ktests section (no constructors);
// the runner walks the section when the `test` boot argument is given. A
// failed expectation records "file:line: what" and returns from the test.
#pragma once

#include <cstddef>

#include "kernel/lib/format.h"

namespace akuma::ktest {

class TestContext {
public:
    bool failed() const { return m_failed; }
    const char* message() const { return m_message; }

    template <typename... Args>
    void fail(const char* file, int line, std::string_view fmt, const Args&... args) {
        if (m_failed)
            return;
        m_failed = true;
        size_t used = format_to_buffer(m_message, sizeof(m_message), "{}:{}: ", short_file(file), line);
        if (used < sizeof(m_message))
            format_to_buffer(m_message + used, sizeof(m_message) - used, fmt, args...);
    }

private:
    static const char* short_file(const char* path);
    bool m_failed { false };
    char m_message[256] {};
};

struct TestCase {
    const char* name;
    void (*function)(TestContext&);
    // The runner checks that the test leaves PMM free pages and heap bytes
    // in use as it found them; only tests that deliberately release memory
    // allocated before the suite opt out (KTEST_NO_LEAK_CHECK).
    bool check_leaks;
};

}  // namespace akuma::ktest

#define KTEST_CONCAT_INNER(a, b) a##b
#define KTEST_CONCAT(a, b) KTEST_CONCAT_INNER(a, b)

#define KTEST_DEFINE(id, name, check_leaks)                                                              \
    static void ktest_function_##id(::akuma::ktest::TestContext&);                                         \
    [[gnu::used, gnu::section(".ktests")]] static constexpr ::akuma::ktest::TestCase ktest_case_##id { \
        name, ktest_function_##id, check_leaks                                                          \
    };                                                                                                  \
    static void ktest_function_##id([[maybe_unused]] ::akuma::ktest::TestContext& ktest_context)

#define KTEST(id, name) KTEST_DEFINE(id, name, true)
#define KTEST_NO_LEAK_CHECK(id, name) KTEST_DEFINE(id, name, false)

// The expression texts as plain pointers: as char[N] arrays every length
// would instantiate its own fail() and formatter (tens of KiB of .text,
// and the kernel must still load into 3 MiB).
#define KTEST_TEXT(text) static_cast<const char*>(text)

#define KEXPECT(condition)                                                                    \
    do {                                                                                      \
        if (!(condition)) {                                                                   \
            ktest_context.fail(__FILE__, __LINE__, "expected {}", KTEST_TEXT(#condition));    \
            return;                                                                           \
        }                                                                                     \
    } while (0)

#define KEXPECT_EQ(actual, expected)                                                                    \
    do {                                                                                                \
        auto&& ktest_actual = (actual);                                                                 \
        auto&& ktest_expected = (expected);                                                             \
        if (!(ktest_actual == ktest_expected)) {                                                        \
            ktest_context.fail(__FILE__, __LINE__, "{} == {} failed: got {}, expected {}",              \
                               KTEST_TEXT(#actual), KTEST_TEXT(#expected), ktest_actual, ktest_expected); \
            return;                                                                                     \
        }                                                                                               \
    } while (0)

#define KFAIL(...)                                         \
    do {                                                   \
        ktest_context.fail(__FILE__, __LINE__, __VA_ARGS__); \
        return;                                            \
    } while (0)
