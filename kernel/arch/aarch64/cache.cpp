#include "kernel/arch/aarch64/cache.h"

#include <cstdint>

namespace akuma::arch {

namespace {

constexpr uint64_t k_ctr_idc = 1ull << 28;  // no data cache clean needed for coherence with fetch
constexpr uint64_t k_ctr_dic = 1ull << 29;  // no instruction cache invalidation needed
constexpr uint64_t k_ctr_l1ip_pipt = 3;     // CTR_EL0.L1Ip, bits [15:14]

constinit uint64_t g_ctr = 0;

// Applies `op` to every line of [start, end), four lines per loop step.
template <typename Op>
void for_each_line(uintptr_t start, uintptr_t end, uint64_t line, Op op) {
    uintptr_t address = start & ~(line - 1);
    for (; address + 4 * line <= end; address += 4 * line) {
        op(address);
        op(address + line);
        op(address + 2 * line);
        op(address + 3 * line);
    }
    for (; address < end; address += line)
        op(address);
}

}  // namespace

void cache_init() { asm volatile("mrs %0, ctr_el0" : "=r"(g_ctr)); }

void sync_icache(const void* start, size_t size) {
    uint64_t ctr = g_ctr;
    auto begin = reinterpret_cast<uintptr_t>(start);
    uintptr_t end = begin + size;
    if (!(ctr & k_ctr_idc)) {
        uint64_t line = 4ull << ((ctr >> 16) & 0xf);  // DminLine: log2 of words
        for_each_line(begin, end, line, [](uintptr_t address) { asm volatile("dc cvau, %0" ::"r"(address) : "memory"); });
    }
    asm volatile("dsb ish" ::: "memory");
    if (ctr & k_ctr_dic)
        return;
    if (((ctr >> 14) & 3) == k_ctr_l1ip_pipt) {
        uint64_t line = 4ull << (ctr & 0xf);  // IminLine
        for_each_line(begin, end, line, [](uintptr_t address) { asm volatile("ic ivau, %0" ::"r"(address) : "memory"); });
    } else {
        // A VIPT instruction cache may hold the code under the user's
        // address, not the kernel's: invalidate all of it (as Linux does).
        asm volatile("ic ialluis" ::: "memory");
    }
    asm volatile("dsb ish" ::: "memory");
}

}  // namespace akuma::arch
