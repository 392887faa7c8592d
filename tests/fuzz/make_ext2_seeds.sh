#!/bin/sh
# Seed corpus for ext2_fuzz: small ext2 images made by mke2fs -d from a
# staging tree with every kind of node (a small file, one past the direct
# blocks, a directory, fast and slow symlinks, a FIFO), 1 and 4 KiB blocks.
# Usage: make_ext2_seeds.sh OUTPUT_DIR
set -eu
out=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/s/dir/sub" "$out"
echo hello > "$work/s/small"
head -c 20000 /dev/zero | tr '\0' 'z' > "$work/s/dir/big"
ln -s small "$work/s/fast"
ln -s "$(printf '%080d' 0)" "$work/s/slow"
ln "$work/s/small" "$work/s/dir/hard"
mkfifo "$work/s/fifo"
for i in 1 2 3 4 5 6 7 8; do echo "$i" > "$work/s/dir/sub/entry-$i"; done
rm -f "$out/ext2-1k.img" "$out/ext2-4k.img"
mke2fs -q -F -t ext2 -b 1024 -N 32 -m 0 -d "$work/s" "$out/ext2-1k.img" 64k
mke2fs -q -F -t ext2 -b 4096 -N 32 -m 0 -d "$work/s" "$out/ext2-4k.img" 256k
