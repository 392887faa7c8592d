// The C memory/string functions the compiler may call on its own
// (struct copies, zeroing). Kernel-only: host builds use the C library.
#include <cstddef>
#include <cstdint>

extern "C" {

// Kernel memory is Normal memory and SCTLR_EL1.A is clear (boot.S), so a
// load need not be aligned. (What runs with the MMU off, where every access
// is Device memory, is built with -mstrict-align and calls none of these.)
using UnalignedWord = uint64_t __attribute__((aligned(1), may_alias));

void* memcpy(void* __restrict destination, const void* __restrict source, size_t count) {
    auto* d = static_cast<unsigned char*>(destination);
    auto* s = static_cast<const unsigned char*>(source);
    if (count >= 8) {
        // Word copies even when the two are misaligned to each other: a
        // file's data in the initrd is only 4-byte aligned, and exec copies
        // it into page frames (byte by byte this cost ~8 times the stores).
        while (reinterpret_cast<uintptr_t>(d) & 7) {
            *d++ = *s++;
            --count;
        }
        // 64 bytes a step (pairs of loads and stores): page copies (the page
        // cache into a read's buffer, copy-on-write) are the common large case.
        for (; count >= 64; count -= 64, d += 64, s += 64) {
            uint64_t words[8];
            for (int i = 0; i < 8; ++i)
                words[i] = reinterpret_cast<const UnalignedWord*>(s)[i];
            for (int i = 0; i < 8; ++i)
                reinterpret_cast<uint64_t*>(d)[i] = words[i];
        }
        for (; count >= 8; count -= 8, d += 8, s += 8)
            *reinterpret_cast<uint64_t*>(d) = *reinterpret_cast<const UnalignedWord*>(s);
    }
    while (count--)
        *d++ = *s++;
    return destination;
}

void* memmove(void* destination, const void* source, size_t count) {
    auto* d = static_cast<unsigned char*>(destination);
    auto* s = static_cast<const unsigned char*>(source);
    if (d == s || count == 0)
        return destination;
    if (d < s || d >= s + count)
        return memcpy(destination, source, count);
    while (count--)
        d[count] = s[count];
    return destination;
}

void* memset(void* destination, int value, size_t count) {
    auto* d = static_cast<unsigned char*>(destination);
    auto byte = static_cast<unsigned char>(value);
    while (count > 0 && (reinterpret_cast<uintptr_t>(d) & 7) != 0) {
        *d++ = byte;
        --count;
    }
    uint64_t pattern = 0x0101010101010101ull * byte;
    for (; count >= 8; count -= 8, d += 8)
        *reinterpret_cast<uint64_t*>(d) = pattern;
    while (count--)
        *d++ = byte;
    return destination;
}

int memcmp(const void* left, const void* right, size_t count) {
    auto* a = static_cast<const unsigned char*>(left);
    auto* b = static_cast<const unsigned char*>(right);
    // Equal words are skipped eight bytes at a time (names in the lookup
    // cache, mostly equal); the first difference is then found bytewise.
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        if (*reinterpret_cast<const UnalignedWord*>(a + i) != *reinterpret_cast<const UnalignedWord*>(b + i))
            break;
    }
    for (; i < count; ++i) {
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    }
    return 0;
}

void* memchr(const void* memory, int value, size_t count) {
    auto* bytes = static_cast<const unsigned char*>(memory);
    for (size_t i = 0; i < count; ++i) {
        if (bytes[i] == static_cast<unsigned char>(value))
            return const_cast<unsigned char*>(bytes + i);
    }
    return nullptr;
}

size_t strlen(const char* string) {
    size_t length = 0;
    while (string[length])
        ++length;
    return length;
}

}  // extern "C"
