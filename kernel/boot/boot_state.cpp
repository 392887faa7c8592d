#include "kernel/boot/boot_state.h"

#include <new>

#include "kernel/arch/aarch64/kernel_page_tables.h"

namespace akuma::boot {

namespace {
// Constructed in place by init_boot_state(): no global constructor.
alignas(BootState) unsigned char g_storage[sizeof(BootState)];
BootState* g_state = nullptr;
}  // namespace

ErrorOr<void> init_boot_state(uint64_t dtb_physical, uint64_t kernel_physical, unsigned entry_el) {
    uint64_t dtb = arch::dtb_virtual_address();
    if (dtb == 0)
        return Error::NotFound;
    auto fdt = TRY(Fdt::from_bytes({ reinterpret_cast<const uint8_t*>(dtb), arch::dtb_size() }));
    auto platform = TRY(parse_platform_info(fdt));
    g_state = new (g_storage)
        BootState { fdt, platform, BootArgs(platform.bootargs), dtb_physical, kernel_physical, entry_el };
    return {};
}

const BootState& boot_state() { return *g_state; }

}  // namespace akuma::boot
