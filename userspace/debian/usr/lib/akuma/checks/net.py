#!/usr/bin/python3
"""Debian's Python on Akuma's network (issue 20): glibc's getaddrinfo for
"localhost" (with AI_ADDRCONFIG, which asks the kernel for the interfaces'
addresses over netlink), if_nameindex, an HTTP server and urllib over
127.0.0.1, asyncio streams over ::1, a UDP exchange. Prints
"[Test] python-net PASSED" or raises. Validated on Debian's Linux
(tools/linux-ref-disk), where the loopback interface starts down and is
brought up first."""
import asyncio
import fcntl
import http.server
import socket
import struct
import threading
import urllib.request


def loopback_up():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    request = struct.pack("16sh22x", b"lo", 0)
    flags = struct.unpack("16sh22x", fcntl.ioctl(s, 0x8913, request))[1]  # SIOCGIFFLAGS
    if not flags & 1:
        fcntl.ioctl(s, 0x8914, struct.pack("16sh22x", b"lo", flags | 1))  # SIOCSIFFLAGS
    s.close()


def check(name, condition, detail=""):
    print(f"[TEST] {name}... {'PASS' if condition else 'FAIL'} {detail}".rstrip())
    if not condition:
        raise SystemExit(f"python-net: {name} failed {detail}")


def names():
    found = {info[4][0] for info in socket.getaddrinfo("localhost", 80, type=socket.SOCK_STREAM)}
    check("getaddrinfo localhost", "127.0.0.1" in found, str(sorted(found)))
    configured = socket.getaddrinfo("localhost", 80, type=socket.SOCK_STREAM, flags=socket.AI_ADDRCONFIG)
    # glibc sorts by RFC 6724 using the source address a connected UDP
    # socket reports: ::1 (precedence 50) before 127.0.0.1, as on Linux.
    check("getaddrinfo AI_ADDRCONFIG", len(configured) == 2 and configured[0][0] == socket.AF_INET6,
          str(configured))
    interfaces = dict((name, index) for index, name in socket.if_nameindex())
    check("if_nameindex", "lo" in interfaces and socket.if_nametoindex("lo") == interfaces["lo"], str(interfaces))


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"hello from {self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def http_round_trip():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    bodies = [urllib.request.urlopen(f"http://127.0.0.1:{port}/page{i}", timeout=10).read() for i in range(5)]
    server.shutdown()
    server.server_close()
    check("http.server and urllib", bodies == [f"hello from /page{i}".encode() for i in range(5)], str(bodies[:1]))


async def asyncio_echo():
    async def serve(reader, writer):
        data = await reader.read(100)
        writer.write(data.upper())
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "::1", 0)
    port = server.sockets[0].getsockname()[1]
    replies = []
    for i in range(10):
        reader, writer = await asyncio.open_connection("::1", port)
        writer.write(f"message {i}".encode())
        await writer.drain()
        replies.append(await asyncio.wait_for(reader.read(100), 10))
        writer.close()
        await writer.wait_closed()
    server.close()
    await server.wait_closed()
    check("asyncio streams over ::1", replies == [f"MESSAGE {i}".encode() for i in range(10)], str(replies[:1]))


def udp():
    a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    a.bind(("127.0.0.1", 0))
    b.settimeout(10)
    b.sendto(b"ping", a.getsockname())
    a.settimeout(10)
    data, sender = a.recvfrom(16)
    a.sendto(b"pong", sender)
    reply, _ = b.recvfrom(16)
    check("udp", data == b"ping" and reply == b"pong" and sender[0] == "127.0.0.1")
    a.close()
    b.close()


loopback_up()
names()
http_round_trip()
asyncio.run(asyncio_echo())
udp()
print("[Test] python-net PASSED")
