// What the kernel learned at boot: the device tree, the platform description
// derived from it, and the boot arguments. Filled once by kernel_main().
#pragma once

#include <cstdint>

#include "kernel/dt/fdt.h"
#include "kernel/dt/platform_info.h"
#include "kernel/lib/boot_args.h"
#include "kernel/lib/error_or.h"

namespace akuma::boot {

struct BootState {
    Fdt fdt;
    PlatformInfo platform;
    BootArgs args;
    uint64_t dtb_physical;
    uint64_t kernel_physical;
    unsigned entry_exception_level;
};

// Parses the DTB the boot code mapped. Errors mean no usable device tree.
ErrorOr<void> init_boot_state(uint64_t dtb_physical, uint64_t kernel_physical, unsigned entry_el);

const BootState& boot_state();

inline const PlatformInfo& platform() { return boot_state().platform; }
inline const BootArgs& boot_args() { return boot_state().args; }

}  // namespace akuma::boot
