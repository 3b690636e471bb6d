#!/usr/bin/env python3
"""Checks the output of attention over a quantized KV cache, without numpy.

  kv_quant_ref.py MODE STORAGE SCALE_TYPE Q K V OUT [--causal] [--drop-scales]
                  [--tensor-cores] [--small-values]

Q is [B, Sq, Hq, D], K and V [B, Sk, Hkv, D] (the keys and values appended
to the cache at position 0, then attended over with length Sk), OUT the
compiled result; all .npy (bf16 as '<u2' bits). STORAGE is i8 or f8e4m3fn,
SCALE_TYPE f32, bf16 or f16. The reference is float64 attention; it exits
non-zero when the largest error exceeds its bound.

MODE quantized: the reference quantizes K and V exactly as
  attn-lower-kv-cache does (per token and KV head: scale = max_d |x| / QMAX
  in f32, rounded to SCALE_TYPE, 1 where that is 0; code = clamp(x / scale,
  -QMAX, QMAX) in f32, rounded to nearest even: an integer for i8, an
  f8E4M3FN value for fp8), dequantizes (code * scale) and computes
  attention in float64. The compiled code works from the same dequantized
  values (each code * scale is exact or one f32 rounding away), so its error
  is that of a FlashAttention-2 computation in f32 whose result is rounded
  to the output type. The bound, per element, is twice the rounding of a
  naive same-precision computation, 2 u |ref| with u the unit roundoff of
  the output type (2^-8 for bf16, 8 significant bits), plus a floor of 64
  f32 roundings of the row's largest output (|ref|_max * 64 * 2^-24) for
  the f32 sums and exponentials, which do not round alike in the tiled and
  naive orders.
  --drop-scales uses the codes as if they were the values (scales dropped):
  that reference is wrong, and the check must fail against it.

--tensor-cores: the compiled code dequantized into tiles of the output
  type and multiplied on tensor cores, P rounded to that type too (the
  decode schedule), so its error is that of a FlashAttention computation
  in the output type. The bound is then FlashAttention's criterion, as
  attn-runner --check applies it: twice the largest error of a naive
  computation in the output type on the same dequantized values (K, V,
  the scaled scores, the probabilities and the output each rounded to the
  type, sums in float64), plus the runner's floor (2^-7 for bf16, 2^-10
  for f16); MODE unquantized adds its quantization term per element.

--small-values: V is 2^-12 times values of the usual size (npy.py small),
  so the output is too; the --tensor-cores floor shrinks alike, which
  keeps the bound as tight as at the usual size. (Without it, a floor of
  2^-7 would pass any output of that size.)

MODE unquantized: the reference is attention over the original K and V,
  so the error measured is the quantization's. Per element, K and V change
  by at most e = scale / 2 for i8 (max|x| / 254 for the row: half a step
  of the 255-level grid), and by at most 2^-4 max|x| for fp8 (half an ulp
  of a 3-bit mantissa, relative to the row's largest value; subnormal codes
  err by at most 2^-10 scale, less). A key error moves each score by at
  most ds = scale_attn * |q|_1 * e_k, which scales each softmax weight by
  at most exp(+-ds), so the weights move by at most (exp(2 ds) - 1) in
  total and the output by at most (exp(2 ds_max) - 1) max|v| from the
  keys, plus max e_v from the values (the weights sum to 1), plus the
  output rounding and floor of MODE quantized. For N(0, 1) inputs, max|x|
  ~ 3 per row of 64, so e ~ 0.012 for i8 and ~0.2 for fp8.
"""
import math
import struct
import sys

from npy_diff import read


