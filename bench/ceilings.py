#!/usr/bin/env python3
"""Measures the two ceilings of this GPU that the benchmark is judged by.

bf16 matmul throughput (8192^3, random data) and device-to-device copy
bandwidth (a 1 GiB copy, bytes read plus written), each the median of
CUDA-event-timed runs. bench.py measures them first in every run and passes
them to attn-runner as --peak-tflops and --peak-gbps, so that the runner's
floor and the table's fractions describe the device the run is on.
"""
import torch

MATMUL_N = 8192
COPY_BYTES = 1 << 30


def median_ms(fn, runs=20, warmup=3):
    """Median of CUDA-event times around `fn` (each run synchronised)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start, stop = torch.cuda.Event(True), torch.cuda.Event(True)
        start.record()
        fn()
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop))
    times.sort()
    return times[len(times) // 2]


def measure(runs=20):
    """The ceilings as a dict; frees its buffers before returning, so that
    the cases and attn-runner find the memory free."""
    n = MATMUL_N
    a = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
    matmul_ms = median_ms(lambda: a @ b, runs)
    del a, b
    src = torch.empty(COPY_BYTES, device="cuda", dtype=torch.uint8)
    dst = torch.empty_like(src)
    copy_ms = median_ms(lambda: dst.copy_(src), runs)
    del src, dst
    torch.cuda.empty_cache()
    return {
        "matmul": "bf16 %d^3" % n,
        "matmul_ms": matmul_ms,
        "matmul_tflops": 2 * n ** 3 / matmul_ms * 1e-9,
        "copy": "device to device, %d bytes, counting bytes read + written" % COPY_BYTES,
        "copy_ms": copy_ms,
        "copy_gbps": 2 * COPY_BYTES / copy_ms * 1e-6,
    }


def main():
    c = measure()
    print("bf16 matmul %d^3: %.0f TFLOP/s" % (MATMUL_N, c["matmul_tflops"]))
    print("device copy 1 GiB: %.0f GB/s (read + written)" % c["copy_gbps"])
    print("device:", torch.cuda.get_device_name())


if __name__ == "__main__":
    main()
