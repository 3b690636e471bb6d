#!/usr/bin/env python3
"""attn-mlir against PyTorch SDPA (flash, cuDNN), FlexAttention and, for
decode, llama2's repeat_kv + SDPA: one run on a GPU machine.

  1. Measures the ceilings (bf16 8192^3 matmul, 1 GiB device copy), which
     attn-runner gets as --peak-tflops and --peak-gbps.
  2. For each case of the cases file: N(0, 1) inputs made with torch on the
     GPU (seeded by the case name, so a case has the same inputs whatever
     runs with it), saved as .npy; attn-runner compiles and times the case
     on them and writes o.npy; the peers are timed on the same inputs; every
     output is checked on the GPU against a float64 reference
     (reference.py). attn-runner's own --check is not used: its float64
     reference runs single-threaded on the CPU, minutes on the large shapes.
  3. Writes results.json, table.md and plot.png (results.py) after every
     case, so that a run cut short keeps what it measured.

Exits 1 when attn-mlir failed the check or did not run on some case, 2 when
cases were skipped for time, 0 otherwise. bench/run.sh unpacks the runner
and calls this; `bench.py --selftest` checks the reporting on fabricated
numbers without torch or a GPU, in a temporary directory.
"""
import argparse
import datetime
import fnmatch
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import cases as cases_mod  # noqa: E402
import ours  # noqa: E402
import results as res  # noqa: E402
from results import OURS, OURS_LLAMA2  # noqa: E402

PEER_NAMES = ("sdpa-flash", "sdpa-cudnn", "flex", "llama2-repeat-kv")
# What runs attn-runner: the attention as written, and for decode cases
# also its llama2 form (repeat_kv), which the compiler fuses away.
OUR_NAMES = (OURS, OURS_LLAMA2)


def parse_args(argv):
    env = os.environ.get
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cases", default=os.path.join(HERE, "cases.txt"),
                   help="cases file (default bench/cases.txt; bench/cases-quick.txt "
                        "for a fast run)")
    p.add_argument("--runner", default=env("ATTN_RUNNER"),
                   help="attn-runner to benchmark (default $ATTN_RUNNER; "
                        "bench/run.sh passes the bundle's)")
    p.add_argument("--runs", type=int, default=int(env("BENCH_RUNS", "20")),
                   help="timed runs per system and case (default $BENCH_RUNS or 20)")
    p.add_argument("--seed", type=int, default=int(env("BENCH_SEED", "0")))
    p.add_argument("--out", default=env("BENCH_OUT"),
                   help="directory for the results (default $BENCH_OUT, else "
                        "<results-root>/<date>-<device>[-<cases suffix>])")
    p.add_argument("--results-root", default=env("BENCH_RESULTS",
                                                 os.path.join(HERE, "results")),
                   help="where the dated directory goes (default $BENCH_RESULTS "
                        "or bench/results)")
    p.add_argument("--only", default="",
                   help="comma-separated case names or patterns to run, e.g. "
                        "'prefill-*' (default: all)")
    p.add_argument("--systems", default=",".join(OUR_NAMES + PEER_NAMES),
                   help="comma-separated systems to run (default: all)")
    p.add_argument("--merge", action="store_true",
                   help="keep the other cases of an existing results.json in "
                        "the output directory (for a suite run in parts)")
    p.add_argument("--deadline", type=float, default=float(env("BENCH_DEADLINE_S", "0")),
                   help="seconds after which no new case starts; the rest are "
                        "recorded as SKIPPED (default $BENCH_DEADLINE_S; 0: none)")
    p.add_argument("--runner-timeout", type=int,
                   default=int(env("BENCH_RUNNER_TIMEOUT", "300")),
                   help="seconds one attn-runner call may take (default 300)")
    p.add_argument("--selftest", action="store_true",
                   help="write results, table and plot from fabricated numbers "
                        "into a temporary directory (no torch, no GPU)")
    return p.parse_args(argv)


