#!/usr/bin/env python3
"""A model of how the sm90 persistent grid shares causal prefill items.

Block b of a grid of `grid` blocks takes items b, b + grid, ... of the
order of the one-block-per-item grid: x % blocksX the query block (the
heads of a KV group fastest, then the query tiles, longest first), then
the KV head, then the batch row. An item costs its causal tile count plus
one (its prologue and store); a block's time is the sum of its items', and
the kernel's that of its largest block. This prints, for each length, the
largest block over the mean in plain order, with every other round
reversed, and which order the kernel's rule picks (reverse where 8 gcd(grid,
blocksX) > blocksX, Sm90Flash.cpp's reversesRounds): the model the rule
came from (bench/NOTES.md, 2026-12-06). Its "dynamic" column is what a
grid would give whose blocks each take the next item of the same order
when they finish one: the schedule that plan-items compiles into a table,
and the last column says whether plan-items=auto takes it (where it makes
the largest block 2% smaller than the rule's order, Sm90Flash.cpp's
kMinPlanGain).

  python3 bench/balance_model.py [--grid 132] [--group 4] [--heads-kv 8]
  python3 bench/balance_model.py --sweep    # the summary in bench/NOTES.md
"""
import argparse
import heapq
import math


def _items(seq, batch, heads_kv, group, grid, block_rows):
    """(query tiles, blocksX, items, the grid min(grid, items))."""
    tiles = -(-seq // block_rows)
    blocks_x = tiles * group
    items = batch * heads_kv * blocks_x
    return tiles, blocks_x, items, min(grid, items)


def _cost(x, tiles, blocks_x, group):
    """Item x's causal tile count, plus one for its prologue and store."""
    return tiles - 1 - (x % blocks_x) // group + 2


def largest_share(seq, batch, heads_kv, group, grid, reverse, block_rows=128):
    """The largest block's work over the mean block's."""
    tiles, blocks_x, items, grid = _items(seq, batch, heads_kv, group, grid,
                                          block_rows)
    totals = []
    for b in range(grid):
        total, count, w = 0, 0, b
        while w < items:
            x = w
            if reverse and count % 2 == 1:
                start = w - b
                x = start + min(grid, items - start) - 1 - b
            total += _cost(x, tiles, blocks_x, group)
            w += grid
            count += 1
        totals.append(total)
    return max(totals) / (sum(totals) / len(totals))


def dynamic_share(seq, batch, heads_kv, group, grid, block_rows=128):
    """The same for blocks that each take the next item as they finish."""
    tiles, blocks_x, items, grid = _items(seq, batch, heads_kv, group, grid,
                                          block_rows)
    finish = [(0, b) for b in range(grid)]
    total = 0
    for x in range(items):
        t, b = heapq.heappop(finish)
        cost = _cost(x, tiles, blocks_x, group)
        total += cost
        heapq.heappush(finish, (t + cost, b))
    return max(t for t, _ in finish) / (total / grid)


def rule_reverses(seq, group, grid, block_rows=128):
    """Sm90Flash.cpp's reversesRounds for a causal problem."""
    blocks_x = -(-seq // block_rows) * group
    return 8 * math.gcd(grid, blocks_x) > blocks_x


def sweep(grid):
    """Each order's largest block against the better of the two, over
    16k-token batches of lengths 256 to 16384 (steps of 128) and 32768 and
    KV groups of 1, 4, 8 and 32 query heads (32 query heads): mean and
    worst, for plain order, reversed rounds, the rule and plan-items=auto
    (the rule's order or the dynamic grid's, as Sm90Flash.cpp picks)."""
    ratios = {"plain": [], "reversed": [], "rule": [], "auto": []}
    for group in (1, 4, 8, 32):
        for seq in list(range(256, 16384 + 1, 128)) + [32768]:
            batch = max(1, 16384 // seq)
            plain = largest_share(seq, batch, 32 // group, group, grid, False)
            rev = largest_share(seq, batch, 32 // group, group, grid, True)
            best = min(plain, rev)
            rule = rev if rule_reverses(seq, group, grid) else plain
            dyn = dynamic_share(seq, batch, 32 // group, group, grid)
            auto = dyn if dyn <= (1 - 0.02) * rule else rule
            for name, v in (("plain", plain), ("reversed", rev), ("rule", rule),
                            ("auto", auto)):
                ratios[name].append(v / best)
    for name, r in ratios.items():
        print("%-8s mean %.4f, worst %.3f over %d shapes"
              % (name, sum(r) / len(r), max(r), len(r)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--grid", type=int, default=132)
    ap.add_argument("--group", type=int, default=4)
    ap.add_argument("--heads-kv", type=int, default=8)
    ap.add_argument("--tokens", type=int, default=16384,
                    help="tokens a batch: batch = tokens / length, rounded up")
    ap.add_argument("--sweep", action="store_true",
                    help="summarise each order over many lengths and groups")
    args = ap.parse_args()
    if args.sweep:
        sweep(args.grid)
        return
    print("length batch  plain  reversed  rule      dynamic  auto")
    for seq in (1024, 1408, 2048, 2816, 4096, 4224, 8192, 16384, 32768):
        batch = -(-args.tokens // seq)
        plain = largest_share(seq, batch, args.heads_kv, args.group, args.grid, False)
        rev = largest_share(seq, batch, args.heads_kv, args.group, args.grid, True)
        pick = "reversed" if rule_reverses(seq, args.group, args.grid) else "plain"
        dyn = dynamic_share(seq, batch, args.heads_kv, args.group, args.grid)
        rule = rev if pick == "reversed" else plain
        auto = "plan" if dyn <= (1 - 0.02) * rule else pick
        print("%6d %5d  %.3f  %.3f     %-8s  %.3f    %s"
              % (seq, batch, plain, rev, pick, dyn, auto))


if __name__ == "__main__":
    main()
