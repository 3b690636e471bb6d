#!/usr/bin/env python3
"""Turns bench/run.sh's "<case> <kernel> <median ms>" lines into a table.

Each peer column is the peer's median time over attn-mlir's: above 1 means
attn-mlir is faster than that peer on that case.
"""
import sys

PEERS = ["sdpa-flash", "sdpa-cudnn", "flex"]


def main(path):
    times, order = {}, []
    for line in open(path):
        if line.startswith("#") or len(line.split()) < 3:
            continue
        case, kernel, ms = line.split()[:3]
        if case not in order:
            order.append(case)
        try:
            times[case, kernel] = float(ms)
        except ValueError:  # "n/a": the peer does not run this case
            pass
    print("| case | attn-mlir ms | " + " | ".join(p + " ms" for p in PEERS) +
          " | " + " | ".join(p + "/ours" for p in PEERS) + " |")
    print("|---" * (2 + 2 * len(PEERS)) + "|")
    for case in order:
        ours = times.get((case, "attn-mlir"))
        cells = [case, "%.4f" % ours if ours else "n/a"]
        cells += ["%.4f" % times[case, p] if (case, p) in times else "n/a"
                  for p in PEERS]
        cells += ["%.4f" % (times[case, p] / ours) if ours and (case, p) in times
                  else "n/a" for p in PEERS]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv[1])
