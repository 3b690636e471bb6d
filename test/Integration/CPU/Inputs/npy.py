#!/usr/bin/env python3
"""Writes the .npy files that the attn-runner tests feed it, without numpy.

  npy.py OUT DTYPE SHAPE KIND [ARG]

DTYPE is f16, bf16, f32 or f64 (bf16 as '<u2' raw bits, attn-runner's
convention); SHAPE is like 1x4x97x97. KIND:
  normal SEED     N(0, 1) values
  small SEED      N(0, 1) values times 2^-12 (the same values as normal SEED,
                  a power of two smaller)
  tiny SEED       the values of normal SEED times 2^-24, every eighth one 0
                  (rows whose quantization scale rounds to 0 in f16)
  ramp SEED       the values of normal SEED times 1 + 4 i / (n - 1), i the
                  index along the second dimension (a sequence position in
                  bshd) and n its extent: scores against such keys keep
                  growing along the sequence
  zeros           every value 0
  holes SEED      a mask: N(0, 1), a third of it -inf, and the first query
                  row (second-to-last dimension index 0) entirely -inf
  nan INDEX       N(0, 1) with element INDEX set to NaN
  causal          an additive causal mask: 0 where key j <= query i + (Sk -
                  Sq) (over the last two dimensions), -inf elsewhere
  badmagic        a valid file whose magic is wrong
  truncated       a valid header followed by too few data bytes
  badheader       a header that is not a Python dict
"""
import math
import random
import struct
import sys


def encode(dtype, values):
    if dtype == "f16":
        return "<f2", b"".join(struct.pack("<e", v) for v in values)
    if dtype == "f32":
        return "<f4", b"".join(struct.pack("<f", v) for v in values)
    if dtype == "f64":
        return "<f8", b"".join(struct.pack("<d", v) for v in values)
    if dtype == "bf16":
        out = []
        for v in values:
            bits = struct.unpack("<I", struct.pack("<f", v))[0]
            if math.isnan(v):
                out.append(struct.pack("<H", 0x7FC0))
                continue
            bits += 0x7FFF + ((bits >> 16) & 1)  # round to nearest even
            out.append(struct.pack("<H", (bits >> 16) & 0xFFFF))
        return "<u2", b"".join(out)
    raise SystemExit("unknown dtype " + dtype)


def header(descr, shape):
    dims = ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "")
    text = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (descr, dims)
    pad = (64 - (10 + len(text) + 1) % 64) % 64
    text += " " * pad + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode()


def main():
    out, dtype, shape_text, kind = sys.argv[1:5]
    arg = sys.argv[5] if len(sys.argv) > 5 else "0"
    shape = [int(d) for d in shape_text.split("x")]
    count = math.prod(shape)
    rng = random.Random(int(arg) if kind in ("normal", "small", "tiny", "holes", "ramp") else 0)
    values = [rng.gauss(0.0, 1.0) for _ in range(count)]
    if kind == "small":
        values = [v * 2.0 ** -12 for v in values]
    if kind == "tiny":
        values = [0.0 if i % 8 == 0 else v * 2.0 ** -24
                  for i, v in enumerate(values)]
    if kind == "ramp":
        n, inner = shape[1], math.prod(shape[2:])
        values = [v * (1 + 4 * ((i // inner) % n) / max(n - 1, 1))
                  for i, v in enumerate(values)]
    if kind == "holes":
        rows, cols = shape[-2], shape[-1]
        for i in range(count):
            if (i // cols) % rows == 0 or rng.random() < 1 / 3:
                values[i] = -math.inf
    elif kind == "causal":
        rows, cols = shape[-2], shape[-1]
        for i in range(count):
            row, col = (i // cols) % rows, i % cols
            values[i] = 0.0 if col <= row + (cols - rows) else -math.inf
    elif kind == "zeros":
        values = [0.0] * count
    elif kind == "nan":
        values[int(arg)] = math.nan
    descr, data = encode(dtype, values)
    blob = header(descr, shape) + data
    if kind == "badmagic":
        blob = b"\x93NUMPZ" + blob[6:]
    elif kind == "truncated":
        blob = blob[:-3]
    elif kind == "badheader":
        blob = b"\x93NUMPY\x01\x00" + struct.pack("<H", 8) + b"[1, 2]\n "
    with open(out, "wb") as f:
        f.write(blob)


main()
