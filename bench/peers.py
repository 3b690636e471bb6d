#!/usr/bin/env python3
"""Times the peer attention kernels on the cases of bench/run.sh.

PyTorch SDPA with the FlashAttention-2 backend and with the cuDNN backend,
and FlexAttention (torch.compile'd), bf16, in the bhsd layout, on the same
GPU and in the same run as attn-runner. Prints one line per case and peer:
  <case> <peer> <median ms>
with CUDA events over rotating inputs. The events bracket each Python call,
so a peer's time includes its launch overhead (microseconds), which
attn-runner's per-launch events do not; that matters only for the shortest
kernels.
"""
import sys

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.nn.attention.flex_attention import create_block_mask, flex_attention


RUNS = 20


def median_ms(fn, inputs, warmup=3):
    runs = RUNS
    for i in range(warmup):
        fn(*inputs[i % len(inputs)])
    times = []
    for i in range(runs):
        start, stop = torch.cuda.Event(True), torch.cuda.Event(True)
        args = inputs[i % len(inputs)]
        start.record()
        fn(*args)
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop))
    times.sort()
    return times[len(times) // 2]


def main(cases):
    flex = torch.compile(flex_attention, dynamic=False)
    for line in cases:
        name, b, hq, hkv, sq, sk, d, causal = line.split()
        b, hq, hkv, sq, sk, d = map(int, (b, hq, hkv, sq, sk, d))
        causal = causal == "causal"
        # Rotate through more than the 50 MB L2.
        size = 2 * (b * hq * sq * d + 2 * b * hkv * sk * d)
        sets = max(1, min(32, (100 << 20) // size + 1))
        inputs = [(torch.randn(b, hq, sq, d, device="cuda", dtype=torch.bfloat16),
                   torch.randn(b, hkv, sk, d, device="cuda", dtype=torch.bfloat16),
                   torch.randn(b, hkv, sk, d, device="cuda", dtype=torch.bfloat16))
                  for _ in range(sets)]
        # SDPA's is_causal aligns the diagonal top-left and attn's causal
        # bottom-right; they agree for the Sq == Sk cases that use it.
        for peer, backend in (("sdpa-flash", SDPBackend.FLASH_ATTENTION),
                              ("sdpa-cudnn", SDPBackend.CUDNN_ATTENTION)):
            def run(q, k, v, backend=backend):
                with sdpa_kernel(backend):
                    return F.scaled_dot_product_attention(
                        q, k, v, is_causal=causal, enable_gqa=True)
            try:
                print(name, peer, "%.4f" % median_ms(run, inputs), flush=True)
            except RuntimeError as e:
                print(name, peer, "n/a", "#", str(e).splitlines()[0][:80], flush=True)
        block_mask = None
        if causal:
            block_mask = create_block_mask(lambda b_, h, q, k: q >= k, None, None,
                                           sq, sk, device="cuda")
        def run_flex(q, k, v):
            return flex(q, k, v, block_mask=block_mask, enable_gqa=True)
        try:
            print(name, "flex", "%.4f" % median_ms(run_flex, inputs), flush=True)
        except Exception as e:  # compile errors come in many types
            print(name, "flex", "n/a", "#", str(e).splitlines()[0][:80], flush=True)


if __name__ == "__main__":
    RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    main([l for l in open(sys.argv[1]) if l.strip() and not l.startswith("#")])
