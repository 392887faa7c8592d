// The PageSource that libakuma's allocators use on Akuma (and on Linux):
// raw mmap/munmap/mprotect/brk system calls, no libc.
#pragma once

#include "akuma/alloc/common.h"
#include "akuma/syscall.h"

namespace akuma::user {

// Reports an allocator failure on stderr and kills the process with SIGABRT
// (exit status 134 if the signal does not end it). Never allocates.
[[noreturn]] void malloc_fatal(const char* what, const void* address);

// Hands a successful break change to glibc's sbrk() cache (see page_source.cpp).
void note_program_break(uintptr_t address);

struct SyscallPageSource {
    void* map(size_t bytes) {
        long result = mmap(nullptr, bytes, k_prot_read | k_prot_write, k_map_private | k_map_anonymous, -1, 0);
        return is_syscall_error(result) || result == 0 ? nullptr : reinterpret_cast<void*>(result);
    }

    void unmap(void* address, size_t bytes) {
        if (munmap(address, bytes) != 0)
            malloc_fatal("munmap failed", address);
    }

    bool protect(void* address, size_t bytes, Protection protection) {
        int flags = protection == Protection::None ? k_prot_none
            : protection == Protection::Read       ? k_prot_read
                                                   : k_prot_read | k_prot_write;
        return mprotect(address, bytes, flags) == 0;
    }

    uintptr_t current_break() { return brk(0); }

    uintptr_t set_break(uintptr_t address) {
        uintptr_t result = brk(address);
        if (result == address)
            note_program_break(result);
        return result;
    }

    [[noreturn]] void fatal(const char* what, const void* address) { malloc_fatal(what, address); }
};

} // namespace akuma::user
