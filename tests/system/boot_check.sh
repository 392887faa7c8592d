#!/usr/bin/env bash
# Boots Akuma through `./akuma run` and checks the result.
#   boot_check.sh [--status N] [--expect REGEX]... [--reject REGEX]... [--stdin TEXT] -- [./akuma run options]
# Passes when QEMU's exit status is N (default 0), every --expect regex
# (grep -E) matches a line of the console log and no --reject regex does.
# A hang is stopped by a generous timeout (status 124), which fails unless
# expected. --stdin types TEXT (printf escapes expanded) on the serial console.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
want_status=0 expects=() rejects=() input=
while [[ $# -gt 0 ]]; do
    case $1 in
        --status) want_status=$2; shift 2 ;;
        --expect) expects+=("$2"); shift 2 ;;
        --reject) rejects+=("$2"); shift 2 ;;
        --stdin) input=$2; shift 2 ;;
        --) shift; break ;;
        *) echo "boot_check: unknown option $1" >&2; exit 2 ;;
    esac
done
timeout_s=${AKUMA_TEST_TIMEOUT:-120}
# --net none: test boots run in parallel (ctest -j) and must not compete for
# the default ssh forward's host port; a test's own --net comes later and wins.
log=$(mktemp); trap 'rm -f "$log"' EXIT
printf "$input" | "$root/akuma" run --no-build --no-root-disk --net none --timeout "$timeout_s" "$@" >"$log" 2>&1
status=$?
tr -d '\r' <"$log" >"$log.clean" && mv "$log.clean" "$log"
failed=0
if [[ $status != "$want_status" ]]; then
    echo "FAIL: exit status $status, expected $want_status"; failed=1
fi
for pattern in "${expects[@]}"; do
    grep -Eq -- "$pattern" "$log" || { echo "FAIL: no line matches: $pattern"; failed=1; }
done
for pattern in "${rejects[@]}"; do
    grep -Eq -- "$pattern" "$log" && { echo "FAIL: unexpected line matches: $pattern"; failed=1; }
done
if [[ $failed != 0 ]]; then
    echo "---- console log (./akuma run $*) ----"; cat "$log"; exit 1
fi
echo "ok: ./akuma run $* (status $status)"
