"""The results of a benchmark run: their shape, derived rates, and files.

  python3 bench/results.py merge OUT_DIR part1/results.json part2/results.json

Pure Python (matplotlib only for the plot, and only if present), so that
the JSON, the table and the plot can be produced and checked on a machine
without a GPU from fabricated results (bench.py --selftest).

results.json:
  synthetic   true only for fabricated results (--selftest); never measured
  date, device {name, driver, torch, cuda, cudnn, triton, ...}
  ceilings    {matmul_tflops, copy_gbps, ...} measured at the start of the run
  settings    {runs, seed, cases_file, runner, runner_args, error_floor}
  cases       one per case, in cases-file order:
    name, batch, heads_q, heads_kv, seq_q, seq_k, head_dim, causal, dtype,
    kind (prefill|decode), flops, kv_bytes, io_bytes,
    status      PASS | FAIL (attn-mlir's output failed the check) |
                ERROR (attn-mlir did not run) | SKIPPED (out of time)
    ceilings    the ceilings the case was measured against
    systems     name -> {ms, tflops, gbps, copy_fraction, size_copy_fraction,
                read_floor_fraction, check, error, ...}
    size_copy   decode only: {bytes, ms, gbps} of a device copy that moves
                the K and V bytes the case reads (half read, half written),
                timed as the peers are; size_copy_fraction is a system's
                GB/s over its GB/s
    read_floor  decode only: {bytes, ms, gbps, programs, block, warps} of
                the fastest one-launch read of the K and V bytes the case
                reads (bench/read_floor.py), timed as the peers are;
                read_floor_fraction is a system's GB/s over its GB/s
"""
import datetime
import json
import os
import re

OURS = "attn-mlir"
# attn-mlir compiling the decode cases as llama2 writes them (repeat_kv and
# the transposes around it, cases.llama2_module_text), against the peer
# llama2-repeat-kv that runs that code in PyTorch.
OURS_LLAMA2 = "attn-mlir-llama2"
SYSTEMS = (OURS, "sdpa-flash", "sdpa-cudnn", "flex", "llama2-repeat-kv",
           OURS_LLAMA2)
# The additive term of the check's bound (reference.py).
CHECK_ERROR_FLOOR = 1e-3
SHORT = {OURS: "ours", "sdpa-flash": "flash", "sdpa-cudnn": "cudnn",
         "flex": "flex", "llama2-repeat-kv": "llama2",
         OURS_LLAMA2: "ours-llama2"}


def device_slug(name):
    """'NVIDIA H200' -> 'nvidia-h200', for directory names."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "device"


def default_dir(root, device_name, cases_file, date=None):
    """<root>/<YYYY-MM-DD>-<device>[-<suffix>], the suffix naming a cases
    file other than cases.txt (cases-quick.txt -> -quick), so that a quick
    run does not overwrite the full suite's results of the same day."""
    date = date or datetime.date.today().isoformat()
    stem = os.path.splitext(os.path.basename(cases_file))[0]
    suffix = "" if stem == "cases" else "-" + re.sub(r"^cases-?", "", stem)
    return os.path.join(root, "%s-%s%s" % (date, device_slug(device_name), suffix))


def rates(case, ms, ceilings):
    """TFLOP/s and GB/s at a median time; GB/s counts the K and V bytes,
    which a decode step must read, and copy_fraction compares that with the
    device copy bandwidth of the same run."""
    seconds = ms * 1e-3
    r = {"tflops": case["flops"] / seconds * 1e-12,
         "gbps": case["kv_bytes"] / seconds * 1e-9}
    if ceilings and ceilings.get("copy_gbps"):
        r["copy_fraction"] = r["gbps"] / ceilings["copy_gbps"]
    return r


def add_rates(case):
    """Fills in the rates of every timed system of a case record, and for a
    decode case timed against a copy of its own bytes (size_copy) or a
    read of them (read_floor), each system's fraction of their GB/s."""
    copy = case.get("size_copy", {})
    floor = case.get("read_floor", {})
    for s in case["systems"].values():
        if s.get("ms"):
            s.update(rates(case, s["ms"], case.get("ceilings")))
            if copy.get("ms"):
                s["size_copy_fraction"] = copy["ms"] / s["ms"]
            if floor.get("ms"):
                s["read_floor_fraction"] = floor["ms"] / s["ms"]


def status(case):
    """A case's status from attn-mlir's record: ERROR when it did not run or
    its output was not checked, FAIL when the output failed the check, else
    PASS."""
    ours = case["systems"].get(OURS)
    if ours is None:
        return case.get("status", "NOT RUN")
    if ours.get("error") or ours.get("ms") is None or not ours.get("check"):
        return "ERROR"
    return "PASS" if ours["check"]["pass"] else "FAIL"


def merge(old, new):
    """Cases of `new` replace those of the same name in `old`; the others
    stay, each with the ceilings it was measured against."""
    names = {c["name"] for c in new["cases"]}
    kept = [c for c in old.get("cases", []) if c["name"] not in names]
    merged = dict(new)
    merged["cases"] = kept + new["cases"]
    return merged


def failed(results):
    """Names of the cases whose status is FAIL or ERROR."""
    return [c["name"] for c in results["cases"] if c["status"] in ("FAIL", "ERROR")]


def write_all(results, out_dir):
    """Writes results.json, table.md and plot.png (the plot only where
    matplotlib is installed; a message says when it is not)."""
    import plot
    import table
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump(results, f, indent=1, sort_keys=False)
        f.write("\n")
    with open(os.path.join(out_dir, "table.md"), "w") as f:
        f.write(table.render(results))
    return plot.write(results, os.path.join(out_dir, "plot.png"))


def load(path):
    with open(path) as f:
        return json.load(f)


def merge_files(out_dir, paths):
    """Merges the results.json files of a suite run in parts (later files
    win for a case run twice) into out_dir, with its table and plot. The
    cases keep their own ceilings; the top level keeps the last part's."""
    merged = {"cases": []}
    for p in paths:
        merged = merge(merged, load(p))
    return write_all(merged, out_dir)


if __name__ == "__main__":
    import sys
    if len(sys.argv) < 4 or sys.argv[1] != "merge":
        sys.exit("usage: python3 bench/results.py merge OUT_DIR results.json...")
    merge_files(sys.argv[2], sys.argv[3:])
