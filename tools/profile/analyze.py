#!/usr/bin/env python3
"""Instructions per iteration by kernel function, from two tb_profile.c
outputs of the same program run with two iteration counts (the difference
cancels boot and start-up). User-space blocks are summed as <user>.

usage: analyze.py KERNEL_ELF PROFILE_SMALL PROFILE_LARGE ITERATIONS [TOP]"""
import bisect
import collections
import subprocess
import sys


def load(path):
    counts = collections.Counter()
    with open(path) as lines:
        for line in lines:
            vaddr, instructions, executions = line.split()
            counts[int(vaddr, 16)] += int(instructions) * int(executions)
    return counts


def kernel_symbols(elf):
    listing = subprocess.run(["nm", "-C", "--defined-only", elf], capture_output=True, text=True, check=True).stdout
    symbols = []
    for line in listing.splitlines():
        parts = line.split(" ", 2)
        if len(parts) == 3 and parts[1] in "tTwW":
            symbols.append((int(parts[0], 16), parts[2]))
    symbols.sort()
    return symbols


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    elf, small, large, iterations = sys.argv[1], load(sys.argv[2]), load(sys.argv[3]), int(sys.argv[4])
    top = int(sys.argv[5]) if len(sys.argv) > 5 else 40
    symbols = kernel_symbols(elf)
    starts = [address for address, _ in symbols]
    by_function = collections.Counter()
    total = 0
    for vaddr in set(small) | set(large):
        delta = large.get(vaddr, 0) - small.get(vaddr, 0)
        total += delta
        if vaddr < 0xFFFF000000000000:
            by_function["<user>"] += delta
            continue
        index = bisect.bisect_right(starts, vaddr) - 1
        by_function[symbols[index][1] if index >= 0 else hex(vaddr)] += delta
    print(f"{total / iterations:12.0f}  instructions per iteration, in all")
    for name, delta in by_function.most_common(top):
        print(f"{delta / iterations:12.0f}  {name[:120]}")


if __name__ == "__main__":
    main()
