#!/usr/bin/env bash
# ./akuma bench end to end with tiny iteration counts (--smoke): Akuma and
# Linux both run membench, fsbench and netbench (loopback, and the port
# forward from the host), and the table and its JSON come out whole. No
# figure is checked: benchmarks are measured, never asserted.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
json=$(mktemp)
trap 'rm -f "$json"' EXIT
out=$("$root/akuma" bench --no-build --smoke --json "$json")
echo "$out"
fail() { echo "FAIL: $*"; exit 1; }
grep -q '^metric .* Akuma .* Linux .* A/L .* Akuma wall .* Linux wall$' <<<"$out" || fail "no table header"
for row in '^boot: reset to Overall: of the kernel test suite' '^boot: reset to the first user instruction of PID 1 +[0-9]+ ' \
           '^smallest -m, MiB: Akuma kernel boots' \
           '^smallest -m, MiB: Akuma runs hello' '^smallest -m, MiB: stdcheck passes'; do
    grep -Eq "$row" <<<"$out" || fail "no row matching $row"
done
# Every user-space row has a figure on both kernels.
user_rows=$(grep -c '^user: ' <<<"$out") || fail "no user-space rows"
[[ $user_rows -ge 10 ]] || fail "only $user_rows user-space rows"
# fsbench's rows (program loading, file layer) are among them.
for row in '^user: fork\+execve\+wait of a 1 MB static program' '^user: memory per process, 20 live copies .*, KiB +[0-9]+ +[0-9]+ ' \
           '^user: open\+read 4 KiB\+close ' '^user: stat of a path 5 components deep '; do
    grep -Eq "$row" <<<"$out" || fail "no row matching $row"
done
# The network section: loopback rows (instructions), the port-forward
# throughput rows (MB/s) and Redis's (requests per second of virtual
# time), each with a figure on both kernels.
for row in '^net: TCP ping-pong round trip' '^net: TCP connect\+accept\+close' '^net: UDP round trip' \
           '^net: epoll_wait, 1000 eventfds' '^net: TCP bulk' '^net: port forward host->guest' '^net: port forward guest->host' \
           '^net: redis-benchmark SET' '^net: redis-benchmark GET'; do
    grep -Eq "$row" <<<"$out" || fail "no row matching $row"
done
python3 - "$json" <<'PY' || fail "the JSON is not a complete table"
import json, sys
table = json.load(open(sys.argv[1]))
rows = table["rows"]
user = [r for r in rows if r["metric"].startswith("user: ")]
assert table["smoke"] is True and len(rows) >= 12, "too few rows"
missing = [r["metric"] for r in user if not isinstance(r["akuma"], int) or not isinstance(r["linux"], int)]
assert not missing, f"rows without both figures: {missing}"
# Wall-clock columns: every per-operation user row has both (one run each
# in smoke mode); the memory rows have none.
timed = [r for r in user if not r["metric"].endswith(", KiB")]
no_wall = [r["metric"] for r in timed if not isinstance(r["akuma_wall"], int) or not isinstance(r["linux_wall"], int)]
assert timed and not no_wall, f"rows without wall-clock figures: {no_wall}"
# The smallest-RAM probes ran on both kernels (smoke: once, at the bench's -m).
minram = {r["metric"]: r for r in rows if r["metric"].startswith("smallest -m")}
assert len(minram) == 3, f"smallest -m rows: {list(minram)}"
assert all(isinstance(r["akuma"], int) for r in minram.values()), "an Akuma probe failed"
assert sum(isinstance(r["linux"], int) for r in minram.values()) == 2, "a Linux probe failed"
net = [r for r in rows if r["metric"].startswith("net: ")]
assert len(net) == 9, f"net rows: {[r['metric'] for r in net]}"
no_figure = [r["metric"] for r in net if not all(isinstance(r[k], (int, float)) and r[k] > 0 for k in ("akuma", "linux"))]
assert not no_figure, f"net rows without both figures: {no_figure}"
PY
echo "PASS: bench table with $user_rows user-space rows on both kernels"