def select_cases(args):
    """The cases of the cases file that --only names (shell patterns, such
    as 'decode-*'); a pattern matching nothing is an error, not a silent
    empty run."""
    all_cases = cases_mod.load(args.cases)
    if not args.only:
        return all_cases
    patterns = args.only.split(",")
    unmatched = [p for p in patterns
                 if not any(fnmatch.fnmatchcase(c.name, p) for c in all_cases)]
    if unmatched:
        sys.exit("bench.py: no case of %s matches %s" % (args.cases, ", ".join(unmatched)))
    return [c for c in all_cases if any(fnmatch.fnmatchcase(c.name, p) for p in patterns)]


def case_seed(seed, case):
    """A case's input seed: from its name, so that filtering or reordering
    cases does not change the inputs of the others."""
    return (seed + zlib.crc32(case.name.encode())) % (1 << 31)


def new_results(device, ceilings, args, synthetic=False):
    return {"synthetic": synthetic,
            "date": datetime.date.today().isoformat(),
            "started": datetime.datetime.now().isoformat(timespec="seconds"),
            "device": device, "ceilings": ceilings,
            "settings": {"runs": args.runs, "seed": args.seed,
                         "cases_file": os.path.relpath(args.cases, os.path.dirname(HERE)),
                         "runner": args.runner, "runner_args": ours.extra_args(),
                         # The launch hold, ours and the peers'.
                         "hold_us": ours.hold_us(),
                         "systems": args.systems.split(","),
                         "error_floor": res.CHECK_ERROR_FLOOR},
            "cases": []}


def case_record(case, ceilings):
    record = case.as_dict()
    record.update(status="NOT RUN", ceilings=ceilings, systems={})
    return record


def finish(record):
    """Derived rates and the status, once every system of a case ran."""
    res.add_rates(record)
    record["status"] = res.status(record)
    return record


def summary_line(record):
    parts = []
    for name, s in record["systems"].items():
        if s.get("ms"):
            chk = s.get("check")
            mark = "" if not chk else " ok" if chk["pass"] else " CHECK FAILED"
            parts.append("%s %.4f ms%s" % (name, s["ms"], mark))
        else:
            parts.append("%s n/a" % name)
    return "%s: %s: %s" % (record["name"], record["status"], "; ".join(parts))


# ---------------------------------------------------------------------------
# On the GPU machine
# ---------------------------------------------------------------------------

def device_info(torch):
    """Device name and the versions a reader needs to reproduce the run."""
    props = torch.cuda.get_device_properties(torch.cuda.current_device())
    info = {"name": torch.cuda.get_device_name(),
            "capability": "%d.%d" % (props.major, props.minor),
            "sms": props.multi_processor_count,
            "memory_gib": round(props.total_memory / 2 ** 30, 1),
            "torch": torch.__version__, "cuda": torch.version.cuda,
            "cudnn": torch.backends.cudnn.version()}
    try:
        import triton
        info["triton"] = triton.__version__
    except ImportError:
        pass
    try:
        smi = subprocess.run(["nvidia-smi", "--query-gpu=driver_version",
                              "--format=csv,noheader"], capture_output=True,
                             text=True, timeout=30)
        if smi.returncode == 0 and smi.stdout.strip():
            info["driver"] = smi.stdout.strip().splitlines()[0]
    except (OSError, subprocess.TimeoutExpired):
        pass
    return info


def run_ours(case, inputs, ceilings, work, args, text):
    """attn-runner on the saved inputs, compiling the module `text`: (its
    record, its output or None)."""
    import npyfile
    import torch
    paths = {n: os.path.join(work, n + ".npy") for n in ("q", "k", "v", "o")}
    for n, t in zip("qkv", inputs):
        npyfile.save_tensor(paths[n], t, case.dtype)
    module = os.path.join(work, "attention.mlir")
    with open(module, "w") as f:
        f.write(text)
    # The runner allocates its own device memory, rotating copies included.
    torch.cuda.empty_cache()
    cmd = ours.command(args.runner, module, paths["q"], paths["k"], paths["v"],
                       paths["o"], args.runs, ceilings, ours.extra_args())
    parsed, error = ours.run(cmd, args.runner_timeout)
    record = dict(parsed or {}, error=error)
    out = None
    if error is None:
        try:
            out = npyfile.load_tensor(paths["o"], case.dtype, inputs[0].device)
        except (OSError, ValueError) as e:
            record["error"] = "cannot read attn-runner's output: %s" % e
    return record, out


