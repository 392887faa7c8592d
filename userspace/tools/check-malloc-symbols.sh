#!/usr/bin/env bash
# check-malloc-symbols.sh NM ELF: fails unless the (unstripped) static ELF
# gets malloc from libakuma and none of glibc's malloc.o was linked.
set -euo pipefail
nm=$1 elf=$2
symbols=$("$nm" "$elf")
for glibc_only in _int_malloc __libc_malloc main_arena sysmalloc; do
  if grep -qE " $glibc_only\$" <<<"$symbols"; then
    echo "$elf: glibc's malloc.o is linked ($glibc_only); link libakuma.a with --whole-archive before libc" >&2
    exit 1
  fi
done
grep -qE ' T akuma_malloc_name$' <<<"$symbols" || { echo "$elf: libakuma's malloc is not linked" >&2; exit 1; }
grep -qE ' T malloc$' <<<"$symbols" || { echo "$elf: no malloc definition" >&2; exit 1; }
