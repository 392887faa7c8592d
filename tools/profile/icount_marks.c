/* A QEMU TCG plugin for instruction counts between marks: it counts every
 * guest instruction executed (an inline add per translation block) and,
 * each time the block at the marker address (a user-space function the
 * benchmark calls between its steps; argument marker=0xADDR) runs, records
 * the running count. At exit it writes the counts, one per line, to
 * out=FILE. The differences are instructions spent by the whole machine
 * (program, kernel, interrupts) between two marks; idle time (WFI) counts
 * nothing, so waiting for a disk costs only what the kernel executes.
 * Used by ./akuma bench disk for Akuma and Linux alike (tools/bench.sh).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu_plugin_api.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = 1;

enum { k_max_marks = 1024 };
static uint64_t total;
static uint64_t marker;
static uint64_t marks[k_max_marks];
static unsigned mark_count;
static const char *output_path = "icount_marks.txt";

static void on_marker(unsigned int vcpu, void *userdata) {
    (void)vcpu;
    (void)userdata;
    if (mark_count < k_max_marks)
        marks[mark_count++] = total;
}

static void on_translation(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
    (void)id;
    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &total, qemu_plugin_tb_n_insns(tb));
    if (marker && qemu_plugin_tb_vaddr(tb) == marker)
        qemu_plugin_register_vcpu_tb_exec_cb(tb, on_marker, QEMU_PLUGIN_CB_NO_REGS, NULL);
}

static void on_qemu_exit(qemu_plugin_id_t id, void *userdata) {
    (void)id;
    (void)userdata;
    FILE *out = fopen(output_path, "w");
    if (!out) {
        perror(output_path);
        return;
    }
    for (unsigned i = 0; i < mark_count; i++)
        fprintf(out, "%llu\n", (unsigned long long)marks[i]);
    fclose(out);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const struct qemu_info_t *info,
                                                               int argc, char **argv) {
    (void)info;
    for (int i = 0; i < argc; i++) {
        if (qemu_plugin_argument(argv[i], "out"))
            output_path = qemu_plugin_argument(argv[i], "out");
        else if (qemu_plugin_argument(argv[i], "marker"))
            marker = strtoull(qemu_plugin_argument(argv[i], "marker"), NULL, 0);
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translation);
    qemu_plugin_register_atexit_cb(id, on_qemu_exit, NULL);
    return 0;
}
