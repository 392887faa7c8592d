#!/usr/bin/env bash
# ./akuma bench debian end to end with tiny iteration counts (--smoke):
# debbench runs from the Debian root disk on Akuma and on Linux, and every
# row has both figures. No figure is checked: benchmarks are measured,
# never asserted.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=$("$root/akuma" bench debian --no-build --smoke)
echo "$out"
for row in '^debian: boot to the first program \(instructions\) +[0-9]+ +[0-9]+ ' \
           '^debian: bash-c-true +[0-9]+ +[0-9]+ ' '^debian: python3-c-pass +[0-9]+ +[0-9]+ ' \
           '^debian: memory in use after boot, KiB .* +[0-9]+ +[0-9]+ '; do
    grep -Eq "$row" <<<"$out" || { echo "FAIL: no row matching $row"; exit 1; }
done
echo "ok: ./akuma bench debian --smoke"
