// Frame-pointer backtraces (AAPCS64 frame records: [fp] = caller's fp,
// [fp + 8] = return address). The kernel is built with frame pointers.
#pragma once

#include <cstdint>

namespace akuma::debug {

// Prints (one line each, no header) up to `max_frames` return addresses, symbolized, starting from the
// frame record at `frame_pointer`. Stops at a null, misaligned, unmapped or
// non-increasing frame pointer, so a corrupted stack cannot fault here.
void print_backtrace(uint64_t frame_pointer, unsigned first_index = 0, unsigned max_frames = 64);

}  // namespace akuma::debug
