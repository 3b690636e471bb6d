#!/usr/bin/env python3
"""Writes the seed inputs of attn-fuzz-checkpoint into a directory: valid
safetensors files (one tensor, several dtypes and shapes, __metadata__,
an empty tensor), malformed ones (truncated, a header length past the end,
bad JSON, offsets past the data, overlapping tensors) and index files
(a good one, one naming a missing shard, one with a path in a shard name).
utils/fuzz.sh seeds the fuzzer with them; test/Fuzz replays them.

  make_checkpoints.py OUT_DIR
"""
import json
import os
import struct
import sys


def safetensors(header, data=b""):
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    cases = {
        "valid-f32": safetensors(
            {"w": {"dtype": "F32", "shape": [2, 3],
                   "data_offsets": [0, 24]}}, bytes(24)),
        "valid-many": safetensors(
            {"__metadata__": {"format": "pt"},
             "a": {"dtype": "BF16", "shape": [4], "data_offsets": [0, 8]},
             "b": {"dtype": "I64", "shape": [1], "data_offsets": [8, 16]},
             "e": {"dtype": "F16", "shape": [0, 7],
                   "data_offsets": [16, 16]}}, bytes(16)),
        "truncated": safetensors(
            {"w": {"dtype": "F32", "shape": [4],
                   "data_offsets": [0, 16]}}, bytes(15)),
        "header-past-end": struct.pack("<Q", 1 << 40) + b"{}",
        "bad-json": struct.pack("<Q", 5) + b"{\"w\":",
        "offsets-past-data": safetensors(
            {"w": {"dtype": "F32", "shape": [1],
                   "data_offsets": [0, 1 << 62]}}, bytes(4)),
        "overlap": safetensors(
            {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
             "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}},
            bytes(12)),
        "shape-overflow": safetensors(
            {"w": {"dtype": "F32", "shape": [1 << 40, 1 << 40],
                   "data_offsets": [0, 4]}}, bytes(4)),
        "index-good": json.dumps(
            {"metadata": {}, "weight_map": {"w": "shard.safetensors"}}).encode(),
        "index-missing-shard": json.dumps(
            {"weight_map": {"w": "absent.safetensors"}}).encode(),
        "index-path": json.dumps(
            {"weight_map": {"w": "../shard.safetensors"}}).encode(),
        "empty": b"",
    }
    for name, data in cases.items():
        with open(os.path.join(out, name + ".bin"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
