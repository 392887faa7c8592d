#!/bin/sh
# Rebuilds the ELF parser fixtures in tests/host/data/elf/ (run from anywhere).
# Needs Debian 12's gcc-aarch64-linux-gnu (GCC 12.2, binutils 2.40).
set -eu
cd "$(dirname "$0")"
CC=aarch64-linux-gnu-gcc
# No libc or start files: tiny files; no build id: reproducible bytes.
COMMON="-O2 -nostdlib -nostartfiles -ffreestanding -fno-asynchronous-unwind-tables -Wl,--build-id=none -s"
# Default 64 KiB max-page-size, as Debian's binaries have: p_align 0x10000.
$CC $COMMON -static -o ../hello-static hello.c
# 4 KiB pages for the others, so the padding between segments stays small.
SMALL="$COMMON -Wl,-z,max-page-size=4096"
$CC $SMALL -fPIE -static-pie -o ../hello-static-pie hello.c
$CC $SMALL -fPIE -pie -Wl,--dynamic-linker=/lib/ld-linux-aarch64.so.1 -o ../hello-dynamic hello.c
$CC $SMALL -static -ftls-model=local-exec -o ../tls-static tls.c
cp ../hello-static ../hello-static-pie ../hello-dynamic ../tls-static ../../../../fuzz/corpus/elf/
