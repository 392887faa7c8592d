#!/usr/bin/env bash
# The debugging workflow of docs/DEBUGGING.md, checked end to end: QEMU
# halted with its gdbstub, gdb-multiarch with the kernel ELF, a breakpoint on
# kernel_main and a hardware watchpoint on a kernel variable must both hit.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
elf="$root/build/kernel/akuma.elf"
port=$(( 20000 + RANDOM % 20000 ))
log=$(mktemp); out=$(mktemp); trap 'rm -f "$log" "$out"; kill -- -$qemu_pid 2>/dev/null' EXIT
# The documented entry point: ./akuma debug (here without its own gdb).
setsid "$root/akuma" debug --no-build --no-root-disk --net none --no-gdb --port "$port" </dev/null >"$log" 2>&1 &
qemu_pid=$!
sleep 1
timeout 120 gdb-multiarch -q -batch -nx "$elf" \
    -ex "target remote 127.0.0.1:$port" \
    -ex "break kernel_main" \
    -ex "continue" \
    -ex "info symbol \$pc" \
    -ex "watch akuma::console::g_bytes_written" \
    -ex "continue" \
    -ex "print akuma::console::g_bytes_written" \
    -ex "kill" >"$out" 2>&1
failed=0
grep -q "Breakpoint 1, .*kernel_main" "$out" || { echo "FAIL: breakpoint on kernel_main not hit"; failed=1; }
grep -q '^kernel_main + [0-9]* in section .text' "$out" || { echo "FAIL: pc is not in kernel_main at the breakpoint"; failed=1; }
grep -q "Hardware watchpoint 2: akuma::console::g_bytes_written" "$out" || { echo "FAIL: no hardware watchpoint"; failed=1; }
grep -q "New value = " "$out" || { echo "FAIL: watchpoint did not trigger"; failed=1; }
if [[ $failed != 0 ]]; then echo "---- gdb ----"; cat "$out"; exit 1; fi
echo "ok: breakpoint and hardware watchpoint hit"
