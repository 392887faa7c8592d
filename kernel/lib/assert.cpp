// Kernel implementations of the container checks (kernel/lib/assert.h).
#include "kernel/lib/assert.h"

#include "kernel/debug/panic.h"

namespace akuma::lib {

void bounds_failure(size_t index, size_t size) { panic("index {} out of bounds (size {})", index, size); }

void verify_failure(const char* expression, const char* file, int line) {
    panic("VERIFY({}) failed at {}:{}", expression, file, line);
}

}  // namespace akuma::lib
