#include "kernel/drivers/pl031.h"

#include "kernel/arch/aarch64/kernel_page_tables.h"
#include "kernel/lib/civil_time.h"
#include "kernel/lib/kprint.h"

namespace akuma::drivers {

namespace {

constexpr uintptr_t k_data = 0x000;  // RTCDR: seconds counter
constexpr uintptr_t k_periph_id = 0xfe0;
constexpr uintptr_t k_cell_id = 0xff0;
constexpr uint32_t k_part_number = 0x031;
constexpr uint32_t k_primecell_id = 0xb105f00d;

uintptr_t g_base = 0;
uint64_t g_seconds_at_boot = 0;

uint32_t reg(uintptr_t offset) { return *reinterpret_cast<volatile uint32_t*>(g_base + offset); }

// The ID registers hold one byte each, low byte first, in four words.
uint32_t id_word(uintptr_t offset) {
    uint32_t value = 0;
    for (unsigned i = 0; i < 4; ++i)
        value |= (reg(offset + 4 * i) & 0xff) << (8 * i);
    return value;
}

}  // namespace

ErrorOr<void> pl031_init(const DeviceInfo& rtc) {
    g_base = TRY(arch::mmio_map(rtc.range.base, rtc.range.size));
    if (id_word(k_cell_id) != k_primecell_id || (id_word(k_periph_id) & 0xfff) != k_part_number) {
        g_base = 0;
        return Error::NotFound;
    }
    g_seconds_at_boot = reg(k_data);
    kprintln("[Time] UTC {} (PL031)", civil_from_unix_seconds(static_cast<int64_t>(g_seconds_at_boot)));
    return {};
}

uint64_t wall_clock_seconds_at_boot() { return g_seconds_at_boot; }

uint64_t pl031_read_seconds() { return g_base ? reg(k_data) : 0; }

}  // namespace akuma::drivers
