#!/usr/bin/env python3
"""Checks the sm90 planned order's table in attn-opt's output (stdin).

The table (the constant global @attn_sm90_item_plan) holds, for a
persistent grid of --grid blocks, each block's start in it (grid + 1
entries), then the item numbers. This script checks that it is a plan of
every item exactly once, each block's items in increasing order, and that
it is the schedule of a grid taking each item in turn to the block that
frees first (the lowest such block on a tie), by a cost of the item's K/V
tiles plus one. It computes that schedule itself, from the shape, with
the kernel's numbering of items: item x is the query tile qTiles - 1 -
(x % blocksX) // group, blocksX = qTiles x group, of 128 rows; its keys
end at min(qStart + 128, Sq) + Sk - Sq under a causal mask and begin at
the window's first key rounded down to a tile. It prints the largest
block's cost over the mean, for the plan and for the grid's own order
(every grid-th item, every other round reversed where 8 gcd(grid,
blocksX) > blocksX).

With --auto (the output of plan-items=auto) it first checks that the
table is there exactly where the plan's largest block costs at least 2%
less than the grid's own order's, and prints which.
"""
import argparse
import heapq
import math
import re
import struct
import sys


def table_from(text):
    m = re.search(r"@attn_sm90_item_plan : memref<(\d+)xi32[^=]*= "
                  r"dense<(\"0x[0-9A-Fa-f]+\"|\[[^\]]*\]|-?\d+)>", text)
    if not m:
        return None
    size, body = int(m.group(1)), m.group(2)
    if body.startswith('"0x'):
        raw = bytes.fromhex(body[3:-1])
        values = list(struct.unpack("<%di" % (len(raw) // 4), raw))
    elif body.startswith("["):
        values = [int(v) for v in body[1:-1].split(",")]
    else:
        values = [int(body)] * size
    if len(values) != size:
        sys.exit("table of %d entries holds %d values" % (size, len(values)))
    return values


def costs(a):
    q_tiles = -(-a.seq_q // 128)
    group = a.heads_q // a.heads_kv
    blocks_x = q_tiles * group
    items = blocks_x * a.heads_kv * a.batch
    out = []
    for x in range(items):
        q_start = (q_tiles - 1 - (x % blocks_x) // group) * 128
        begin, end = 0, a.seq_k
        if a.causal:
            end = min(max(min(q_start + 128, a.seq_q) + a.seq_k - a.seq_q, 0),
                      a.seq_k)
        if a.window:
            begin = max(q_start + a.seq_k - a.seq_q + 1 - a.window, 0)
            begin = begin // a.keys * a.keys
        out.append(-(-max(end - begin, 0) // a.keys) + 1)
    return out


def greedy(cost, grid):
    """Each item in turn to the block that frees first (lowest on a tie)."""
    free = [(0, b) for b in range(grid)]
    blocks = [[] for _ in range(grid)]
    for x in range(len(cost)):
        t, b = heapq.heappop(free)
        blocks[b].append(x)
        heapq.heappush(free, (t + cost[x], b))
    return blocks


def own_order(cost, grid, blocks_x):
    """Each block's items in the grid's order, rounds reversed by the rule."""
    items = len(cost)
    reverse = blocks_x < 8 * math.gcd(grid, blocks_x)
    blocks = []
    for b in range(grid):
        taken = []
        for count, w in enumerate(range(b, items, grid)):
            start = w - b
            taken.append(start + min(grid, items - start) - 1 - b
                         if reverse and count % 2 else w)
        blocks.append(taken)
    return blocks


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("batch", "seq-q", "seq-k", "heads-q", "heads-kv", "keys",
                 "sm-count"):
        ap.add_argument("--" + name, type=int, required=True)
    ap.add_argument("--causal", action="store_true")
    ap.add_argument("--window", type=int, default=0)
    ap.add_argument("--auto", action="store_true")
    a = ap.parse_args()
    table = table_from(sys.stdin.read())
    cost = costs(a)
    items = len(cost)
    grid = min(items, a.sm_count)
    expected = greedy(cost, grid)
    blocks_x = -(-a.seq_q // 128) * (a.heads_q // a.heads_kv)
    mean = sum(cost) / grid
    largest = lambda blocks: max(sum(cost[x] for x in b) for b in blocks)
    planned_cost = largest(expected)
    own_cost = largest(own_order(cost, grid, blocks_x))
    planned, own = planned_cost / mean, own_cost / mean
    if a.auto:
        wanted = planned_cost <= (1 - 0.02) * own_cost
        print("auto: the plan's largest block %.3f against the grid's own "
              "order's %.3f: %s, %s"
              % (planned, own, "a plan" if wanted else "no plan",
                 "as expected" if wanted == (table is not None) else
                 "FAIL: " + ("a table" if table is not None else "none")))
        if wanted != (table is not None):
            return 1
        if table is None:
            return 0
    if table is None:
        sys.exit("no @attn_sm90_item_plan table in the input")
    starts = table[:grid + 1]
    plan = table[grid + 1:]
    ok = True

    def fail(why):
        nonlocal ok
        ok = False
        print("plan: FAIL: " + why)

    if starts[0] != grid + 1 or starts[-1] != len(table):
        fail("starts %d..%d, expected %d..%d"
             % (starts[0], starts[-1], grid + 1, len(table)))
    if any(x > y for x, y in zip(starts, starts[1:])):
        fail("the blocks' starts decrease")
    if sorted(plan) != list(range(items)):
        fail("the items are not 0..%d, each once" % (items - 1))
    blocks = [plan[s - grid - 1:e - grid - 1]
              for s, e in zip(starts, starts[1:])]
    if any(list(b) != sorted(b) for b in blocks):
        fail("a block's items are not in increasing order")
    if [list(b) for b in blocks] != expected:
        fail("not the schedule of a grid taking each item as a block frees")
    print("plan: %s, %d items on %d blocks, largest block %.3f of the mean "
          "(the grid's own order: %.3f)"
          % ("ok" if ok else "FAIL", items, grid, planned, own))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
