#!/usr/bin/env bash
# Akuma on its Debian root disk (a scratch copy of build/debian.ext2), in test
# mode: runs the program list LIST from the disk and checks the console as
# boot_check.sh does, then the host's e2fsck -fn on the image.
#   debian_check.sh LIST [boot_check.sh options: --expect REGEX ...]
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
list=$1; shift
image=$(mktemp --suffix=.img)
trap 'rm -f "$image"' EXIT
cp --sparse=always "$root/build/debian.ext2" "$image"
AKUMA_TEST_TIMEOUT=${AKUMA_TEST_TIMEOUT:-900} "$root/tests/system/boot_check.sh" "$@" \
    --expect "^\[VFS\] /dev/vda \(ext2\): written back and marked clean$" \
    -- --no-initrd --disk "$image" --mem 1G --append "root=/dev/vda rw test=none programs=$list" || exit 1
out=$(e2fsck -fn "$image" 2>&1) || { echo "$out"; echo "FAIL: e2fsck -fn after the run"; exit 1; }
echo "ok: e2fsck -fn finds the Debian disk clean"
