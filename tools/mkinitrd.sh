#!/usr/bin/env bash
# mkinitrd.sh [--ext2 SIZE] OUTPUT [SOURCE=DEST]...
# Builds a cpio "newc" initrd, or with --ext2 an ext2 disk image of SIZE
# (mke2fs -d: 4 KiB blocks, files owned as staged): every SOURCE file (or directory, copied
# recursively) is placed at DEST inside the archive (DEST is an absolute
# path in the guest). A DEST ending in "@" makes a symlink: "target=/bin/sh@"
# creates /bin/sh -> target. In DEST, %XX is the byte with hex code XX (so
# CMake lists can carry "[" as %5B). Besides /bin, /etc, /dev and /tmp
# (1777), every image has /sbin and /root (0700, root's home). Entries are
# sorted and owned by root, so the archive depends only on its inputs.
set -euo pipefail
ext2_size=
if [[ ${1-} == --ext2 ]]; then ext2_size=${2:?--ext2 needs a size}; shift 2; fi
output=$1; shift
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/sbin" "$stage/etc" "$stage/tmp" "$stage/dev" "$stage/root"
chmod 1777 "$stage/tmp"
chmod 700 "$stage/root"
for pair in "$@"; do
    source=${pair%%=*}
    dest=${pair#*=}
    if [[ $dest == *%* ]]; then dest=$(printf '%b' "${dest//%/\\x}"); fi
    if [[ $dest == *@ ]]; then
        dest=${dest%@}
        mkdir -p "$stage$(dirname "$dest")"
        ln -sfn "$source" "$stage$dest"
        continue
    fi
    [[ -e $source ]] || { echo "mkinitrd: missing input $source" >&2; exit 1; }
    mkdir -p "$stage$(dirname "$dest")"
    if [[ -d $source ]]; then
        mkdir -p "$stage$dest"
        cp -a "$source/." "$stage$dest/"
    else
        cp -a "$source" "$stage$dest"
    fi
done
tmp_output="$output.tmp"
if [[ -n $ext2_size ]]; then
    rm -f "$tmp_output"
    # Owned by root whoever builds it (the initrd's --owner=0:0).
    [[ $(id -u) == 0 ]] || chown -R 0:0 "$stage" 2>/dev/null || true
    truncate -s "$ext2_size" "$tmp_output"
    mke2fs -q -F -t ext2 -b 4096 -L akuma-root -d "$stage" "$tmp_output"
else
    (cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc --owner=0:0 --reproducible) > "$tmp_output"
fi
mv "$tmp_output" "$output"
