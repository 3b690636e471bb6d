#!/usr/bin/env python3
"""Compares two printMemrefF32 outputs element by element.

  memref_diff.py A B TOLERANCE

Each file holds what the MLIR runner's printMemrefF32 printed: a header line
with the sizes, then the data. Prints the element count, the largest
absolute difference and whether it is within TOLERANCE; exits non-zero when
it is not, when the sizes differ, or when either holds a NaN.
"""
import re
import sys

# The script's own folder is on sys.path, so the sibling module imports.
from npy_diff import compare

NUMBER = re.compile(r"[-+]?(?:nan|inf|\d+\.?\d*(?:e[-+]?\d+)?)", re.IGNORECASE)


def read(path):
    with open(path) as f:
        text = f.read()
    header, sep, data = text.partition("data =")
    if not sep:
        raise SystemExit(path + ": no printMemrefF32 output")
    sizes = re.search(r"sizes = \[([^\]]*)\]", header).group(1)
    return sizes, [float(x) for x in NUMBER.findall(data)]


def main():
    (sizes_a, a), (sizes_b, b) = read(sys.argv[1]), read(sys.argv[2])
    if sizes_a != sizes_b or len(a) != len(b):
        raise SystemExit("sizes differ: [%s] and [%s]" % (sizes_a, sizes_b))
    compare("%d elements" % len(a), a, b, float(sys.argv[3]))


if __name__ == "__main__":
    main()
