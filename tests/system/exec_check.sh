#!/usr/bin/env bash
# exec_check.sh [--status N] [--expect REGEX]... [--stdin TEXT]
#               [--disk SIZE MARKER] [--disk-contains OFFSET TEXT]... -- PROGRAM [ARGS...]
# Runs `./akuma exec --no-build PROGRAM ARGS` (with TEXT, printf-style
# escapes expanded, as the serial console's input) and passes when its exit
# status is N (default 0) and every --expect regex matches a line of its
# standard output. --disk attaches a fresh sparse raw image of SIZE with
# MARKER at byte 1536 (sector 3) as /dev/vda; --disk-contains then checks
# the image holds TEXT at OFFSET after the run.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
want_status=0 expects=() input= disk_size= disk_marker= contains=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --disk) disk_size=$2; disk_marker=$3; shift 3 ;;
        --disk-contains) contains+=("$2" "$3"); shift 3 ;;
        --status) want_status=$2; shift 2 ;;
        --expect) expects+=("$2"); shift 2 ;;
        --stdin) input=$2; shift 2 ;;
        --) shift; break ;;
        *) echo "exec_check: unknown option $1" >&2; exit 2 ;;
    esac
done
out=$(mktemp)
disk=$(mktemp)
trap 'rm -f "$out" "$disk"' EXIT
disk_args=()
if [[ -n $disk_size ]]; then
    truncate -s "$disk_size" "$disk"
    printf '%s' "$disk_marker" | dd of="$disk" bs=1 seek=1536 conv=notrunc status=none
    disk_args=(--disk "$disk")
fi
# --net none: no network device, no host port taken (tests run in parallel).
printf "$input" | "$root/akuma" exec --no-build --net none --timeout 120 "${disk_args[@]}" "$@" >"$out"
status=$?
cat "$out"
ok=1
[[ $status == "$want_status" ]] || { echo "exec_check: exit status $status, expected $want_status" >&2; ok=0; }
for regex in "${expects[@]}"; do
    grep -Eq -- "$regex" "$out" || { echo "exec_check: no output line matches: $regex" >&2; ok=0; }
done
for (( i = 0; i < ${#contains[@]}; i += 2 )); do
    offset=${contains[i]} text=${contains[i+1]}
    found=$(dd if="$disk" bs=1 skip="$offset" count="${#text}" status=none)
    [[ $found == "$text" ]] || { echo "exec_check: the disk holds '$found' at $offset, expected '$text'" >&2; ok=0; }
done
[[ $ok == 1 ]]
