#!/usr/bin/env python3
"""Drives userspace/tests/netserve through a host TCP port forward.

  net_forward.py --port PORT [--wait SECONDS] [--deadline SECONDS] [--pid PID]
                 [--sequential N] [--concurrent N] [--concurrent-bytes B]
                 [--sink-bytes B] [--abrupt N] [--no-quit]

PORT is the host end (127.0.0.1) of a forward to netserve's port in the
guest (./akuma --fwd PORT:GUEST, tools/linux-ref-net --fwd PORT:GUEST).
Phases, in order, each printing a PASS or FAIL line with its time:
  ready       an echo round trip, retried for up to --wait seconds (QEMU's
              user network accepts the host connection before anything in
              the guest listens: only an answer proves the server is up)
  sequential  N connections one after another, each echoing a distinct message
  concurrent  N connections open at once, each echoing B bytes (threads)
  sink        B bytes through one 'S' connection: the server's length and
              SHA-256 must equal the host's
  abrupt      N connections that send garbage or part of a stream and then
              reset (SO_LINGER 0) or close mid-stream; then one more echo
  quit        'Q': the server stops (the caller checks its exit)
Every socket operation has a timeout and --deadline bounds the whole run.
--pid: the process running the machine; its end stops the wait at once.
Exit status 0 when every phase passed. Standard library only.
"""
import argparse
import hashlib
import os
import random
import selectors
import socket
import struct
import sys
import threading
import time

HOST = "127.0.0.1"
IO_TIMEOUT = 60.0  # any single send/receive; a stalled stream fails, never hangs


class Failure(Exception):
    pass


def deadline_left(args):
    left = args.deadline_at - time.monotonic()
    if left <= 0:
        raise Failure(f"the overall limit of {args.deadline:.0f} s is reached")
    return left


