/* A QEMU TCG plugin: how often each translation block ran and how many
 * guest instructions it holds, written at exit as "vaddr instructions
 * executions" lines (one per translation; a block translated again gets a
 * line of its own). An inline add per block execution, no callback, so
 * QEMU stays fast enough to profile whole benchmark loops.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu_plugin_api.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = 1;

struct block {
    uint64_t vaddr;
    uint64_t instructions;
    uint64_t executions; /* QEMU adds 1 here at each execution */
    struct block *next;
};

static struct block *blocks;
static const char *output_path = "tb_profile.txt";

static void on_translation(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
    (void)id;
    struct block *block = calloc(1, sizeof *block);
    if (!block)
        abort();
    block->vaddr = qemu_plugin_tb_vaddr(tb);
    block->instructions = qemu_plugin_tb_n_insns(tb);
    block->next = blocks;
    blocks = block;
    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &block->executions, 1);
}

static void on_qemu_exit(qemu_plugin_id_t id, void *userdata) {
    (void)id;
    (void)userdata;
    FILE *out = fopen(output_path, "w");
    if (!out) {
        perror(output_path);
        return;
    }
    for (struct block *block = blocks; block; block = block->next) {
        if (block->executions)
            fprintf(out, "%llx %llu %llu\n", (unsigned long long)block->vaddr,
                    (unsigned long long)block->instructions, (unsigned long long)block->executions);
    }
    fclose(out);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const struct qemu_info_t *info,
                                                               int argc, char **argv) {
    (void)info;
    for (int i = 0; i < argc; i++) {
        if (qemu_plugin_argument(argv[i], "out"))
            output_path = qemu_plugin_argument(argv[i], "out");
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translation);
    qemu_plugin_register_atexit_cb(id, on_qemu_exit, NULL);
    return 0;
}
