#!/usr/bin/env python3
"""The state of every Linux AArch64 system call on Akuma, from the kernel's
own tables: the numbers and names in kernel/syscalls/linux_abi.h
(AKUMA_LINUX_SYSCALLS), the handlers in kernel/syscalls/syscall.h
(AKUMA_SYSCALL_HANDLERS) and the notes in tools/compat/syscall_notes.txt.

  syscall_table.py                 print the markdown table
  syscall_table.py --write DOC     replace the table between DOC's markers
  syscall_table.py --check DOC     exit 1 if DOC's table is not what the
                                   kernel says now (the test suite runs it)
"""
import argparse
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
BEGIN = "<!-- syscall-table:begin (tools/compat/syscall_table.py --write docs/COMPATIBILITY.md) -->"
END = "<!-- syscall-table:end -->"
STATES = ("partial", "error", "missing")


def macro_body(text, name):
    match = re.search(r"#define " + name + r"\(X\)(.*?)(?:\n\s*\n|\n#)", text, re.S)
    if not match:
        sys.exit(f"syscall_table: no {name} in the source")
    return match.group(1)


def read_tables():
    abi = (ROOT / "kernel/syscalls/linux_abi.h").read_text()
    numbers = [(name, int(number)) for name, number in
               re.findall(r"X\((\w+),\s*(\d+)\)", macro_body(abi, "AKUMA_LINUX_SYSCALLS"))]
    handlers = set(re.findall(r"X\((\w+)\)",
                              macro_body((ROOT / "kernel/syscalls/syscall.h").read_text(), "AKUMA_SYSCALL_HANDLERS")))
    names = {name for name, _ in numbers}
    unknown = handlers - names
    if unknown:
        sys.exit(f"syscall_table: handlers without a number: {sorted(unknown)}")
    notes = {}
    for line_number, line in enumerate((ROOT / "tools/compat/syscall_notes.txt").read_text().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = [part.strip() for part in line.split("|", 2)]
        if len(parts) != 3 or parts[1] not in STATES:
            sys.exit(f"syscall_notes.txt:{line_number}: want 'name | partial|error|missing | note'")
        name, state, note = parts
        if name not in names:
            sys.exit(f"syscall_notes.txt:{line_number}: no system call '{name}'")
        if (state == "missing") == (name in handlers):
            has = "has" if name in handlers else "has no"
            sys.exit(f"syscall_notes.txt:{line_number}: '{name}' is noted {state} but {has} handler")
        notes[name] = (state, note)
    return numbers, handlers, notes


def table():
    numbers, handlers, notes = read_tables()
    rows = []
    counts = {"implemented": 0, "partial": 0, "error": 0, "missing": 0}
    for name, number in sorted(numbers, key=lambda entry: entry[1]):
        if name in notes:
            state, note = notes[name]
        else:
            state, note = ("implemented" if name in handlers else "missing"), ""
        counts[state] += 1
        label = {"implemented": "implemented", "partial": "implemented, in part",
                 "error": "honest error", "missing": "missing (ENOSYS)"}[state]
        rows.append(f"| {number} | `{name}` | {label} | {note} |")
    summary = (f"{len(numbers)} system calls: {counts['implemented']} implemented, "
               f"{counts['partial']} implemented in part, {counts['error']} answered with an honest error, "
               f"{counts['missing']} missing (ENOSYS).")
    return "\n".join([summary, "", "| number | name | state | note |", "|---|---|---|---|"] + rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", metavar="DOC")
    group.add_argument("--check", metavar="DOC")
    args = parser.parse_args()
    generated = table()
    if not args.write and not args.check:
        print(generated)
        return 0
    path = pathlib.Path(args.write or args.check)
    text = path.read_text()
    pattern = re.compile(re.escape(BEGIN) + r"\n(.*?)" + re.escape(END), re.S)
    match = pattern.search(text)
    if not match:
        sys.exit(f"syscall_table: {path} has no table markers")
    if args.check:
        if match.group(1) != generated + "\n":
            print(f"syscall_table: {path}'s table is stale; run tools/compat/syscall_table.py --write {path}")
            return 1
        print(f"syscall_table: {path} matches the kernel's tables")
        return 0
    path.write_text(text[:match.start(1)] + generated + "\n" + text[match.end(1):])
    return 0


if __name__ == "__main__":
    sys.exit(main())
