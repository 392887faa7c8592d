#!/usr/bin/env bash
# make-envrun.sh OUT [NAME=]PROGRAM... : builds tools/envrun.cpp with the
# given static AArch64 programs embedded (see envrun.cpp), so one
# linux-ref boot can run them all under several environments, e.g.
#   make-envrun.sh /tmp/bundle build/rootfs/bin/stdcheck glibc=build/rootfs/bin/stdcheck-glibc
#   /work/shared/tools/linux-ref /tmp/bundle AKUMA_MALLOC=fast AKUMA_MALLOC=guard AKUMA_MALLOC=brk
# The compiler is $AKUMA_USER_CXX (default aarch64-linux-gnu-g++).
set -euo pipefail
[[ $# -ge 2 ]] || { sed -n '2,8p' "$0"; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
cxx=${AKUMA_USER_CXX:-aarch64-linux-gnu-g++}
out=$1
shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
count=0
{
  echo '.section .rodata'
  for item in "$@"; do
    if [[ $item == *=* ]]; then name=${item%%=*} path=${item#*=}; else name=$(basename "$item") path=$item; fi
    [[ -f $path ]] || { echo "make-envrun: no such program: $path" >&2; exit 1; }
    printf '.balign 16\nenvrun_data_%d: .incbin "%s"\nenvrun_end_%d:\nenvrun_name_%d: .asciz "%s"\n' \
      "$count" "$(realpath "$path")" "$count" "$count" "$name"
    count=$((count + 1))
  done
  printf '.section .data.rel.ro\n.balign 8\n.global envrun_programs\nenvrun_programs:\n'
  for ((i = 0; i < count; i++)); do
    printf '.quad envrun_name_%d, envrun_data_%d, envrun_end_%d - envrun_data_%d\n' "$i" "$i" "$i" "$i"
  done
  echo '.quad 0, 0, 0'
} > "$work/programs.S"
"$cxx" -std=c++20 -Os -Wall -Wextra -static -s -o "$out" "$here/envrun.cpp" "$work/programs.S"
