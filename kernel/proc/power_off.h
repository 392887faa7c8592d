// Ending the system (not just the machine): the file systems are written
// back and left clean (disks as a clean unmount leaves them), then QEMU
// exits with `status` (arch::machine_exit). For the orderly ends: reboot(2),
// PID 1 or the exec'd program ending, the test runs finishing. A panic
// stops the machine without this: nothing may be trusted then.
#pragma once

namespace akuma::proc {

[[noreturn]] void power_off(int status);

}  // namespace akuma::proc
