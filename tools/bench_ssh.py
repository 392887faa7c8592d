#!/usr/bin/env python3
"""The SSH rows of ./akuma bench ssh: wall-clock figures of Debian's sshd on
Akuma and on Debian's Linux booting the same disk (docs/PERFORMANCE.md).

  bench_ssh.py [--disk PRISTINE] [--runs N] [--mb N]

Each kernel boots a copy of a disk whose host keys already exist (made by a
first Akuma boot unless --keyed says the disk has them, so neither boot
spends time on ssh-keygen), machines as
tests/system/ssh_check.py starts them, without -icount. Rows, printed as
"ssh: NAME|AKUMA|LINUX":
  boot to sshd answering, s      QEMU started -> sshd's banner through the forward
  ssh ... true, s (median)       a whole login from the host: key exchange,
                                 public-key authentication, a command, exit
  scp N MB host -> guest, MB/s
  scp N MB guest -> host, MB/s   (the copy back must have the payload's SHA-256)
The instruction count of the boot is bench.sh's (sshbench's mark).
"""
import argparse
import hashlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "system"))
import ssh_check  # noqa: E402  (the machines and ssh options of the system test)


def digest(path):
    sha = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def banner_after(port, started, machine, limit=900):
    """Seconds from `started` until sshd's banner comes through the forward.
    Each try is a fresh connection with a 1 s limit: an early connection
    that QEMU forwards into a guest not yet listening would otherwise sit
    in its SYN retransmissions and blur the figure by seconds."""
    while time.monotonic() - started < limit:
        if not machine.alive():
            raise ssh_check.Failure("the machine stopped before sshd answered")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                if sock.recv(4).startswith(b"SSH-"):
                    return time.monotonic() - started
        except OSError:
            pass
        time.sleep(0.1)
    raise ssh_check.Failure("sshd did not answer in time")


def measure(launcher, image, args):
    settings = argparse.Namespace(launcher=launcher, timeout=3600, work=args.work)
    port = ssh_check.free_port()
    started = time.monotonic()
    machine = ssh_check.Machine(settings, image, port, os.path.join(args.work, f"{launcher}.log"))
    try:
        boot = banner_after(port, started, machine)
        ssh_check.fingerprints(port, time.monotonic() + 300, machine)
        ssh_check.ssh(port, "akuma", "true")  # warm the page cache
        logins = []
        for _ in range(args.runs):
            began = time.monotonic()
            result = ssh_check.ssh(port, "akuma", "true")
            logins.append(time.monotonic() - began)
            if result.returncode != 0:
                raise ssh_check.Failure(f"ssh true on {launcher}: {result.stderr!r}")
        scp = ["scp", "-q"] + ["-P" if o == "-p" else o for o in ssh_check.ssh_options(port)]
        began = time.monotonic()
        ssh_check.expect(ssh_check.run(scp + [args.payload, "akuma@127.0.0.1:payload"], timeout=3600).returncode == 0,
                         f"scp to {launcher}")
        up = args.mb / (time.monotonic() - began)
        back = os.path.join(args.work, f"back-{launcher}")
        began = time.monotonic()
        ssh_check.expect(ssh_check.run(scp + ["akuma@127.0.0.1:payload", back], timeout=3600).returncode == 0,
                         f"scp from {launcher}")
        down = args.mb / (time.monotonic() - began)
        ssh_check.expect(digest(back) == digest(args.payload), "scp's round trip changed the file (SHA-256)")
        ssh_check.ssh(port, "akuma", "rm -f payload")
        return [f"{boot:.1f}", f"{statistics.median(logins):.2f}", f"{up:.1f}", f"{down:.1f}"]
    finally:
        machine.kill()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--disk", default=os.path.join(ssh_check.ROOT, "build", "debian.ext2"))
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--mb", type=int, default=100)
    parser.add_argument("--keyed", action="store_true", help="the disk has its host keys already")
    args = parser.parse_args()
    args.work = tempfile.mkdtemp(prefix="bench_ssh.")
    try:
        keyed = os.path.join(args.work, "keyed.img")
        subprocess.run(["cp", "--sparse=always", args.disk, keyed], check=True)
        # The first boot makes the host keys (rc.d/20-sshd), then powers off.
        first = subprocess.CompletedProcess([], 0) if args.keyed else subprocess.run([os.path.join(ssh_check.ROOT, "akuma"), "run", "--no-build", "--no-initrd", "--mem",
                                "1G", "--disk", keyed, "--net", "none", "--timeout", "600", "--append",
                                'root=/dev/vda rw init="/sbin/init /bin/true"'],
                               stdin=subprocess.DEVNULL, capture_output=True)
        if first.returncode != 0:
            sys.stderr.write(first.stdout.decode(errors="replace")[-3000:])
            raise ssh_check.Failure("the boot that makes the host keys failed")
        args.payload = os.path.join(args.work, "payload")
        with open(args.payload, "wb") as f:
            for _ in range(args.mb):
                f.write(os.urandom(1 << 20))
        figures = {}
        for launcher in ("akuma", "linux"):
            image = os.path.join(args.work, f"{launcher}.img")
            subprocess.run(["cp", "--sparse=always", keyed, image], check=True)
            figures[launcher] = measure(launcher, image, args)
        names = ["boot to sshd answering, s (wall)", f"ssh ... true, s (wall, median of {args.runs})",
                 f"scp {args.mb} MB host -> guest, MB/s (wall)", f"scp {args.mb} MB guest -> host, MB/s (wall)"]
        for index, name in enumerate(names):
            print(f"ssh: {name}|{figures['akuma'][index]}|{figures['linux'][index]}")
        return 0
    except ssh_check.Failure as failure:
        print(f"bench_ssh: {failure}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(args.work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
