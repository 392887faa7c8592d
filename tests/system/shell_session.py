#!/usr/bin/env python3
"""A shell session on Akuma's console, typed the way a person would.

Boots `./akuma run --no-build` (the default boot: the kernel starts
/sbin/init, which starts busybox sh as a login shell on the serial
console), talks to QEMU's serial port through pipes on its stdin and
stdout, and checks, one step at a time:

  boot        the welcome line of /etc/profile and the prompt appear
  ls-wc       `ls / | wc -l` prints the number of entries in /
              (counted again with the shell's own glob: `set -- /*`)
  redirect    `echo hi > /tmp/f; cat /tmp/f` prints hi
  subst       `echo $(echo sub)-ok` prints sub-ok
  background  `sleep 1 & wait`: the prompt comes back
  ctrl-c      `sleep 100`, then Ctrl-C (byte 0x03): the prompt comes back,
              $? is 130 (128 + SIGINT) and the shell still works
  ctrl-z      `sleep 100`, then Ctrl-Z (byte 0x1a): the job stops (SIGTSTP
              to the foreground group), the prompt comes back, `jobs` lists
              it as stopped; `fg` continues it (SIGCONT) in the foreground
              and Ctrl-C then ends it with status 130
  forkbomb    `/bin/tests/forkbomb --expect-limit` exits 0 (the process
              limit was hit and the kernel lived), then `echo alive` works
  exit        `exit`: init prints its power-off line, QEMU exits with 0

Steps for the Debian root disk (only when named in --steps):
  tools       `ls --color=always` colours, `ps aux` shows init and the login
              shell, `free -m`, `df -h` and `mount` show the ext2 root
  python      python3 prints 6*7, and a ctypes callback (libffi closure:
              writable and executable memory) returns 42
  gcc         Debian's gcc compiles a C program on Akuma, which runs
  git         a git repository with three commits; `git log` lists them
  hogs        from bash, as on Linux: a 2 GiB bytearray is MemoryError, a
              python3 growing until memory runs out is killed (status 137),
              and the shell goes on
  readline    Tab completes a path (`echo /usr/li<Tab>` runs `echo /usr/lib`)
  editor      vi writes a file (insert, Esc, :wq) that cat then shows, and
              less shows a pipe's lines until q

Each step prints PASS or FAIL; the exit status is 1 if any failed, and the
session's transcript is printed then. A step that leaves no prompt behind
is followed by a Ctrl-C to recover; if that fails too the steps left are
not run (FAIL).

Options:
  --root DIR        the repository (default: two levels above this file)
  --append ARGS     extra kernel boot arguments for ./akuma run
  --command CMD     run CMD (a shell-quoted command line) instead of
                    ./akuma run; e.g. another kernel for comparison
  --steps A,B,...   run only these steps (boot is always first, exit last
                    if listed)
  --skip A,B,...    leave these steps out
  --prompt REGEX    the shell prompt (default: /etc/profile's akuma:DIR# )
  --welcome REGEX   the line boot waits for before the prompt (default:
                    /etc/profile's welcome; "" for none)
  --poweroff REGEX  the line that shows the machine powering off after
                    `exit` (default: /sbin/init's line)
  --scale X         multiply every timeout by X (slow hosts)
  --char-delay S    seconds between typed characters (default 0.01)
  --transcript      print the transcript even when every step passed
  --disk IMAGE      the root disk to boot a scratch copy of (default:
                    build/rootfs.ext2, the busybox disk)
  --mem SIZE        RAM for ./akuma run (default: its own)

QEMU's -nographic serial multiplexes its monitor on stdio, but only Ctrl-A
is intercepted; Ctrl-C reaches the guest as the byte 0x03. Input typed
before the guest reads it waits in QEMU (the PL011 accepts bytes only
while its FIFO has room), so nothing typed is lost.
"""
import argparse
import atexit
import os
import re
import select
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

STEP_NAMES = ["boot", "ls-wc", "redirect", "subst", "background", "ctrl-c", "ctrl-z", "forkbomb", "exit"]
DEBIAN_STEPS = ["tools", "python", "gcc", "git", "readline", "editor", "hogs"]
DEFAULT_PROMPT = r"akuma:[^\n]*[#$] "
DEFAULT_POWEROFF = r"\[init\] shell exited with status 0; powering off"
WELCOME = r"Welcome to Akuma"

