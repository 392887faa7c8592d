// lwIP's timers (LWIP_TIMERS_CUSTOM), without memory allocation.
//
// lwIP's own implementation takes a heap block for every timeout it arms,
// and its cyclic timers re-arm several times a second for the life of the
// machine: with the kernel heap's debug quarantine those blocks wander
// through slab pages and pin pages other objects left (the program
// runner's memory check saw it). Here every timer has a fixed slot: the
// cyclic ones of lwip_cyclic_timers[] (interval and next due time) and a
// few one-shot slots for sys_timeout (which lwIP's core itself does not
// use). The TCP timer (tcp_tmr) runs only while TCP connections exist, as
// in lwIP's own implementation; lwIP's tcp_timer_needed is a no-op with
// custom timers, so the check is made here each time. Everything runs
// under the stack lock.
#include <cstddef>
#include <cstdint>

#include "kernel/lib/assert.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/sys.h"
#include "lwip/timeouts.h"

namespace {

constexpr size_t k_max_cyclic = 16;
constexpr size_t k_one_shot_slots = 8;

struct OneShot {
    bool armed;
    uint32_t due;
    sys_timeout_handler handler;
    void* argument;
};

constinit uint32_t g_cyclic_due[k_max_cyclic] {};
constinit bool g_cyclic_armed[k_max_cyclic] {};
constinit OneShot g_one_shot[k_one_shot_slots] {};
constinit bool g_tcp_timer_running = false;
// The earliest due time of the timers other than TCP's (valid when
// g_other_due_valid), kept so that sys_timeouts_sleeptime, asked at every
// release of the stack lock, is a few instructions.
constinit uint32_t g_other_due = 0;
constinit bool g_other_due_valid = false;
constinit int g_tcp_index = -1;  // the TCP timer's entry in lwip_cyclic_timers

// Whether `time` is at or after `due`, on lwIP's wrapping millisecond clock.
bool reached(uint32_t time, uint32_t due) { return static_cast<int32_t>(time - due) >= 0; }

bool tcp_needs_timer() { return tcp_active_pcbs || tcp_tw_pcbs; }

bool earlier(uint32_t a, uint32_t b, uint32_t now) { return a - now < b - now; }

void recompute_other_due(uint32_t now) {
    g_other_due_valid = false;
    auto consider = [&](uint32_t due) {
        if (!g_other_due_valid || earlier(due, g_other_due, now)) {
            g_other_due = due;
            g_other_due_valid = true;
        }
    };
    for (int i = 0; i < lwip_num_cyclic_timers; ++i)
        if (g_cyclic_armed[i] && lwip_cyclic_timers[i].handler != tcp_tmr)
            consider(reached(now, g_cyclic_due[i]) ? now : g_cyclic_due[i]);
    for (const OneShot& slot : g_one_shot)
        if (slot.armed)
            consider(reached(now, slot.due) ? now : slot.due);
}

// Whether cyclic timer `index` runs now; the TCP timer starts a fresh
// period when connections appear.
bool cyclic_active(int index, uint32_t now) {
    if (lwip_cyclic_timers[index].handler != tcp_tmr)
        return g_cyclic_armed[index];
    if (!tcp_needs_timer()) {
        g_tcp_timer_running = false;
        return false;
    }
    if (!g_tcp_timer_running) {
        g_tcp_timer_running = true;
        g_cyclic_due[index] = now + lwip_cyclic_timers[index].interval_ms;
    }
    return true;
}

}  // namespace

extern "C" {

void sys_timeouts_init(void) {
    VERIFY(static_cast<size_t>(lwip_num_cyclic_timers) <= k_max_cyclic);
    uint32_t now = sys_now();
    for (int i = 0; i < lwip_num_cyclic_timers; ++i) {
        if (lwip_cyclic_timers[i].handler == tcp_tmr)
            g_tcp_index = i;
        g_cyclic_armed[i] = true;
        g_cyclic_due[i] = now + lwip_cyclic_timers[i].interval_ms;
    }
    recompute_other_due(now);
}

void sys_timeout(u32_t msecs, sys_timeout_handler handler, void* arg) {
    for (OneShot& slot : g_one_shot) {
        if (!slot.armed) {
            uint32_t now = sys_now();
            slot = { true, now + msecs, handler, arg };
            recompute_other_due(now);
            return;
        }
    }
    VERIFY(!"lwIP armed more one-shot timeouts than kernel/net/lwip/timers.cpp has slots");
}

void sys_untimeout(sys_timeout_handler handler, void* arg) {
    for (OneShot& slot : g_one_shot)
        if (slot.armed && slot.handler == handler && slot.argument == arg)
            slot.armed = false;
    recompute_other_due(sys_now());
}

void sys_restart_timeouts(void) {
    uint32_t now = sys_now();
    for (int i = 0; i < lwip_num_cyclic_timers; ++i)
        if (g_cyclic_armed[i])
            g_cyclic_due[i] = now + lwip_cyclic_timers[i].interval_ms;
    recompute_other_due(now);
}

void sys_check_timeouts(void) {
    bool ran;
    do {
        ran = false;
        uint32_t now = sys_now();
        for (int i = 0; i < lwip_num_cyclic_timers; ++i) {
            if (!cyclic_active(i, now) || !reached(now, g_cyclic_due[i]))
                continue;
            uint32_t interval = lwip_cyclic_timers[i].interval_ms;
            g_cyclic_due[i] += interval;
            if (reached(now, g_cyclic_due[i]))
                g_cyclic_due[i] = now + interval;  // far behind: no burst of catch-up runs
            lwip_cyclic_timers[i].handler();
            ran = true;
        }
        for (OneShot& slot : g_one_shot) {
            if (!slot.armed || !reached(now, slot.due))
                continue;
            slot.armed = false;
            slot.handler(slot.argument);
            ran = true;
        }
    } while (ran);
    recompute_other_due(sys_now());
}

u32_t sys_timeouts_sleeptime(void) {
    uint32_t now = sys_now();
    uint32_t sleep = SYS_TIMEOUTS_SLEEPTIME_INFINITE;
    auto consider = [&](uint32_t due) {
        uint32_t left = reached(now, due) ? 0 : due - now;
        if (left < sleep)
            sleep = left;
    };
    if (g_other_due_valid)
        consider(g_other_due);
    if (g_tcp_index >= 0 && cyclic_active(g_tcp_index, now))
        consider(g_cyclic_due[g_tcp_index]);
    return sleep;
}

}  // extern "C"