def run_case(record, case, ceilings, args, systems, torch):
    """Everything for one case, on the same inputs: attn-mlir, the peers,
    then one float64 check of every output. Fills `record` as it goes, so
    that an exception in a later stage keeps the earlier ones."""
    import peers
    import reference
    inputs = peers.random_inputs(case, case_seed(args.seed, case))
    outputs = {}
    work = tempfile.mkdtemp(prefix="attn-bench-")
    try:
        texts = {OURS: cases_mod.module_text}
        if case.decode:
            texts[OURS_LLAMA2] = cases_mod.llama2_module_text
        for name, text in texts.items():
            if name in systems:
                record["systems"][name], out = run_ours(
                    case, inputs, ceilings, work, args, text(case))
                if out is not None:
                    outputs[name] = out
    finally:
        shutil.rmtree(work, ignore_errors=True)
    names = [n for n in PEER_NAMES if n in systems]
    if names:
        timed, peer_outputs = peers.time_peers(case, *inputs, args.runs, names)
        record["systems"].update(timed)
        outputs.update(peer_outputs)
    if outputs:
        for name, chk in reference.check(case, *inputs, outputs).items():
            record["systems"][name]["check"] = chk
    del inputs, outputs
    if case.decode:
        # A 1 GiB copy hides a ramp and a tail that a decode's tens of MB
        # do not: the copy of the case's own bytes says what is reachable.
        moved = case.kv_bytes()
        ms = peers.time_copy(moved, args.runs)
        record["size_copy"] = {"bytes": moved, "ms": ms,
                               "gbps": moved / ms * 1e-6}
        # The fastest one-launch read of the same bytes: what no kernel
        # that must read them can beat (bench/read_floor.py).
        floor = time_read_floor(moved, args.runs)
        if floor:
            record["read_floor"] = floor
    torch.cuda.empty_cache()


def time_read_floor(kv_bytes, runs):
    """bench/read_floor.py's floor for kv_bytes, or None (with a message)
    where it cannot be timed (no Triton, which builds its read kernels, or
    a failure of its own): the floor is a yardstick, and its absence must
    not mark the case's own results as failed."""
    try:
        import read_floor as floor_mod
        return floor_mod.decode_floor(kv_bytes, runs)
    except Exception as e:  # noqa: BLE001 - any failure only loses the floor
        print("bench.py: no read floor (%s: %s)" % (type(e).__name__, e),
              flush=True)
        return None


def out_dir_for(args, device_name):
    return args.out or res.default_dir(args.results_root, device_name, args.cases)


def gpu_main(args):
    import torch
    if not torch.cuda.is_available():
        sys.exit("bench.py: PyTorch sees no CUDA device")
    systems = set(args.systems.split(","))
    if set(OUR_NAMES) & systems and not args.runner:
        sys.exit("bench.py: no attn-runner: pass --runner or set ATTN_RUNNER "
                 "(bench/run.sh does)")
    import ceilings as ceilings_mod
    start = time.monotonic()
    selected = select_cases(args)
    device = device_info(torch)
    print("device: %s" % device["name"], flush=True)
    ceilings = ceilings_mod.measure()
    print("ceilings: bf16 matmul %.0f TFLOP/s, device copy %.0f GB/s"
          % (ceilings["matmul_tflops"], ceilings["copy_gbps"]), flush=True)
    out_dir = out_dir_for(args, device["name"])
    old = None
    if args.merge and os.path.exists(os.path.join(out_dir, "results.json")):
        old = res.load(os.path.join(out_dir, "results.json"))
    run = new_results(device, ceilings, args)

    def save():
        res.write_all(res.merge(old, run) if old else run, out_dir)

    for case in selected:
        if args.deadline and time.monotonic() - start > args.deadline:
            record = case_record(case, ceilings)
            record.update(status="SKIPPED", reason="the run's deadline of %g s "
                          "had passed" % args.deadline)
        else:
            record = case_record(case, ceilings)
            try:
                run_case(record, case, ceilings, args, systems, torch)
            except Exception as e:  # keep this case's earlier stages, and the other cases
                record["error"] = "bench.py: %s: %s" % (type(e).__name__, e)
                if OURS in systems and OURS not in record["systems"]:
                    record["systems"][OURS] = {"error": record["error"]}
                torch.cuda.empty_cache()
            finish(record)
        ours_rec = record["systems"].get(OURS, {})
        if ours_rec.get("device") and "runner_target" not in device:
            device["runner_target"] = ours_rec["device"]
        run["cases"].append(record)
        print(summary_line(record), flush=True)
        save()
    save()
    return report(res.merge(old, run) if old else run, out_dir)


