/* Layout pad for the stdcheck layout variants (see userspace/README.md).
 * Linked first, so its .data comes first in .data and shifts everything
 * after it (including libakuma's allocator state in .bss) by about
 * AKUMA_PAD_DATA bytes. The BSS pad is a tentative definition compiled
 * with -fcommon: COMMON symbols are placed after every .bss input section,
 * so it sits at the very end of BSS and moves _end (and the initial
 * program break) by exactly AKUMA_PAD_BSS bytes. stdcheck finds all of
 * these through weak references and checks their contents. */
#ifndef AKUMA_PAD_BSS
#error "define AKUMA_PAD_BSS (bytes, a multiple of 8)"
#endif
#ifndef AKUMA_PAD_DATA
#error "define AKUMA_PAD_DATA (0 or a multiple of 8)"
#endif
#ifndef AKUMA_LAYOUT_VARIANT
#error "define AKUMA_LAYOUT_VARIANT"
#endif

const unsigned akuma_layout_variant = AKUMA_LAYOUT_VARIANT;

#if AKUMA_PAD_BSS > 0
char akuma_layout_pad_bss[AKUMA_PAD_BSS];
#endif
const unsigned long akuma_layout_pad_bss_size = AKUMA_PAD_BSS;

#if AKUMA_PAD_DATA > 0
/* First and last byte set so a loader that truncates the data shows. */
char akuma_layout_pad_data[AKUMA_PAD_DATA] = { [0] = 1, [AKUMA_PAD_DATA - 1] = 2 };
#endif
const unsigned long akuma_layout_pad_data_size = AKUMA_PAD_DATA;
