#!/usr/bin/env python3
"""The peer attention kernels, timed on the same inputs as attn-runner.

PyTorch SDPA with the FlashAttention-2 backend and with the cuDNN backend
(enable_gqa=True, so K and V are not repeated), FlexAttention compiled with
torch.compile (a block mask for causal), and for decode the llama2 path:
repeat_kv materialising the repeated K and V (expand + reshape, as llama2
and Hugging Face write it), then SDPA with PyTorch's own backend choice.

Each peer is timed with CUDA events around each call, over rotating copies
of the inputs that together exceed twice the L2 cache, so a timed call does
not find its inputs cached by the previous one. The events bracket a Python
call, so a peer's time includes its launch overhead (microseconds), which
attn-runner's per-launch events do not; that matters only for the shortest
kernels.

Run alone (python3 bench/peers.py bench/cases.txt 20), it times the peers on
random inputs and prints "<case> <peer> <median ms>" lines.
"""
import contextlib
import sys

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

import ours

PEERS = ("sdpa-flash", "sdpa-cudnn", "flex", "llama2-repeat-kv")
TORCH_DTYPES = {"bf16": torch.bfloat16, "f16": torch.float16}

_flex = None


def _compiled_flex():
    """torch.compile'd flex_attention, made once. Each case is a new static
    shape, hence a recompile; the recompile limit (8 by default) would
    otherwise send later cases to the eager path, which materialises the
    scores."""
    global _flex
    if _flex is None:
        import torch._dynamo
        from torch.nn.attention.flex_attention import flex_attention
        for knob in ("cache_size_limit", "recompile_limit"):
            if hasattr(torch._dynamo.config, knob):
                setattr(torch._dynamo.config, knob, 256)
        _flex = torch.compile(flex_attention, dynamic=False)
    return _flex


def l2_bytes():
    props = torch.cuda.get_device_properties(torch.cuda.current_device())
    return getattr(props, "L2_cache_size", 50 << 20)


