#!/usr/bin/env python3
"""Runs every registered test suite with `meson test` and prints one closing
line, "N passed, N failed", counting test cases across all suites.

Each suite is a doctest executable; its summary line
"[doctest] test cases: T | P passed | F failed | S skipped" is read from the
meson test log. A suite that ends without a summary (crash, timeout) counts
as one failed case on top of what it reported. Skipped cases are reported
separately and never counted as passed.
"""
import json
import os
import re
import subprocess
import sys

SUMMARY = re.compile(
    r"\[doctest\] test cases:\s*(\d+)\s*\|\s*(\d+) passed\s*\|\s*(\d+) failed\s*\|\s*(\d+) skipped")


def main():
    build_dir = sys.argv[1] if len(sys.argv) > 1 else "build"
    cmd = ["meson", "test", "-C", build_dir, "--print-errorlogs",
           "--num-processes", os.environ.get("CAFELET_TEST_JOBS", "2")]
    cmd += sys.argv[2:]
    rc = subprocess.call(cmd)
    log_path = os.path.join(build_dir, "meson-logs", "testlog.json")
    passed = failed = skipped = 0
    suites = []
    try:
        with open(log_path, encoding="utf-8", errors="replace") as f:
            records = [json.loads(line) for line in f if line.strip()]
    except OSError as e:
        print(f"cannot read {log_path}: {e}", file=sys.stderr)
        records = []
    for rec in records:
        out = (rec.get("stdout") or "") + (rec.get("stderr") or "")
        m = None
        for m in SUMMARY.finditer(out):
            pass
        name = rec.get("name", "?")
        if m:
            p, fl, s = int(m.group(2)), int(m.group(3)), int(m.group(4))
        else:
            p, fl, s = 0, 0, 0
        broken = rec.get("result") not in ("OK", "EXPECTEDFAIL") and fl == 0
        if broken or not m:
            fl += 1  # the suite itself failed (crash, timeout, no summary)
        passed += p
        failed += fl
        skipped += s
        suites.append((name, p, fl, s, rec.get("result")))
    for name, p, fl, s, res in suites:
        print(f"  suite {name:<16} {p:5d} passed {fl:3d} failed {s:3d} skipped  [{res}]")
    if not records:
        failed += 1
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)
    return 0 if failed == 0 and rc == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
