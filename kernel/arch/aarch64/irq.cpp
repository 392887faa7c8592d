// IRQ registration table and dispatch, common to GICv2 and GICv3.
//
// Handlers are published with a release store of the handler pointer after
// context and name, and read with an acquire load in the IRQ path, so the
// dispatch loop needs no lock. Registration itself is serialised by g_lock.
#include "kernel/arch/aarch64/irq.h"

#include "kernel/arch/aarch64/gic.h"
#include "kernel/arch/aarch64/timer.h"
#include "kernel/crypto/random.h"
#include "kernel/lib/kprint.h"
#include "kernel/sched/spinlock.h"

namespace akuma::arch {

namespace {

constexpr uint32_t k_max_intids = gic::k_first_spurious_intid;

struct IrqEntry {
    IrqHandler handler;
    void* context;
    const char* name;
    uint64_t count;
};

IrqEntry g_entries[k_max_intids];
uint32_t g_intid_count = 0;  // 0 until irq_init succeeded
const gic::GicOps* g_gic = nullptr;
IrqStats g_stats {};
IrqSpinLock g_lock;

void increment(uint64_t& counter) { __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED); }
uint64_t load(const uint64_t& counter) { return __atomic_load_n(&counter, __ATOMIC_RELAXED); }

void dispatch(uint32_t intid) {
    IrqHandler handler = nullptr;
    if (intid < g_intid_count) {
        increment(g_entries[intid].count);
        handler = __atomic_load_n(&g_entries[intid].handler, __ATOMIC_ACQUIRE);
    }
    if (handler) {
        increment(g_stats.handled);
        handler(intid, g_entries[intid].context);
        // When interrupts arrive is a little unpredictable (Linux's
        // add_interrupt_randomness); mixed in, credited nothing.
        random_add_timing_sample(read_counter_unordered() ^ (uint64_t(intid) << 48));
        return;
    }
    // Disabled so a stuck line cannot storm; warned once per INTID (GICv2
    // may not let SGIs be disabled, which would otherwise repeat the line).
    increment(g_stats.unhandled);
    g_gic->set_enabled(intid, false);
    if (intid >= g_intid_count || load(g_entries[intid].count) == 1)
        kprintln("[IRQ] INTID {} has no handler; disabled", intid);
}

}  // namespace

ErrorOr<void> irq_init(const GicInfo& gic) {
    const gic::GicOps* ops = gic.version == GicVersion::V3 ? &gic::k_gic_v3_ops : &gic::k_gic_v2_ops;
    uint32_t implemented = TRY(ops->init(gic));
    g_gic = ops;
    g_intid_count = implemented < k_max_intids ? implemented : k_max_intids;
    kprintln("[IRQ] GICv{}: {} INTIDs", gic.version == GicVersion::V3 ? 3 : 2, g_intid_count);
    return {};
}

ErrorOr<void> irq_register(uint32_t intid, IrqHandler handler, void* context, const char* name) {
    if (intid >= g_intid_count || handler == nullptr)
        return Error::Invalid;
    SpinLockGuard guard(g_lock);
    auto& entry = g_entries[intid];
    if (entry.handler)
        return Error::Busy;
    entry.context = context;
    entry.name = name;
    __atomic_store_n(&entry.handler, handler, __ATOMIC_RELEASE);
    g_gic->set_enabled(intid, true);
    return {};
}

void irq_unregister(uint32_t intid) {
    if (intid >= g_intid_count)
        return;
    SpinLockGuard guard(g_lock);
    g_gic->set_enabled(intid, false);
    __atomic_store_n(&g_entries[intid].handler, nullptr, __ATOMIC_RELEASE);
}

void irq_handle() {
    if (!g_gic)
        return;
    bool handled_any = false;
    for (;;) {
        auto ack = g_gic->acknowledge();
        // 1020-1023 are never ended. After at least one real interrupt it is
        // just "nothing more pending", not a spurious exception.
        if (ack.intid >= gic::k_first_spurious_intid) {
            if (!handled_any)
                increment(g_stats.spurious);
            return;
        }
        handled_any = true;
        dispatch(ack.intid);
        g_gic->end_of_interrupt(ack.raw);
    }
}

void irq_send_sgi_to_self(uint32_t sgi) {
    if (g_gic && sgi < 16)
        g_gic->send_sgi_to_self(sgi);
}

IrqStats irq_stats() { return { load(g_stats.handled), load(g_stats.spurious), load(g_stats.unhandled) }; }

uint64_t irq_count(uint32_t intid) { return intid < g_intid_count ? load(g_entries[intid].count) : 0; }

namespace gic {

bool is_enabled_in_hardware(uint32_t intid) { return g_gic && intid < g_intid_count && g_gic->is_enabled(intid); }

void enable_in_hardware(uint32_t intid) {
    if (g_gic && intid < g_intid_count)
        g_gic->set_enabled(intid, true);
}

void discard_pending(uint32_t intid) {
    if (g_gic && intid < g_intid_count)
        g_gic->clear_pending(intid);
}

}  // namespace gic

}  // namespace akuma::arch
