#!/usr/bin/env bash
# TCP from the host into the guest through a QEMU port forward, end to end:
# userspace/tests/netserve runs in the guest (./akuma exec --fwd) and
# net_forward.py drives it from the host: 1,000 connections in turn, 50 at
# once, 100 MB checked by SHA-256, 20 abrupt clients, then 'Q'; the machine
# must then exit 0 with "[Test] netserve PASSED".
#   net_forward.sh [NETSERVE]   (default: the build's bin/tests/netserve)
# NET_FORWARD_LAUNCHER=linux-ref runs the same program on Debian's Linux
# (tools/linux-ref-net) instead, to validate the test itself.
# NET_FORWARD_TIMEOUT (default 900) bounds the whole run, in seconds;
# NET_FORWARD_ARGS adds net_forward.py options (e.g. "--sink-bytes 1000000").
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
program=${1:-$root/build/rootfs/bin/tests/netserve}
launcher=${NET_FORWARD_LAUNCHER:-akuma}
limit=${NET_FORWARD_TIMEOUT:-900}
guest_port=7777
[[ -f $program ]] || { echo "FAIL: no program at $program (./akuma build)"; exit 1; }

# shellcheck source=forward_machine.sh
source "$root/tests/system/forward_machine.sh"

start_machine() {  # $1: host port; sets machine to the PID of the machine's session
    # The server's own alarm ends it a little before the machine's timeout.
    case $launcher in
        akuma)
            # --ssh-port 0: tests run in parallel, none may take port 2222.
            setsid "$root/akuma" exec --no-build --net user --ssh-port 0 --fwd "$1:$guest_port" \
                --timeout "$limit" "$program" "$guest_port" $(( limit - 30 )) </dev/null >"$log" 2>&1 &
            ;;
        linux-ref)
            setsid "$root/tools/linux-ref-net" --fwd "$1:$guest_port" \
                "$program" "$guest_port" $(( limit - 30 )) </dev/null >"$log" 2>&1 &
            ;;
        *) echo "FAIL: NET_FORWARD_LAUNCHER must be akuma or linux-ref, not '$launcher'"; exit 2 ;;
    esac
    machine=$!
}

start=$SECONDS
for attempt in 1 2 3; do
    port=$(free_port)
    start_machine "$port"
    echo "net_forward: $launcher, host 127.0.0.1:$port -> guest port $guest_port (attempt $attempt)"
    client_status=0
    # shellcheck disable=SC2086
    python3 "$root/tests/system/net_forward.py" --port "$port" --pid "$machine" --wait 60 \
        --deadline $(( limit - 60 )) ${NET_FORWARD_ARGS:-} || client_status=$?
    # QEMU could not bind the port (taken meanwhile): try another one.
    if [[ $client_status != 0 ]] && ! kill -0 "$machine" 2>/dev/null &&
        grep -q "Could not set up host forwarding rule" "$log"; then
        wait "$machine" || true
        machine=""
        continue
    fi
    break
done
if [[ -z $machine ]]; then
    echo "FAIL: QEMU could not forward a free host port in 3 attempts"; cat "$log"; exit 1
fi

# After 'Q' the program exits and the machine with it: bounded wait.
machine_status=""
for (( i = 0; i < 600; i++ )); do
    if ! kill -0 "$machine" 2>/dev/null; then
        machine_status=0
        wait "$machine" || machine_status=$?
        machine=""
        break
    fi
    if [[ $client_status != 0 ]]; then break; fi  # no 'Q' was sent: it would not end
    sleep 0.1
done
tr -d '\r' <"$log" >"$log.clean" && mv "$log.clean" "$log"

failed=0
[[ $client_status == 0 ]] || { echo "FAIL: the host client (net_forward.py) failed"; failed=1; }
if [[ -z $machine_status ]]; then
    if [[ $client_status == 0 ]]; then echo "FAIL: the machine did not exit within 60 s of 'Q'"; failed=1; fi
elif [[ $machine_status != 0 ]]; then
    echo "FAIL: the machine exited with status $machine_status, expected 0"; failed=1
fi
if [[ $client_status == 0 ]]; then
    grep -q '^\[Test\] netserve PASSED$' "$log" || { echo "FAIL: no '[Test] netserve PASSED'"; failed=1; }
fi
if [[ $failed != 0 ]]; then
    echo "---- guest console ----"; cat "$log"
    exit 1
fi
grep '^\[netserve\] served' "$log" || true
echo "PASS: net_forward ($launcher) in $(( SECONDS - start )) s"