# Terminal control the line editor writes: CSI sequences (cursor moves,
# erase, the cursor position query ESC[6n), two-byte escapes, BEL,
# backspace and carriage return. Removed before matching.
CONTROL = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]|[\x07\x08\r]")
# An escape sequence cut off at the end of what has arrived so far.
PARTIAL_ESCAPE = re.compile(rb"\x1b(\[[0-9;?]*[ -/]*)?$")


class Console:
    """The serial console of one QEMU process: typed input, cleaned output."""

    def __init__(self, argv, char_delay):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.char_delay = char_delay
        self.raw = bytearray()   # everything received
        self.cleaned_upto = 0    # raw bytes already turned into text
        self.text = ""           # cleaned text, grows only at the end
        self.pos = 0             # expect() searches text from here
        self.closed = False

    def _pump(self, timeout):
        """Waits up to timeout seconds for output; appends what arrived."""
        if self.closed:
            return
        ready, _, _ = select.select([self.proc.stdout], [], [], max(timeout, 0))
        if not ready:
            return
        chunk = os.read(self.proc.stdout.fileno(), 65536)
        if not chunk:
            self.closed = True
            end = len(self.raw)
        else:
            self.raw += chunk
            partial = PARTIAL_ESCAPE.search(self.raw, max(self.cleaned_upto, len(self.raw) - 64))
            end = partial.start() if partial else len(self.raw)
        if end > self.cleaned_upto:
            piece = CONTROL.sub(b"", bytes(self.raw[self.cleaned_upto:end]))
            self.text += piece.decode("utf-8", "replace")
            self.cleaned_upto = end

    def expect(self, pattern, timeout):
        """The first match of pattern after pos, waiting up to timeout seconds
        for it; moves pos past it. None on timeout or end of output."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            match = regex.search(self.text, self.pos)
            if match:
                self.pos = match.end()
                return match
            left = deadline - time.monotonic()
            if left <= 0 or self.closed:
                return None
            self._pump(min(left, 0.5))

    def quiet_for(self, pattern, seconds):
        """True if pattern does not appear after pos within seconds."""
        deadline = time.monotonic() + seconds
        regex = re.compile(pattern)
        while time.monotonic() < deadline and not self.closed:
            self._pump(deadline - time.monotonic())
            if regex.search(self.text, self.pos):
                return False
        return not regex.search(self.text, self.pos)

    def type(self, keys):
        """Sends keys one byte at a time, like typing."""
        for byte in keys.encode():
            try:
                os.write(self.proc.stdin.fileno(), bytes([byte]))
            except BrokenPipeError:
                self.closed = True
                return
            self._pump(self.char_delay)

    def wait_exit(self, timeout):
        """QEMU's exit status, or None if it still runs after timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._pump(0.2)
            status = self.proc.poll()
            if status is not None:
                while not self.closed:
                    self._pump(0.2)
                return status
        return None

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait()
        while not self.closed:
            self._pump(0.2)


class StepFailed(Exception):
    pass


class Interrupted(Exception):
    pass


def on_terminate(signum, frame):
    raise Interrupted(signal.Signals(signum).name)


