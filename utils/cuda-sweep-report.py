#!/usr/bin/env python3
"""Reruns the attn-runner --check lines of lit tests and summarises errors.

lit pipes each run's output into FileCheck, which keeps pass/fail but not
the numbers. This reruns the same commands (RUN lines whose attn-runner has
--check, with the FileCheck stage dropped), in parallel, and prints per
element type how many passed, the largest max_abs_err and the largest
fraction of its bound. Use it where lit runs, with attn-runner on PATH:

  utils/cuda-sweep-report.py test/Integration/CUDA/sweep-*.mlir
"""
import collections
import concurrent.futures
import os
import re
import subprocess
import sys
import tempfile


def commands(path):
    """The shell pipelines of `path`'s RUN lines that check a result."""
    text = open(path).read()
    lines, current = [], ""
    for line in text.splitlines():
        m = re.match(r"\s*// RUN:(.*)", line)
        if not m:
            continue
        current += m.group(1).rstrip()
        if current.endswith("\\"):
            current = current[:-1]
            continue
        lines.append(current.strip())
        current = ""
    tmp = tempfile.mkdtemp()
    subs = {"%S": os.path.dirname(os.path.abspath(path)),
            "%s": os.path.abspath(path), "%t": os.path.join(tmp, "t")}
    out = []
    for cmd in lines:
        for key, value in subs.items():
            cmd = cmd.replace(key, value)
        if "--check" not in cmd or "attn-runner" not in cmd or cmd.startswith("not "):
            out.append((cmd, False))
            continue
        out.append((re.sub(r"\|\s*FileCheck.*$", "", cmd), True))
    return out


def run(cmd):
    r = subprocess.run(cmd, shell=True, capture_output=True, text=True)
    return cmd, r.returncode, r.stdout + r.stderr


def main(paths):
    jobs, setup = [], []
    for path in paths:
        for cmd, checked in commands(path):
            (jobs if checked else setup).append(cmd)
    for cmd in setup:  # e.g. writing .npy inputs
        subprocess.run(cmd, shell=True, check=False, capture_output=True)
    stats = collections.defaultdict(lambda: [0, 0, 0.0, 0.0])
    failures = []
    with concurrent.futures.ThreadPoolExecutor(os.cpu_count()) as pool:
        for cmd, rc, output in pool.map(run, jobs):
            dtype = re.search(r"s/@T@/(\w+)/", cmd)
            dtype = dtype.group(1) if dtype else "?"
            m = re.search(r"check: max_abs_err=(\S+) .*bound=(\S+)", output)
            s = stats[dtype]
            s[0] += 1
            if rc == 0 and m and output.rstrip().endswith("PASS"):
                s[1] += 1
                err, bound = float(m.group(1)), float(m.group(2))
                s[2] = max(s[2], err)
                s[3] = max(s[3], err / bound)
            else:
                failures.append((cmd, output))
    for cmd, output in failures:
        print("FAILED:", cmd, "\n", output)
    total = sum(s[0] for s in stats.values())
    passed = sum(s[1] for s in stats.values())
    print("%d of %d checked runs passed" % (passed, total))
    for dtype, (n, ok, err, frac) in sorted(stats.items()):
        print("  %-5s %3d/%-3d passed; largest max_abs_err %.3e; largest "
              "max_abs_err/bound %.3f" % (dtype, ok, n, err, frac))
    return 0 if passed == total else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
