// Allocations made in the heap's early mode (before the PMM exists) so the
// test suite can check they stay valid after the switch to page mode.
#pragma once

namespace akuma::mm {

// Called by kernel_main in test mode, between heap_init_early() and pmm_init().
void heap_early_probe_allocate();

}  // namespace akuma::mm
