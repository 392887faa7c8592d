#!/usr/bin/python3
"""Debian's Python on the event files, sockets and ptys (issue 20): what
real programs built on them do. Prints "[check] NAME ok" per check and
exits 0 only if all pass. Validated on Debian's Linux on the same disk."""
import asyncio
import os
import pty
import select
import signal
import socket
import sys

failures = 0


def check(name, ok, detail=""):
    global failures
    if not ok:
        failures += 1
        print(f"[check] {name} FAILED {detail}")
    else:
        print(f"[check] {name} ok")


def pty_bash():
    # bash on a pty: the slave is its terminal and controlling terminal.
    pid, master = pty.fork()
    if pid == 0:
        os.execv("/bin/bash", ["bash", "--norc", "-c", "tty; [ -t 0 ] && echo is-a-tty; echo via-pty"])
    out = b""
    while True:
        try:
            data = os.read(master, 1024)
        except OSError:  # EIO once the slave side is gone
            break
        if not data:
            break
        out += data
    _, status = os.waitpid(pid, 0)
    text = out.decode(errors="replace")
    check("pty-bash", status == 0 and "/dev/pts/" in text and "is-a-tty" in text and "via-pty\r\n" in text,
          repr(text))


def sockets_and_epoll():
    a, b = socket.socketpair()
    ep = select.epoll()
    ep.register(b.fileno(), select.EPOLLIN)
    check("epoll-empty", ep.poll(0) == [])
    a.sendall(b"x" * 1000)
    ready = ep.poll(1)
    check("epoll-ready", ready == [(b.fileno(), select.EPOLLIN)], repr(ready))
    check("socketpair-data", b.recv(4096) == b"x" * 1000)
    r, w = os.pipe()
    a.sendmsg([b"f"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, bytes(memoryview(bytearray(r.to_bytes(4, sys.byteorder)))))])
    msg, ancdata, flags, _ = b.recvmsg(1, socket.CMSG_SPACE(4))
    passed = int.from_bytes(ancdata[0][2][:4], sys.byteorder) if ancdata else -1
    os.write(w, b"through a passed fd")
    check("scm-rights", msg == b"f" and passed >= 0 and os.read(passed, 64) == b"through a passed fd")
    for fd in (r, w, passed):
        os.close(fd)
    ep.close()
    a.close()
    b.close()


def eventfd():
    fd = os.eventfd(3, os.EFD_SEMAPHORE | os.EFD_NONBLOCK)
    values = [os.eventfd_read(fd) for _ in range(3)]
    try:
        os.eventfd_read(fd)
        empty = False
    except BlockingIOError:
        empty = True
    check("eventfd", values == [1, 1, 1] and empty)
    os.close(fd)


async def echo_server(path):
    async def handle(reader, writer):
        data = await reader.readline()
        writer.write(data.upper())
        await writer.drain()
        writer.close()

    server = await asyncio.start_unix_server(handle, path)
    async with server:
        replies = []
        for word in (b"one\n", b"two\n", b"three\n"):
            reader, writer = await asyncio.open_unix_connection(path)
            writer.write(word)
            replies.append(await reader.readline())
            writer.close()
        sleep = await asyncio.wait_for(asyncio.sleep(0.05, result="slept"), 5)
    return replies, sleep


def asyncio_unix():
    path = f"/tmp/akuma-echo-{os.getpid()}"
    replies, slept = asyncio.run(echo_server(path))
    check("asyncio-unix", replies == [b"ONE\n", b"TWO\n", b"THREE\n"] and slept == "slept", repr(replies))
    os.unlink(path)


def signalfd_like():
    # signal.set_wakeup_fd + a socketpair: how asyncio and others get signals.
    a, b = socket.socketpair()
    a.setblocking(False)
    old = signal.set_wakeup_fd(a.fileno())
    signal.signal(signal.SIGUSR1, lambda *args: None)
    os.kill(os.getpid(), signal.SIGUSR1)
    got = b.recv(1)
    signal.set_wakeup_fd(old)
    check("wakeup-fd", got == bytes([signal.SIGUSR1]))
    a.close()
    b.close()


pty_bash()
sockets_and_epoll()
eventfd()
asyncio_unix()
signalfd_like()
print(f"[check] {failures} failed")
sys.exit(1 if failures else 0)
