#!/usr/bin/env bash
# exec_check.sh [--status N] [--expect REGEX]... [--stdin TEXT] -- PROGRAM [ARGS...]
# Runs `./akuma exec --no-build PROGRAM ARGS` (with TEXT, printf-style
# escapes expanded, as the serial console's input) and passes when its exit
# status is N (default 0) and every --expect regex matches a line of its
# standard output.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
want_status=0 expects=() input=
while [[ $# -gt 0 ]]; do
    case $1 in
        --status) want_status=$2; shift 2 ;;
        --expect) expects+=("$2"); shift 2 ;;
        --stdin) input=$2; shift 2 ;;
        --) shift; break ;;
        *) echo "exec_check: unknown option $1" >&2; exit 2 ;;
    esac
done
out=$(mktemp)
trap 'rm -f "$out"' EXIT
printf "$input" | "$root/akuma" exec --no-build --timeout 120 "$@" >"$out"
status=$?
cat "$out"
ok=1
[[ $status == "$want_status" ]] || { echo "exec_check: exit status $status, expected $want_status" >&2; ok=0; }
for regex in "${expects[@]}"; do
    grep -Eq -- "$regex" "$out" || { echo "exec_check: no output line matches: $regex" >&2; ok=0; }
done
[[ $ok == 1 ]]
