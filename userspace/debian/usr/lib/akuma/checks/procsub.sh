#!/bin/bash
# bash's process substitution: <(...) and >(...) are pipes named
# /dev/fd/N, which the commands stat and open by name (Linux's magic links,
# /proc/self/fd/N). Prints "[Test] procsub PASSED" or exits non-zero.
# Validated on Debian's Linux on the same disk (tools/linux-ref-disk).
set -e
fail() { echo "procsub: $*"; exit 1; }
diff <(printf 'a\nb\n') <(printf 'a\nb\n') >/dev/null || fail "diff of equal streams"
if diff <(echo left) <(echo right) >/dev/null; then fail "diff of different streams"; fi
[ "$(cat <(echo hello))" = hello ] || fail "cat <(echo hello)"
[ "$(comm -12 <(printf '1\n2\n3\n') <(printf '2\n3\n4\n') | tr '\n' ' ')" = "2 3 " ] || fail "comm"
[ "$(paste -d, <(printf 'x\ny\n') <(printf '1\n2\n') | tr '\n' ' ')" = "x,1 y,2 " ] || fail "paste"
count=0
while read -r _; do count=$((count + 1)); done < <(seq 1 5)
[ "$count" = 5 ] || fail "while read < <(seq 1 5): $count lines"
out=$(mktemp)
echo written > >(cat > "$out")
for _ in $(seq 1 50); do [ -s "$out" ] && break; sleep 0.1; done
[ "$(cat "$out")" = written ] || fail ">(cat > file)"
rm -f "$out"
[ -p <(true) ] || fail "test -p on a process substitution"
echo "[Test] procsub PASSED"