class Session:
    def __init__(self, console, prompt, welcome, poweroff, scale):
        self.con = console
        self.prompt = prompt
        self.welcome = welcome
        self.poweroff = poweroff
        self.scale = scale

    def run(self, line, timeout=60):
        """Types line and Enter; returns the output lines between the echoed
        command and the next prompt."""
        start = self.con.pos
        self.con.type(line + "\n")
        match = self.con.expect(self.prompt, timeout * self.scale)
        if not match:
            raise StepFailed(f"no prompt after `{line}` within {timeout * self.scale:g} s")
        lines = self.con.text[start:match.start()].split("\n")
        return [l.strip() for l in lines[1:] if l.strip()]  # lines[0]: the echo

    def recover(self):
        """After a failure: Ctrl-C and a fresh prompt. False if none comes."""
        self.con.type("\x03")
        if self.con.expect(self.prompt, 15 * self.scale):
            return True
        self.con.type("\n")
        return self.con.expect(self.prompt, 15 * self.scale) is not None

    # ---- the steps

    def step_boot(self):
        if self.welcome and not self.con.expect(self.welcome, 180 * self.scale):
            raise StepFailed("no welcome line from /etc/profile")
        if not self.con.expect(self.prompt, 60 * self.scale):
            raise StepFailed("no prompt")

    def step_ls_wc(self):
        out = self.run("ls / | wc -l")
        if len(out) != 1 or not out[0].isdigit():
            raise StepFailed(f"`ls / | wc -l` printed {out!r}, not one number")
        counted = self.run("set -- /*; echo entries=$#")
        want = f"entries={out[0]}"
        if counted != [want] or out[0] == "0":
            raise StepFailed(f"`ls / | wc -l` says {out[0]}, the shell's glob {counted!r}")
        return f"{out[0]} entries"

    def step_redirect(self):
        out = self.run("echo hi > /tmp/f; cat /tmp/f")
        if out != ["hi"]:
            raise StepFailed(f"printed {out!r}")

    def step_subst(self):
        out = self.run("echo $(echo sub)-ok")
        if out != ["sub-ok"]:
            raise StepFailed(f"printed {out!r}")

    def step_background(self):
        out = self.run("sleep 1 & wait", timeout=60)
        # busybox sh prints the job's pid ("[1] 42") and may report it done.
        unexpected = [l for l in out if not re.fullmatch(r"\[\d+\]\+? +(\d+|Done.*)", l)]
        if unexpected:
            raise StepFailed(f"unexpected output {unexpected!r}")
        out = self.run("echo after-wait")
        if out != ["after-wait"]:
            raise StepFailed(f"`echo after-wait` printed {out!r}")

    def step_ctrl_c(self):
        self.con.type("sleep 100\n")
        # While sleep runs in the foreground, no prompt may appear.
        if not self.con.quiet_for(self.prompt, 3):
            raise StepFailed("`sleep 100` returned at once")
        self.con.type("\x03")
        if not self.con.expect(self.prompt, 30 * self.scale):
            raise StepFailed("no prompt after Ctrl-C")
        out = self.run("echo after-ctrl-c status=$?")
        if out != ["after-ctrl-c status=130"]:
            raise StepFailed(f"`echo after-ctrl-c status=$?` printed {out!r} (want status=130: SIGINT)")

    def step_ctrl_z(self):
        self.con.type("sleep 100\n")
        if not self.con.quiet_for(self.prompt, 3):
            raise StepFailed("`sleep 100` returned at once")
        self.con.type("\x1a")
        if not self.con.expect(self.prompt, 30 * self.scale):
            raise StepFailed("no prompt after Ctrl-Z")
        out = self.run("jobs")
        if not any(re.search(r"Stopped.*sleep 100", l) for l in out):
            raise StepFailed(f"`jobs` printed {out!r}, want a stopped `sleep 100`")
        self.con.type("fg\n")
        # Continued in the foreground: no prompt until it ends.
        if not self.con.quiet_for(self.prompt, 3):
            raise StepFailed("`fg` returned at once")
        self.con.type("\x03")
        if not self.con.expect(self.prompt, 30 * self.scale):
            raise StepFailed("no prompt after Ctrl-C of the continued job")
        out = self.run("echo after-fg status=$?")
        if out != ["after-fg status=130"]:
            raise StepFailed(f"`echo after-fg status=$?` printed {out!r} (want status=130: SIGINT)")

    def step_forkbomb(self):
        out = self.run("/bin/tests/forkbomb --expect-limit; echo forkbomb-status=$?", timeout=240)
        if "forkbomb-status=0" not in out:
            raise StepFailed(f"forkbomb did not exit 0: {out[-5:]!r}")
        out = self.run("echo alive")
        if out != ["alive"]:
            raise StepFailed(f"`echo alive` printed {out!r}")

    def step_tools(self):
        out = self.run("ls --color=always / | od -c | grep -c '033   \\['")
        if not out or not out[-1].isdigit() or int(out[-1]) == 0:
            raise StepFailed(f"`ls --color=always /` wrote no colour escapes: {out!r}")
        out = self.run("ps aux")
        if not any(re.search(r"^root +1 .*init", l) for l in out) or not any("-bash" in l for l in out):
            raise StepFailed(f"`ps aux` lacks init or the login shell: {out!r}")
        out = self.run("free -m")
        if not any(re.match(r"Mem: +\d+ +\d+ +\d+", l) for l in out):
            raise StepFailed(f"`free -m` printed {out!r}")
        out = self.run("df -h /")
        if not any(re.match(r"/dev/vda +\S+ +\S+ +\S+ +\d+% /$", l) for l in out):
            raise StepFailed(f"`df -h /` printed {out!r}")
        out = self.run("mount | grep ' / '")
        if not any(re.match(r"/dev/vda on / type ext2 ", l) for l in out):
            raise StepFailed(f"`mount` printed {out!r}")

    def step_python(self):
        out = self.run("python3 -c 'print(6*7)'", timeout=120)
        if out[-1:] != ["42"]:
            raise StepFailed(f"python3 printed {out!r}")
        out = self.run("python3 -c 'import ctypes; f = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int)"
                       "(lambda x: x * 2); print(\"cb\", f(21))'", timeout=120)
        if out[-1:] != ["cb 42"]:
            raise StepFailed(f"the ctypes callback printed {out!r}")

    def step_gcc(self):
        self.run("printf '#include <stdio.h>\\nint main(void) { puts(\"built on akuma\"); return 3; }\\n' > /tmp/t.c")
        out = self.run("gcc -O2 -o /tmp/t /tmp/t.c && /tmp/t; echo status=$?", timeout=300)
        if out[-2:] != ["built on akuma", "status=3"]:
            raise StepFailed(f"compiling and running printed {out!r}")

    def step_git(self):
        self.run("cd /tmp && rm -rf repo && git init -q repo && cd repo && git config user.email a@akuma "
                 "&& git config user.name Akuma", timeout=120)
        for n in (1, 2, 3):
            self.run(f"echo {n} >> f && git add f && git commit -qm 'commit {n}'", timeout=120)
        out = self.run("git --no-pager log --format=%s; cd", timeout=120)
        if out != ["commit 3", "commit 2", "commit 1"]:
            raise StepFailed(f"`git log` printed {out!r}")

    def step_hogs(self):
        out = self.run("python3 -c 'x = bytearray(2**31)' 2>&1 | tail -1; echo status=${PIPESTATUS[0]}", timeout=120)
        if out[-2:] != ["MemoryError", "status=1"]:
            raise StepFailed(f"a 2 GiB bytearray gave {out[-3:]!r}, want MemoryError and status 1")
        out = self.run("python3 -c 'l = [bytearray(2**24) for i in range(1000)]'; echo status=$?", timeout=600)
        if "status=137" not in out:
            raise StepFailed(f"the growing python3 ended with {out[-2:]!r}, want status=137 (SIGKILL)")
        out = self.run("echo still-here")
        if out[-1:] != ["still-here"]:
            raise StepFailed(f"the shell after the hogs printed {out!r}")

    def step_readline(self):
        self.con.type("echo /usr/li\t\n")
        match = self.con.expect(self.prompt, 30 * self.scale)
        if not match:
            raise StepFailed("no prompt after the completed command")
        if not re.search(r"^/usr/lib$", self.con.text[:match.start()], re.M):
            raise StepFailed("Tab did not complete /usr/li to /usr/lib")

    def step_editor(self):
        self.con.type("vi /tmp/edited.txt\n")
        if not self.con.expect(r"/tmp/edited.txt", 30 * self.scale):
            raise StepFailed("vi did not show the file's name")
        self.con.type("ihello from vi\x1b")
        self.con.type(":wq\n")
        if not self.con.expect(r"written", 30 * self.scale) or not self.con.expect(self.prompt, 30 * self.scale):
            raise StepFailed("vi did not write the file and end")
        out = self.run("cat /tmp/edited.txt")
        if out[-1:] != ["hello from vi"]:
            raise StepFailed(f"the edited file holds {out!r}")
        self.con.type("printf 'first\\nsecond\\n' | less\n")
        if not self.con.expect(r"\(END\)", 30 * self.scale):
            raise StepFailed("less did not show the end of its input")
        self.con.type("q")
        if not self.con.expect(self.prompt, 30 * self.scale):
            raise StepFailed("no prompt after q in less")

    def step_exit(self):
        self.con.type("exit\n")
        if not self.con.expect(self.poweroff, 60 * self.scale):
            raise StepFailed("no power-off line after `exit`")
        status = self.con.wait_exit(60 * self.scale)
        if status is None:
            raise StepFailed("QEMU still runs after the power-off line")
        if status != 0:
            raise StepFailed(f"QEMU exited with status {status}, want 0")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", default=os.path.normpath(os.path.join(here, "..", "..")))
    parser.add_argument("--append", default="")
    parser.add_argument("--command")
    parser.add_argument("--steps")
    parser.add_argument("--skip", default="")
    parser.add_argument("--prompt", default=DEFAULT_PROMPT)
    parser.add_argument("--poweroff", default=DEFAULT_POWEROFF)
    parser.add_argument("--welcome", default=WELCOME)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--char-delay", type=float, default=0.01)
    parser.add_argument("--transcript", action="store_true")
    parser.add_argument("--disk")
    parser.add_argument("--mem")
    args = parser.parse_args()

    steps = args.steps.split(",") if args.steps else list(STEP_NAMES)
    skip = set(filter(None, args.skip.split(",")))
    known = STEP_NAMES + DEBIAN_STEPS
    for name in steps + list(skip):
        if name not in known:
            parser.error(f"unknown step '{name}' (steps: {', '.join(known)})")
    # In the order given, boot first and exit last.
    steps = ["boot"] + [s for s in steps if s not in skip and s not in ("boot", "exit")] + \
            (["exit"] if "exit" in steps and "exit" not in skip else [])

    if args.command:
        argv = shlex.split(args.command)
    else:
        # QEMU's own timeout is a backstop; each step has its own. The
        # default boot is from a root disk: a scratch copy of the build's
        # image, so the session changes nothing a later run sees.
        scratch_disk = tempfile.NamedTemporaryFile(prefix="akuma-disk-", suffix=".img", delete=False)
        scratch_disk.close()
        atexit.register(os.unlink, scratch_disk.name)
        disk = args.disk or os.path.join(args.root, "build", "rootfs.ext2")
        subprocess.run(["cp", "--sparse=always", disk, scratch_disk.name], check=True)
        argv = [os.path.join(args.root, "akuma"), "run", "--no-build", "--net", "none", "--timeout", "1200",
                "--disk", scratch_disk.name]
        if args.mem:
            argv += ["--mem", args.mem]
        if args.append:
            argv += ["--append", args.append]
    print(f"shell_session: {' '.join(shlex.quote(a) for a in argv)}", flush=True)

    # A CTest timeout or a ^C must not leave QEMU running (it runs in its
    # own session so that it can be stopped as a group).
    signal.signal(signal.SIGTERM, on_terminate)
    signal.signal(signal.SIGINT, on_terminate)
    console = Console(argv, args.char_delay)
    session = Session(console, args.prompt, args.welcome, args.poweroff, args.scale)
    failed = []
    alive = True
    try:
        for name in steps:
            if not alive:
                print(f"FAIL {name}: not run (no shell prompt)", flush=True)
                failed.append(name)
                continue
            try:
                note = getattr(session, "step_" + name.replace("-", "_"))()
                print(f"PASS {name}" + (f" ({note})" if note else ""), flush=True)
            except StepFailed as error:
                print(f"FAIL {name}: {error}", flush=True)
                failed.append(name)
                if name == "boot" or name == "exit" or not session.recover():
                    alive = False
    except Interrupted as why:
        print(f"shell_session: stopped by {why}", flush=True)
        failed.append("(interrupted)")
    finally:
        console.stop()

    if failed or args.transcript:
        print("---- console transcript (control sequences removed) ----")
        print(console.text)
        print("---- end of transcript ----")
    if failed:
        print(f"shell_session: {len(failed)} of {len(steps)} steps FAILED: {' '.join(failed)}")
        return 1
    print(f"shell_session: all {len(steps)} steps passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
