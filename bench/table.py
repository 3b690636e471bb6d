#!/usr/bin/env python3
"""Renders a results.json as the markdown of table.md.

One row per case, prefill and decode in separate tables since they are
judged differently: prefill by TFLOP/s, decode by the GB/s of K and V read
and its fraction of the device copy bandwidth measured in the same run.
Each peer/ours column is the peer's median time over attn-mlir's: above 1,
attn-mlir is faster.

  python3 bench/table.py bench/results/<run>/results.json
"""
import sys

from results import OURS, SHORT, SYSTEMS


def _ms(s):
    return "%.4f" % s["ms"] if s and s.get("ms") else "n/a"


def _ratio(peer, ours):
    if peer and peer.get("ms") and ours and ours.get("ms"):
        return "%.2f" % (peer["ms"] / ours["ms"])
    return "n/a"


def _tflops(s):
    if not (s and s.get("ms")):
        return "n/a"
    t = s["tflops"]
    return "%.1f" % t if t < 10 else "%.0f" % t


def _gbps(s):
    if not (s and s.get("ms")):
        return "n/a"
    if "copy_fraction" in s:
        shares = "".join("; %.0f%%" % (100 * s[k])
                         for k in ("size_copy_fraction", "read_floor_fraction")
                         if k in s)
        return "%.0f (%.0f%%%s)" % (s["gbps"], 100 * s["copy_fraction"], shares)
    return "%.0f" % s["gbps"]


def _timed_bytes(case, key):
    """A decode case's size_copy or read_floor: ms and GB/s."""
    c = case.get(key)
    return "%.4f (%.0f GB/s)" % (c["ms"], c["gbps"]) if c else "n/a"


def _check(case):
    ours = case["systems"].get(OURS, {})
    c = ours.get("check")
    if not c:
        return case["status"]
    op = "≤" if c["max_err"] <= c["bound"] else ">"
    nan = ", %d NaN" % c["nan"] if c["nan"] else ""
    return "%s (%.1e %s %.1e%s)" % (case["status"], c["max_err"], op, c["bound"], nan)


def _shape(c):
    mask = "causal" if c["causal"] else "full"
    return "B%d H%d/%d %dx%d d%d %s %s" % (
        c["batch"], c["heads_q"], c["heads_kv"], c["seq_q"], c["seq_k"],
        c["head_dim"], c["dtype"], mask)


def _systems(cases):
    """The systems any of `cases` has a record for, in the fixed order."""
    present = {name for c in cases for name in c["systems"]}
    return [s for s in SYSTEMS if s in present]


def section(title, cases, rate_title, rate):
    """One markdown table: ms per system, peer/ours ratios, and the rate."""
    systems = _systems(cases)
    peers = [s for s in systems if s != OURS]
    # Decode cases timed against a copy or a read of their own bytes show
    # them.
    size_copy = any("size_copy" in c for c in cases)
    floor = any("read_floor" in c for c in cases)
    head = (["case", "shape", "check"] + ["%s ms" % s for s in systems] +
            (["same-size copy ms"] if size_copy else []) +
            (["read floor ms"] if floor else []) +
            ["%s/ours" % SHORT[p] for p in peers] +
            ["%s: %s" % (rate_title, SHORT[s]) if i == 0 else SHORT[s]
             for i, s in enumerate(systems)])
    lines = ["## " + title, "", "| " + " | ".join(head) + " |",
             "|" + "---|" * len(head)]
    for c in cases:
        sy = c["systems"]
        row = ([c["name"], _shape(c), _check(c)] +
               [_ms(sy.get(s)) for s in systems] +
               ([_timed_bytes(c, "size_copy")] if size_copy else []) +
               ([_timed_bytes(c, "read_floor")] if floor else []) +
               [_ratio(sy.get(p), sy.get(OURS)) for p in peers] +
               [rate(sy.get(s)) for s in systems])
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


def schedules(cases):
    """attn-mlir's schedule (as attn-runner names it) and the cases that ran
    it, so that a fallback to a slower schedule is visible."""
    by = {}
    for c in cases:
        s = c["systems"].get(OURS, {}).get("schedule")
        if s:
            by.setdefault(s, []).append(c["name"])
    return ["- attn-mlir schedule %s: %s" % (s, ", ".join(n)) for s, n in by.items()]


def compile_times(cases):
    """attn-mlir's compile time per case: all of it, and the part the
    driver spent loading the kernels (compiling their PTX)."""
    times = []
    for c in cases:
        s = c["systems"].get(OURS, {})
        if s.get("compile_ms") is not None:
            load = s.get("kernel_load_ms")
            times.append("%s %.0f ms%s" % (
                c["name"], s["compile_ms"],
                "" if load is None else " (kernel load %.0f)" % load))
    if not times:
        return []
    return ["- attn-mlir compile time (lowering, host code JIT and kernel "
            "load, where the driver compiles the PTX): " + ", ".join(times)]