def rotating_sets(q, k, v, limit=32):
    """The inputs and enough clones of them to exceed twice the L2 cache.
    Clones, not new random data: every timed call does the same work."""
    size = sum(t.numel() * t.element_size() for t in (q, k, v))
    count = max(1, min(limit, 2 * l2_bytes() // size + 1))
    return [(q, k, v)] + [(q.clone(), k.clone(), v.clone()) for _ in range(count - 1)]


def median_ms(fn, inputs, runs, warmup=3):
    """Median CUDA-event time of fn over `runs` calls cycling through inputs."""
    for i in range(warmup):
        fn(*inputs[i % len(inputs)])
    # The launch hold (ours.hold_us), as attn-runner --benchmark-hold applies
    # it to ours: the device spins while the host queues the call's kernels,
    # so that the time holds no host launch or dispatch time. Cycles for at
    # least the hold at SM clocks up to 2 GHz.
    hold_cycles = int(ours.hold_us() * 2000)
    times = []
    for i in range(runs):
        start, stop = torch.cuda.Event(True), torch.cuda.Event(True)
        args = inputs[i % len(inputs)]
        if hold_cycles:
            torch.cuda._sleep(hold_cycles)
        start.record()
        fn(*args)
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop))
    times.sort()
    n = len(times)
    return times[n // 2] if n % 2 else 0.5 * (times[n // 2 - 1] + times[n // 2])


def time_copy(moved, runs):
    """The median ms of a device-to-device copy that moves `moved` bytes
    (half read, half written), timed as the peers are (the launch hold,
    buffers rotated past twice the L2 cache): what a copy itself reaches at
    a decode's size, ramp and tail included."""
    half = max(1, moved // 2)
    count = max(1, min(32, 2 * l2_bytes() // moved + 1))
    sets = [(torch.empty(half, device="cuda", dtype=torch.uint8),
             torch.empty(half, device="cuda", dtype=torch.uint8))
            for _ in range(count)]
    ms = median_ms(lambda src, dst: dst.copy_(src), sets, runs)
    del sets
    torch.cuda.empty_cache()
    return ms


def repeat_kv(x, n_rep):
    """llama2's repeat_kv in bhsd: each KV head n_rep times in a row, copied."""
    b, h, s, d = x.shape
    if n_rep == 1:
        return x
    return x[:, :, None, :, :].expand(b, h, n_rep, s, d).reshape(b, h * n_rep, s, d)


def _flex_function(case):
    """FlexAttention for the case: fn(q, k, v), or a reason string when this
    PyTorch cannot build it. The block mask is bottom-right causal, like
    attn's, so it also serves Sq != Sk."""
    try:
        flex = _compiled_flex()
        block_mask = None
        if case.causal:
            from torch.nn.attention.flex_attention import create_block_mask
            offset = case.seq_k - case.seq_q
            block_mask = create_block_mask(
                lambda b, h, q_idx, kv_idx: q_idx + offset >= kv_idx,
                None, None, case.seq_q, case.seq_k, device="cuda")
    except Exception as e:  # an old PyTorch, a missing Triton
        return "n/a: " + first_line(e)

    def run_flex(q, k, v):
        return flex(q, k, v, block_mask=block_mask, enable_gqa=True)
    return run_flex


def peer_functions(case, names=PEERS):
    """name -> (fn(q, k, v), context manager factory) for the peers in
    `names` that can run this case, or name -> reason string where one
    cannot."""
    # SDPA's is_causal aligns the diagonal top-left, attn's bottom-right;
    # they agree only when Sq == Sk.
    sdpa_ok = not case.causal or case.seq_q == case.seq_k
    why_not = "n/a: SDPA is_causal is top-left aligned, attn's causal bottom-right"

    def sdpa(q, k, v):
        return F.scaled_dot_product_attention(q, k, v, is_causal=case.causal,
                                              enable_gqa=True)

    def llama2(q, k, v):
        n_rep = case.group
        return F.scaled_dot_product_attention(
            q, repeat_kv(k, n_rep), repeat_kv(v, n_rep), is_causal=case.causal)

    peers = {}
    if "sdpa-flash" in names:
        peers["sdpa-flash"] = (sdpa, lambda: sdpa_kernel(SDPBackend.FLASH_ATTENTION)) \
            if sdpa_ok else why_not
    if "sdpa-cudnn" in names:
        peers["sdpa-cudnn"] = (sdpa, lambda: sdpa_kernel(SDPBackend.CUDNN_ATTENTION)) \
            if sdpa_ok else why_not
    if "flex" in names:
        flex = _flex_function(case)
        peers["flex"] = flex if isinstance(flex, str) else (flex, contextlib.nullcontext)
    if case.decode and "llama2-repeat-kv" in names:
        peers["llama2-repeat-kv"] = (llama2, contextlib.nullcontext) \
            if sdpa_ok else why_not
    return peers


def first_line(e):
    text = str(e).strip().splitlines()
    return "%s: %s" % (type(e).__name__, text[0][:200] if text else "")


def time_peers(case, q, k, v, runs, names=PEERS):
    """Times each peer in `names` on q, k, v. Returns (name -> {"ms"} or
    {"error"}, name -> the output of its first call, for the check)."""
    results, outputs = {}, {}
    inputs = rotating_sets(q, k, v)
    for name, peer in peer_functions(case, names).items():
        if isinstance(peer, str):
            results[name] = {"error": peer}
            continue
        fn, context = peer
        try:
            with context():
                outputs[name] = fn(q, k, v)
                results[name] = {"ms": median_ms(fn, inputs, runs)}
        except Exception as e:  # backends refuse shapes, compiles fail: many types
            outputs.pop(name, None)
            results[name] = {"error": first_line(e)}
        torch.cuda.synchronize()
    del inputs
    torch.cuda.empty_cache()
    return results, outputs


def random_inputs(case, seed=0):
    """N(0, 1) q, k, v of the case's shape and dtype on the GPU, bhsd."""
    g = torch.Generator(device="cuda").manual_seed(seed)
    dtype = TORCH_DTYPES[case.dtype]
    shapes = ((case.batch, case.heads_q, case.seq_q, case.head_dim),
              (case.batch, case.heads_kv, case.seq_k, case.head_dim),
              (case.batch, case.heads_kv, case.seq_k, case.head_dim))
    return tuple(torch.randn(s, generator=g, device="cuda", dtype=torch.float32)
                 .to(dtype) for s in shapes)


def main(path, runs):
    import cases
    for case in cases.load(path):
        results, _ = time_peers(case, *random_inputs(case), runs)
        for name, r in results.items():
            if "ms" in r:
                print(case.name, name, "%.4f" % r["ms"], flush=True)
            else:
                print(case.name, name, "n/a", "#", r["error"][:80], flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 20)
