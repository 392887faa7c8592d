#!/usr/bin/env bash
# Instruction profile of a loop in a user program on Akuma, by kernel
# function (docs/PERFORMANCE.md, "Profiling by translation blocks").
#
#   tools/profile/profile.sh PROGRAM SMALL LARGE [TOP]
#
# PROGRAM (a static AArch64 program) runs twice on Akuma under -icount with
# the TB-counting plugin, with SMALL and then LARGE as its only argument
# (its iteration count); the difference per iteration is printed. Uses the
# existing build (./akuma build first).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
[[ $# -ge 3 ]] || { sed -n '2,12p' "$0"; exit 2; }
program=$1 small=$2 large=$3 top=${4:-40}
(( large > small )) || { echo "LARGE must be above SMALL" >&2; exit 2; }
out=$root/build/profile
mkdir -p "$out"
cc -shared -fPIC -O2 -Wall -Wextra -o "$out/libtb_profile.so" "$here/tb_profile.c"
for count in "$small" "$large"; do
    "$root/akuma" exec --no-build --net none --mem 512M --append "memory_debug=off" \
        --qemu "-icount shift=0,sleep=off -plugin $out/libtb_profile.so,out=$out/tb-$count.txt" \
        "$program" "$count" >/dev/null
done
python3 "$here/analyze.py" "$root/build/kernel/akuma.elf" "$out/tb-$small.txt" "$out/tb-$large.txt" \
    $(( large - small )) "$top"
