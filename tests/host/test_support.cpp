// Host implementations of the kernel's check hooks (kernel/lib/assert.h): the
// kernel panics; host tests print the reason and abort, which death tests match.
#include "kernel/lib/assert.h"

#include <cstdio>
#include <cstdlib>

namespace akuma::lib {

void bounds_failure(size_t index, size_t size) {
    std::fprintf(stderr, "bounds_failure: index %zu out of range for size %zu\n", index, size);
    std::abort();
}

void verify_failure(const char* expression, const char* file, int line) {
    std::fprintf(stderr, "VERIFY(%s) failed at %s:%d\n", expression, file, line);
    std::abort();
}

}  // namespace akuma::lib
