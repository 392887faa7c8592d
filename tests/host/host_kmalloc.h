// Host stand-in for the kernel heap's kmalloc family (kernel/mm/kmalloc.h),
// so kernel code that allocates (ramfs, VMA sets, ...) runs in host tests
// under ASan, and the ramfs's data pages (kernel/fs/file_pages.h) through
// it. Counts live objects so tests can assert that nothing leaks.
#pragma once

#include <cstddef>

namespace akuma::test {

size_t host_kmalloc_live_objects();
// The next `count` allocations succeed, then every further one fails until
// reset with a negative count (for out-of-memory paths).
void host_kmalloc_fail_after(long count);

}  // namespace akuma::test
