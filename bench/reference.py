"""Checks attention outputs on the GPU against a float64 reference.

The criterion is FlashAttention's: an output passes when
    max|out - ref| <= 2 * max|naive - ref| + ERROR_FLOOR
where ref is the attention in float64 and naive the same attention computed
the obvious way in the element type (Q·Kᵀ, scale, softmax and P·V each
rounded to bf16 or f16 by torch). The naive error calibrates how much error
rounding to the element type alone causes at this shape; the floor covers
shapes where the naive result happens to be exact.

The scores of the large cases do not fit in memory in float64 (B1 x 16k,
32 heads: 64 GB), so both references are computed in chunks of batch
entries and query rows, sized to a fixed element budget. The query heads of
one KV head are folded into the rows of the chunk, which is GQA without
copying K or V: query head h reads KV head h // (Hq / Hkv).
"""
import math

import torch

from results import CHECK_ERROR_FLOOR as ERROR_FLOOR
# Score elements per chunk: 2^27 float64 scores are 1 GiB; the softmax and
# the naive scores add about as much again.
CHUNK_ELEMENTS = 1 << 27


def _chunks(case):
    """(batch slice, row slice) pairs covering the problem within the budget."""
    per_row = case.heads_q * case.seq_k
    rows = max(1, min(case.seq_q, CHUNK_ELEMENTS // per_row))
    batches = max(1, CHUNK_ELEMENTS // (per_row * rows)) if rows == case.seq_q else 1
    for b0 in range(0, case.batch, batches):
        for r0 in range(0, case.seq_q, rows):
            yield (slice(b0, min(case.batch, b0 + batches)),
                   slice(r0, min(case.seq_q, r0 + rows)))


def _visible(case, rows, device):
    """[rows, Sk] bool: key j is visible from query i (bottom-right causal:
    j <= i + Sk - Sq), or None when every key is."""
    if not case.causal:
        return None
    i = torch.arange(rows.start, rows.stop, device=device)[:, None]
    j = torch.arange(case.seq_k, device=device)[None, :]
    return j <= i + (case.seq_k - case.seq_q)


def _attend(q, k, v, visible, scale):
    """softmax(Q·Kᵀ·scale)·V with every step in the inputs' dtype. q: [b, Hkv, G, r, D]
    (G query heads per KV head), k, v: [b, Hkv, Sk, D]. Rows that see no key
    give zeros, as attn.attention defines them."""
    b, hkv, g, r, d = q.shape
    s = torch.matmul(q.reshape(b, hkv, g * r, d), k.transpose(-1, -2))
    s = (s * scale).view(b, hkv, g, r, -1)
    if visible is not None:
        s = s.masked_fill(~visible, float("-inf"))
    p = torch.softmax(s, dim=-1).view(b, hkv, g * r, -1)
    o = torch.matmul(p, v).view(b, hkv, g, r, d)
    if visible is not None:
        o = o.masked_fill(~visible.any(dim=-1)[:, None], 0)
    return o


def check(case, q, k, v, outputs):
    """Checks each output of `outputs` (system name -> [B, Hq, Sq, D] tensor
    of the case's dtype) against one float64 reference; returns system name
    -> {max_err, naive_err, bound, nan, pass}. The reference and the naive
    attention are computed once per chunk for all outputs."""
    b_, hq, sq, d = q.shape
    hkv, g = case.heads_kv, case.group
    scale = 1.0 / math.sqrt(case.head_dim)
    # Outputs may be strided (cuDNN's is bshd in memory); reshape copies then.
    grouped = lambda t: t.reshape(b_, hkv, g, sq, d)
    q5 = grouped(q)
    outs = {name: grouped(o) for name, o in outputs.items()}
    err = {name: 0.0 for name in outputs}
    nans = {name: 0 for name in outputs}
    naive_err, finite = 0.0, True
    for bs, rs in _chunks(case):
        visible = _visible(case, rs, q.device)
        qc, kc, vc = q5[bs, :, :, rs], k[bs], v[bs]
        ref = _attend(qc.double(), kc.double(), vc.double(), visible, scale)
        naive = _attend(qc, kc, vc, visible, scale)
        diff = (naive.double() - ref).abs()
        finite &= bool(torch.isfinite(diff).all())
        naive_err = max(naive_err, diff.max().item())
        del naive, diff
        for name, o in outs.items():
            oc = o[bs, :, :, rs].double()
            nan = torch.isnan(oc)
            nans[name] += int(nan.sum())
            e = (oc - ref).abs().masked_fill(nan, 0)
            finite &= bool(torch.isfinite(e).all())
            err[name] = max(err[name], e.max().item())
        del ref
    bound = 2 * naive_err + ERROR_FLOOR
    return {name: {"max_err": err[name], "naive_err": naive_err, "bound": bound,
                   "nan": nans[name],
                   "pass": finite and nans[name] == 0 and err[name] <= bound}
            for name in outputs}
