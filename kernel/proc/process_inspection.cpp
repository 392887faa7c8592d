#include "kernel/proc/process_inspection.h"

namespace akuma::proc {

namespace {
constinit sched::Mutex g_process_resources_lock;
}

sched::Mutex& process_resources_lock() { return g_process_resources_lock; }

}  // namespace akuma::proc
