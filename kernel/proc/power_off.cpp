#include "kernel/proc/power_off.h"

#include "kernel/arch/aarch64/power.h"
#include "kernel/fs/vfs.h"

namespace akuma::proc {

void power_off(int status) {
    fs::shut_down_file_systems();
    arch::machine_exit(status);
}

}  // namespace akuma::proc
