#!/usr/bin/env python3
"""Where one kernel's warps spend their time, instruction by instruction.

  ncu_source.py NAME SOURCE.csv [TOP]

SOURCE.csv is what `ncu --import REPORT --page source --csv --print-source
sass` writes for a report with the SourceCounters section (warp-state
sampling per SASS instruction; bench/profile-decode.sh with
PROFILE_SOURCE=1). Prints, for kernel NAME:
- the share of the samples of each stall reason (the five largest);
- the kernel cut into runs of consecutive instructions that executed
  equally often (a loop body executes its trip count times more often than
  what is around it), each run of at least 1% of the samples with its
  share, its execution count and its first instruction;
- the TOP (default 10) instructions with the most samples, with their two
  largest stall reasons.
Every share is of all the samples, so the runs tell how a warp's time
divides between the loop and what comes before and after it.
"""
import csv
import io
import sys

SAMPLES = "Warp Stall Sampling (All Samples)"
EXECUTED = "Instructions Executed"


def _number(text):
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return 0.0


def parse(text):
    """The instructions of the report: (source, executions, samples,
    {stall reason: samples}), in address order."""
    rows = list(csv.reader(io.StringIO(text)))
    header = next((i for i, r in enumerate(rows) if SAMPLES in r), None)
    if header is None:
        raise ValueError("no '%s' column: not a source page with the "
                         "SourceCounters section" % SAMPLES)
    names = rows[header]
    at = {n: i for i, n in enumerate(names)}
    stalls = [n for n in names
              if n.startswith("stall_") and "Not Issued" not in n]
    out = []
    for r in rows[header + 1:]:
        if len(r) < len(names):
            continue
        out.append((r[at["Source"]].strip(), _number(r[at[EXECUTED]]),
                    _number(r[at[SAMPLES]]),
                    {s[len("stall_"):]: _number(r[at[s]]) for s in stalls}))
    return out


def summarize(name, text, top=10):
    instructions = parse(text)
    total = sum(i[2] for i in instructions)
    if not total:
        return "%s: no samples" % name
    pct = lambda x: 100.0 * x / total
    lines = ["%s: %d instructions, %d samples" %
             (name, len(instructions), total)]
    reasons = {}
    for _, _, _, stalls in instructions:
        for k, v in stalls.items():
            reasons[k] = reasons.get(k, 0) + v
    largest = sorted(reasons.items(), key=lambda kv: -kv[1])[:5]
    lines.append("  stalls: " + ", ".join(
        "%s %.1f%%" % (k, pct(v)) for k, v in largest if v))
    runs = []
    for index, (source, executed, samples, _) in enumerate(instructions):
        if runs and runs[-1][1] == executed:
            runs[-1][2] += samples
        else:
            runs.append([index, executed, samples])
    for first, executed, samples in runs:
        if pct(samples) >= 1.0:
            lines.append("  from instruction %d, executed %d times: %.1f%% "
                         "(%s)" % (first, executed, pct(samples),
                                   instructions[first][0]))
    busiest = sorted(instructions, key=lambda i: -i[2])[:top]
    for source, executed, samples, stalls in busiest:
        if not samples:
            break
        two = sorted(stalls.items(), key=lambda kv: -kv[1])[:2]
        lines.append("  %.1f%% %s [%s]" % (
            pct(samples), source,
            ", ".join("%s %d%%" % (k, round(100.0 * v / samples))
                      for k, v in two if round(100.0 * v / samples))))
    return "\n".join(lines)


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    with open(sys.argv[2]) as f:
        text = f.read()
    top = int(sys.argv[3]) if len(sys.argv) == 4 else 10
    try:
        print(summarize(sys.argv[1], text, top))
    except ValueError as e:
        sys.exit("%s: %s" % (sys.argv[2], e))


if __name__ == "__main__":
    main()
