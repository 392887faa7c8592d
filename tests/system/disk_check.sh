#!/usr/bin/env bash
# Akuma with its root on an ext2 disk (root=/dev/vda rw), on a copy of the
# build's image (build/rootfs.ext2):
#  1. every test program of the initrd suite runs from the disk, with /tmp on
#     the disk too (a disk root keeps its own /tmp), and the kernel marks the
#     file system clean at power-off; then the host's e2fsck -fn finds
#     nothing to fix;
#  2. a program writes a file and fsyncs it; power-off;
#  3. the next boot finds it, and the host's debugfs reads it from the image.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$root/build
image=$(mktemp)
log=$(mktemp)
trap 'rm -f "$image" "$log"' EXIT
cp "$build/rootfs.ext2" "$image"
failed=0
fail() { echo "FAIL: $*"; failed=1; }

boot() {  # boot LIST TIMEOUT: runs the program list from the disk
    "$root/akuma" run --no-build --net none --no-initrd --disk "$image" \
        --append "root=/dev/vda rw test=none programs=$1" --timeout "$2" >"$log" 2>&1
    local status=$?
    tr -d '\r' <"$log" >"$log.clean" && mv "$log.clean" "$log"
    return $status
}

expect_line() {
    grep -Eq -- "$1" "$log" || fail "no console line matches: $1"
}

fsck_clean() {
    local out
    out=$(e2fsck -fn "$image" 2>&1) || { echo "$out"; fail "e2fsck -fn after $1"; }
}

boot /etc/akuma/tests 900 || { cat "$log"; fail "the program suite from the disk (status $?)"; }
expect_line "^\[VFS\] root file system: ext2 on /dev/vda \(read-write\)$"
expect_line "^\[Test\] [0-9]+ programs run; .* user memory fully returned - PASSED$"
expect_line "^\[VFS\] /dev/vda \(ext2\): written back and marked clean$"
grep -E "^\[Test\] .* FAILED" "$log" && fail "a program failed"
fsck_clean "the program suite"

boot /etc/akuma/disk-write 120 || { cat "$log"; fail "writing the file (status $?)"; }
expect_line "^persist: wrote 18 bytes to /root/persist$"
fsck_clean "writing the file"

boot /etc/akuma/disk-check 120 || { cat "$log"; fail "the file after a reboot (status $?)"; }
expect_line "^persist: /root/persist holds what was written$"
on_host=$(debugfs -R "cat /root/persist" "$image" 2>/dev/null)
[[ $on_host == akuma-persist-8d1f ]] || fail "debugfs reads '$on_host' from the image"
fsck_clean "reading it back"

[[ $failed == 0 ]] && echo "PASS: root on an ext2 disk, clean after each boot, the file persisted"
exit $failed
