#!/usr/bin/env python3
"""Host end of ./akuma bench's port-forward throughput rows (tools/bench.sh).

  bench_forward.py --port PORT [--bytes N] [--repeats R] [--wait SECONDS] [--pid PID]
                   [--direction both|host->guest|guest->host]

PORT is the host end (127.0.0.1) of a QEMU user-network forward to
`netbench serve GUESTPORT` in the guest (userspace/bench/netbench.c).
After a readiness probe ('P', retried for up to --wait seconds: QEMU
accepts the host's connection before anything in the guest listens, so
only an answer shows the server is up), it moves N bytes (default 64 MiB)
host to guest ('S': the guest drains them and replies with its count) and
guest to host ('R': the guest sends N bytes), R times each, alternating
(--direction: one of the two only), and prints wall-clock throughput (MB = 10^6 bytes; timed from connect to
the last byte or the guest's count):
  [forward] host->guest run 1: 12.34 MB/s (67108864 bytes in 5.438 s)
  [forward] host->guest: 12.34 MB/s (median of 3)
  [forward] guest->host: 23.45 MB/s (median of 3)
then sends 'Q' (the guest program exits and the machine with it). Exit
status 0 when every transfer moved exactly N bytes. A figure, not a test:
nothing here judges a speed.
"""
import argparse
import os
import socket
import statistics
import struct
import sys
import time

CHUNK = 256 * 1024


def alive(pid):
    if not pid:
        return True
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def connect(port, timeout):
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def recv_exact(sock, count):
    data = bytearray()
    while len(data) < count:
        piece = sock.recv(count - len(data))
        if not piece:
            raise ConnectionError(f"end of file after {len(data)} of {count} bytes")
        data += piece
    return bytes(data)


def ready(port, wait, pid):
    deadline = time.monotonic() + wait
    last = None
    while time.monotonic() < deadline:
        if not alive(pid):
            raise RuntimeError("the machine exited before its server answered")
        try:
            with connect(port, 5) as sock:
                sock.sendall(b"P")
                if sock.recv(1) == b"P":
                    return
                last = "no answer"
        except OSError as error:
            last = error
        time.sleep(0.2)
    raise RuntimeError(f"no answer from the guest within {wait} s ({last})")


def host_to_guest(port, count, timeout):
    payload = memoryview(bytes([0x5A]) * CHUNK)
    start = time.perf_counter()
    with connect(port, timeout) as sock:
        sock.sendall(b"S")
        left = count
        while left:
            piece = min(left, CHUNK)
            sock.sendall(payload[:piece])
            left -= piece
        sock.shutdown(socket.SHUT_WR)
        (received,) = struct.unpack("<Q", recv_exact(sock, 8))
    elapsed = time.perf_counter() - start
    if received != count:
        raise RuntimeError(f"the guest counted {received} bytes, not {count}")
    return elapsed


def guest_to_host(port, count, timeout):
    start = time.perf_counter()
    received = 0
    with connect(port, timeout) as sock:
        sock.sendall(b"R" + struct.pack("<Q", count))
        while True:
            piece = sock.recv(CHUNK)
            if not piece:
                break
            received += len(piece)
    elapsed = time.perf_counter() - start
    if received != count:
        raise RuntimeError(f"received {received} bytes from the guest, not {count}")
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--bytes", type=int, default=64 << 20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--wait", type=float, default=120)
    parser.add_argument("--timeout", type=float, default=300, help="bound on each socket operation, s")
    parser.add_argument("--pid", type=int, default=0, help="the machine's process: stop waiting if it exits")
    parser.add_argument("--direction", choices=("both", "host->guest", "guest->host"), default="both")
    args = parser.parse_args()
    try:
        ready(args.port, args.wait, args.pid)
        transfers = [(name, transfer) for name, transfer in (("host->guest", host_to_guest),
                                                              ("guest->host", guest_to_host))
                     if args.direction in ("both", name)]
        rates = {name: [] for name, _ in transfers}
        for run in range(1, args.repeats + 1):
            for name, transfer in transfers:
                elapsed = transfer(args.port, args.bytes, args.timeout)
                rate = args.bytes / 1e6 / elapsed
                rates[name].append(rate)
                print(f"[forward] {name} run {run}: {rate:.2f} MB/s ({args.bytes} bytes in {elapsed:.3f} s)",
                      flush=True)
        for name, values in rates.items():
            print(f"[forward] {name}: {statistics.median_low(values):.2f} MB/s (median of {len(values)})")
        with connect(args.port, args.timeout) as sock:
            sock.sendall(b"Q")
    except (OSError, RuntimeError) as error:
        print(f"[forward] FAILED: {error}", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
