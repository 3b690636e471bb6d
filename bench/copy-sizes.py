#!/usr/bin/env python3
"""Device-to-device copy bandwidth at the decode cases' sizes.

The decode cases are judged against the copy bandwidth of a 1 GiB copy
(bench/ceilings.py). A decode reads between 67 MB (MQA B1x128k) and 1074 MB
(GQA B64x4k) once; this script times, on a GPU machine with PyTorch, copies
that move the same bytes (half read, half written), timed as the peers are
(peers.time_copy), and prints each one's GB/s and its share of the 1 GiB
copy: what the copy itself reaches at a decode's size, ramp and tail
included.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ceilings  # noqa: E402
import peers  # noqa: E402

# K and V bytes a decode case reads (bf16, head_dim 128): batch x KV heads x
# length x 128 x 2 bytes, twice.
CASES = [("GQA B64x4k", 64, 8, 4096), ("GQA B8x32k", 8, 8, 32768),
         ("GQA B1x128k", 1, 8, 131072), ("MQA B64x4k", 64, 1, 4096),
         ("MQA B8x32k", 8, 1, 32768), ("MQA B1x128k", 1, 1, 131072)]


def main():
    whole = ceilings.measure()["copy_gbps"]
    print("device: %s; 1 GiB copy %.0f GB/s (read + written)"
          % (torch.cuda.get_device_name(), whole))
    for name, b, hkv, length in CASES:
        moved = 2 * b * hkv * length * 128 * 2
        ms = peers.time_copy(moved, runs=50)
        gbps = moved / ms * 1e-6
        print("%s: %d MB moved in %.4f ms, %.0f GB/s, %.0f%% of the 1 GiB copy"
              % (name, moved // 10**6, ms, gbps, 100 * gbps / whole))


if __name__ == "__main__":
    main()
