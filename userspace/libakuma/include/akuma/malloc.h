// libakuma's allocator selection, for programs that want to know or report
// which allocator serves malloc(). The allocator is chosen once, at the
// first allocation, from the environment variable AKUMA_MALLOC:
//   fast  (default) size classes on 64 KiB chunks, large blocks mmap'ed
//   guard           one mapping per block, ending at an inaccessible page
//   brk             boundary-tagged blocks with coalescing on the program break
// An unknown value selects fast and prints one warning line to stderr.
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

// "fast", "guard" or "brk"; makes the choice now if nothing was allocated yet.
const char* akuma_malloc_name(void);

#ifdef __cplusplus
}
#endif
