#!/usr/bin/env python3
"""Prints one line for an Nsight Compute report of one kernel launch.

  ncu_summary.py NAME REPORT.csv

REPORT.csv is what `ncu --csv --page details` writes (bench/profile-sm90.sh
and bench/profile-decode.sh ask for the SpeedOfLight,
ComputeWorkloadAnalysis, SchedulerStats and WarpStateStats sections, the
decode one for LaunchStats and Occupancy too, and the per-reason stall
metrics). The line gives the kernel's duration (and its grid, registers
and occupancy where reported), its SM, memory and tensor-pipe use, how
often a scheduler issued, and the five stall reasons with the most warp
cycles per issued instruction.
"""
import csv
import io
import re
import sys

# (label, metric name as the details page prints it)
WANTED = [
    ("duration", "Duration"),
    ("grid", "Grid Size"),
    ("registers", "Registers Per Thread"),
    ("achieved occupancy %", "Achieved Occupancy"),
    ("SM throughput %", "Compute (SM) Throughput"),
    ("memory throughput %", "Memory Throughput"),
    ("DRAM throughput %", "DRAM Throughput"),
    ("issue slots busy %", "Issue Slots Busy"),
    ("no eligible %", "No Eligible"),
    ("eligible warps/scheduler", "Eligible Warps Per Scheduler"),
    ("cycles per issue", "Warp Cycles Per Issued Instruction"),
]
STALL = re.compile(r"^smsp__average_warps_issue_stalled_(.*)_per_issue_active\.ratio$")
TENSOR = re.compile(r"^sm__pipe_tensor_op.*_cycles_active\.avg\.pct_of_peak_sustained_active$")


def rows(text):
    """The CSV rows of the report, skipping ncu's own log lines before it."""
    start = text.find('"ID"')
    if start < 0:
        return []
    return list(csv.DictReader(io.StringIO(text[start:])))


def summarize(name, text):
    metrics = {}
    for r in rows(text):
        key, value = r.get("Metric Name"), r.get("Metric Value")
        unit = r.get("Metric Unit") or ""
        if key and value is not None:
            metrics[key] = (value.replace(",", ""), unit)
    if not metrics:
        return "%s: no metrics in the report" % name
    parts = []
    for label, key in WANTED:
        if key in metrics:
            value, unit = metrics[key]
            parts.append("%s %s%s" % (label, value,
                                      " " + unit if unit and unit != "%" else ""))
    for key, (value, _) in metrics.items():
        if TENSOR.match(key):
            parts.append("%s %s%%" % (key.split("_cycles")[0], value))
    stalls = []
    for key, (value, _) in metrics.items():
        m = STALL.match(key)
        if m:
            try:
                stalls.append((float(value), m.group(1)))
            except ValueError:
                pass
    stalls.sort(reverse=True)
    if stalls:
        parts.append("stalls: " + ", ".join(
            "%s %.2f" % (reason, v) for v, reason in stalls[:5]))
    return "%s: %s" % (name, "; ".join(parts))


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[2], errors="replace") as f:
        print(summarize(sys.argv[1], f.read()))


if __name__ == "__main__":
    main()
