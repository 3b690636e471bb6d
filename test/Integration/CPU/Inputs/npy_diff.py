#!/usr/bin/env python3
"""Compares two .npy files of the same shape and float dtype, without numpy.

  npy_diff.py A B TOLERANCE

Prints the shape, the largest absolute difference and whether it is within
TOLERANCE; exits non-zero when it is not, or when either file holds a NaN.
Reads f16, f32 and f64 ('<f2', '<f4', '<f8'), the dtypes attn-runner writes
for those element types, and bf16, which npy has no dtype for and
attn-runner writes as its raw bits ('<u2').
"""
import ast
import math
import struct
import sys


def read(path):
    """(shape, values as floats, element type name) of an .npy file."""
    with open(path, "rb") as f:
        blob = f.read()
    if blob[:6] != b"\x93NUMPY":
        raise SystemExit(path + ": not an .npy file")
    length = struct.unpack("<H", blob[8:10])[0]
    header = ast.literal_eval(blob[10:10 + length].decode())
    descr = header["descr"]
    data = blob[10 + length:]
    if descr == "<u2":
        # A bf16 is the top half of the f32 with the same bits.
        bits = struct.unpack("<%dH" % (len(data) // 2), data)
        wide = struct.pack("<%dI" % len(bits), *(b << 16 for b in bits))
        return header["shape"], struct.unpack("<%df" % len(bits), wide), "bf16"
    fmt, name = {"<f2": ("e", "f16"), "<f4": ("f", "f32"),
                 "<f8": ("d", "f64")}[descr]
    count = len(data) // struct.calcsize(fmt)
    return (header["shape"], struct.unpack("<%d%s" % (count, fmt), data),
            name)


def compare(what, a, b, tolerance):
    """Prints the largest |a - b| of two equally long sequences, described
    by `what`, and exits 0 when it is within `tolerance` and neither holds a
    NaN, 1 otherwise."""
    if any(math.isnan(x) for x in a + b):
        raise SystemExit("NaN in the results")
    diff = max(abs(x - y) for x, y in zip(a, b))
    ok = diff <= tolerance
    print("%s max_abs_diff=%.3e %s %.3e" %
          (what, diff, "within" if ok else "EXCEEDS", tolerance))
    sys.exit(0 if ok else 1)


def main():
    (shape_a, a, _), (shape_b, b, _) = read(sys.argv[1]), read(sys.argv[2])
    if shape_a != shape_b:
        raise SystemExit("shapes differ: %s and %s" % (shape_a, shape_b))
    compare("shape %s" % (shape_a,), a, b, float(sys.argv[3]))


if __name__ == "__main__":
    main()
