#!/usr/bin/env bash
# ./akuma bench end to end with tiny iteration counts (--smoke): Akuma and
# Linux both run membench, and the table and its JSON come out whole. No
# figure is checked: benchmarks are measured, never asserted.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
json=$(mktemp)
trap 'rm -f "$json"' EXIT
out=$("$root/akuma" bench --no-build --smoke --json "$json")
echo "$out"
fail() { echo "FAIL: $*"; exit 1; }
grep -q '^metric .* Akuma .* Linux .* A/L$' <<<"$out" || fail "no table header"
# Every user-space row has a figure on both kernels.
user_rows=$(grep -c '^user: ' <<<"$out") || fail "no user-space rows"
[[ $user_rows -ge 10 ]] || fail "only $user_rows user-space rows"
python3 - "$json" <<'PY' || fail "the JSON is not a complete table"
import json, sys
table = json.load(open(sys.argv[1]))
rows = table["rows"]
user = [r for r in rows if r["metric"].startswith("user: ")]
assert table["smoke"] is True and len(rows) >= 12, "too few rows"
missing = [r["metric"] for r in user if not isinstance(r["akuma"], int) or not isinstance(r["linux"], int)]
assert not missing, f"rows without both figures: {missing}"
PY
echo "PASS: bench table with $user_rows user-space rows on both kernels"
