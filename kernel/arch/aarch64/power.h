// Ending the machine: QEMU exits with the kernel's status through
// semihosting; without semihosting we fall back to PSCI SYSTEM_OFF (the
// status is then lost) and finally to a WFI loop.
#pragma once

namespace akuma::arch {

enum class PsciConduit { None, Hvc, Smc };

void set_psci_conduit(PsciConduit conduit);

[[noreturn]] void machine_exit(int status);

[[noreturn]] void halt_forever();

}  // namespace akuma::arch
