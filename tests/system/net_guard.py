#!/usr/bin/env python3
"""Bad input from the network: malformed frames must leave the kernel
running and its memory back where it was once they are forgotten.

  net_guard.py --port PORT --raw-port RAW [--guest-port N] [--pid PID]
               [--wait SECONDS] [--deadline SECONDS] [--settle SECONDS]
               [--slab-tolerance-kb KB] [--free-tolerance-kb KB]
               [--flood N] [--groups A,B,...] [--seed N] [--static] [--no-quit]

The guest runs userspace/tests/netguard on two network devices:
  * QEMU's user network with a forward, 127.0.0.1:PORT on the host to the
    guest's netguard port: the control connection (ECHO, BASE, PEEK, WAIT,
    QUIT) and the "normal TCP connection" checks. slirp terminates TCP
    itself, so these are real connections from the host's TCP, made by the
    same guest TCP/IP stack and accepted by the same listening socket as the
    SYN flood hits; hand-made TCP over raw frames is never needed beyond a
    SYN and its answer.
  * a second virtio-net device on QEMU's socket backend, listening on
    127.0.0.1:RAW: this script connects and exchanges raw Ethernet frames
    with the guest, each preceded by its length (4 bytes, big-endian). On it
    the script is 10.0.3.2 (and fe80::5054:ff:feaa:2): it answers the
    guest's DHCP (10.0.3.15/24), its ARP requests for 10.0.3.2 and its
    neighbour solicitations for the host's link-local address; everything
    else it sends is made here.
Phases, in order, each printing a PASS or FAIL line:
  link        connect to QEMU's socket backend (retried up to --wait s)
  dhcp        the guest's DHCP DISCOVER/REQUEST answered (--static: the guest
              has 10.0.3.15 already; its MAC is learned by ARP instead), then
              an ICMPv6 echo to its link-local address answered (retried:
              IPv6 to it is dropped until duplicate address detection ends)
  ready       the control connection answers an ECHO (retried, --wait s)
  before      on the raw link: ARP, ICMP echo, a fragmented echo (reassembled
              by the guest, the reply fragmented by it and reassembled here),
              ICMPv6 echo, SYN -> SYN-ACK on the server's port (then RST),
              RST for a closed port, ICMP port unreachable for a closed UDP
              port (a lost answer is asked for again, at most twice)
  baseline    BASE: the guest reads /proc/meminfo (MemFree, Slab)
  barrage     malformed frames in groups (ethernet, arp, ipv4, fragments,
              tcp, udp-dhcp, icmp, ipv6, oversize, random); connections made
              by hand on the raw link and fed odd segments (tcp-sessions: out
              of order, overlapping, outside the window, MSS 1, zero window;
              a stream sent in overlapping pieces must reach the server
              intact), 120 connections completed at once to overflow the
              accept queue, all reset (established); a SYN flood of --flood
              SYNs from random addresses that never complete; and last,
              datagrams that never complete ("unfinished"); then an
              echo that must come back (the guest took it all in: the socket
              backend hands the device only what it has buffers for), and no
              frame with a bad checksum may have had an answer. PEEK shows
              what the guest holds then.
  memory      WAIT: the guest polls /proc/meminfo until Slab (the kernel
              heap's live bytes) is back within --slab-tolerance-kb and
              MemFree within --free-tolerance-kb of the baseline, for at
              most --settle seconds (lwIP drops half-open connections after
              20 s, IPv4 fragments after 15 s, IPv6 fragments after 60 s).
              MemFree gets more room by design: Akuma's kernel heap keeps up
              to one empty 16 KiB slab per size class (8 classes, 128 KiB)
              for reuse, which userspace cannot make it give back; Slab
              counts live bytes exactly.
  after       the checks of "before" again, then 20 new TCP connections
              through the forward, each echoing a line
  quit        QUIT: the program prints its verdict and exits (the caller
              checks the machine's exit)
Frames the guest sends with a wrong checksum fail the run too. --groups
sends only some groups (e.g. to find which one a failure needs); --seed
repeats a run's frames. Every socket operation has a timeout, every loop a
bound, and --deadline bounds the whole run. Standard library only.
"""
import argparse
import collections
import ipaddress
import os
import queue
import random
import socket
import struct
import sys
import threading
import time

HOST = "127.0.0.1"
HOST_MAC = bytes.fromhex("525400aa0002")
HOST_IP = bytes([10, 0, 3, 2])
GUEST_IP = bytes([10, 0, 3, 15])
NETMASK = bytes([255, 255, 255, 0])
BROADCAST_MAC = b"\xff" * 6
ETH_IP, ETH_ARP, ETH_IP6 = 0x0800, 0x0806, 0x86DD
PROTO_ICMP, PROTO_TCP, PROTO_UDP, PROTO_ICMP6 = 1, 6, 17, 58
FIN, SYN, RST, PSH, ACK, URG = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
IO_TIMEOUT = 30.0
MAX_QUEUED = 20000  # frames from the guest kept for the main thread


class Failure(Exception):
    pass


# ---------------------------------------------------------------- packets
def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ip_text(address):
    return ".".join(str(b) for b in address)


def ip6_text(address):
    return str(ipaddress.IPv6Address(address))


def ether(destination, ethertype, payload, source=HOST_MAC):
    return destination + source + struct.pack("!H", ethertype) + payload


def ipv4(source, destination, protocol, payload, ident=0, flags_fragment=0, ttl=64, tos=0, options=b"",
         total_length=None, ihl=None, version=4, header_checksum=None):
    words = ihl if ihl is not None else (20 + len(options)) // 4
    total = total_length if total_length is not None else 20 + len(options) + len(payload)
    header = struct.pack("!BBHHHBBH4s4s", (version << 4) | (words & 0xF), tos, total & 0xFFFF, ident & 0xFFFF,
                         flags_fragment & 0xFFFF, ttl, protocol, 0, source, destination) + options
    value = checksum(header) if header_checksum is None else header_checksum
    return header[:10] + struct.pack("!H", value) + header[12:] + payload


def corrupt(segment, offset):
    """segment with a wrong checksum at offset: never the right one, nor its
    other one's-complement form (0 and 0xFFFF), nor 0 (UDP's "none")."""
    right = struct.unpack("!H", segment[offset:offset + 2])[0]
    for mask in (0x0F0F, 0x3C3C):
        wrong = right ^ mask
        if wrong not in (0, 0xFFFF):
            return segment[:offset] + struct.pack("!H", wrong) + segment[offset + 2:]
    raise AssertionError("unreachable")


def pseudo4(source, destination, protocol, length):
    return source + destination + struct.pack("!BBH", 0, protocol, length & 0xFFFF)


def tcp(source, destination, sport, dport, seq, ack, flags, window=65535, options=b"", payload=b"",
        data_offset=None, urgent=0, tcp_checksum=None, pseudo=pseudo4):
    offset = data_offset if data_offset is not None else (20 + len(options)) // 4
    segment = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, (offset & 0xF) << 4,
                          flags & 0xFF, window, 0, urgent) + options + payload
    value = checksum(pseudo(source, destination, PROTO_TCP, len(segment)) + segment) \
        if tcp_checksum is None else tcp_checksum
    return segment[:16] + struct.pack("!H", value) + segment[18:]


def udp(source, destination, sport, dport, payload, length=None, udp_checksum=None, pseudo=pseudo4):
    size = length if length is not None else 8 + len(payload)
    datagram = struct.pack("!HHHH", sport, dport, size & 0xFFFF, 0) + payload
    if udp_checksum is None:
        value = checksum(pseudo(source, destination, PROTO_UDP, len(datagram)) + datagram) or 0xFFFF
    else:
        value = udp_checksum
    return datagram[:6] + struct.pack("!H", value) + datagram[8:]


def icmp(kind, code, rest, payload=b"", icmp_checksum=None):
    message = struct.pack("!BBH", kind, code, 0) + rest + payload
    value = checksum(message) if icmp_checksum is None else icmp_checksum
    return message[:2] + struct.pack("!H", value) + message[4:]


def ipv6(source, destination, next_header, payload, hop_limit=64, payload_length=None, version=6):
    length = payload_length if payload_length is not None else len(payload)
    return struct.pack("!IHBB", version << 28, length & 0xFFFF, next_header, hop_limit) + source + destination \
        + payload


def pseudo6(source, destination, protocol, length):
    return source + destination + struct.pack("!IxxxB", length, protocol)


def icmp6(source, destination, kind, code, body, icmp_checksum=None):
    message = struct.pack("!BBH", kind, code, 0) + body
    value = checksum(pseudo6(source, destination, PROTO_ICMP6, len(message)) + message) \
        if icmp_checksum is None else icmp_checksum
    return message[:2] + struct.pack("!H", value) + message[4:]


def arp(operation, sender_mac, sender_ip, target_mac, target_ip, hardware=1, protocol=ETH_IP, hlen=6, plen=4):
    return struct.pack("!HHBBH", hardware, protocol, hlen, plen, operation) + sender_mac + sender_ip \
        + target_mac + target_ip


def link_local(mac):
    """The EUI-64 link-local address lwIP gives a MAC (RFC 4291, appendix A)."""
    return bytes.fromhex("fe80000000000000") + bytes([mac[0] ^ 2]) + mac[1:3] + b"\xff\xfe" + mac[3:6]


HOST_LL = link_local(HOST_MAC)
ALL_NODES = bytes.fromhex("ff020000000000000000000000000001")


class Frame:
    """What the script needs of a frame from the guest (IPv4 parsed)."""

    def __init__(self, data):
        self.data = data
        self.ethertype = struct.unpack("!H", data[12:14])[0] if len(data) >= 14 else None
        self.source_mac = data[6:12]
        self.ip = None
        if self.ethertype == ETH_IP and len(data) >= 34:
            ip = data[14:]
            words = ip[0] & 0xF
            total = struct.unpack("!H", ip[2:4])[0]
            if ip[0] >> 4 == 4 and words >= 5 and 20 <= words * 4 <= total <= len(ip):
                self.ip = ip[:total]
                self.header_length = words * 4
                self.protocol = ip[9]
                self.source, self.destination = ip[12:16], ip[16:20]
                self.ident = struct.unpack("!H", ip[4:6])[0]
                fragment = struct.unpack("!H", ip[6:8])[0]
                self.more_fragments = bool(fragment & 0x2000)
                self.offset = (fragment & 0x1FFF) * 8
                self.payload = self.ip[self.header_length:]
                self.header_ok = checksum(self.ip[:self.header_length]) == 0

    def is_fragment(self):
        return self.ip is not None and (self.more_fragments or self.offset)

    def tcp(self):
        """(sport, dport, seq, ack, flags) of an unfragmented TCP segment, or None."""
        if self.ip is None or self.protocol != PROTO_TCP or self.is_fragment() or len(self.payload) < 20:
            return None
        sport, dport, seq, ack, _, flags = struct.unpack("!HHIIBB", self.payload[:14])
        return sport, dport, seq, ack, flags

    def l4_checksum_ok(self):
        if self.ip is None or self.is_fragment():
            return True
        if self.protocol == PROTO_ICMP:
            return checksum(self.payload) == 0
        if self.protocol in (PROTO_TCP, PROTO_UDP):
            if self.protocol == PROTO_UDP and len(self.payload) >= 8 and self.payload[6:8] == b"\0\0":
                return True
            return checksum(pseudo4(self.source, self.destination, self.protocol, len(self.payload))
                            + self.payload) == 0
        return True


