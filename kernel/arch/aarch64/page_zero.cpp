#include "kernel/arch/aarch64/page_zero.h"

#include <cstddef>
#include <cstdint>

#include "kernel/mm/page_table.h"

namespace akuma::arch {

namespace {

using mm::k_page_size;

constinit unsigned g_block_bytes = 0;

}  // namespace

void page_zero_init() {
    uint64_t dczid;
    asm volatile("mrs %0, dczid_el0" : "=r"(dczid));
    constexpr uint64_t k_prohibited = 1u << 4;  // DZP
    unsigned bytes = 4u << (dczid & 0xf);        // BS: log2 of the block in words
    // The loop below zeroes four blocks per step.
    g_block_bytes = !(dczid & k_prohibited) && bytes * 4 <= k_page_size ? bytes : 0;
}

unsigned zero_block_bytes() { return g_block_bytes; }

void zero_page(void* page) {
    auto address = reinterpret_cast<uintptr_t>(page);
    uintptr_t end = address + k_page_size;
    if (uint64_t block = g_block_bytes) {
        // 16 iterations of 10 instructions with 64-byte blocks, against 512
        // stores and their loop for 8-byte stores.
        do {
            asm volatile(
                "dc zva, %0\n"
                "add %0, %0, %1\n"
                "dc zva, %0\n"
                "add %0, %0, %1\n"
                "dc zva, %0\n"
                "add %0, %0, %1\n"
                "dc zva, %0\n"
                "add %0, %0, %1\n"
                : "+r"(address)
                : "r"(block)
                : "memory");
        } while (address < end);
        return;
    }
    auto* words = static_cast<uint64_t*>(page);
    for (size_t i = 0; i < k_page_size / sizeof(uint64_t); i += 2) {
        words[i] = 0;
        words[i + 1] = 0;
    }
}

void zero_page_by_stores(void* page) {
    auto address = reinterpret_cast<uintptr_t>(page);
    uintptr_t end = address + k_page_size;
    // 128 bytes per step: 32 steps of 10 instructions.
    do {
        asm volatile(
            "stp xzr, xzr, [%0]\n"
            "stp xzr, xzr, [%0, #16]\n"
            "stp xzr, xzr, [%0, #32]\n"
            "stp xzr, xzr, [%0, #48]\n"
            "stp xzr, xzr, [%0, #64]\n"
            "stp xzr, xzr, [%0, #80]\n"
            "stp xzr, xzr, [%0, #96]\n"
            "stp xzr, xzr, [%0, #112]\n"
            "add %0, %0, #128\n"
            : "+r"(address)
            :
            : "memory");
    } while (address < end);
}

}  // namespace akuma::arch
