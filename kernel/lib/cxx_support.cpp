// Runtime hooks the C++ compiler and header-only library parts expect in a
// freestanding kernel: they all end in a panic with a clear message.
#include <bits/functexcept.h>

#include "kernel/debug/panic.h"

extern "C" {

[[noreturn]] void abort() { akuma::panic("abort() called"); }

[[noreturn]] void __cxa_pure_virtual() { akuma::panic("pure virtual function called"); }

}  // extern "C"

namespace std {
void __throw_out_of_range_fmt(const char* format, ...) {
    akuma::panic("std out_of_range: {}", format);
}
void __throw_length_error(const char* message) { akuma::panic("std length_error: {}", message); }
}  // namespace std

#include <new>

namespace std {
// The tag object of new (std::nothrow); normally defined by libstdc++.
const nothrow_t nothrow {};
}  // namespace std