def report(run, out_dir):
    """Prints the table and the verdict; returns the exit status."""
    with open(os.path.join(out_dir, "table.md")) as f:
        print("\n" + f.read())
    print("results: %s" % out_dir)
    bad = res.failed(run)
    skipped = [c["name"] for c in run["cases"] if c["status"] == "SKIPPED"]
    if bad:
        print("FAILED or did not run: %s" % ", ".join(bad))
        return 1
    if skipped:
        print("skipped for time: %s (run them with --only ... --merge)" % ", ".join(skipped))
        return 2
    return 0


# ---------------------------------------------------------------------------
# Self-test: fabricated numbers, no torch
# ---------------------------------------------------------------------------

def synthetic_results(selected, args):
    """Results in the real format with made-up, obviously round numbers
    (attn-mlir at 200 TFLOP/s or 3000 GB/s, peers at fixed multiples), all
    labelled synthetic, for checking the JSON, table and plot code."""
    ceilings = {"matmul": "bf16 8192^3", "matmul_tflops": 800.0,
                "copy_gbps": 4000.0, "synthetic": True}
    device = {"name": "SYNTHETIC (no GPU)", "runner_target": "synthetic"}
    run = new_results(device, ceilings, args, synthetic=True)
    factors = {"sdpa-flash": 1.25, "sdpa-cudnn": 0.9, "flex": 1.5,
               "llama2-repeat-kv": 2.0, OURS_LLAMA2: 1.0}
    for case in selected:
        record = case_record(case, ceilings)
        ms = (case.kv_bytes() / 3000e9 if case.decode else case.flops() / 200e12) * 1e3
        check = {"max_err": 2e-3, "naive_err": 3e-3, "bound": 7e-3, "nan": 0, "pass": True}
        record["systems"][OURS] = {"ms": ms, "min_ms": ms, "check": dict(check),
                                   "schedule": "synthetic"}
        for name, f in factors.items():
            if name in ("llama2-repeat-kv", OURS_LLAMA2) and not case.decode:
                continue
            record["systems"][name] = {"ms": ms * f, "check": dict(check)}
        if case.head_dim == 256:
            record["systems"]["flex"] = {"error": "synthetic: a peer that did not run"}
        run["cases"].append(finish(record))
    return run


def selftest(args):
    """Writes fabricated results to a fresh temporary directory (never to
    bench/results) and checks that every file came out."""
    selected = select_cases(args)
    out_dir = tempfile.mkdtemp(prefix="attn-bench-selftest-")
    run = synthetic_results(selected, args)
    plot_msg = res.write_all(run, out_dir)
    back = res.load(os.path.join(out_dir, "results.json"))
    assert back["synthetic"] is True and len(back["cases"]) == len(selected)
    with open(os.path.join(out_dir, "table.md")) as f:
        table = f.read()
    assert "SYNTHETIC" in table
    for case in selected:
        assert "| %s |" % case.name in table, case.name
    assert plot_msg or os.path.getsize(os.path.join(out_dir, "plot.png")) > 0
    print(table)
    print("selftest: SYNTHETIC results (fabricated, not measured) in %s%s"
          % (out_dir, "; " + plot_msg if plot_msg else ""))
    return 0


def main(argv):
    args = parse_args(argv)
    unknown = set(args.systems.split(",")) - set(OUR_NAMES + PEER_NAMES)
    if unknown:
        sys.exit("bench.py: unknown systems %s; choose from %s"
                 % (", ".join(sorted(unknown)), ", ".join(OUR_NAMES + PEER_NAMES)))
    if args.selftest:
        return selftest(args)
    return gpu_main(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