def connect(port, timeout):
    sock = socket.create_connection((HOST, port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def exchange(sock, payload, timeout=IO_TIMEOUT, limit=None):
    """Sends payload, then EOF, while reading what comes back until the
    server's EOF (both at once: a large echo must not deadlock on full
    buffers). Returns the bytes received; raises on a timeout."""
    sock.setblocking(False)
    received = bytearray()
    sent = 0
    view = memoryview(payload)
    with selectors.DefaultSelector() as selector:
        selector.register(sock, selectors.EVENT_READ | (selectors.EVENT_WRITE if payload else 0))
        if not payload:
            sock.shutdown(socket.SHUT_WR)
        while True:
            events = selector.select(timeout)
            if not events:
                raise Failure(f"no progress for {timeout:.0f} s (sent {sent} of {len(payload)}, "
                              f"received {len(received)})")
            for _, mask in events:
                if mask & selectors.EVENT_WRITE:
                    sent += sock.send(view[sent:sent + 65536])
                    if sent == len(payload):
                        sock.shutdown(socket.SHUT_WR)
                        selector.modify(sock, selectors.EVENT_READ)
                if mask & selectors.EVENT_READ:
                    chunk = sock.recv(65536)
                    if not chunk:
                        if sent != len(payload):
                            raise Failure(f"EOF from the server after {sent} of {len(payload)} bytes sent")
                        return bytes(received)
                    received += chunk
                    if limit is not None and len(received) > limit:
                        raise Failure(f"more than {limit} bytes back")


def echo(port, message, timeout=IO_TIMEOUT):
    with connect(port, timeout) as sock:
        back = exchange(sock, b"E" + message, timeout, limit=len(message))
    if back != message:
        raise Failure(f"echo of {len(message)} bytes came back as {len(back)} bytes"
                      + ("" if len(back) != len(message) else " that differ"))


def machine_alive(pid):
    if pid is None:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def phase_ready(args):
    start = time.monotonic()
    last = "no attempt"
    while time.monotonic() - start < args.wait:
        deadline_left(args)
        if not machine_alive(args.pid):
            raise Failure(f"the machine (PID {args.pid}) ended before the server answered ({last})")
        try:
            echo(args.port, b"ready?", timeout=3)
            return f"echo answered after {time.monotonic() - start:.1f} s"
        except (OSError, Failure) as error:
            last = str(error) or type(error).__name__
        time.sleep(0.5)
    raise Failure(f"no echo within {args.wait:.0f} s (last: {last})")


def phase_sequential(args):
    for i in range(args.sequential):
        deadline_left(args)
        message = f"message {i} of {args.sequential}: ".encode() * (1 + i % 7)
        try:
            echo(args.port, message, timeout=30)
        except (OSError, Failure) as error:
            raise Failure(f"connection {i}: {error}")
    return f"{args.sequential} connections"


def phase_concurrent(args):
    count, size = args.concurrent, args.concurrent_bytes
    # Opened one after another, each proven served by a short echo, then
    # all transfer at once: QEMU listens for a forward with a backlog of 1
    # (libslirp's tcpx_listen), so a burst of connects overflows the host's
    # accept queue and the host's SYN cookies reset some of them, whatever
    # the guest does. This way all of them are open in the guest together.
    socks = []
    try:
        for index in range(count):
            deadline_left(args)
            probe = f"probe {index}".encode()
            try:
                sock = connect(args.port, IO_TIMEOUT)
                socks.append(sock)
                sock.settimeout(IO_TIMEOUT)
                sock.sendall(b"E" + probe)
                back = b""
                while len(back) < len(probe):
                    part = sock.recv(len(probe) - len(back))
                    if not part:
                        break
                    back += part
            except OSError as error:
                raise Failure(f"connection {index} while opening: {error or type(error).__name__}")
            if back != probe:
                raise Failure(f"connection {index}: the opening echo came back as {back!r}")
        errors = []

        def client(index, sock):
            try:
                data = random.Random(index).randbytes(size)
                back = exchange(sock, data, limit=size)
                if back != data:
                    errors.append(f"connection {index}: {len(back)} bytes back, "
                                  f"{'wrong' if len(back) == size else 'short'}")
            except (OSError, Failure) as error:
                errors.append(f"connection {index}: {error or type(error).__name__}")

        threads = [threading.Thread(target=client, args=(i, sock), daemon=True) for i, sock in enumerate(socks)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(max(1.0, deadline_left(args)))
        if any(thread.is_alive() for thread in threads):
            raise Failure("clients still running at the overall limit")
        if errors:
            raise Failure(f"{len(errors)} of {count} failed: {'; '.join(sorted(errors)[:3])}")
    finally:
        for sock in socks:
            sock.close()
    return f"{count} connections open at once, each echoing {size} bytes"


def phase_sink(args):
    total, chunk_size = args.sink_bytes, 1 << 20
    generator = random.Random(0x5EED)
    digest = hashlib.sha256()
    start = time.monotonic()
    with connect(args.port, IO_TIMEOUT) as sock:
        sock.settimeout(IO_TIMEOUT)
        sock.sendall(b"S")
        sent = 0
        while sent < total:
            deadline_left(args)
            chunk = generator.randbytes(min(chunk_size, total - sent))
            digest.update(chunk)
            sock.sendall(chunk)
            sent += len(chunk)
        sock.shutdown(socket.SHUT_WR)
        reply = bytearray()
        while True:
            part = sock.recv(64)
            if not part:
                break
            reply += part
    seconds = time.monotonic() - start
    if len(reply) != 40:
        raise Failure(f"reply of {len(reply)} bytes, expected 40 (length and SHA-256)")
    length = struct.unpack("<Q", reply[:8])[0]
    if length != total:
        raise Failure(f"the server counted {length} bytes, {total} were sent")
    if reply[8:] != digest.digest():
        raise Failure(f"SHA-256 differs: server {reply[8:].hex()}, host {digest.hexdigest()}")
    return f"{total} bytes, SHA-256 {digest.hexdigest()[:16]}..., {total / seconds / 1e6:.1f} MB/s"


def reset(sock):
    """close() with SO_LINGER 0: an RST instead of a FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def phase_abrupt(args):
    kinds = ["garbage-rst", "echo-unread-rst", "sink-partial-rst", "echo-half-read-close",
             "connect-rst", "garbage-close", "sink-partial-close"]
    used = {}
    for i in range(args.abrupt):
        deadline_left(args)
        kind = kinds[i % len(kinds)]
        used[kind] = used.get(kind, 0) + 1
        data = random.Random(1000 + i).randbytes(32 * 1024 * (1 + i % 4))
        try:
            sock = connect(args.port, 10)
            sock.settimeout(10)
            if kind.startswith("garbage"):
                sock.sendall(bytes([0x80 | (i & 0x7F)]) + data)  # no valid command byte
            elif kind.startswith("echo"):
                sock.sendall(b"E" + data)
                if kind == "echo-half-read-close":
                    sock.recv(1000)
            elif kind.startswith("sink"):
                sock.sendall(b"S" + data)  # and never the EOF that ends a sink
            if kind.endswith("rst"):
                reset(sock)
            else:
                sock.close()
        except OSError:
            # The server may reset a garbage connection first: that is fine,
            # it is the server's survival that counts.
            pass
    # The server must still answer, at the first try. The pause lets QEMU
    # accept what the host queued for it (its backlog of 1, see concurrent).
    time.sleep(1)
    try:
        echo(args.port, b"still here after abrupt clients", timeout=30)
    except (OSError, Failure) as error:
        raise Failure(f"no echo after the abrupt clients: {error}")
    return f"{args.abrupt} connections ({', '.join(f'{k} x{n}' for k, n in used.items())}), then an echo"


def phase_quit(args):
    with connect(args.port, 30) as sock:
        exchange(sock, b"Q", timeout=30)
    return "sent 'Q'"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--wait", type=float, default=60)
    parser.add_argument("--deadline", type=float, default=800)
    parser.add_argument("--pid", type=int)
    parser.add_argument("--sequential", type=int, default=1000)
    parser.add_argument("--concurrent", type=int, default=50)
    parser.add_argument("--concurrent-bytes", type=int, default=64 * 1024)
    parser.add_argument("--sink-bytes", type=int, default=100 * 1000 * 1000)
    parser.add_argument("--abrupt", type=int, default=20)
    parser.add_argument("--no-quit", action="store_true")
    args = parser.parse_args()
    args.deadline_at = time.monotonic() + args.deadline

    phases = [("ready", phase_ready), ("sequential", phase_sequential), ("concurrent", phase_concurrent),
              ("sink", phase_sink), ("abrupt", phase_abrupt)]
    if not args.no_quit:
        phases.append(("quit", phase_quit))
    for name, run in phases:
        start = time.monotonic()
        try:
            detail = run(args)
        except (OSError, Failure) as error:
            print(f"FAIL: {name}: {error or type(error).__name__} ({time.monotonic() - start:.1f} s)", flush=True)
            return 1
        print(f"PASS: {name}: {detail} ({time.monotonic() - start:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
