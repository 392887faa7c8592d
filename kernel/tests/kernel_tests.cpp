// In-kernel tests of the boot foundation: MMU and W^X, the device tree as
// the kernel sees it, the embedded symbol table, the exception fixup path
// and the formatter built freestanding.
#include <cstdint>

#include "kernel/arch/aarch64/exception_table.h"
#include "kernel/arch/aarch64/kernel_page_tables.h"
#include "kernel/boot/boot_state.h"
#include "kernel/debug/symbols.h"
#include "kernel/lib/format.h"
#include "kernel/mm/layout.h"
#include "kernel/proc/address_space.h"
#include "kernel/tests/ktest.h"

extern "C" char __text_end[], __rodata_start[], __data_start[];
extern "C" void kernel_main(uint64_t, uint64_t, uint64_t);

namespace {

using namespace akuma;

// Stage-1 translation as the hardware sees it (AT S1E1R / S1E1W).
// Returns true when the access would be permitted.
bool hardware_allows(uint64_t va, bool write) {
    uint64_t par;
    if (write)
        asm volatile("at s1e1w, %1\n isb\n mrs %0, par_el1" : "=r"(par) : "r"(va));
    else
        asm volatile("at s1e1r, %1\n isb\n mrs %0, par_el1" : "=r"(par) : "r"(va));
    return (par & 1) == 0;
}

uint64_t g_probe_target = 0x1234567890abcdefull;

}  // namespace

KTEST(mmu_null_unmapped, "MMU: NULL page is unmapped") {
    KEXPECT(!hardware_allows(0, false));
    KEXPECT(!hardware_allows(4095, false));
}

KTEST(mmu_text_not_writable, "MMU: kernel text is read-only and executable") {
    auto text = reinterpret_cast<uint64_t>(&kernel_main);
    KEXPECT(hardware_allows(text, false));
    KEXPECT(!hardware_allows(text, true));
    auto translation = arch::query_kernel(text);
    KEXPECT(translation.has_value());
    KEXPECT_EQ(translation->flags & (mm::k_page_write | mm::k_page_execute), uint32_t(mm::k_page_execute));
}

KTEST(mmu_rodata_data_nx, "MMU: rodata read-only NX, data writable NX (W^X)") {
    auto rodata = arch::query_kernel(reinterpret_cast<uint64_t>(__rodata_start));
    KEXPECT(rodata.has_value());
    KEXPECT_EQ(rodata->flags & (mm::k_page_write | mm::k_page_execute), 0u);
    auto data = arch::query_kernel(reinterpret_cast<uint64_t>(__data_start));
    KEXPECT(data.has_value());
    KEXPECT_EQ(data->flags & (mm::k_page_write | mm::k_page_execute), uint32_t(mm::k_page_write));
    KEXPECT(!hardware_allows(reinterpret_cast<uint64_t>(__rodata_start), true));
    uint64_t sctlr;
    asm volatile("mrs %0, sctlr_el1" : "=r"(sctlr));
    // WXN (the hardware backing W^X up) is on exactly when user memory may
    // not be writable and executable (user_wx=deny).
    KEXPECT(((sctlr & (1u << 19)) != 0) == proc::AddressSpace::writable_executable_refused());
}

KTEST(mmu_linear_map_covers_ram, "MMU: linear map covers every RAM range") {
    for (auto& range : boot::platform().memory()) {
        for (uint64_t pa : { range.base, range.base + range.size / 2, range.base + range.size - 8 }) {
            auto translation = arch::query_kernel(mm::k_linear_map_base + pa);
            KEXPECT(translation.has_value());
            KEXPECT_EQ(translation->physical, pa);
            KEXPECT(hardware_allows(mm::k_linear_map_base + pa, true));
        }
    }
    // The image is visible through the linear map at its physical address.
    uint64_t through_linear;
    auto pa = arch::query_kernel(reinterpret_cast<uint64_t>(&g_probe_target));
    KEXPECT(pa.has_value());
    KEXPECT(probe_read_u64(reinterpret_cast<void*>(mm::k_linear_map_base + pa->physical), &through_linear));
    KEXPECT_EQ(through_linear, g_probe_target);
}