# ---------------------------------------------------------------- the raw link
class RawLink:
    """QEMU's -netdev socket (stream): frames preceded by a 4-byte big-endian
    length. A reader thread answers the guest's DHCP and its ARP requests for
    HOST_IP and queues every other frame for the main thread."""

    def __init__(self, sock, args):
        self.sock = sock
        self.sock.settimeout(IO_TIMEOUT)
        self.args = args
        self.send_lock = threading.Lock()
        self.frames = queue.Queue(MAX_QUEUED)
        self.dropped = 0
        self.guest_mac = None
        self.dhcp_bound = threading.Event()
        self.dhcp_messages = collections.Counter()
        self.dhcp_xid = None
        self.stopped = threading.Event()
        self.error = None
        self.received = 0
        self.sent = 0
        self.bad_from_guest = []  # frames from the guest with a bad checksum
        # Ports of frames the guest must not answer (bad checksums): any TCP
        # segment or ICMP error back to one of them is a finding.
        self.silent_ports = set()
        self.silent_answers = []
        # Hand-made connections (the tcp-sessions group), by the host's
        # port: the guest's last acknowledgement, the flags it sent, its
        # data segments by sequence number.
        self.sessions = {}
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def send(self, frame):
        with self.send_lock:
            self.sock.sendall(struct.pack("!I", len(frame)) + frame)
            self.sent += 1

    def close(self):
        self.stopped.set()
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def run(self):
        buffer = bytearray()
        try:
            while not self.stopped.is_set():
                try:
                    chunk = self.sock.recv(65536)
                except socket.timeout:
                    continue
                if not chunk:
                    self.error = "QEMU closed the socket link"
                    return
                buffer += chunk
                while len(buffer) >= 4:
                    length = struct.unpack("!I", buffer[:4])[0]
                    if len(buffer) < 4 + length:
                        break
                    frame = bytes(buffer[4:4 + length])
                    del buffer[:4 + length]
                    self.received += 1
                    self.handle(frame)
        except OSError as error:
            if not self.stopped.is_set():
                self.error = f"socket link: {error}"
        finally:
            self.stopped.set()

    def handle(self, data):
        frame = Frame(data)
        if frame.ethertype == ETH_ARP and len(data) >= 42:
            operation = struct.unpack("!H", data[20:22])[0]
            if operation == 1 and data[38:42] == HOST_IP:  # who has 10.0.3.2?
                self.send(ether(data[22:28], ETH_ARP, arp(2, HOST_MAC, HOST_IP, data[22:28], data[28:32])))
                return
        if frame.ethertype == ETH_IP6 and len(data) >= 54 + 24 and data[20] == PROTO_ICMP6 and data[54] == 135 \
                and data[62:78] == HOST_LL:  # neighbour solicitation for the host's link-local address
            source = data[22:38]
            destination = source if source != bytes(16) else ALL_NODES
            body = struct.pack("!I", 0x60000000 if source != bytes(16) else 0x20000000) + HOST_LL \
                + b"\x02\x01" + HOST_MAC
            self.send(ether(data[6:12], ETH_IP6, ipv6(HOST_LL, destination, PROTO_ICMP6,
                                                      icmp6(HOST_LL, destination, 136, 0, body), hop_limit=255)))
            return
        if frame.ip is not None:
            if not frame.header_ok or not frame.l4_checksum_ok():
                if len(self.bad_from_guest) < 10:
                    self.bad_from_guest.append(data[:64].hex())
            if frame.protocol == PROTO_UDP and not frame.is_fragment() and len(frame.payload) >= 8:
                dport = struct.unpack("!H", frame.payload[2:4])[0]
                if dport == 67:
                    self.dhcp(frame)
                    return
            segment = frame.tcp()
            if segment and frame.destination == HOST_IP and segment[1] in self.silent_ports:
                self.silent_answers.append(f"TCP flags {segment[4]:#x} to port {segment[1]}")
            if segment and frame.destination == HOST_IP and segment[1] in self.sessions:
                session = self.sessions[segment[1]]
                if segment[4] & ACK:
                    session["ack"] = segment[3]
                session["flags"] |= segment[4]
                if segment[4] & (SYN | ACK) == SYN | ACK:
                    session["their"] = (segment[2] + 1) & 0xFFFFFFFF
                payload = frame.payload[(frame.payload[12] >> 4) * 4:]
                if payload and len(session["segments"]) < 4096:
                    session["segments"].setdefault(segment[2], payload)
            if frame.protocol == PROTO_ICMP and len(frame.payload) >= 8 + 28 and frame.payload[0] == 3:
                inner = frame.payload[8:]
                inner_words = (inner[0] & 0xF) * 4
                if len(inner) >= inner_words + 4 and inner[9] in (PROTO_TCP, PROTO_UDP):
                    sport = struct.unpack("!H", inner[inner_words:inner_words + 2])[0]
                    if sport in self.silent_ports:
                        self.silent_answers.append(f"ICMP type 3 code {frame.payload[1]} for port {sport}")
        try:
            self.frames.put_nowait(frame)
        except queue.Full:
            self.dropped += 1

    def dhcp(self, frame):
        bootp = frame.payload[8:]
        if len(bootp) < 240 or bootp[0] != 1 or bootp[236:240] != b"\x63\x82\x53\x63":
            return
        xid, chaddr = bootp[4:8], bootp[28:34]
        kind, options, index = None, bootp[240:], 0
        while index < len(options) and options[index] != 255:  # bounded by the length
            if options[index] == 0:
                index += 1
                continue
            if index + 1 >= len(options):
                break
            if options[index] == 53 and options[index + 1] >= 1 and index + 2 < len(options):
                kind = options[index + 2]
            index += 2 + options[index + 1]
        if kind not in (1, 3):  # DISCOVER, REQUEST
            return
        self.dhcp_messages["DISCOVER" if kind == 1 else "REQUEST"] += 1
        self.guest_mac = chaddr
        self.dhcp_xid = xid
        answer = 2 if kind == 1 else 5  # OFFER, ACK
        reply_options = bytes([53, 1, answer]) + bytes([54, 4]) + HOST_IP + bytes([51, 4]) \
            + struct.pack("!I", 86400) + bytes([1, 4]) + NETMASK + b"\xff"
        reply = struct.pack("!BBBB4sHH4s4s4s4s16s64s128s", 2, 1, 6, 0, xid, 0, 0, b"\0" * 4, GUEST_IP, HOST_IP,
                            b"\0" * 4, chaddr, b"", b"") + b"\x63\x82\x53\x63" + reply_options
        reply += b"\0" * max(0, 300 - len(reply))
        self.send(ether(BROADCAST_MAC, ETH_IP, ipv4(HOST_IP, b"\xff" * 4, PROTO_UDP,
                                                     udp(HOST_IP, b"\xff" * 4, 67, 68, reply))))
        if answer == 5:
            self.dhcp_bound.set()

    # The main thread's side.
    def drain(self):
        for _ in range(MAX_QUEUED):
            try:
                self.frames.get_nowait()
            except queue.Empty:
                return

    def expect(self, predicate, timeout, what):
        """The first queued frame for which predicate returns a true value
        (that value is returned); the others are dropped."""
        end = time.monotonic() + timeout
        while True:
            if self.error:
                raise Failure(f"{self.error} while waiting for {what}")
            left = end - time.monotonic()
            if left <= 0:
                raise Failure(f"no {what} within {timeout:.0f} s")
            try:
                frame = self.frames.get(timeout=min(left, 0.5))
            except queue.Empty:
                continue
            result = predicate(frame)
            if result:
                return result


# ---------------------------------------------------------------- the control connection
class Control:
    def __init__(self, port, timeout):
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        self.sock.settimeout(timeout)
        self.pending = b""

    def ask(self, line, timeout=IO_TIMEOUT):
        self.sock.settimeout(timeout)
        self.sock.sendall(line.encode() + b"\n")
        for _ in range(10000):  # bounded: at most 10,000 reads for one line
            if b"\n" in self.pending:
                answer, self.pending = self.pending.split(b"\n", 1)
                return answer.decode(errors="replace")
            chunk = self.sock.recv(4096)
            if not chunk:
                raise Failure(f"the server closed the connection after {line.split()[0]}")
            self.pending += chunk
        raise Failure("no end of line in the answer")

    def close(self):
        self.sock.close()


def echo_connection(port, text, timeout=IO_TIMEOUT):
    control = Control(port, timeout)
    try:
        answer = control.ask(f"ECHO {text}", timeout)
    finally:
        control.close()
    if answer != text:
        raise Failure(f"ECHO {text!r} came back as {answer!r}")


