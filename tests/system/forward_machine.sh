# Sourced by the system tests that drive a guest through a QEMU port
# forward (net_forward.sh, net_guard.sh): the machine's log, its clean-up
# and free host ports. The caller sets `machine` to the PID of the
# machine's session (setsid) once it starts one.
log=$(mktemp)
machine=""
cleanup() {
    # The machine runs in its own session: one signal ends QEMU and all.
    if [[ -n $machine ]]; then kill -- -"$machine" 2>/dev/null || true; fi
    rm -f "$log"
}
trap cleanup EXIT

# A free host port: the kernel picks one for port 0. Another process may
# take it before QEMU binds it; QEMU then refuses to start and we pick again.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
