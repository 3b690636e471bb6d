#!/usr/bin/env python3
"""Checks a KV cache tensor that attn-runner wrote, without numpy.

  cache_rows.py CACHE.npy TOKEN.npy FROM TO [BASE.npy]

CACHE is [B, C, H, D], TOKEN [B, 1, H, D]. Positions [FROM, TO) of every
sequence must hold TOKEN exactly, and every other position what BASE (the
cache the run started from, [B, C, H, D]) holds there, or zero without
BASE (as a new cache starts). Prints what it found; exits non-zero on any
other value.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from npy_diff import read  # noqa: E402


def main():
    cache_path, token_path, lo, hi = sys.argv[1:5]
    lo, hi = int(lo), int(hi)
    (b, c, h, d), cache, _ = read(cache_path)
    shape, token, _ = read(token_path)
    base = None
    if len(sys.argv) > 5:
        base_shape, base, _ = read(sys.argv[5])
        if tuple(base_shape) != (b, c, h, d):
            sys.exit("base shape %s is not the cache's" % (base_shape,))
    if tuple(shape) != (b, 1, h, d):
        sys.exit("token shape %s does not fit cache [%d, %d, %d, %d]"
                 % (shape, b, c, h, d))
    row = h * d
    bad = 0
    for s in range(b):
        for p in range(c):
            got = list(cache[(s * c + p) * row:(s * c + p + 1) * row])
            if lo <= p < hi:
                want = list(token[s * row:(s + 1) * row])
            elif base is not None:
                want = list(base[(s * c + p) * row:(s * c + p + 1) * row])
            else:
                want = [0.0] * row
            bad += got != want
    print("cache [%d, %d, %d, %d]: positions [%d, %d) hold the token, the "
          "rest %s: %s" % (b, c, h, d, lo, hi,
                           "as before" if base is not None else "zero",
                           "PASS" if not bad else
                           "FAIL (%d rows differ)" % bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
