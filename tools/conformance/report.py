#!/usr/bin/env python3
"""Reads the console logs of one ./akuma conformance run (the workload of
/usr/lib/akuma/conformance-run on Akuma and on Linux) and prints the table:
per suite and module/stressor, tests run, passed, failed, skipped and errors
on each kernel, and the cases that pass on Linux but not on Akuma.

usage: report.py AKUMA_LOG LINUX_LOG [--json FILE] [--require-linux-passes]

--json FILE writes the rows as a JSON list (docs/COMPATIBILITY.md):
  {"suite": "python"|"stress-ng", "name": MODULE_OR_STRESSOR,
   "akuma": {"run", "passed", "failed", "skipped", "errors"},
   "linux": {the same}, "linux_only_passes": [CASE, ...]}
--require-linux-passes: exit 1 unless every case that passes on Linux
passes on Akuma and every stress-ng stressor's free memory is back (the
check the test suite's short run makes). Exit 2 if a log is unusable.

Counting. Python: each test case line of `python3 -m test -v` ("name
(module.Class.name) ... ok|FAIL|ERROR|skipped ...|expected failure|
unexpected success"); a module whose run ended without its summary (crash,
hang, timeout) or that failed outside its cases (at import) adds one
error. stress-ng: one case per stressor; passed if
its exit status is 0, skipped if 3 (not enough resources / not applicable)
or it says it skipped itself, failed if 2 (a verification or stressor
failure), an error otherwise (crashed, killed, hung).
"""
import json
import re
import sys

BEGIN = re.compile(r"^=== begin (python|stress-ng) (\S+)$")
END = re.compile(r"^=== end (python|stress-ng) (\S+) status (\d+) seconds (\d+)$")
CASE = re.compile(r"^(\w+) \(([\w.]+)\)(?:.*?) \.\.\. (ok|FAIL|ERROR|skipped.*|expected failure|unexpected success)$")
CASE_HEAD = re.compile(r"^(\w+) \(([\w.]+)\)")
RESULT_TAIL = re.compile(r" \.\.\. (ok|FAIL|ERROR|skipped.*|expected failure|unexpected success)$")
# "name (module.Class.name) ... " with the result on a later line (the test
# printed something first).
OPEN_CASE = re.compile(r"^(\w+) \(([\w.]+)\).* \.\.\. ?$")
LONE_RESULT = re.compile(r"^(ok|FAIL|ERROR|skipped.*|expected failure|unexpected success)$")
SUMMARY = re.compile(r"^(== Tests result: |Total tests: |Ran \d+ tests? in )")
MEM = re.compile(r"^=== memavailable (before|after) (\d+)$")
# A kernel log line the console interleaved into a test's line: what came
# before it is the test's output.
KERNEL_LINE = re.compile(r"^(.*?)\[(Syscall|Process|Loader|Memory|VFS|Kernel)\] .*$")


def empty():
    return {"run": 0, "passed": 0, "failed": 0, "skipped": 0, "errors": 0}


def parse(path):
    """{(suite, name): {"counts": {...}, "cases": {case: outcome}, "seconds": n}}, memory, done"""
    results = {}
    memory = {}
    done = False
    current = None
    pending_head = None
    with open(path, errors="replace") as log:
        for raw in log:
            line = raw.rstrip("\r\n")
            interleaved = KERNEL_LINE.match(line)
            if interleaved:
                line = interleaved.group(1)
            m = BEGIN.match(line)
            if m:
                current = {"counts": empty(), "cases": {}, "seconds": None, "summary": False, "status": None}
                results[(m.group(1), m.group(2))] = current
                pending_head = None
                continue
            m = END.match(line)
            if m and current is not None:
                current["status"] = int(m.group(3))
                current["seconds"] = int(m.group(4))
                finish(m.group(1), current)
                current = None
                continue
            m = MEM.match(line)
            if m:
                memory[m.group(1)] = int(m.group(2))
                continue
            if line == "=== conformance done":
                done = True
                continue
            if current is None:
                continue
            if SUMMARY.match(line):
                current["summary"] = True
            m = CASE.match(line)
            if m:
                record(current, f"{m.group(2)}", m.group(3))
                pending_head = None
                continue
            m = OPEN_CASE.match(line)
            if m:
                pending_head = m.group(2)
                continue
            m = LONE_RESULT.match(line)
            if m and pending_head:
                record(current, pending_head, m.group(1))
                pending_head = None
                continue
            m = CASE_HEAD.match(line)
            if m and " ... " not in line:
                pending_head = m.group(2)  # its docstring line carries the result
                continue
            m = RESULT_TAIL.search(line)
            if m and pending_head:
                record(current, pending_head, m.group(1))
                pending_head = None
    # A module still open at the end of the log: the run stopped inside it.
    for (suite, name), entry in results.items():
        if entry["status"] is None:
            finish(suite, entry)
    return results, memory, done