def notes(cases):
    """attn-mlir's schedules and compile times, why a cell is n/a, and
    every system that failed the check."""
    out = schedules(cases) + compile_times(cases)
    for c in cases:
        for name, s in c["systems"].items():
            if s.get("error"):
                out.append("- %s, %s: %s" % (c["name"], name, s["error"]))
            chk = s.get("check")
            if chk and not chk["pass"]:
                out.append("- %s, %s: FAILED the check: max error %.3e, bound "
                           "%.3e, %d NaN" % (c["name"], name, chk["max_err"],
                                             chk["bound"], chk["nan"]))
        if c.get("error"):
            out.append("- %s: %s" % (c["name"], c["error"]))
        if c["status"] == "SKIPPED":
            out.append("- %s: skipped: %s" % (c["name"], c.get("reason", "")))
    return out


def header(r):
    """Title and the context a reader needs: device, versions, ceilings."""
    d, cl = r["device"], r.get("ceilings", {})
    lines = []
    if r.get("synthetic"):
        lines += ["**SYNTHETIC: fabricated numbers from bench.py --selftest, "
                  "not a measurement.**", ""]
    lines += ["# attn-mlir and its peers: %s, %s" % (d.get("name", "?"), r["date"]), ""]
    if cl:
        lines.append("Ceilings measured in the same run: %s matmul %.0f TFLOP/s; "
                     "device copy %.0f GB/s (1 GiB, bytes read + written)."
                     % (cl.get("matmul", "bf16"), cl["matmul_tflops"], cl["copy_gbps"]))
    parts = sorted({(c["ceilings"]["matmul_tflops"], c["ceilings"]["copy_gbps"])
                    for c in r["cases"] if c.get("ceilings")})
    if len(parts) > 1:
        lines.append("The cases ran in parts, each against its own part's ceilings "
                     "(%s); the percentages use them." % "; ".join(
                         "%.0f TFLOP/s, %.0f GB/s" % p for p in parts))
    versions = ", ".join("%s %s" % (k, d[k]) for k in
                         ("driver", "torch", "cuda", "cudnn", "triton") if d.get(k))
    if versions:
        lines.append("Versions: %s." % versions)
    st = r.get("settings", {})
    if st.get("runs"):
        lines.append("Median of %d timed runs per system (after warm-up), on "
                     "rotating input copies; inputs N(0, 1), seed %s."
                     % (st["runs"], st.get("seed", "?")))
    hold = held_us(st)
    if hold:
        lines.append("Each timed call's launches were held %g us (the device "
                     "spinning while the host queued them), ours and the "
                     "peers' alike." % hold)
    if d.get("runner_target"):
        lines.append("attn-mlir: %s." % d["runner_target"])
    lines.append("x/ours: the peer's time over attn-mlir's (above 1, attn-mlir "
                 "is faster). FLOPs count visible score entries only (causal "
                 "about half); decode GB/s counts the K and V bytes read, with "
                 "its fraction of the copy bandwidth above and, where shown, "
                 "of a copy that moves the case's own K and V bytes (timed "
                 "as the peers are, in the same run), whose ramp and tail a "
                 "1 GiB copy hides.")
    return "\n".join(lines) + "\n"


def held_us(settings):
    """The launch hold a run used (bench/README.md), in us: its hold_us, or,
    in runs from before that was recorded, ours' --benchmark-hold (the peers
    read the same $BENCH_HOLD_US); 0 where there was none."""
    if "hold_us" in settings:
        return settings["hold_us"]
    for arg in settings.get("runner_args", []):
        if arg.startswith("--benchmark-hold="):
            return float(arg.split("=", 1)[1])
    return 0


def render(r):
    """The whole table.md."""
    cases = r["cases"]
    prefill = [c for c in cases if c["kind"] == "prefill"]
    decode = [c for c in cases if c["kind"] == "decode"]
    parts = [header(r)]
    if prefill:
        parts.append(section("Prefill", prefill, "TFLOP/s", _tflops))
    if decode:
        shares = ["% of copy"]
        if any("size_copy" in c for c in decode):
            shares.append("% of same-size copy")
        if any("read_floor" in c for c in decode):
            shares.append("% of read floor")
        title = "GB/s (%s)" % "; ".join(shares)
        parts.append(section("Decode", decode, title, _gbps))
    n = notes(cases)
    if n:
        parts.append("## Notes\n\n" + "\n".join(n) + "\n")
    return "\n".join(parts)


if __name__ == "__main__":
    import results
    sys.stdout.write(render(results.load(sys.argv[1])))
