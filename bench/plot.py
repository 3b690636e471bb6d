#!/usr/bin/env python3
"""Draws plot.png from a results.json, where matplotlib is installed.

Prefill: TFLOP/s against sequence length, one line per system, one panel
for non-causal and one for causal. Decode: GB/s of K and V read against
cache length, one line per system, one panel per head grouping (GQA 32/8,
MQA 32/1), with the device copy bandwidth of the same run as a dashed line.
Lines join the cases of the most common head_dim and dtype, so that a line
varies only the length; the other variants are in table.md. A point whose
output failed the check is left out.

  python3 bench/plot.py bench/results/<run>/results.json plot.png
"""
import sys
from collections import Counter

from results import OURS, SYSTEMS


def _main_variant(cases):
    """The (head_dim, dtype) most of `cases` share."""
    return Counter((c["head_dim"], c["dtype"]) for c in cases).most_common(1)[0][0]


def panels(results):
    """[(title, x label, y label, cases, rate key, copy line or None)] for
    the cases of the main variant; pure data, so it can be tested without
    matplotlib."""
    out = []
    for kind in ("prefill", "decode"):
        cases = [c for c in results["cases"] if c["kind"] == kind]
        if not cases:
            continue
        d, dtype = _main_variant(cases)
        main = [c for c in cases if (c["head_dim"], c["dtype"]) == (d, dtype)]
        if kind == "prefill":
            for causal in (False, True):
                sel = [c for c in main if c["causal"] == causal]
                if sel:
                    heads = sorted({"%d/%d" % (c["heads_q"], c["heads_kv"]) for c in sel})
                    out.append(("prefill, %s, d%d %s, heads %s" % (
                        "causal" if causal else "non-causal", d, dtype, " ".join(heads)),
                        "sequence length", "TFLOP/s", sel, "tflops", None))
        else:
            for hq, hkv in sorted({(c["heads_q"], c["heads_kv"]) for c in main},
                                  key=lambda g: g[0] // g[1]):
                sel = [c for c in main if (c["heads_q"], c["heads_kv"]) == (hq, hkv)]
                name = "MQA" if hkv == 1 else "GQA" if hq != hkv else "MHA"
                copy = results.get("ceilings", {}).get("copy_gbps")
                out.append(("decode, %s %d/%d, d%d %s" % (name, hq, hkv, d, dtype),
                            "cache length", "GB/s (K and V read)", sel, "gbps", copy))
    return out


def series(cases, key):
    """system -> [(length, rate)] sorted by length, leaving out what did
    not run or failed the check. Each case is one point; the suites have one
    batch per length within a panel."""
    out = {}
    for c in sorted(cases, key=lambda c: c["seq_k"]):
        for name in SYSTEMS:
            s = c["systems"].get(name)
            if not s or not s.get("ms"):
                continue
            if s.get("check") and not s["check"]["pass"]:
                continue
            out.setdefault(name, []).append((c["seq_k"], s[key]))
    return out


def _length(x, _pos=None):
    """Axis labels 1k, 4k, 128k for powers of two, as the cases name them."""
    return "%dk" % (x // 1024) if x >= 1024 and x % 1024 == 0 else "%d" % x


def write(results, path):
    """Writes the plot; returns None, or the reason it was not written."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker
    except ImportError:
        msg = "matplotlib is not installed: no %s" % path
        print("plot:", msg, file=sys.stderr)
        return msg
    ps = panels(results)
    if not ps:
        return "no cases to plot"
    cols = 2 if len(ps) > 1 else 1
    rows = (len(ps) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(6.5 * cols, 4.5 * rows), squeeze=False)
    for ax, (title, xl, yl, cases, key, copy) in zip(axes.flat, ps):
        for name, pts in series(cases, key).items():
            xs, ys = zip(*pts)
            ax.plot(xs, ys, marker="o", label=name,
                    linewidth=2.5 if name == OURS else 1.5)
        if copy:
            ax.axhline(copy, linestyle="--", color="gray",
                       label="device copy (read + written)")
        ax.set_xscale("log", base=2)
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(_length))
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(xl)
        ax.set_ylabel(yl)
        ax.set_ylim(bottom=0)
        ax.grid(True, alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
        else:
            ax.text(0.5, 0.5, "no passing results", ha="center", transform=ax.transAxes)
    for ax in list(axes.flat)[len(ps):]:
        ax.set_visible(False)
    title = "%s, %s" % (results["device"].get("name", "?"), results["date"])
    if results.get("synthetic"):
        title = "SYNTHETIC (fabricated by --selftest, not measured): " + title
    fig.suptitle(title, color="red" if results.get("synthetic") else "black")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return None


if __name__ == "__main__":
    import results as _results
    sys.exit(1 if write(_results.load(sys.argv[1]), sys.argv[2]) else 0)
