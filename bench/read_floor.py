#!/usr/bin/env python3
"""The read floor of the decode cases: how fast one launch can read their
bytes, and what a launch costs on its own.

A decode attention must read its K and V once. Nothing that reads them can
be faster than the fastest kernel that does nothing else, so this script
times, on a GPU machine with PyTorch and Triton, such a kernel over each
decode case's bytes (bf16, and int8 with its f32 scales) and prints the
best it found as GB/s of bytes read and as a share of the 1 GiB copy
(bench/ceilings.py, bytes read plus written), the yardstick of the decode
target. It also times an empty kernel, launched and timed the same way:
the part of every call that no kernel can stream under.

The reader: one launch over two buffers (K and V), each program reading a
contiguous run of 32-bit words from both (16 bytes a thread a load, where
the word count is a multiple of 16), XOR-folding them into one word (so
that no load is dead) and storing it. The number of programs, the words a
program loads at once and the warps of a program are swept; the fastest
is timed again with fresh runs, and that median is the floor (the least
of 36 medians would be biased low). Timed as the peers are
(peers.median_ms: the launch hold, buffers rotated past twice the L2
cache). The run of record on an H200 (2026-12-07) took the least median
of the sweep, before the second timing was added.

  python3 bench/read_floor.py [runs]

bench/bench.py times the same floor for each decode case it runs
(decode_floor) and reports each system's share of it.
"""
import os
import sys

import torch
import triton
import triton.language as tl

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ceilings  # noqa: E402
import peers  # noqa: E402

# (name, batch, KV heads, length); head_dim 128.
CASES = [("GQA B64x4k", 64, 8, 4096), ("GQA B8x32k", 8, 8, 32768),
         ("GQA B1x128k", 1, 8, 131072), ("MQA B64x4k", 64, 1, 4096),
         ("MQA B8x32k", 8, 1, 32768), ("MQA B1x128k", 1, 1, 131072)]
HEAD_DIM = 128


@triton.jit
def _read(k_ptr, v_ptr, out_ptr, words, per_program, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    start = pid * per_program
    acc = tl.zeros([BLOCK], dtype=tl.int32)
    for off in range(start, start + per_program, BLOCK):
        idx = off + tl.arange(0, BLOCK)
        live = idx < words
        acc ^= tl.load(k_ptr + idx, mask=live, other=0)
        acc ^= tl.load(v_ptr + idx, mask=live, other=0)
    tl.store(out_ptr + pid, tl.reduce(acc, 0, _xor))


@triton.jit
def _xor(a, b):
    return a ^ b


@triton.jit
def _empty(out_ptr):
    pass


def time_read(half_bytes, runs):
    """Best median ms of one launch reading two buffers of half_bytes each,
    and the (programs, block, warps) that gave it."""
    # Sizes whose words are a multiple of 16 let Triton prove 16-byte
    # alignment under the mask; every decode case's are.
    assert half_bytes % 64 == 0, "half_bytes must be a multiple of 64"
    words = half_bytes // 4
    count = max(1, min(32, 2 * peers.l2_bytes() // (2 * half_bytes) + 1))
    sets = [(torch.randint(-2**31, 2**31 - 1, (words,), device="cuda",
                           dtype=torch.int32),
             torch.randint(-2**31, 2**31 - 1, (words,), device="cuda",
                           dtype=torch.int32)) for _ in range(count)]
    sms = torch.cuda.get_device_properties(0).multi_processor_count
    out = torch.empty(64 * sms, device="cuda", dtype=torch.int32)
    best = None
    for programs in (sms, 2 * sms, 4 * sms, 8 * sms, 16 * sms, 32 * sms):
        for block in (1024, 2048, 4096):
            per = -(-words // programs)
            per = -(-per // block) * block
            grid = (-(-words // per),)
            if grid[0] > out.numel():
                continue
            for warps in (4, 8):
                def fn(k, v, grid=grid, per=per, block=block, warps=warps):
                    _read[grid](k, v, out, words, per, BLOCK=block,
                                num_warps=warps)
                ms = peers.median_ms(fn, sets, runs)
                if best is None or ms < best[0]:
                    best = (ms, grid[0], block, warps, fn)
    ms = peers.median_ms(best[4], sets, runs)
    del sets
    torch.cuda.empty_cache()
    return (ms,) + best[1:4]


def decode_floor(kv_bytes, runs):
    """The read floor of a decode case that reads kv_bytes of K and V (half
    each), as bench.py records it: {bytes, ms, gbps, programs, block,
    warps}."""
    ms, programs, block, warps = time_read(kv_bytes // 2, runs)
    return {"bytes": kv_bytes, "ms": ms, "gbps": kv_bytes / ms * 1e-6,
            "programs": programs, "block": block, "warps": warps}


def time_empty(runs):
    out = torch.empty(1, device="cuda", dtype=torch.int32)
    return peers.median_ms(lambda o: _empty[(1,)](o), [(out,)], runs)


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    copy = ceilings.measure()["copy_gbps"]
    print("device: %s; 1 GiB copy %.0f GB/s (read + written); launch hold "
          "%d us" % (torch.cuda.get_device_name(), copy,
                     peers.ours.hold_us()))
    print("empty kernel: %.4f ms" % time_empty(runs))
    print("| case | cache | bytes read | read floor ms | GB/s | of the copy "
          "| programs, words a load, warps |")
    print("|---|---|---|---|---|---|---|")
    for name, b, hkv, length in CASES:
        elements = b * hkv * length * HEAD_DIM
        for storage, half in (("bf16", 2 * elements),
                              ("int8", elements + 4 * b * hkv * length)):
            ms, grid, block, warps = time_read(half, runs)
            gbps = 2 * half / ms * 1e-6
            print("| %s | %s | %.1f MB | %.4f | %.0f | %.1f%% | %d, %d, %d |"
                  % (name, storage, 2 * half / 1e6, ms, gbps,
                     100 * gbps / copy, grid, block, warps), flush=True)


if __name__ == "__main__":
    main()
