#!/usr/bin/env python3
"""diskload_verify.py: checks an ext2 image after userspace/tests/diskload.

  diskload_verify.py workload IMAGE PATH   the workload's tree, at PATH in the image
  diskload_verify.py fill IMAGE PATH       the files --fill leaves at PATH
  diskload_verify.py unsynced IMAGE PATH   the files --unsynced writes at PATH

An independent mirror of diskload's workload: the same xorshift64
generator and the same steps compute the final tree (names, types, sizes,
every byte, symlink targets, link counts, which names share an inode),
which is compared with what the host's debugfs reads from the image
(rdump, then stat per name); `e2fsck -fn IMAGE` must find nothing to fix.
Any change to diskload.c's workload must be made here too.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

MASK = (1 << 64) - 1


def step(x):
    x ^= (x << 13) & MASK
    x ^= x >> 7
    x ^= (x << 17) & MASK
    return x


class Rng:
    def __init__(self):
        self.x = 0x9E3779B97F4A7C15

    def rnd(self):
        self.x = step(self.x)
        return self.x

    def below(self, n):
        r = self.rnd()
        return r % n if n else 0


def fill(length, seed):
    x = seed | 1
    words = []
    for _ in range((length + 7) // 8):
        x = step(x)
        words.append(x.to_bytes(8, "little"))
    return b"".join(words)[:length]


class Inode:
    def __init__(self):
        self.data = bytearray()
        self.nlink = 1

    def write(self, off, data):
        if off + len(data) > len(self.data):
            self.resize(off + len(data))
        self.data[off:off + len(data)] = data

    def resize(self, size):
        if size < len(self.data):
            del self.data[size:]
        else:
            self.data.extend(bytes(size - len(self.data)))


class Model:
    """path (relative) -> ("file", Inode) | ("dir",) | ("link", target)"""

    def __init__(self):
        self.tree = {}

    def mkdir(self, path):
        self.tree[path] = ("dir",)

    def new_file(self, path):
        inode = Inode()
        self.tree[path] = ("file", inode)
        return inode

    def inode(self, path):
        return self.tree[path][1]

    def remove(self, path):
        entry = self.tree.pop(path, None)
        if entry and entry[0] == "file":
            entry[1].nlink -= 1

    def rename(self, old, new):
        self.remove(new)
        moved = {}
        for path in list(self.tree):
            if path == old:
                moved[new] = self.tree.pop(path)
            elif path.startswith(old + "/"):
                moved[new + path[len(old):]] = self.tree.pop(path)
        self.tree.update(moved)

    def link(self, old, new):
        inode = self.inode(old)
        inode.nlink += 1
        self.tree[new] = ("file", inode)


SIZES = [0, 1, 1000, 1024, 4096, 12288, 12289, 70000, 300000, 1100000, 3500000, 5300000]
DIRS = ["a", "b", "c"]


def file_name(i):
    return "%s/f%02d" % (DIRS[i % 3], i)


def workload():
    """The tree diskload DIR leaves in DIR: mirrors diskload.c step by step."""
    r, m = Rng(), Model()
    # create
    for d in DIRS:
        m.mkdir(d)
    for i, s in enumerate(SIZES):
        inode = m.new_file(file_name(i))
        writes = 1 + r.below(5) if s else 0
        for _ in range(writes):
            off = r.below(s)
            length = 1 + r.below(min(s - off, s // 2 + 1))
            inode.write(off, fill(length, r.rnd()))
        inode.resize(s)
    # sync
    for i in (9, 10):
        inode = m.inode(file_name(i))
        s = len(inode.data)
        off = r.below(s)
        length = 1 + r.below(min(s - off, 4096))
        inode.write(off, fill(length, r.rnd()))
    # truncate
    for i in (7, 8, 10, 11):
        inode = m.inode(file_name(i))
        cur = len(inode.data)
        down = r.below(cur)
        inode.resize(down)
        up = down + 1 + r.below(cur)
        inode.resize(up)
        off = down + r.below(up - down)
        length = 1 + r.below(min(up - off, 5000))
        inode.write(off, fill(length, r.rnd()))
    inode = m.inode(file_name(4))
    inode.resize(0)
    inode.resize(200000)
    inode.write(150000, fill(10, r.rnd()))
    inode = m.inode(file_name(3))
    inode.resize(0)
    inode.write(0, fill(500, r.rnd()))
    # rename
    m.mkdir("a/deep")
    m.mkdir("a/deep/er")
    m.new_file("a/deep/er/inner").write(0, fill(5000, r.rnd()))
    m.new_file("a/deep/top")
    m.rename("a/deep", "c/deep2")
    m.rename("a/f00", "b/moved00")
    m.rename("b/f01", "c/f02")
    m.rename("c/f05", "c/f05r")
    m.rename("b/f07", "a/f07")
    # links
    m.link("c/f08", "a/h08")
    m.link("a/f06", "c/h06")
    m.remove("a/f06")
    inode = m.inode("a/h08")
    s = len(inode.data)
    off = r.below(s)
    length = 1 + r.below(min(s - off, 20000))
    inode.write(off, fill(length, r.rnd()))
    # unlink while open: b/f10 goes (its writes only draw numbers here)
    inode = m.inode("b/f10")
    m.remove("b/f10")
    size = len(inode.data)
    for _ in range(3):
        off = r.below(size + 100000)
        length = 1 + r.below(50000)
        r.rnd()
        size = max(size, off + length)
    r.rnd()  # a/tmpfile's 300000 bytes
    r.rnd()  # and its 3000
    # dirs
    m.mkdir("keep")
    m.mkdir("keep/empty")
    # symlinks
    m.tree["c/s03"] = ("link", "../a/f03")
    longer = [chr(ord("a") + r.below(26)) for _ in range(120)]
    longer[10] = "/"
    m.tree["b/long"] = ("link", "".join(longer))
    m.tree["c/sdir"] = ("link", "deep2")
    # many names
    m.mkdir("many")
    for i in range(150):
        length = r.below(300)
        m.new_file("many/name-%03d" % i).write(0, fill(length, r.rnd()))
    for i in range(0, 150, 3):
        m.remove("many/name-%03d" % i)
    return m


FIRST_SIZE = 100000


def fill_files():
    m = Model()
    m.new_file("first").write(0, fill(FIRST_SIZE, 0x1234567))
    m.new_file("second").write(0, fill(FIRST_SIZE, 0x7654321))
    return m


UNSYNCED_SIZE = 3 * 1024 * 1024 + 1000


def unsynced_files():
    m = Model()
    data = fill(UNSYNCED_SIZE, 0xabcdef)
    m.new_file("written").write(0, data)
    m.new_file("moved").write(0, data)
    return m


def debugfs(image, request):
    result = subprocess.run(["debugfs", "-R", request, image], capture_output=True, text=True)
    return result.stdout


def compare(image, top, model):
    failures = []
    fsck = subprocess.run(["e2fsck", "-fn", image], capture_output=True, text=True)
    if fsck.returncode != 0:
        failures.append("e2fsck -fn exits %d:\n%s%s" % (fsck.returncode, fsck.stdout, fsck.stderr))
    out = tempfile.mkdtemp()
    try:
        subprocess.run(["debugfs", "-R", "rdump %s %s" % (top, out), image], capture_output=True, check=True)
        base = os.path.join(out, os.path.basename(top.rstrip("/")) or ".")
        found = {}
        for dirpath, dirnames, filenames in os.walk(base):
            for name in dirnames + filenames:
                path = os.path.join(dirpath, name)
                found[os.path.relpath(path, base)] = path
        for rel in sorted(set(found) - set(model.tree)):
            failures.append("%s: in the image, not expected" % rel)
        for rel in sorted(set(model.tree) - set(found)):
            failures.append("%s: expected, not in the image" % rel)
        inode_numbers = {}
        for rel, entry in sorted(model.tree.items()):
            if rel not in found:
                continue
            path = found[rel]
            kind = entry[0]
            if kind == "link":
                if not os.path.islink(path):
                    failures.append("%s: not a symlink" % rel)
                elif os.readlink(path) != entry[1]:
                    failures.append("%s: symlink to %r, expected %r" % (rel, os.readlink(path), entry[1]))
                continue
            if kind == "dir" and not (os.path.isdir(path) and not os.path.islink(path)):
                failures.append("%s: not a directory" % rel)
                continue
            stat = debugfs(image, "stat %s/%s" % (top, rel))
            links = re.search(r"Links:\s*(\d+)", stat)
            number = re.search(r"Inode:\s*(\d+)", stat)
            if not links or not number:
                failures.append("%s: debugfs stat says: %s" % (rel, stat[:200]))
                continue
            if kind == "dir":
                subdirs = sum(1 for p, e in model.tree.items()
                              if e[0] == "dir" and os.path.dirname(p) == rel)
                if int(links.group(1)) != 2 + subdirs:
                    failures.append("%s: %s links, expected %d" % (rel, links.group(1), 2 + subdirs))
                continue
            inode = entry[1]
            if os.path.islink(path) or not os.path.isfile(path):
                failures.append("%s: not a regular file" % rel)
                continue
            with open(path, "rb") as f:
                data = f.read()
            if data != inode.data:
                where = next((i for i in range(min(len(data), len(inode.data))) if data[i] != inode.data[i]),
                             min(len(data), len(inode.data)))
                failures.append("%s: %d bytes, expected %d; first difference at byte %d"
                                % (rel, len(data), len(inode.data), where))
            if int(links.group(1)) != inode.nlink:
                failures.append("%s: %s links, expected %d" % (rel, links.group(1), inode.nlink))
            inode_numbers.setdefault(id(inode), set()).add(number.group(1))
        for numbers in inode_numbers.values():
            if len(numbers) != 1:
                failures.append("names of one file have inodes %s" % sorted(numbers))
        files = sum(1 for e in model.tree.values() if e[0] == "file")
        total = sum(len(e[1].data) for e in model.tree.values() if e[0] == "file")
        print("diskload_verify: %s in %s: %d names (%d files, %d bytes) compared"
              % (top, image, len(model.tree), files, total))
    finally:
        shutil.rmtree(out)
    return failures


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("workload", "fill", "unsynced"):
        print(__doc__)
        return 2
    mode, image, top = sys.argv[1:]
    model = {"workload": workload, "fill": fill_files, "unsynced": unsynced_files}[mode]()
    failures = compare(image, top, model)
    for failure in failures[:40]:
        print("FAIL: " + failure)
    if len(failures) > 40:
        print("FAIL: ... and %d more" % (len(failures) - 40))
    if not failures:
        print("diskload_verify: PASS")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
