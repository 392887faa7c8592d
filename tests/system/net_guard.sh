#!/usr/bin/env bash
# Bad input from the network (issue 20): malformed frames leave the kernel
# running and its memory back at its baseline once they are forgotten.
# userspace/tests/netguard runs in the guest (./akuma exec) with two
# network devices: QEMU's user network with a forward to netguard's port
# (the control connection and ordinary TCP connections from the host), and
# a second virtio-net on QEMU's socket backend, listening on 127.0.0.1,
# through which net_guard.py exchanges raw Ethernet frames with the guest
# (its DHCP server, ARP, ping, SYN probes, then the malformed frames and a
# SYN flood). The machine must then exit 0 with "[Test] netguard PASSED".
#   net_guard.sh [NETGUARD]   (default: the build's bin/tests/netguard)
# NET_GUARD_TIMEOUT (default 240) bounds the machine, in seconds;
# NET_GUARD_ARGS adds net_guard.py options (e.g. "--seed 1234" to repeat
# a run's frames, "--flood 200").
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
program=${1:-$root/build/rootfs/bin/tests/netguard}
limit=${NET_GUARD_TIMEOUT:-240}
guest_port=7777
# The raw device's MAC, fixed so that a log names the same device every run.
raw_mac=52:54:00:12:34:99
[[ -f $program ]] || { echo "FAIL: no program at $program (./akuma build)"; exit 1; }

# shellcheck source=forward_machine.sh
source "$root/tests/system/forward_machine.sh"

start_machine() {  # $1: forwarded host port, $2: the socket backend's port
    # The server's own alarm ends it a little before the machine's timeout.
    setsid "$root/akuma" exec --no-build --net user --ssh-port 0 --fwd "$1:$guest_port" \
        --qemu "-netdev socket,id=raw0,listen=127.0.0.1:$2 -device virtio-net-device,netdev=raw0,mac=$raw_mac" \
        --timeout "$limit" "$program" "$guest_port" $(( limit - 20 )) </dev/null >"$log" 2>&1 &
    machine=$!
}

start=$SECONDS
for attempt in 1 2 3; do
    port=$(free_port)
    raw_port=$(free_port)
    [[ $raw_port != "$port" ]] || continue
    start_machine "$port" "$raw_port"
    echo "net_guard: host 127.0.0.1:$port -> guest port $guest_port, raw frames on 127.0.0.1:$raw_port (attempt $attempt)"
    client_status=0
    # shellcheck disable=SC2086
    python3 "$root/tests/system/net_guard.py" --port "$port" --raw-port "$raw_port" --pid "$machine" \
        --guest-port "$guest_port" --wait 60 --deadline $(( limit - 40 )) ${NET_GUARD_ARGS:-} || client_status=$?
    # QEMU could not bind a port (taken meanwhile): try other ones.
    if [[ $client_status != 0 ]] && ! kill -0 "$machine" 2>/dev/null &&
        grep -Eq "Could not set up host forwarding rule|can't bind|Address already in use" "$log"; then
        wait "$machine" || true
        machine=""
        continue
    fi
    break
done
if [[ -z $machine ]]; then
    echo "FAIL: QEMU could not use free host ports in 3 attempts"; cat "$log"; exit 1
fi

# After QUIT the program exits and the machine with it: bounded wait (a
# failed run sends QUIT too when it can, so that the console is complete).
machine_status=""
patience=600
[[ $client_status == 0 ]] || patience=200
for (( i = 0; i < patience; i++ )); do
    if ! kill -0 "$machine" 2>/dev/null; then
        machine_status=0
        wait "$machine" || machine_status=$?
        machine=""
        break
    fi
    sleep 0.1
done
tr -d '\r' <"$log" >"$log.clean" && mv "$log.clean" "$log"

failed=0
[[ $client_status == 0 ]] || { echo "FAIL: the host side (net_guard.py) failed"; failed=1; }
if grep -aq '^\[PANIC\]' "$log"; then
    echo "FAIL: the kernel panicked"; failed=1
fi
if [[ -z $machine_status ]]; then
    if [[ $client_status == 0 ]]; then echo "FAIL: the machine did not exit within 60 s of QUIT"; failed=1; fi
elif [[ $machine_status != 0 ]]; then
    echo "FAIL: the machine exited with status $machine_status, expected 0"; failed=1
fi
if [[ $client_status == 0 ]]; then
    grep -q '^\[Test\] netguard PASSED$' "$log" || { echo "FAIL: no '[Test] netguard PASSED'"; failed=1; }
fi
if [[ $failed != 0 ]]; then
    echo "---- guest console ----"; cat "$log"
    exit 1
fi
grep '^\[netguard\]' "$log" || true
echo "PASS: net_guard in $(( SECONDS - start )) s"