# ---------------------------------------------------------------- the test
class Test:
    def __init__(self, args):
        self.args = args
        self.random = random.Random(args.seed)
        self.link = None
        self.control = None
        self.guest_mac = None
        self.guest_ll = None
        self.failures = 0
        self.ident = self.random.randrange(0x10000)

    def deadline_left(self):
        left = self.args.deadline_at - time.monotonic()
        if left <= 0:
            raise Failure(f"the overall limit of {self.args.deadline:.0f} s is reached")
        return left

    def machine_alive(self):
        if self.args.pid is None:
            return True
        try:
            os.kill(self.args.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
        return True

    def to_guest(self, protocol, payload, **ip):
        return ether(self.guest_mac, ETH_IP, ipv4(ip.pop("source", HOST_IP), ip.pop("destination", GUEST_IP),
                                                   protocol, payload, **ip))

    def next_ident(self):
        self.ident = (self.ident + 1) & 0xFFFF
        return self.ident

    # ---- phases
    def phase_link(self):
        start, last = time.monotonic(), "no attempt"
        while time.monotonic() - start < self.args.wait:
            self.deadline_left()
            if not self.machine_alive():
                raise Failure(f"the machine (PID {self.args.pid}) ended ({last})")
            try:
                sock = socket.create_connection((HOST, self.args.raw_port), timeout=3)
                self.link = RawLink(sock, self.args)
                return f"connected to QEMU's socket backend on port {self.args.raw_port}"
            except OSError as error:
                last = str(error)
            time.sleep(0.2)
        raise Failure(f"no connection to port {self.args.raw_port} within {self.args.wait:.0f} s ({last})")

    def phase_dhcp(self):
        if self.args.static:
            self.link.send(ether(BROADCAST_MAC, ETH_ARP, arp(1, HOST_MAC, HOST_IP, b"\0" * 6, GUEST_IP)))
            # (retried: the guest may still be setting its address up)
            for attempt in range(int(self.args.wait)):
                self.deadline_left()
                try:
                    mac = self.link.expect(self.arp_reply_from_guest, 1, "ARP reply")
                    self.guest_mac = mac
                    break
                except Failure:
                    self.link.send(ether(BROADCAST_MAC, ETH_ARP, arp(1, HOST_MAC, HOST_IP, b"\0" * 6, GUEST_IP)))
            else:
                raise Failure("the guest did not answer ARP for its static address")
        else:
            end = time.monotonic() + self.args.wait
            while not self.link.dhcp_bound.wait(0.5):
                self.deadline_left()
                if self.link.error:
                    raise Failure(self.link.error)
                if time.monotonic() > end or not self.machine_alive():
                    raise Failure(f"no DHCP REQUEST from the guest (messages: {dict(self.link.dhcp_messages)})")
            self.guest_mac = self.link.guest_mac
        self.guest_ll = link_local(self.guest_mac)
        # The link-local address answers once the guest's duplicate address
        # detection is over (about 2 s after the link came up): until then
        # IPv6 sent to it is dropped, and the barrage would miss it.
        for attempt in range(int(self.args.wait)):
            self.deadline_left()
            try:
                self.ping6(timeout=1)
                break
            except Failure:
                if self.link.error or not self.machine_alive():
                    raise
        else:
            raise Failure(f"no ICMPv6 echo reply from {self.guest_ll.hex()} within {self.args.wait:.0f} s")
        return f"guest {ip_text(GUEST_IP)} and {ip6_text(self.guest_ll)} at {self.guest_mac.hex(':')}" + \
            ("" if self.args.static else f" (DHCP: {dict(self.link.dhcp_messages)})")

    def phase_ready(self):
        start, last = time.monotonic(), "no attempt"
        while time.monotonic() - start < self.args.wait:
            self.deadline_left()
            if not self.machine_alive():
                raise Failure(f"the machine ended before the server answered ({last})")
            try:
                control = Control(self.args.port, 3)
                try:
                    answer = control.ask("ECHO ready?", 3)
                except BaseException:
                    control.close()
                    raise
                if answer == "ready?":
                    self.control = control
                    return f"echo answered after {time.monotonic() - start:.1f} s"
                control.close()
                last = f"answer {answer!r}"
            except (OSError, Failure) as error:
                last = str(error) or type(error).__name__
            time.sleep(0.5)
        raise Failure(f"no echo within {self.args.wait:.0f} s (last: {last})")

    # ---- checks on the raw link
    def arp_reply_from_guest(self, frame):
        data = frame.data
        if frame.ethertype == ETH_ARP and len(data) >= 42 and struct.unpack("!H", data[20:22])[0] == 2 \
                and data[28:32] == GUEST_IP and data[38:42] == HOST_IP:
            return data[22:28]
        return None

    def check_arp(self):
        for attempt in range(3):
            self.link.drain()
            self.link.send(ether(BROADCAST_MAC, ETH_ARP, arp(1, HOST_MAC, HOST_IP, b"\0" * 6, GUEST_IP)))
            try:
                mac = self.link.expect(self.arp_reply_from_guest, 5, "ARP reply for 10.0.3.15")
                break
            except Failure:
                if attempt == 2 or self.link.error:
                    raise
        if mac != self.guest_mac:
            raise Failure(f"ARP says {mac.hex(':')}, DHCP said {self.guest_mac.hex(':')}")
        return "ARP"

    def ping(self, size, timeout=10, fragment_at=None):
        """An ICMP echo of size payload bytes (IPv4 fragments of fragment_at
        bytes if given); the reply is reassembled here if the guest
        fragments it. Returns the number of fragments of the reply."""
        ident = self.random.randrange(0x10000)
        sequence = self.random.randrange(0x10000)
        payload = self.random.randbytes(size)
        message = icmp(8, 0, struct.pack("!HH", ident, sequence), payload)
        ip_ident = self.next_ident()
        self.link.drain()
        if fragment_at is None:
            self.link.send(self.to_guest(PROTO_ICMP, message, ident=ip_ident))
        else:
            for offset in range(0, len(message), fragment_at):
                more = 0x2000 if offset + fragment_at < len(message) else 0
                self.link.send(self.to_guest(PROTO_ICMP, message[offset:offset + fragment_at], ident=ip_ident,
                                             flags_fragment=more | (offset // 8)))
        pieces, reply_ident = {}, None

        def reply(frame):
            nonlocal reply_ident
            if frame.ip is None or frame.protocol != PROTO_ICMP or frame.source != GUEST_IP:
                return None
            if not frame.is_fragment():
                return [(0, frame.payload)]
            if reply_ident is None and frame.offset == 0 and frame.payload[:1] == b"\0" \
                    and frame.payload[4:8] == struct.pack("!HH", ident, sequence):
                reply_ident = frame.ident
            pieces.setdefault(frame.ident, []).append((frame.offset, frame.payload, frame.more_fragments))
            if reply_ident is None or reply_ident not in pieces:
                return None
            parts = sorted(pieces[reply_ident])
            data, end = b"", 0
            for offset, piece, _ in parts:
                if offset != end:
                    return None
                data += piece
                end += len(piece)
            if parts[-1][2]:
                return None  # the last fragment is still to come
            return [(len(parts), data)]

        for _ in range(1000):  # other echo replies (earlier, lost ones) are skipped
            [(count, data)] = self.link.expect(reply, timeout, f"ICMP echo reply ({size} bytes)")
            if len(data) >= 8 and data[0] == 0 and data[4:8] == struct.pack("!HH", ident, sequence):
                if checksum(data) != 0:
                    raise Failure("the echo reply's ICMP checksum is wrong")
                if data[8:] != payload:
                    raise Failure(f"the echo reply's {len(data) - 8} bytes differ from the {size} sent")
                return max(count, 1)
        raise Failure("too many unrelated ICMP messages")

    def ping_until_answered(self, size, attempts, timeout, fragment_at=None):
        """ping() again after a lost echo (the guest's device drops frames it
        cannot queue for sending, as any NIC may); returns (attempts used,
        fragments of the reply)."""
        last = None
        for attempt in range(1, attempts + 1):
            self.deadline_left()
            try:
                return attempt, self.ping(size, timeout=timeout, fragment_at=fragment_at)
            except Failure as error:
                if self.link.error:
                    raise
                last = error
        raise Failure(f"{last} ({attempts} attempts)")

    def check_ping(self):
        tries = [self.ping_until_answered(56, 3, 5)[0] for _ in range(3)]
        attempts, fragments = self.ping_until_answered(2400, 3, 5, fragment_at=1480)
        tries.append(attempts)
        extra = sum(tries) - len(tries)
        return f"3 echoes; a 2,400-byte echo in 2 fragments, answered in {fragments}" + \
            (f" ({extra} echo(es) sent again)" if extra else "")

    def syn_probe(self, port, expect_listener, timeout=10):
        sport = self.random.randrange(40000, 60000)
        seq = self.random.randrange(1 << 32)
        self.link.drain()
        self.link.send(self.to_guest(PROTO_TCP, tcp(HOST_IP, GUEST_IP, sport, port, seq, 0, SYN,
                                                    options=b"\x02\x04\x05\xb4")))

        def answer(frame):
            segment = frame.tcp()
            if segment and frame.source == GUEST_IP and segment[0] == port and segment[1] == sport:
                return segment
            return None

        _, _, their_seq, ack, flags = self.link.expect(answer, timeout, f"answer to a SYN for port {port}")
        if expect_listener:
            if flags & (SYN | ACK | RST) != SYN | ACK or ack != (seq + 1) & 0xFFFFFFFF:
                raise Failure(f"SYN to port {port}: flags {flags:#x} ack {ack}, expected SYN-ACK ack {seq + 1}")
            self.link.send(self.to_guest(PROTO_TCP, tcp(HOST_IP, GUEST_IP, sport, port, seq + 1, 0, RST)))
        elif not flags & RST:
            raise Failure(f"SYN to closed port {port}: flags {flags:#x}, expected RST")

    def udp_probe(self, port, timeout=10):
        sport = self.random.randrange(40000, 60000)
        self.link.drain()
        self.link.send(self.to_guest(PROTO_UDP, udp(HOST_IP, GUEST_IP, sport, port, b"anyone there?")))

        def unreachable(frame):
            if frame.ip is not None and frame.protocol == PROTO_ICMP and frame.source == GUEST_IP \
                    and len(frame.payload) >= 8 + 28 and frame.payload[0] == 3:
                inner = frame.payload[8:]
                words = (inner[0] & 0xF) * 4
                if inner[9] == PROTO_UDP and struct.unpack("!HH", inner[words:words + 4]) == (sport, port):
                    return frame.payload[1] or "0"
            return None

        code = self.link.expect(unreachable, timeout, f"ICMP unreachable for UDP port {port}")
        if code != 3:
            raise Failure(f"ICMP unreachable code {code} for a closed UDP port, expected 3 (port)")

    def ping6(self, timeout=5):
        """An ICMPv6 echo to the guest's link-local address (the guest asks
        for the host's with a neighbour solicitation, which the reader
        answers)."""
        ident, sequence = self.random.randrange(0x10000), self.random.randrange(0x10000)
        payload = self.random.randbytes(56)
        self.link.drain()
        self.link.send(ether(self.guest_mac, ETH_IP6, ipv6(HOST_LL, self.guest_ll, PROTO_ICMP6, icmp6(
            HOST_LL, self.guest_ll, 128, 0, struct.pack("!HH", ident, sequence) + payload))))

        def reply(frame):
            data = frame.data
            if frame.ethertype == ETH_IP6 and len(data) >= 62 and data[20] == PROTO_ICMP6 and data[54] == 129 \
                    and data[22:38] == self.guest_ll and data[58:62] == struct.pack("!HH", ident, sequence):
                length = struct.unpack("!H", data[18:20])[0]
                message = data[54:54 + length]
                if checksum(pseudo6(self.guest_ll, HOST_LL, PROTO_ICMP6, len(message)) + message) != 0:
                    raise Failure("the ICMPv6 echo reply's checksum is wrong")
                if message[8:] != payload:
                    raise Failure("the ICMPv6 echo reply's data differ")
                return True
            return None

        self.link.expect(reply, timeout, "ICMPv6 echo reply from the link-local address")

    def twice_more(self, probe, *args):
        """probe(*args), tried up to 3 times: a single answer lost (the
        device drops what it cannot queue) is not the failure looked for."""
        for attempt in range(3):
            try:
                return probe(*args)
            except Failure:
                if attempt == 2 or self.link.error:
                    raise

    def checks(self):
        done = [self.check_arp(), self.check_ping()]
        self.twice_more(self.ping6)
        done.append("ICMPv6 echo")
        self.twice_more(self.syn_probe, self.args.guest_port, True)
        done.append(f"SYN-ACK from port {self.args.guest_port}")
        self.twice_more(self.syn_probe, self.args.guest_port + 1, False)
        done.append("RST from a closed port")
        self.twice_more(self.udp_probe, self.args.guest_port + 2)
        done.append("ICMP port unreachable")
        return "; ".join(done)

    def phase_before(self):
        return self.checks()

    def phase_baseline(self):
        answer = self.control.ask("BASE")
        if not answer.startswith("BASE "):
            raise Failure(f"BASE answered {answer!r}")
        return answer

    # ---- the barrage
    def barrage_groups(self):
        """(name, list of frames) pairs: every frame made before any is sent."""
        r = self.random
        guest, host, mac = GUEST_IP, HOST_IP, self.guest_mac
        port = self.args.guest_port
        groups = []

        def random_source():
            """An address that is neither the host (10.0.3.2), nor on the
            user network (10.0.2.0/24, where the control connection is)."""
            choice = r.randrange(3)
            if choice == 0:
                return bytes([10, 0, 3, r.randrange(100, 255)])  # on link: the guest will ARP in vain
            if choice == 1:
                return bytes([198, 51, 100, r.randrange(1, 255)])  # off link: no route back
            first = r.choice([n for n in range(1, 224) if n != 10])
            return bytes([first, r.randrange(256), r.randrange(256), r.randrange(1, 255)])

        def silent_port():
            sport = r.randrange(20000, 30000)
            self.link.silent_ports.add(sport)
            return sport

        def ip_frame(payload, protocol=PROTO_TCP, **ip):
            return ether(mac, ETH_IP, ipv4(ip.pop("source", host), ip.pop("destination", guest), protocol,
                                           payload, **ip))

        def syn(sport, **extra):
            return tcp(host, guest, sport, port, r.randrange(1 << 32), 0, SYN, **extra)

        # Ethernet: runts, unknown and VLAN ethertypes, other destinations.
        frames = [bytes(r.randbytes(n)) for n in range(1, 14)]
        frames += [ether(mac, 0x0800, b"")]  # a bare Ethernet header
        frames += [ether(mac, t, r.randbytes(r.randrange(0, 100))) for t in (0x8100, 0x88A8, 0x8863, 0x8864, 0x0000,
                                                                              0xFFFF, 0x05DC, 0x0600, 0x88CC)]
        frames += [ether(d, ETH_IP, ipv4(host, guest, PROTO_ICMP, icmp(8, 0, b"\0\1\0\1")))
                   for d in (bytes.fromhex("01005e000001"), bytes.fromhex("333300000001"), bytes.fromhex("020000000099"))]
        groups.append(("ethernet", frames))

        # ARP: truncated, odd sizes and operations, forged senders (never the host's own address).
        frames = [ether(BROADCAST_MAC, ETH_ARP, arp(1, HOST_MAC, host, b"\0" * 6, guest)[:n]) for n in range(0, 28)]
        frames += [ether(BROADCAST_MAC, ETH_ARP, arp(op, b"\x02" + r.randbytes(5), bytes([10, 0, 3, 200 + op % 50]),
                                                     b"\0" * 6, guest)) for op in (0, 3, 4, 8, 9, 0xFFFF)]
        frames += [ether(BROADCAST_MAC, ETH_ARP, arp(1, HOST_MAC, host, b"\0" * 6, guest, hardware=h, protocol=p,
                                                     hlen=hl, plen=pl))
                   for h, p, hl, pl in ((6, ETH_IP, 6, 4), (1, ETH_IP6, 6, 4), (1, ETH_IP, 8, 4), (1, ETH_IP, 6, 16),
                                        (1, ETH_IP, 0, 0), (1, ETH_IP, 255, 255))]
        for sender in (b"\0\0\0\0", b"\xff\xff\xff\xff", bytes([224, 0, 0, 1]), guest, bytes([127, 0, 0, 1]),
                       bytes([10, 0, 3, 255])):
            for operation in (1, 2):
                frames.append(ether(BROADCAST_MAC, ETH_ARP, arp(operation, b"\x02" + r.randbytes(5), sender,
                                                                b"\0" * 6, guest)))
        # A broadcast or multicast sender hardware address.
        frames += [ether(BROADCAST_MAC, ETH_ARP, arp(2, m, bytes([10, 0, 3, 201]), mac, guest))
                   for m in (BROADCAST_MAC, bytes.fromhex("01005e000001"), b"\0" * 6)]
        # Many different senders asking for the guest: its ARP table (16) turns over.
        frames += [ether(BROADCAST_MAC, ETH_ARP, arp(1, b"\x02" + r.randbytes(5), bytes([10, 0, 3, 100 + i]),
                                                     b"\0" * 6, guest)) for i in range(100)]
        groups.append(("arp", frames))

        # IPv4 headers.
        echo = icmp(8, 0, b"\x12\x34\0\1", b"x" * 32)
        frames = []
        for n in range(0, 20):  # truncated header
            frames.append(ether(mac, ETH_IP, ipv4(host, guest, PROTO_ICMP, echo)[:n]))
        for version in (0, 1, 5, 6, 7, 15):
            frames.append(ip_frame(echo, PROTO_ICMP, version=version))
        for words in range(0, 5):  # IHL < 5
            frames.append(ip_frame(echo, PROTO_ICMP, ihl=words))
        for words in (6, 7, 15):  # IHL beyond the options present, beyond the total length
            frames.append(ip_frame(echo, PROTO_ICMP, ihl=words))
            frames.append(ip_frame(b"", PROTO_ICMP, ihl=words))
        for total in (0, 1, 19, 20, 21, 27, 28 + 31, 28 + 33, 100, 1500, 65535):  # total length vs. the frame
            frames.append(ip_frame(echo, PROTO_ICMP, total_length=total))
        frames.append(ip_frame(echo + b"\0" * 64, PROTO_ICMP, total_length=20 + len(echo)))  # padding
        for bad in (0, 0xFFFF, 0x1234):
            frames.append(ip_frame(echo, PROTO_ICMP, header_checksum=bad))
        for source in (b"\xff\xff\xff\xff", bytes([224, 0, 0, 5]), b"\0\0\0\0", bytes([127, 0, 0, 1]),
                       bytes([10, 0, 3, 255]), bytes([240, 0, 0, 1])):
            frames.append(ip_frame(echo, PROTO_ICMP, source=source))
        for destination in (b"\xff\xff\xff\xff", bytes([10, 0, 3, 255]), bytes([224, 0, 0, 1]), bytes([127, 0, 0, 1]),
                            b"\0\0\0\0", bytes([10, 0, 3, 16]), bytes([8, 8, 8, 8])):
            frames.append(ip_frame(echo, PROTO_ICMP, destination=destination))
        for options in (b"\x01" * 4, b"\x00" * 4, b"\x07\x00\x00\x00", b"\x07\xff\x04\x00", b"\x44\x02\x00\x00",
                        b"\x83\x27" + b"\0" * 38, b"\x94\x04\x00\x00", b"\x07\x03", bytes(r.randbytes(40)),
                        b"\x82\x0b" + b"\0" * 9 + b"\0", b"\x44\x28\x05\x00" + b"\0" * 36):
            padded = options + b"\0" * (-len(options) % 4)
            frames.append(ip_frame(echo, PROTO_ICMP, options=padded[:40]))
        for protocol in (0, 2, 4, 41, 47, 50, 51, 89, 103, 132, 136, 253, 255):  # unknown transports
            frames.append(ip_frame(r.randbytes(40), protocol))
        frames.append(ip_frame(echo, PROTO_ICMP, ttl=0))
        groups.append(("ipv4", frames))

        # IPv4 fragments: never complete, overlapping, teardrop, beyond 64 KiB, odd sizes.
        frames = []
        for _ in range(120):  # first fragments of datagrams whose rest never comes
            frames.append(ip_frame(r.randbytes(r.choice((8, 64, 512, 1480))), r.choice((PROTO_UDP, PROTO_ICMP,
                                   PROTO_TCP)), ident=self.next_ident(), flags_fragment=0x2000))
        for _ in range(40):  # last fragments only
            frames.append(ip_frame(r.randbytes(100), PROTO_UDP, ident=self.next_ident(),
                                   flags_fragment=r.randrange(1, 0x1FFF)))
        for _ in range(30):  # overlaps: the same datagram's pieces cover each other
            ident = self.next_ident()
            message = icmp(8, 0, b"\x43\x21\0\1", r.randbytes(1000))
            for offset, length, more in ((0, 512, 1), (256, 512, 1), (504, 512, 1), (0, 1008, 1), (512, 8, 1),
                                         (1000, 8, 0)):
                frames.append(ip_frame(message[offset:offset + length], PROTO_ICMP, ident=ident,
                                       flags_fragment=(0x2000 if more else 0) | (offset // 8)))
        for _ in range(30):  # teardrop: the second piece ends inside the first
            ident = self.next_ident()
            frames.append(ip_frame(r.randbytes(48), PROTO_UDP, ident=ident, flags_fragment=0x2000))
            frames.append(ip_frame(r.randbytes(8), PROTO_UDP, ident=ident, flags_fragment=3))
        for _ in range(10):  # exact duplicates, then the end: a whole datagram arrives twice
            ident = self.next_ident()
            message = icmp(8, 0, b"\x43\x22\0\1", r.randbytes(64))
            for __ in range(3):
                frames.append(ip_frame(message[:32], PROTO_ICMP, ident=ident, flags_fragment=0x2000))
            frames.append(ip_frame(message[32:], PROTO_ICMP, ident=ident, flags_fragment=4))
            frames.append(ip_frame(message[32:], PROTO_ICMP, ident=ident, flags_fragment=4))
        for ident_offset in range(10):  # beyond 65,535 bytes (ping of death)
            ident = self.next_ident()
            frames.append(ip_frame(r.randbytes(1480), PROTO_ICMP, ident=ident, flags_fragment=0x2000))
            frames.append(ip_frame(r.randbytes(1480), PROTO_ICMP, ident=ident, flags_fragment=0x1FFF - ident_offset))
        for flags_fragment in (0x2000 | 0, 0x2001, 0x6000, 0x8000 | 0x2000, 0x4000 | 5, 0xFFFF):
            frames.append(ip_frame(r.randbytes(13), PROTO_UDP, ident=self.next_ident(), flags_fragment=flags_fragment))
            frames.append(ip_frame(b"", PROTO_UDP, ident=self.next_ident(), flags_fragment=flags_fragment))
        for _ in range(20):  # a datagram in many tiny pieces, one missing
            ident = self.next_ident()
            message = r.randbytes(800)
            for offset in range(0, 800, 8):
                if offset != 400:
                    frames.append(ip_frame(message[offset:offset + 8], PROTO_UDP, ident=ident,
                                           flags_fragment=(0x2000 if offset + 8 < 800 else 0) | (offset // 8)))
        # The TCP header split across fragments, to the server's port.
        for _ in range(10):
            ident = self.next_ident()
            segment = syn(r.randrange(30000, 40000))
            frames.append(ip_frame(segment[:8], PROTO_TCP, ident=ident, flags_fragment=0x2000))
            frames.append(ip_frame(segment[8:], PROTO_TCP, ident=ident, flags_fragment=1))
        groups.append(("fragments", frames))

        # TCP: truncated, bad offsets, bad checksums, odd flags and options, LAND.
        frames = []
        for n in range(0, 20):
            frames.append(ip_frame(syn(r.randrange(30000, 40000))[:n]))
        for offset in (0, 1, 2, 3, 4, 6, 15):
            frames.append(ip_frame(syn(r.randrange(30000, 40000), data_offset=offset)))
            frames.append(ip_frame(syn(r.randrange(30000, 40000), data_offset=offset, payload=b"\x01" * 8)))
        for _ in range(20):  # must be dropped without any answer
            frames.append(ip_frame(corrupt(syn(silent_port()), 16)))
            frames.append(ip_frame(corrupt(tcp(host, guest, silent_port(), port + 1, 1, 0, SYN), 16)))
        for flags in (SYN | FIN, SYN | RST, 0xFF, 0x3F, 0, FIN, URG, FIN | PSH | URG, RST, ACK, SYN | ACK, 0xC2,
                      RST | ACK, PSH):
            for dport in (port, port + 1, 0):
                frames.append(ip_frame(tcp(host, guest, r.randrange(30000, 40000), dport, r.randrange(1 << 32),
                                           r.randrange(1 << 32), flags, payload=r.randbytes(r.choice((0, 10))),
                                           urgent=r.randrange(0x10000))))
        for options in (b"\x02\x00\x00\x00", b"\x02\x01\x00\x00", b"\x02\x04", b"\x02\x28" + b"\0" * 2,
                        b"\x03\x03\xff\x00", b"\x03\x00\x00\x00", b"\x04\x00\x00\x00", b"\x04\x03\x00\x00",
                        b"\x05\x02\x00\x00", b"\x05\x0b" + b"\0" * 10, b"\x08\x0a" + b"\0" * 10, b"\x08\x01\x00\x00",
                        b"\xfe\x00\x00\x00", b"\xfe\xff\x00\x00", b"\x01" * 40, b"\x00" * 40, b"\x02\x04\x00\x00",
                        b"\x02\x04\xff\xff", b"\x03\x03\x0e\x00", bytes(r.randbytes(40)), b"\x02\x03\x05\xb4",
                        b"\x1e\x04\x00\x00", b"\x22\x02\x00\x00"):
            padded = (options + b"\0" * (-len(options) % 4))[:40]
            frames.append(ip_frame(syn(r.randrange(30000, 40000), options=padded)))
        frames.append(ip_frame(syn(r.randrange(30000, 40000), payload=r.randbytes(100))))  # data on a SYN
        frames.append(ip_frame(tcp(host, guest, 0, port, 1, 0, SYN)))  # source port 0
        for destination in (b"\xff\xff\xff\xff", bytes([10, 0, 3, 255]), bytes([224, 0, 0, 1])):
            frames.append(ip_frame(tcp(host, destination, r.randrange(30000, 40000), port, 1, 0, SYN),
                                   destination=destination))
        # LAND: the guest's own address and port as the source.
        frames.append(ip_frame(tcp(guest, guest, port, port, 0x1000, 0, SYN), source=guest))
        frames.append(ip_frame(tcp(guest, guest, 1234, port, 0x2000, 0, SYN), source=guest))
        frames.append(ip_frame(tcp(bytes([127, 0, 0, 1]), guest, 1235, port, 0x3000, 0, SYN),
                               source=bytes([127, 0, 0, 1])))
        groups.append(("tcp", frames))

        # UDP and DHCP.
        frames = []
        for n in range(0, 8):
            frames.append(ip_frame(udp(host, guest, 5000, port + 2, b"hello")[:n], PROTO_UDP))
        for length in (0, 1, 7, 8, 12, 13, 14, 100, 65535):
            frames.append(ip_frame(udp(host, guest, 5000, port + 2, b"hello", length=length), PROTO_UDP))
        for _ in range(10):
            frames.append(ip_frame(corrupt(udp(host, guest, silent_port(), port + 2, b"hello"), 6), PROTO_UDP))
        frames.append(ip_frame(udp(host, guest, 5000, port + 2, b"no checksum", udp_checksum=0), PROTO_UDP))
        for destination in (b"\xff\xff\xff\xff", bytes([10, 0, 3, 255]), bytes([224, 0, 0, 251])):
            frames.append(ip_frame(udp(host, destination, 5353, 5353, r.randbytes(40)), PROTO_UDP,
                                   destination=destination))
        for dport in (0, 7, 53, 67, 68, 137, 546, 547, port):
            frames.append(ip_frame(udp(host, guest, r.randrange(1024, 65536), dport, r.randbytes(r.randrange(0, 600))),
                                   PROTO_UDP))
        # DHCP replies to the guest's own transaction, malformed: all parsed,
        # none acted on (OFFERs and unknown types while bound; never a NAK).
        xid = self.link.dhcp_xid or b"\0\0\0\0"

        def bootp(options, op=2, chaddr=mac, hlen=6, sname=b"", file=b"", cookie=b"\x63\x82\x53\x63"):
            return struct.pack("!BBBB4sHH4s4s4s4s16s64s128s", op, 1, hlen, 0, xid, 0, 0, b"\0" * 4,
                               bytes([10, 0, 3, 99]), host, b"\0" * 4, chaddr, sname, file) + cookie + options

        def dhcp_frame(payload):
            return ip_frame(udp(host, b"\xff\xff\xff\xff", 67, 68, payload), PROTO_UDP,
                            destination=b"\xff\xff\xff\xff")

        offer = bytes([53, 1, 2, 54, 4]) + host
        bad_options = [
            b"", b"\xff", offer, offer + b"\xff", bytes([53, 0]), bytes([53, 5, 2]) + b"\xff", bytes([53]),
            offer + bytes([1, 3, 255, 255, 255, 255]), offer + bytes([1, 255]) + b"\0" * 10,
            offer + bytes([51, 0, 255]), offer + bytes([51, 2, 0, 0, 255]), offer + bytes([3, 0, 255]),
            offer + bytes([6, 0, 255]), offer + bytes([6, 3, 8, 8, 8, 255]), offer + bytes([6, 252]) + b"\x08" * 252,
            offer + bytes([6, 4, 8, 8, 8, 8]) * 8 + b"\xff", offer + bytes([52, 1, 3, 255]), offer + bytes([52, 1, 3]),
            offer + bytes([52, 0, 255]), offer + bytes([52, 1, 9, 255]), offer + bytes([58, 4, 0, 0, 0, 0, 59, 4,
                                                                                        0, 0, 0, 0, 255]),
            offer + b"\0" * 300, bytes(b if b != 53 else 1 for b in r.randbytes(300)),  # (no 53: never a NAK)
            offer + bytes([54, 255]) + b"\xff" * 255,
            bytes([53, 1, 99, 54, 4]) + host + b"\xff", offer + bytes([12, 255]) + b"A" * 255 + b"\xff",
        ]
        for options in bad_options:
            frames.append(dhcp_frame(bootp(options)))
        frames.append(dhcp_frame(bootp(offer + bytes([52, 1, 3, 255]), sname=bytes([6, 62]) + b"\x07" * 62,
                                       file=bytes([6, 127]) + b"\x07" * 126)))
        frames.append(dhcp_frame(bootp(offer + bytes([52, 1, 3, 255]), sname=b"\x06" * 64, file=b"\x33" * 128)))
        frames.append(dhcp_frame(bootp(offer + b"\xff", cookie=b"\0\0\0\0")))
        frames.append(dhcp_frame(bootp(offer + b"\xff", op=1)))
        frames.append(dhcp_frame(bootp(offer + b"\xff", hlen=0)))
        frames.append(dhcp_frame(bootp(offer + b"\xff", hlen=255)))
        frames.append(dhcp_frame(bootp(offer + b"\xff", chaddr=b"\x02" * 6)))
        for n in (0, 1, 20, 43, 44, 200, 236, 240, 241):
            frames.append(dhcp_frame(bootp(offer + b"\xff")[:n]))
        groups.append(("udp-dhcp", frames))

        # ICMP: truncated, bad checksums, errors quoting odd headers (Akuma's
        # port-unreachable hook reads them), unusual types.
        frames = []
        for n in range(0, 8):
            frames.append(ip_frame(icmp(8, 0, b"\0\1\0\1", b"abc")[:n], PROTO_ICMP))
        frames.append(ip_frame(icmp(8, 0, b"\0\1\0\1", b"abc", icmp_checksum=0x1234), PROTO_ICMP))
        frames.append(ip_frame(icmp(8, 0, b"\0\1\0\1", b"abc", icmp_checksum=0), PROTO_ICMP))
        quoted = ipv4(guest, host, PROTO_UDP, udp(guest, host, 1000, 2000, b"x" * 8))
        for code in range(0, 16):
            frames.append(ip_frame(icmp(3, code, b"\0" * 4, quoted), PROTO_ICMP))
        for inner in (quoted[:n] for n in (0, 1, 8, 19, 20, 27, 28)):
            frames.append(ip_frame(icmp(3, 3, b"\0" * 4, inner), PROTO_ICMP))
        for words in (0, 1, 4, 6, 15):
            inner = bytearray(quoted)
            inner[0] = 0x40 | words
            frames.append(ip_frame(icmp(3, 3, b"\0" * 4, bytes(inner) + r.randbytes(60)), PROTO_ICMP))
            frames.append(ip_frame(icmp(3, 3, b"\0" * 4, bytes(inner)), PROTO_ICMP))
        # The same quoting, inside a packet whose own header is odd (the hook
        # sees packets before lwIP checks them).
        for words in (0, 1, 4, 15):
            frames.append(ip_frame(icmp(3, 3, b"\0" * 4, quoted), PROTO_ICMP, ihl=words))
        frames.append(ip_frame(icmp(3, 3, b"\0" * 4, quoted), PROTO_ICMP, header_checksum=1))
        frames.append(ip_frame(icmp(3, 3, b"\0" * 4, quoted), PROTO_ICMP, total_length=30))
        for kind, code in ((0, 0), (4, 0), (5, 0), (5, 1), (11, 0), (11, 1), (12, 0), (12, 1), (13, 0), (14, 0),
                           (15, 0), (17, 0), (18, 0), (30, 0), (40, 0), (42, 0), (255, 255), (8, 1)):
            frames.append(ip_frame(icmp(kind, code, r.randbytes(4), quoted), PROTO_ICMP))
        frames.append(ip_frame(icmp(5, 1, bytes([10, 0, 3, 66]), quoted), PROTO_ICMP))  # a redirect
        frames.append(ip_frame(icmp(8, 0, b"\0\1\0\1", b"x" * 32), PROTO_ICMP, destination=b"\xff\xff\xff\xff"))
        groups.append(("icmp", frames))

        # IPv6: truncated, wrong lengths, extension headers, fragments, ND and MLD.
        frames = []
        ll_host = HOST_LL
        all_nodes, all_nodes_mac = ALL_NODES, bytes.fromhex("333300000001")
        target = self.guest_ll

        def v6(next_header, payload, destination=target, source=ll_host, **extra):
            dmac = all_nodes_mac if destination[0] == 0xFF else mac
            return ether(dmac, ETH_IP6, ipv6(source, destination, next_header, payload, **extra))

        echo6 = icmp6(ll_host, target, 128, 0, b"\0\1\0\1" + b"y" * 32)
        for n in range(0, 40, 3):
            frames.append(ether(mac, ETH_IP6, ipv6(ll_host, target, PROTO_ICMP6, echo6)[:n]))
        for version in (0, 4, 7, 15):
            frames.append(v6(PROTO_ICMP6, echo6, version=version))
        for length in (0, 1, 7, 100, 1500, 65535):
            frames.append(v6(PROTO_ICMP6, echo6, payload_length=length))
        frames.append(v6(PROTO_ICMP6, icmp6(ll_host, target, 128, 0, b"\0\1\0\1", icmp_checksum=0x1111)))
        frames.append(v6(PROTO_ICMP6, echo6, source=bytes.fromhex("ff020000000000000000000000000001")))
        frames.append(v6(PROTO_ICMP6, echo6, source=bytes(15) + b"\1"))  # ::1 from the wire
        # Extension headers: hop-by-hop (must be first), destination options,
        # routing (type 0 and unknown), with bad lengths, options and chains.
        for header in (bytes([PROTO_ICMP6, 0]) + b"\x01\x04\0\0\0\0",  # PadN
                       bytes([PROTO_ICMP6, 0]) + b"\x05\x02\0\0\x01\0",  # router alert
                       bytes([PROTO_ICMP6, 0]) + b"\x80\x04\0\0\0\0",  # unknown option: discard + ICMP
                       bytes([PROTO_ICMP6, 0]) + b"\xc0\x04\0\0\0\0",  # unknown option: discard + ICMP if unicast
                       bytes([PROTO_ICMP6, 0]) + b"\x01\x09\0\0\0\0",  # option length beyond the header
                       bytes([PROTO_ICMP6, 255]) + b"\0" * 6,  # header length beyond the packet
                       bytes([PROTO_ICMP6, 0]) + b"\x00" * 6,
                       bytes([0, 0]) + b"\x01\x04\0\0\0\0",  # hop-by-hop after hop-by-hop
                       bytes([60, 0]) + b"\x01\x04\0\0\0\0"):
            frames.append(v6(0, header + echo6))
            frames.append(v6(60, header + echo6))
        frames.append(v6(0, bytes([PROTO_ICMP6, 0])))  # truncated
        frames.append(v6(0, b""))
        for routing in (bytes([PROTO_ICMP6, 2, 0, 1, 0, 0, 0, 0]) + bytes(16),
                        bytes([PROTO_ICMP6, 2, 0, 0, 0, 0, 0, 0]) + bytes(16),
                        bytes([PROTO_ICMP6, 0, 99, 1, 0, 0, 0, 0]), bytes([PROTO_ICMP6, 0, 4, 9, 0, 0, 0, 0]),
                        bytes([PROTO_ICMP6, 8, 2, 4, 0, 0, 0, 0]) + bytes(16)):
            frames.append(v6(43, routing + echo6))
        for next_header in (59, 254, 6, 17, 50, 51, 135, 139, 140, 253):
            frames.append(v6(next_header, r.randbytes(32)))
        # Fragments: never complete, overlapping, tiny, beyond 64 KiB, atomic.
        def frag6(next_header, offset, more, ident, payload):
            return bytes([next_header, 0]) + struct.pack("!HI", (offset & 0xFFF8) | (1 if more else 0), ident) + payload

        for _ in range(60):
            frames.append(v6(44, frag6(PROTO_ICMP6, 0, True, r.randrange(1 << 32), r.randbytes(r.choice((8, 512,
                                                                                                             1232))))))
        for _ in range(20):
            ident = r.randrange(1 << 32)
            for offset, length, more in ((0, 512, True), (256, 512, True), (8, 16, True), (1000, 8, False)):
                frames.append(v6(44, frag6(PROTO_ICMP6, offset, more, ident, r.randbytes(length))))
        for _ in range(10):
            ident = r.randrange(1 << 32)
            frames.append(v6(44, frag6(PROTO_ICMP6, 0, True, ident, r.randbytes(1232))))
            frames.append(v6(44, frag6(PROTO_ICMP6, 65528 - 8, False, ident, r.randbytes(1000))))
        for more in (True, False):
            frames.append(v6(44, frag6(PROTO_ICMP6, 0, more, r.randrange(1 << 32), b"")))
            frames.append(v6(44, frag6(PROTO_ICMP6, 8, more, r.randrange(1 << 32), b"\0" * 3)))
        frames.append(v6(44, frag6(PROTO_ICMP6, 0, False, 7, echo6)))  # atomic fragment
        frames.append(v6(44, frag6(44, 0, False, 8, frag6(PROTO_ICMP6, 0, False, 9, echo6))))  # nested
        frames.append(v6(44, b"\x3a\0\0"))  # truncated fragment header
        # Neighbour discovery with odd options (length 0 is the classic
        # endless loop), router advertisements, redirects, MLD.
        for options in (b"\x01\x00" + b"\0" * 6, b"\x01\x01" + HOST_MAC, b"\x01\x02" + HOST_MAC + b"\0" * 8,
                        b"\x01\x01" + BROADCAST_MAC, b"\x01\xff" + b"\0" * 6, b"\x02\x01" + HOST_MAC,
                        b"\x99\x01" + b"\0" * 6, b"\x01\x01"):
            for kind in (135, 136):
                body = (b"\x60\0\0\0" if kind == 136 else b"\0" * 4) + (target if kind == 135 else ll_host) + options
                frames.append(v6(PROTO_ICMP6, icmp6(ll_host, target, kind, 0, body), hop_limit=255))
        frames.append(v6(PROTO_ICMP6, icmp6(ll_host, target, 135, 0, b"\0" * 4 + target), hop_limit=64))
        frames.append(v6(PROTO_ICMP6, icmp6(ll_host, target, 135, 0, b"\0" * 4), hop_limit=255))  # no target
        frames.append(v6(PROTO_ICMP6, icmp6(ll_host, target, 135, 0, b"\0" * 4 + all_nodes), hop_limit=255))
        prefix = bytes([3, 4, 64, 0xC0]) + struct.pack("!II", 3600, 1800) + b"\0" * 4 + bytes.fromhex(
            "20010db8000000000000000000000000")
        for ra_options in (prefix, bytes([3, 4, 200, 0xC0]) + prefix[4:], bytes([3, 0]) + prefix[2:],
                           bytes([5, 1, 0, 0]) + struct.pack("!I", 100),  # an MTU below IPv6's minimum
                           bytes([5, 1, 0, 0]) + struct.pack("!I", 0xFFFFFFFF), bytes([5, 0, 0, 0, 0, 0, 0, 0]),
                           bytes([25, 3, 0, 0]) + struct.pack("!I", 600) + bytes(16),  # RDNSS
                           bytes([25, 1, 0, 0]) + struct.pack("!I", 600), bytes([24, 2, 0, 0, 0, 0, 0, 0]),
                           bytes([31, 255]) + b"\0" * 6, b"\x01\x01" + HOST_MAC + bytes([3, 9]) + prefix[2:]):
            ra = struct.pack("!BBHII", 64, 0, 0, 0, 0) + ra_options  # router lifetime 0: not a default router
            frames.append(v6(PROTO_ICMP6, icmp6(ll_host, all_nodes, 134, 0, ra), destination=all_nodes,
                             hop_limit=255))
        frames.append(v6(PROTO_ICMP6, icmp6(ll_host, target, 137, 0, b"\0" * 4 + target + target + b"\x04\x00"),
                         hop_limit=255))  # a redirect with an option of length 0
        for body in (b"\0" * 4 + bytes(16), b"\0" * 4 + bytes.fromhex("ff020000000000000000000000000001"), b"\0\0",
                     b"\0" * 4 + bytes(16) + b"\x02\x07\x00\x05" + bytes(16) * 5):
            frames.append(v6(PROTO_ICMP6, icmp6(ll_host, all_nodes, 130, 0, body), destination=all_nodes, hop_limit=1))
        for kind in (1, 2, 3, 4, 129, 131, 132, 133, 143, 200, 255):
            frames.append(v6(PROTO_ICMP6, icmp6(ll_host, target, kind, 0, r.randbytes(r.choice((0, 4, 48))))))
        groups.append(("ipv6", frames))

        # Frames above the MTU (the device has 2,048-byte receive buffers).
        frames = []
        for size in (1515, 1518, 1522, 1600, 2000, 2034, 2036, 2038, 2039, 2048, 4000, 9000, 65535):
            message = icmp(8, 0, b"\x77\x77\0\1", b"z" * (size - 14 - 20 - 8))
            frames.append(ip_frame(message, PROTO_ICMP))
            frames.append(ether(mac, 0x88B5, r.randbytes(size - 14)))
        # An oversize frame whose IP packet is small: the rest is padding.
        frames.append(ip_frame(icmp(8, 0, b"\x77\x78\0\1", b"q" * 16) + b"\0" * 1900, PROTO_ICMP,
                               total_length=20 + 8 + 16))
        groups.append(("oversize", frames))

        # Random frames: pure noise, then packets with valid checksums but
        # random contents (they get past the checksums into the parsers).
        frames = []
        for _ in range(300):
            ethertype = r.choice((ETH_IP, ETH_ARP, ETH_IP6, r.randrange(0x10000)))
            frames.append(ether(r.choice((mac, BROADCAST_MAC)), ethertype, r.randbytes(r.randrange(0, 1500))))
        for _ in range(400):
            protocol = r.choice((PROTO_TCP, PROTO_UDP, PROTO_ICMP, r.randrange(256)))
            source = random_source()
            body = r.randbytes(r.randrange(0, 300))
            if protocol == PROTO_TCP and len(body) >= 20:
                body = tcp(source, guest, r.randrange(1, 65536), r.choice((port, r.randrange(65536))),
                           r.randrange(1 << 32), r.randrange(1 << 32), r.randrange(256),
                           window=r.randrange(65536), data_offset=r.randrange(16), urgent=r.randrange(65536),
                           options=b"", payload=body[20:])
            elif protocol == PROTO_UDP and len(body) >= 8:
                body = udp(source, guest, r.randrange(65536), r.randrange(65536), body[8:],
                           length=r.choice((None, r.randrange(65536))))
            elif protocol == PROTO_ICMP and len(body) >= 4:
                body = icmp(r.randrange(256), r.randrange(256), body[4:8].ljust(4, b"\0"), body[8:])
            options = r.randbytes(4 * r.randrange(0, 11)) if r.random() < 0.3 else b""
            frames.append(ip_frame(body, protocol, source=source, ident=self.next_ident(), options=options,
                                   flags_fragment=r.choice((0, 0, 0, 0x4000, 0x2000, r.randrange(0x10000))),
                                   tos=r.randrange(256), ttl=r.randrange(256)))
        for _ in range(200):
            next_header = r.choice((PROTO_ICMP6, PROTO_TCP, PROTO_UDP, 0, 43, 44, 60, r.randrange(256)))
            body = r.randbytes(r.randrange(0, 300))
            if next_header == PROTO_ICMP6 and len(body) >= 4:
                body = icmp6(ll_host, target, r.choice((128, 129, 133, 134, 135, 136, 137, 130, 131, 143,
                                                        r.randrange(256))), r.randrange(4), body[4:])
            frames.append(v6(next_header, body, hop_limit=r.choice((1, 64, 255))))
        groups.append(("random", frames))

        # Connections made by hand on the raw link, then fed odd segments
        # (interactive: run when their turn comes, before the flood fills the
        # listen backlog).
        groups.append(("tcp-sessions", self.tcp_sessions))
        groups.append(("established", self.established_flood))

        # The SYN flood: never completed, from random addresses and ports.
        frames = []
        for _ in range(self.args.flood):
            source = host if r.random() < 0.5 else random_source()
            # (from the host's address, never a port the probes or the
            # frames that must go unanswered use)
            sport = r.randrange(1024, 20000) if source == host else r.randrange(1024, 65536)
            options = r.choice((b"", b"\x02\x04\x05\xb4", b"\x02\x04\x05\xb4\x01\x03\x03\x07"))
            options += b"\0" * (-len(options) % 4)
            frames.append(ip_frame(tcp(source, guest, sport, port, r.randrange(1 << 32), 0, SYN, options=options,
                                       window=r.randrange(1, 65536)), source=source, ident=self.next_ident()))
        groups.append(("syn-flood", frames))

        # Last, so that nothing after them pushes them out of the reassembly
        # queues (each holds at most 10 packets, about 16 KiB, well above
        # the Slab tolerance): datagrams that never complete, left for
        # lwIP's timers (IPv4 15 s, IPv6 60 s).
        frames = []
        for _ in range(10):
            frames.append(ip_frame(r.randbytes(1480), PROTO_UDP, ident=self.next_ident(), flags_fragment=0x2000))
            frames.append(v6(44, frag6(PROTO_UDP, 0, True, r.randrange(1 << 32), r.randbytes(1232))))
        groups.append(("unfinished", frames))
        return groups

    # ---- connections made by hand
    def open_session(self, options=b"", window=65535):
        """SYN, the guest's SYN-ACK, ACK: an established connection to the
        server on the raw link. Returns (port, next seq, the guest's seq)."""
        sport = self.random.randrange(30000, 40000)
        while sport in self.link.sessions or sport in self.link.silent_ports:
            sport = self.random.randrange(30000, 40000)
        self.link.sessions[sport] = {"ack": None, "flags": 0, "segments": {}}
        seq = self.random.randrange(1 << 32)
        port = self.args.guest_port
        self.link.drain()
        self.link.send(self.to_guest(PROTO_TCP, tcp(HOST_IP, GUEST_IP, sport, port, seq, 0, SYN, window=window,
                                                    options=options)))

        def syn_ack(frame):
            segment = frame.tcp()
            if segment and segment[0] == port and segment[1] == sport and segment[4] & (SYN | ACK) == SYN | ACK:
                return segment
            return None

        _, _, their_seq, ack, _ = self.link.expect(syn_ack, 10, f"SYN-ACK for the session from port {sport}")
        if ack != (seq + 1) & 0xFFFFFFFF:
            raise Failure(f"session SYN-ACK acknowledges {ack}, not {seq + 1}")
        their = (their_seq + 1) & 0xFFFFFFFF
        self.link.send(self.to_guest(PROTO_TCP, tcp(HOST_IP, GUEST_IP, sport, port, seq + 1, their, ACK,
                                                    window=window)))
        return sport, (seq + 1) & 0xFFFFFFFF, their

    def session_segment(self, sport, seq, ack, flags=ACK | PSH, payload=b"", **extra):
        return self.to_guest(PROTO_TCP, tcp(HOST_IP, GUEST_IP, sport, self.args.guest_port, seq, ack, flags,
                                            payload=payload, **extra))

    def session_stream(self, sport, their):
        """The guest's data on a session, in order from sequence number
        their, as far as it is contiguous."""
        segments = list(self.link.sessions[sport]["segments"].items())  # (the reader adds to it)
        stream, position = b"", their
        for _ in range(len(segments) + 1):
            grown = False
            for start, data in segments:
                skip = (position - start) & 0xFFFFFFFF
                if skip < len(data):
                    stream += data[skip:]
                    position = (position + len(data) - skip) & 0xFFFFFFFF
                    grown = True
            if not grown:
                break
        return stream

    def wait_session_data(self, sport, their, expected, timeout=10):
        """Waits until the guest's data on a session contains expected,
        acknowledging what came (its Nagle algorithm holds small segments
        back until then). Returns the data."""
        end = time.monotonic() + timeout
        stream = b""
        while time.monotonic() < end:
            stream = self.session_stream(sport, their)
            if expected in stream:
                return stream
            ours = self.link.sessions[sport]["ack"]
            if ours is not None:
                self.link.send(self.session_segment(sport, ours, (their + len(stream)) & 0xFFFFFFFF, ACK))
            time.sleep(0.1)
        acked = self.link.sessions[sport]["ack"]
        raise Failure(f"session {sport}: no {expected!r} from the server (got {len(stream)} bytes, ending "
                      f"{stream[-60:]!r}; the guest acknowledges {acked})")

    def reset_session(self, sport, their):
        """RST at the sequence number the guest expects (its last ACK), then
        make sure the connection is gone: a segment for it is answered with
        RST. Returns frames sent."""
        sent = 0
        for _ in range(5):
            session = self.link.sessions[sport]
            next_seq = session["ack"]
            if next_seq is None:
                raise Failure(f"session {sport}: the guest never acknowledged anything")
            self.link.send(self.session_segment(sport, next_seq, 0, RST))
            time.sleep(0.2)
            session["flags"] = 0
            self.link.send(self.session_segment(sport, next_seq, their, ACK))
            sent += 2
            end = time.monotonic() + 3
            while time.monotonic() < end and not session["flags"]:
                time.sleep(0.05)
            if session["flags"] & RST:
                return sent
        raise Failure(f"session {sport}: still open after RST (the guest acknowledges {session['ack']})")

    def tcp_sessions(self):
        """Established connections fed what a broken or hostile peer sends:
        segments out of order beyond a gap that is never filled (lwIP's
        out-of-sequence queue), overlapping and duplicate ones, old ones,
        ones far outside the window, SYN and bad acknowledgements in the
        established state, urgent data, junk SACK blocks; a stream in
        overlapping pieces out of order that must arrive intact; a peer with
        an MSS of 1 and one with a zero window. Each ends with a reset."""
        r = self.random
        sent = 0
        port = self.args.guest_port

        # 1. Out of order and overlapping.
        sport, seq, their = self.open_session(options=b"\x02\x04\x05\xb4\x01\x03\x03\x07")
        line = b"ECHO first line\n"
        self.link.send(self.session_segment(sport, seq, their, payload=line))
        self.wait_session_data(sport, their, b"first line\n")
        seq = (seq + len(line)) & 0xFFFFFFFF
        gap = seq + 100  # bytes [seq, seq + 100) never come
        odd = []
        for offset, size in ((0, 200), (50, 300), (10, 20), (0, 200), (400, 100), (1000, 1400), (5000, 1),
                             (200, 1), (199, 3), (3000, 1400), (2900, 300), (60000, 1400), (200000, 1400),
                             (1 << 20, 100), (1 << 31, 100), ((1 << 32) - 150, 100)):
            odd.append(self.session_segment(sport, gap + offset, their, payload=r.randbytes(size)))
        odd.append(self.session_segment(sport, gap + 7000, their, FIN | ACK, payload=b"late fin"))
        odd.append(self.session_segment(sport, gap + 8000, their, FIN | ACK))
        odd.append(self.session_segment(sport, seq - 10, their, payload=b"old data10"))  # wholly old
        odd.append(self.session_segment(sport, seq - 1000, their, payload=r.randbytes(500)))
        odd.append(self.session_segment(sport, seq, their, SYN | ACK))  # SYN while established
        odd.append(self.session_segment(sport, seq, their, SYN))
        odd.append(self.session_segment(sport, seq, (their + 100000) & 0xFFFFFFFF))  # acks unsent data
        odd.append(self.session_segment(sport, seq, (their - 100000) & 0xFFFFFFFF))  # acks long gone data
        odd.append(self.session_segment(sport, gap + 20, their, URG | ACK, payload=b"urgent!", urgent=60000))
        odd.append(self.session_segment(sport, gap + 30, their, payload=b"junk sack",
                                        options=b"\x01\x01\x05\x22" + r.randbytes(32)))
        odd.append(self.session_segment(sport, gap + 40, their, payload=b"bad sum", tcp_checksum=1))
        odd.append(self.session_segment(sport, seq + 5, their, RST))  # in the window, not exact: challenge
        odd.append(self.session_segment(sport, seq, their, window=0))
        odd.append(self.session_segment(sport, seq, their, ACK, window=65535))
        for frame in odd:
            self.link.send(frame)
        sent += 3 + len(odd) + self.reset_session(sport, their)

        # 2. A stream of lines sent in overlapping pieces, out of order, the
        # last one with FIN, the first one last; then, as a sender does, the
        # rest again from wherever the guest's acknowledgements stop (its
        # out-of-sequence queue may drop what it holds: that is allowed
        # without SACK). The server must read the stream exactly (its echo of
        # every line proves it) and then its end.
        sport, seq, their = self.open_session()
        stream = b"".join(b"ECHO line %d %s\n" % (i, b"x" * i) for i in range(30))
        size = len(stream)
        pieces = [(40, 300), (200, 500), (500, 501), (450, size - 50), (100, 120), (600, 700), (size - 60, size)]
        for start, end in pieces:
            flags = ACK | PSH | (FIN if end == size else 0)
            self.link.send(self.session_segment(sport, seq + start, their, flags, payload=stream[start:end]))
        self.link.send(self.session_segment(sport, seq, their, payload=stream[:60]))
        sent += 3 + len(pieces) + 1
        echoed = b"".join(b"line %d %s\n" % (i, b"x" * i) for i in range(30))
        data, resent = b"", 0
        for _ in range(150):  # 15 s
            data = self.session_stream(sport, their)
            acked = self.link.sessions[sport]["ack"]
            offset = (acked - seq) & 0xFFFFFFFF if acked is not None else 0
            if data.startswith(echoed) and offset == size + 1:
                break
            if offset <= size:
                piece = stream[offset:offset + 1000]
                flags = ACK | PSH | (FIN if offset + len(piece) == size else 0)
                self.link.send(self.session_segment(sport, seq + offset, (their + len(data)) & 0xFFFFFFFF, flags,
                                                    payload=piece))
                resent += 1
            time.sleep(0.1)
        else:
            raise Failure(f"session {sport}: the stream sent in pieces came back as {len(data)} bytes "
                          f"ending {data[-60:]!r}; the guest acknowledges {offset} of {size} bytes and FIN")
        if data != echoed:
            raise Failure(f"session {sport}: {len(data)} bytes came back, not the {len(echoed)} expected")
        sent += resent + self.reset_session(sport, their)

        # 3. A peer whose MSS is 1 byte: the echo comes back a byte a segment.
        sport, seq, their = self.open_session(options=b"\x02\x04\x00\x01")
        text = b"tiny segments " * 20
        self.link.send(self.session_segment(sport, seq, their, payload=b"ECHO " + text + b"\n"))
        self.wait_session_data(sport, their, b"tiny segments tiny")
        sent += 4 + self.reset_session(sport, their)

        # 4. A peer whose window is zero: the answer waits, probing.
        sport, seq, their = self.open_session(window=0)
        self.link.send(self.session_segment(sport, seq, their, payload=b"ECHO never read\n", window=0))
        time.sleep(1)
        sent += 4 + self.reset_session(sport, their)
        return sent

    def established_flood(self, count=120):
        """count connections completed at once and left idle: more than the
        server's listen backlog (64) and its 8 connection slots hold, so the
        kernel's accept queue overflows (Akuma aborts the surplus). Then a
        reset for each: its pcb, socket and backlog entry must all go."""
        r = self.random
        port = self.args.guest_port
        opened = []
        for _ in range(count):
            sport = r.randrange(30000, 40000)
            while sport in self.link.sessions or sport in self.link.silent_ports:
                sport = r.randrange(30000, 40000)
            self.link.sessions[sport] = {"ack": None, "flags": 0, "segments": {}}
            seq = r.randrange(1 << 32)
            opened.append((sport, seq))
            self.link.send(self.to_guest(PROTO_TCP, tcp(HOST_IP, GUEST_IP, sport, port, seq, 0, SYN)))
        answered = []
        end = time.monotonic() + 10
        while time.monotonic() < end and len(answered) < count:
            answered = [(sport, seq) for sport, seq in opened if "their" in self.link.sessions[sport]]
            time.sleep(0.1)
        for sport, seq in answered:
            their = self.link.sessions[sport]["their"]
            self.link.send(self.session_segment(sport, seq + 1, their, ACK))
        time.sleep(1)  # the server accepts what it can
        for sport, seq in opened:
            self.link.send(self.session_segment(sport, seq + 1, 0, RST))
        if len(answered) < count // 2:
            raise Failure(f"only {len(answered)} of {count} SYNs were answered")
        return count + len(answered) + count

    def phase_barrage(self):
        groups = self.barrage_groups()
        if self.args.groups is not None:
            wanted = [name for name in self.args.groups.split(",") if name]
            unknown = set(wanted) - {name for name, _ in groups}
            if unknown:
                raise Failure(f"unknown groups {sorted(unknown)}; there are {[name for name, _ in groups]}")
            groups = [(name, frames) for name, frames in groups if name in wanted]
        total = 0
        summary = []
        for name, frames in groups:
            self.deadline_left()
            if not self.machine_alive():
                raise Failure(f"the machine ended during the {name} frames")
            if callable(frames):
                count = frames()
            else:
                for frame in frames:
                    self.link.send(frame)
                count = len(frames)
            total += count
            summary.append(f"{name} {count}")
        # The guest took every frame in (the socket backend only reads what
        # the device has room for) and processed them: an echo comes back.
        attempts, _ = self.ping_until_answered(56, 20, 3)
        if self.link.silent_answers:
            raise Failure(f"answers to frames with bad checksums: {'; '.join(self.link.silent_answers[:5])}")
        # What the guest holds now (half-open connections, fragments), for
        # the log: the memory phase shows it given back.
        peek = self.control.ask("PEEK")
        return f"{total} frames ({', '.join(summary)}), then an echo answered (attempt {attempts}); then {peek}"

    def phase_memory(self):
        answer = self.control.ask(f"WAIT {self.args.slab_tolerance_kb} {self.args.free_tolerance_kb} "
                                  f"{self.args.settle}", timeout=self.args.settle + 60)
        if not answer.startswith("BACK "):
            raise Failure(f"memory not back within {self.args.settle} s: {answer} (tolerances: Slab "
                          f"+{self.args.slab_tolerance_kb} kB, MemFree -{self.args.free_tolerance_kb} kB)")
        return answer

    def phase_after(self):
        done = self.checks()
        for i in range(20):
            self.deadline_left()
            echo_connection(self.args.port, f"connection {i} after the barrage")
        return done + "; 20 new TCP connections through the forward"

    def phase_quit(self):
        answer = self.control.ask("QUIT")
        if answer != "BYE":
            raise Failure(f"QUIT answered {answer!r}")
        self.control.close()  # the program ends once it sees this connection closed
        self.control = None
        return "BYE"

    def run(self):
        phases = [("link", self.phase_link), ("dhcp", self.phase_dhcp), ("ready", self.phase_ready),
                  ("before", self.phase_before), ("baseline", self.phase_baseline),
                  ("barrage", self.phase_barrage), ("memory", self.phase_memory), ("after", self.phase_after)]
        if not self.args.no_quit:
            phases.append(("quit", self.phase_quit))
        for name, phase in phases:
            start = time.monotonic()
            try:
                detail = phase()
                print(f"PASS {name}: {detail} ({time.monotonic() - start:.1f} s)", flush=True)
            except (Failure, OSError) as error:
                self.failures += 1
                print(f"FAIL {name}: {error or type(error).__name__} ({time.monotonic() - start:.1f} s)", flush=True)
                # Every later phase needs this one (the link, the address, the
                # control connection, the baseline): stop here, but let the
                # program end (with its verdict) if it can still be asked.
                if self.control and name != "quit":
                    try:
                        self.control.ask("QUIT", 10)
                    except (Failure, OSError):
                        pass
                break
        if self.link:
            if self.link.bad_from_guest:
                self.failures += 1
                print(f"FAIL frames from the guest with a bad checksum: {self.link.bad_from_guest[:3]}")
            print(f"raw link: {self.link.sent} frames sent, {self.link.received} received"
                  + (f", {self.link.dropped} not kept" if self.link.dropped else ""), flush=True)
            self.link.close()
        if self.control:
            self.control.close()
        return 0 if self.failures == 0 else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True, help="host end of the forward to netguard")
    parser.add_argument("--raw-port", type=int, required=True, help="QEMU's -netdev socket,listen= port")
    parser.add_argument("--guest-port", type=int, default=7777, help="netguard's port in the guest")
    parser.add_argument("--pid", type=int, help="the process running the machine")
    parser.add_argument("--wait", type=float, default=60, help="seconds for the link, DHCP, the server")
    parser.add_argument("--deadline", type=float, default=170, help="seconds for the whole run")
    parser.add_argument("--slab-tolerance-kb", type=int, default=4,
                        help="Slab (the kernel heap's live bytes) back within this many kB")
    parser.add_argument("--free-tolerance-kb", type=int, default=160,
                        help="MemFree back within this many kB (see the module's notes)")
    parser.add_argument("--settle", type=int, default=90, help="seconds the guest waits for its memory")
    parser.add_argument("--flood", type=int, default=2000, help="SYNs in the flood")
    parser.add_argument("--groups", help="only these groups of the barrage (comma-separated; \"\" for none)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: a new one, printed)")
    parser.add_argument("--static", action="store_true", help="the guest has 10.0.3.15 without DHCP")
    parser.add_argument("--no-quit", action="store_true", help="leave the server running")
    args = parser.parse_args()
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(1 << 32)
    print(f"net_guard: seed {args.seed} (--seed {args.seed} repeats this run's frames)", flush=True)
    args.deadline_at = time.monotonic() + args.deadline
    return Test(args).run()


if __name__ == "__main__":
    sys.exit(main())
