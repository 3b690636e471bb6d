#!/usr/bin/env python3
"""Measures the two ceilings attn-runner's floor uses, on this GPU.

bf16 matmul throughput (8192^3, random data) and device-to-device copy
bandwidth (bytes read plus written), each the median of CUDA-event-timed
runs. Their results are the defaults of --peak-tflops and --peak-gbps.
"""
import torch


def median_ms(fn, runs=20, warmup=3):
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


def main():
    n = 8192
    a = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
    ms = median_ms(lambda: a @ b)
    print("bf16 matmul %d^3: %.0f TFLOP/s" % (n, 2 * n ** 3 / ms * 1e-9))
    src = torch.empty(1 << 30, device="cuda", dtype=torch.uint8)
    dst = torch.empty_like(src)
    ms = median_ms(lambda: dst.copy_(src))
    print("device copy 1 GiB: %.0f GB/s (read + written)" % (2 * src.numel() / ms * 1e-6))
    print("device:", torch.cuda.get_device_name())


if __name__ == "__main__":
    main()