def record(entry, case, outcome):
    if outcome == "ok" or outcome == "expected failure":
        verdict = "passed"
    elif outcome.startswith("skipped"):
        verdict = "skipped"
    elif outcome == "ERROR":
        verdict = "errors"
    else:  # FAIL, unexpected success
        verdict = "failed"
    if case in entry["cases"]:
        return  # a re-run (-w) of the same case: the first verdict counts
    entry["cases"][case] = verdict
    entry["counts"]["run"] += 1
    entry["counts"][verdict] += 1


def finish(suite, entry):
    counts = entry["counts"]
    if suite == "python":
        if not entry["summary"] or entry["status"] is None:
            counts["errors"] += 1  # crashed, hung or cut off: the module did not finish
            entry["cases"]["(module did not finish)"] = "errors"
        elif entry["status"] != 0 and counts["failed"] + counts["errors"] == 0:
            counts["errors"] += 1  # failed outside its cases (e.g. at import)
            entry["cases"]["(module failed outside its test cases)"] = "errors"
        return
    status = entry["status"]
    counts["run"] = 1
    if status == 0:
        verdict = "passed"
    elif status == 3:
        verdict = "skipped"
    elif status == 2:
        verdict = "failed"
    else:
        verdict = "errors"
    counts[verdict] = 1
    entry["cases"]["(stressor)"] = verdict


def main():
    args = sys.argv[1:]
    json_path = None
    require = False
    if "--json" in args:
        i = args.index("--json")
        json_path = args[i + 1]
        del args[i:i + 2]
    if "--require-linux-passes" in args:
        args.remove("--require-linux-passes")
        require = True
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    akuma, akuma_mem, akuma_done = parse(args[0])
    linux, linux_mem, linux_done = parse(args[1])
    if not linux:
        print("conformance: the Linux log has no results", file=sys.stderr)
        return 2

    rows = []
    keys = list(linux.keys()) + [k for k in akuma.keys() if k not in linux]
    for key in keys:
        a = akuma.get(key, {"counts": empty(), "cases": {}})
        l = linux.get(key, {"counts": empty(), "cases": {}})
        if key not in akuma:
            a["counts"]["errors"] = 1  # never started: the kernel stopped before it
        only = sorted(case for case, verdict in l["cases"].items()
                      if verdict == "passed" and a["cases"].get(case) != "passed")
        rows.append({"suite": key[0], "name": key[1], "akuma": a["counts"], "linux": l["counts"],
                     "linux_only_passes": only})

    header = f"{'suite':9} {'name':24} | {'Akuma run/pass/fail/skip/err':>30} | {'Linux run/pass/fail/skip/err':>30} | Linux-only passes"
    print(header)
    print("-" * len(header))

    def cells(c):
        return f"{c['run']}/{c['passed']}/{c['failed']}/{c['skipped']}/{c['errors']}"

    for row in rows:
        print(f"{row['suite']:9} {row['name']:24} | {cells(row['akuma']):>30} | {cells(row['linux']):>30} | "
              f"{len(row['linux_only_passes'])}")
    total_only = sum(len(r["linux_only_passes"]) for r in rows)
    print()
    for row in rows:
        for case in row["linux_only_passes"]:
            print(f"passes on Linux only: {row['suite']} {row['name']}: {case}")
    memory_ok = True
    if "before" in akuma_mem and "after" in akuma_mem:
        before, after = akuma_mem["before"], akuma_mem["after"]
        drift = abs(before - after) / before * 100 if before else 0
        memory_ok = drift <= 1.0
        print(f"Akuma MemAvailable before the stressors {before} kB, after {after} kB "
              f"({drift:.2f} % apart: {'within' if memory_ok else 'NOT within'} 1 %)")
    if not akuma_done:
        print("Akuma did not finish the workload (panic, hang or timeout: see its log)")
    print(f"{total_only} case(s) pass on Linux but not on Akuma")
    if json_path:
        with open(json_path, "w") as out:
            json.dump(rows, out, indent=1)
    if require and (total_only or not memory_ok or not akuma_done):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