def f32(x):
    """x rounded to the nearest f32 (exact for one f32 operation on f32
    operands computed in float64: +, -, *, / round once there)."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def bf16(x):
    bits = struct.unpack("<I", struct.pack("<f", f32(x)))[0]
    bits += 0x7FFF + ((bits >> 16) & 1)
    return struct.unpack("<f", struct.pack("<I", (bits >> 16) << 16))[0]


def f16(x):
    return struct.unpack("<e", struct.pack("<e", x))[0]


def f8e4m3fn(x):
    """x (|x| <= 448) rounded to nearest even f8E4M3FN: 3 mantissa bits,
    exponent bias 7, subnormals in steps of 2^-9."""
    if x == 0:
        return 0.0
    e = max(math.frexp(abs(x))[1] - 1, -6)  # |x| in [2^e, 2^(e+1))
    step = 2.0 ** (e - 3)
    return round(x / step) * step  # round() is half-to-even; x/step exact


ROUND_SCALE = {"f32": f32, "bf16": bf16, "f16": f16}
# attn-runner's error floor for FlashAttention's criterion.
FLASH_FLOOR = {"bf16": 2.0 ** -7, "f16": 2.0 ** -10}
QMAX = {"i8": 127.0, "f8e4m3fn": 448.0}
UNIT_ROUNDOFF = {"bf16": 2.0 ** -8, "f16": 2.0 ** -11, "f32": 2.0 ** -24,
                 "f64": 2.0 ** -53}


def quantize_row(row, storage, scale_type):
    """Codes and scale of one token's head, as attn-lower-kv-cache computes
    them in f32. Returns (codes, scale, error bound of one element)."""
    qmax = QMAX[storage]
    amax = max(abs(x) for x in row)
    scale = ROUND_SCALE[scale_type](f32(amax / qmax)) or 1.0
    codes = []
    for x in row:
        q = min(max(f32(x / scale), -qmax), qmax)
        codes.append(float(round(q)) if storage == "i8" else f8e4m3fn(q))
    bound = scale / 2 if storage == "i8" else max(2.0 ** -4 * amax,
                                                   2.0 ** -10 * scale)
    return codes, scale, bound


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    flags = {a for a in sys.argv[1:] if a.startswith("--")}
    mode, storage, scale_type = args[:3]
    (qs, q, _), (ks, k, _), (vs, v, _), (os_, out, out_type) = (
        read(p) for p in args[3:7])
    causal, drop = "--causal" in flags, "--drop-scales" in flags
    tensor_cores = "--tensor-cores" in flags
    floor_unit = 2.0 ** -12 if "--small-values" in flags else 1.0
    b_, sq, hq, d = qs
    _, sk, hkv, dv = vs
    group = hq // hkv
    at = lambda t, shape, i, j, h: t[((i * shape[1] + j) * shape[2] + h)
                                     * shape[3]:][:shape[3]]

    # Per (batch, token, head): the K/V rows attention reads, the rows the
    # compiled code reads (dequantized), and e_k, e_v.
    keys, values, err_k, err_v = {}, {}, {}, {}
    dq_keys, dq_values = {}, {}
    for bi in range(b_):
        for j in range(sk):
            for h in range(hkv):
                for src, shape, dst, dq, err in (
                        (k, ks, keys, dq_keys, err_k),
                        (v, vs, values, dq_values, err_v)):
                    row = at(src, shape, bi, j, h)
                    codes, scale, bound = quantize_row(row, storage,
                                                       scale_type)
                    dq[bi, j, h] = [c * scale for c in codes]
                    if mode == "unquantized":
                        dst[bi, j, h] = list(row)
                    else:
                        dst[bi, j, h] = codes if drop else [c * scale
                                                            for c in codes]
                    err[bi, j, h] = bound

    attn_scale = 1.0 / math.sqrt(d)
    u = UNIT_ROUNDOFF[out_type]
    rnd = ROUND_SCALE[out_type]

    def seen_keys(i):
        """The keys query row i attends to."""
        return range(0, (i + (sk - sq) if causal else sk - 1) + 1)

    rounded_rows = {}

    def rows(t, bi, kvh, seen, r):
        """The rows of t at (bi, j, kvh) for j in seen, each element rounded
        by r: once per row, not once per query row that reads it (the
        query heads of a group read the same rows)."""
        if r is None:
            return [t[bi, j, kvh] for j in seen]
        memo = rounded_rows.setdefault((id(t), r), {})
        out = []
        for j in seen:
            row = memo.get((bi, j, kvh))
            if row is None:
                row = memo[bi, j, kvh] = [r(c) for c in t[bi, j, kvh]]
            out.append(row)
        return out

    def attend(kk, vv, bi, i, h, r=None):
        """One output row over the rows kk, vv: exact in float64, or, with
        a rounding r, naive in that precision (K, V, the scaled scores, the
        probabilities and the output each rounded, the dot in f32). Each
        output element sums over the keys in their order."""
        kvh = h // group
        qrow = at(q, qs, bi, i, h)
        seen = seen_keys(i)
        if not seen:
            return [0.0] * dv
        krows, vrows = rows(kk, bi, kvh, seen, r), rows(vv, bi, kvh, seen, r)
        if r is None:
            scores = [attn_scale * sum(a * c for a, c in zip(qrow, krow))
                      for krow in krows]
        else:
            scores = [r(f32(sum(a * c for a, c in zip(qrow, krow)))
                        * attn_scale) for krow in krows]
        m = max(scores)
        w = [math.exp(s - m) for s in scores]
        total = sum(w)
        if r is not None:
            w = [r(x / total) for x in w]
        acc = [0] * dv
        for wn, vrow in zip(w, vrows):
            acc = [a + wn * x for a, x in zip(acc, vrow)]
        if r is None:
            return [a / total for a in acc]
        return [r(a) for a in acc]

    # FlashAttention's criterion: the naive computation's largest error
    # against the exact one, both on the dequantized values.
    naive_err = 0.0
    if tensor_cores:
        for bi in range(b_):
            for i in range(sq):
                for h in range(hq):
                    exact = attend(dq_keys, dq_values, bi, i, h)
                    naive = attend(dq_keys, dq_values, bi, i, h, rnd)
                    naive_err = max(naive_err, max(
                        abs(x - y) for x, y in zip(exact, naive)))
    worst, worst_ratio = 0.0, 0.0
    for bi in range(b_):
        for i in range(sq):
            for h in range(hq):
                kvh = h // group
                qrow = at(q, qs, bi, i, h)
                seen = seen_keys(i)
                ref = attend(keys, values, bi, i, h)
                got = at(out, os_, bi, i, h)
                floor = max(abs(x) for x in ref) * 64 * 2.0 ** -24
                extra = 0.0
                if mode == "unquantized" and seen:
                    q1 = sum(abs(x) for x in qrow)
                    ds = max(attn_scale * q1 * err_k[bi, j, kvh]
                             for j in seen)
                    vmax = max(abs(x) for j in seen
                               for x in values[bi, j, kvh])
                    extra = (math.expm1(2 * ds) * vmax
                             + max(err_v[bi, j, kvh] for j in seen))
                for r, g in zip(ref, got):
                    if math.isnan(g):
                        raise SystemExit("NaN in the result")
                    err = abs(r - g)
                    if tensor_cores:
                        bound = (2 * naive_err + FLASH_FLOOR[out_type] *
                                 floor_unit + extra)
                    else:
                        bound = 2 * u * abs(r) + floor + extra
                    worst = max(worst, err)
                    if err:
                        worst_ratio = max(worst_ratio, err / bound
                                          if bound else math.inf)
    ok = worst_ratio <= 1.0
    print("%s %s scales %s%s: max_abs_err=%.3e, %.3f of its bound: %s" %
          (mode, storage, scale_type, " (scales dropped)" if drop else "",
           worst, worst_ratio, "PASS" if ok else "FAIL"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
