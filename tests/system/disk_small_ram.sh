#!/usr/bin/env bash
# The root on a disk needs no initrd in RAM: Akuma boots from a copy of the
# build's ext2 image to a working busybox shell in 4 MiB of RAM (issue 18's
# goal), types a command there and powers off.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
image=$(mktemp)
log=$(mktemp)
trap 'rm -f "$image" "$log"' EXIT
cp --sparse=always "$root/build/rootfs.ext2" "$image"
(sleep 6; printf 'echo shell-$((2+3))\npoweroff\n') |
    "$root/akuma" run --no-build --net none --disk "$image" --mem 4M --timeout 120 >"$log" 2>&1
status=$?
tr -d '\r' <"$log" >"$log.clean" && mv "$log.clean" "$log"
if [[ $status == 0 ]] && grep -q '^shell-5$' "$log" && grep -q '^\[VFS\] root file system: ext2 on /dev/vda' "$log"; then
    echo "PASS: booted from the disk to busybox sh in 4 MiB of RAM"
    exit 0
fi
echo "FAIL: status $status"; cat "$log"
exit 1