KTEST(dtb_platform, "DTB: RAM, UART, GIC, timer found; kernel inside RAM") {
    const auto& platform = boot::platform();
    KEXPECT(platform.memory_range_count > 0);
    uint64_t sum = 0;
    bool kernel_in_ram = false;
    uint64_t kernel = boot::boot_state().kernel_physical;
    for (auto& range : platform.memory()) {
        sum += range.size;
        kernel_in_ram |= kernel >= range.base && kernel < range.base + range.size;
    }
    KEXPECT_EQ(sum, platform.total_memory);
    KEXPECT(kernel_in_ram);
    KEXPECT(platform.uart.has_value());
    KEXPECT(platform.gic.has_value());
    KEXPECT(platform.timer.has_value());
    KEXPECT(platform.cpu_count >= 1);
    KEXPECT(boot::boot_args().has("test"));  // we only run when booted with it
}

KTEST(exception_fixup, "Exceptions: faulting probe returns through the fixup table") {
    uint64_t value = 0;
    KEXPECT(probe_read_u64(&g_probe_target, &value));
    KEXPECT_EQ(value, g_probe_target);
    KEXPECT(!probe_read_u64(nullptr, &value));
    KEXPECT(!probe_read_u64(reinterpret_cast<void*>(mm::k_mmio_limit - 4096), &value));
}

KTEST(symbols_resolve, "Symbols: embedded table resolves kernel functions") {
    KEXPECT(debug::kernel_symbol_count() > 50);
    auto address = reinterpret_cast<uint64_t>(&kernel_main);
    auto symbol = debug::resolve_kernel_symbol(address + 8);
    KEXPECT(symbol.has_value());
    KEXPECT(symbol->name == "kernel_main");
    KEXPECT_EQ(symbol->start, address);
    KEXPECT_EQ(symbol->offset, 8u);
    KEXPECT_EQ(debug::kernel_symbol_address("kernel_main").value_or(0), address);
    KEXPECT(!debug::resolve_kernel_symbol(0x1000).has_value());
}

KTEST(format_freestanding, "Format: freestanding build formats correctly") {
    char buffer[64];
    format_to_buffer(buffer, sizeof(buffer), "{}|{:#x}|{:>5}|{:08b}|{}", -42, 0xbeefu, "ab", 5u, true);
    KEXPECT(std::string_view(buffer) == "-42|0xbeef|   ab|00000101|true");
}

extern "C" void* memcpy(void* __restrict destination, const void* __restrict source, size_t count);

KTEST(memcpy_alignments, "Lib: memcpy copies between buffers of any alignment") {
    // Sizes through a volatile so every copy is a call to the kernel's memcpy.
    static constexpr size_t k_sizes[] = { 0, 1, 7, 8, 9, 15, 16, 31, 64, 100 };
    volatile size_t sizes[sizeof(k_sizes) / sizeof(k_sizes[0])];
    for (size_t i = 0; i < sizeof(k_sizes) / sizeof(k_sizes[0]); ++i)
        sizes[i] = k_sizes[i];
    alignas(8) uint8_t source[128];
    alignas(8) uint8_t destination[128];
    for (size_t i = 0; i < sizeof(source); ++i)
        source[i] = static_cast<uint8_t>(i * 7 + 3);
    for (size_t from = 0; from < 8; ++from) {
        for (size_t to = 0; to < 8; ++to) {
            for (size_t size : sizes) {
                __builtin_memset(destination, 0xee, sizeof(destination));
                void* result = memcpy(destination + to, source + from, size);
                KEXPECT(result == destination + to);
                for (size_t i = 0; i < sizeof(destination); ++i) {
                    uint8_t expected = (i >= to && i < to + size) ? source[from + i - to] : 0xee;
                    if (destination[i] != expected) {
                        ktest_context.fail(__FILE__, __LINE__, "from +{} to +{}, {} bytes: byte {} is {:#x}, not {:#x}",
                                           from, to, size, i, destination[i], expected);
                        return;
                    }
                }
            }
        }
    }
}
