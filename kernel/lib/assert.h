// Checks that stay on in release builds. The kernel implements the hooks as
// panics; host tests implement them in tests/host/test_support.cpp (print and
// abort, so death tests can match the message).
#pragma once

#include <cstddef>

namespace akuma::lib {

[[noreturn]] void bounds_failure(size_t index, size_t size);
[[noreturn]] void verify_failure(const char* expression, const char* file, int line);

}  // namespace akuma::lib

#define VERIFY(condition)                  \
    (__builtin_expect(!!(condition), 1)    \
            ? static_cast<void>(0)         \
            : ::akuma::lib::verify_failure(#condition, __FILE__, __LINE__))
