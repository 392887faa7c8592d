// Host stand-in for the kernel console (kprint/kprintln): lines go to
// stderr and are kept, so tests can check what the kernel code logged.
#pragma once

#include <string>

namespace akuma::test {

// Everything printed since the last clear.
std::string host_console_output();
void host_console_clear();

} // namespace akuma::test
