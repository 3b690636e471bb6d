#!/usr/bin/env python3
"""Checks of the benchmark's non-GPU parts; runs with python3 alone.

  python3 bench/test_bench.py

Cases files and the cost model, .npy headers, the parsing of attn-runner's
output (against text in the format of lib/Runner/Benchmark.cpp, Runner.cpp
and GPUTarget.cpp, with a stand-in runner script), the results' rates,
statuses and merging, the table, the plot's grouping, bench.py
--selftest end to end, and bench/model.py's parsing of generate.c's
output, weight bytes, decode floor, table and settings, and its run of
both projection variants end to end with stand-ins for attn-compile, the
C compiler, the generate program, torch and transformers. Where torch is
installed (a CPU build is enough), also the .npy tensor I/O and the float64
check. No number here is a measurement.
"""
import contextlib
import io
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import textwrap
import types
import unittest
from unittest import mock

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import balance_model  # noqa: E402
import cases  # noqa: E402
import model as model_bench  # noqa: E402
import npyfile  # noqa: E402
import ours  # noqa: E402
import plot  # noqa: E402
import results  # noqa: E402
import table  # noqa: E402

try:
    import torch
except ImportError:
    torch = None

# Text in the runner's output format; the numbers are made up.
RUNNER_OUTPUT = textwrap.dedent("""\
    entry: @attention(tensor<1x32x1024x128xbf16>, tensor<1x8x1024x128xbf16>, tensor<1x8x1024x128xbf16>) -> tensor<1x32x1024x128xbf16>
    inputs: argument 0 from q.npy; argument 1 from k.npy; argument 2 from v.npy
    target: cuda (NVIDIA Example, sm_90a, 132 SMs, CUDA driver 13.0; schedule sm80: 4 warps x 16 rows, 64-key tiles, PTX compiled by the driver), result allocated on the device, poisoned with NaN, copied back
    compile: 1234.5 ms (lowering 900.1 ms, host code JIT 200.2 ms, kernel load 134.2 ms (PTX compiled by the driver))
    time: 12.345 ms (first call, wall clock)
    benchmark: kernel time (CUDA events from the first kernel's start to the last one's end), 5 rotating input sets: median 0.1000 ms, min 0.0900 ms over 20 runs
    benchmark: 17.18 GFLOP, 20.97 MB moved at least: 171.8 TFLOP/s, 209.7 GB/s at the median
    benchmark: floor 0.0215 ms at 800 TFLOP/s and 4000 GB/s; the median is 4.7x the floor
    output: o.npy
    """)


def case_record(name="c", sq=1024, sk=1024, causal=False, **systems):
    c = cases.Case(name, 1, 32, 8, sq, sk, 128, causal).as_dict()
    c.update(ceilings={"matmul_tflops": 800.0, "copy_gbps": 4000.0},
             systems=systems, status="NOT RUN")
    results.add_rates(c)
    c["status"] = results.status(c)
    return c


def passing(err=1e-3):
    return {"max_err": err, "naive_err": 2e-3, "bound": 5e-3, "nan": 0,
            "pass": err <= 5e-3}


class Cases(unittest.TestCase):
    def test_files_parse(self):
        full = cases.load(os.path.join(HERE, "cases.txt"))
        quick = cases.load(os.path.join(HERE, "cases-quick.txt"))
        self.assertEqual(sum(c.decode for c in full), 6)
        self.assertEqual(sum(c.dtype == "f16" for c in full), 1)
        self.assertEqual({c.seq_k for c in full if c.decode}, {4096, 32768, 131072})
        self.assertEqual(len(quick), 5)

    def test_flops_match_the_runner(self):
        # 275 GFLOP for B16 x 1k, 32 heads, d128 (bench/NOTES.md); causal
        # counts S(S+1)/2 entries.
        c = cases.Case("x", 16, 32, 8, 1024, 1024, 128, False)
        self.assertAlmostEqual(c.flops() / 1e9, 274.9, places=1)
        self.assertEqual(c.io_bytes(), 335544320)
        cc = cases.Case("x", 1, 1, 1, 4, 4, 1, True)
        self.assertEqual(cc.visible_entries(), 10)
        # Bottom-right: 2 queries over 4 keys see 3 and 4 keys.
        self.assertEqual(cases.Case("x", 1, 1, 1, 2, 4, 1, True).visible_entries(), 7)
        # More queries than keys: the first rows see nothing.
        self.assertEqual(cases.Case("x", 1, 1, 1, 4, 2, 1, True).visible_entries(), 3)

    def test_bad_lines(self):
        for line in ("a 1 2 3", "a 1 32 8 1 1 128 sideways",
                     "a 1 32 7 1 1 128 full", "a 1 32 8 1 1 128 full f32",
                     "a 1 32 8 x 1 128 full"):
            with self.assertRaises(ValueError):
                cases.parse_line(line)
        with self.assertRaises(ValueError):
            cases.parse_text("a 1 1 1 1 1 16 full\na 1 1 1 1 1 16 full\n")

    def test_module(self):
        text = cases.module_text(cases.Case("x", 2, 32, 8, 1, 4096, 128, True, "f16"))
        self.assertIn("tensor<2x32x1x128xf16>", text)
        self.assertIn("tensor<2x8x4096x128xf16>", text)
        self.assertIn("{causal, layout = #attn.layout<bhsd>}", text)

    def test_llama2_module(self):
        text = cases.llama2_module_text(cases.Case("x", 2, 32, 8, 1, 4096, 128, False, "bf16"))
        self.assertIn("%k: tensor<2x8x4096x128xbf16>", text)
        self.assertEqual(text.count("attn.repeat_kv"), 2)
        self.assertIn("n_rep = 4 : tensor<2x4096x8x128xbf16> -> tensor<2x4096x32x128xbf16>", text)
        self.assertIn(": tensor<2x32x1x128xbf16>, tensor<2x32x4096x128xbf16>, "
                      "tensor<2x32x4096x128xbf16> -> tensor<2x32x1x128xbf16>", text)


class Npy(unittest.TestCase):
    def test_header_round_trip(self):
        for shape in ((3,), (2, 32, 1024, 128), ()):
            h = npyfile.header("<u2", shape)
            self.assertEqual(len(h) % 64, 0)
            self.assertEqual(npyfile.parse_header(h + b"\0" * 8),
                             ("<u2", shape, len(h)))

    def test_file(self):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "x.npy")
            npyfile.write_bytes(p, "<f2", (2, 2), b"\x00\x3c" * 4)
            with open(p, "rb") as f:
                data = f.read()
            descr, shape, off = npyfile.parse_header(data)
            self.assertEqual((descr, shape, data[off:]), ("<f2", (2, 2), b"\x00\x3c" * 4))

    @unittest.skipIf(torch is None, "torch is not installed")
    def test_tensor_round_trip(self):
        with tempfile.TemporaryDirectory() as d:
            for dtype, t in (("bf16", torch.bfloat16), ("f16", torch.float16)):
                x = torch.randn(2, 3, 5).to(t)
                p = os.path.join(d, dtype + ".npy")
                npyfile.save_tensor(p, x, dtype)
                y = npyfile.load_tensor(p, dtype, device="cpu")
                self.assertTrue(torch.equal(x.view(torch.int16), y.view(torch.int16)))
            with self.assertRaises(ValueError):
                npyfile.load_tensor(os.path.join(d, "f16.npy"), "bf16", device="cpu")


class Runner(unittest.TestCase):
    def test_parse(self):
        r = ours.parse_output(RUNNER_OUTPUT)
        self.assertEqual((r["ms"], r["min_ms"], r["runs"]), (0.1, 0.09, 20))
        self.assertEqual(r["floor_ms"], 0.0215)
        self.assertEqual(r["first_call_ms"], 12.345)
        self.assertEqual((r["compile_ms"], r["kernel_load_ms"]), (1234.5, 134.2))
        self.assertEqual(r["schedule"], "sm80: 4 warps x 16 rows, 64-key tiles")
        self.assertEqual(r["device"], "cuda (NVIDIA Example, sm_90a, 132 SMs, "
                         "CUDA driver 13.0, PTX compiled by the driver)")

    def test_command(self):
        cmd = ours.command("r", "m.mlir", "q", "k", "v", "o", 20,
                           {"matmul_tflops": 771.9, "copy_gbps": 4222.4})
        self.assertIn("--input=1=k", cmd)
        self.assertIn("--benchmark=20", cmd)
        self.assertIn("--peak-tflops=771.9", cmd)
        self.assertIn("--peak-gbps=4222.4", cmd)
        self.assertNotIn("--check", cmd)

    def test_hold(self):
        env = dict(os.environ)
        try:
            os.environ["BENCH_RUNNER_ARGS"] = "--schedule=sm80"
            os.environ.pop("BENCH_HOLD_US", None)
            self.assertEqual(ours.extra_args(),
                             ["--schedule=sm80", "--benchmark-hold=300"])
            os.environ["BENCH_HOLD_US"] = "200"
            self.assertEqual(ours.extra_args(),
                             ["--schedule=sm80", "--benchmark-hold=200"])
            os.environ["BENCH_HOLD_US"] = "0"
            self.assertEqual(ours.extra_args(), ["--schedule=sm80"])
        finally:
            os.environ.clear()
            os.environ.update(env)

    def stand_in(self, d, body):
        """An executable that plays attn-runner."""
        p = os.path.join(d, "runner")
        with open(p, "w") as f:
            f.write("#!%s\nimport sys\n%s\n" % (sys.executable, body))
        os.chmod(p, 0o755)
        return p

    def test_run(self):
        with tempfile.TemporaryDirectory() as d:
            good = self.stand_in(d, "sys.stdout.write(%r)" % RUNNER_OUTPUT)
            r, err = ours.run([good], 30)
            self.assertIsNone(err)
            self.assertEqual(r["ms"], 0.1)
            bad = self.stand_in(d, "print('attn-runner: error: no GPU', file=sys.stderr)\n"
                                   "sys.exit(1)")
            r, err = ours.run([bad], 30)
            self.assertIn("exited 1: attn-runner: error: no GPU", err)
            silent = self.stand_in(d, "print('target: cpu')")
            self.assertIn("no 'benchmark: kernel time' line", ours.run([silent], 30)[1])
            slow = self.stand_in(d, "import time\ntime.sleep(5)")
            self.assertIn("did not finish", ours.run([slow], 1)[1])
            self.assertIn("cannot run", ours.run([os.path.join(d, "absent")], 1)[1])


class Results(unittest.TestCase):
    def test_rates_and_status(self):
        c = case_record(**{results.OURS: {"ms": 1.0, "check": passing()},
                           "sdpa-flash": {"ms": 2.0}})
        self.assertEqual(c["status"], "PASS")
        self.assertAlmostEqual(c["systems"][results.OURS]["tflops"], c["flops"] * 1e-9)
        self.assertAlmostEqual(c["systems"]["sdpa-flash"]["gbps"], c["kv_bytes"] / 2e6)
        fail = case_record(**{results.OURS: {"ms": 1.0, "check": passing(1e-2)}})
        self.assertEqual(fail["status"], "FAIL")
        err = case_record(**{results.OURS: {"error": "exited 1"}})
        self.assertEqual(err["status"], "ERROR")
        unchecked = case_record(**{results.OURS: {"ms": 1.0}})
        self.assertEqual(unchecked["status"], "ERROR")
        run = {"cases": [c, fail, err]}
        self.assertEqual(results.failed(run), [fail["name"], err["name"]])

    def test_decode_copy_fraction(self):
        c = case_record(sq=1, sk=4096, **{results.OURS: {"ms": 0.1, "check": passing()}})
        s = c["systems"][results.OURS]
        self.assertAlmostEqual(s["copy_fraction"], s["gbps"] / 4000.0)
        self.assertNotIn("size_copy_fraction", s)

    def test_decode_size_copy_fraction(self):
        # A copy of the case's bytes that took 0.08 ms: ours at 0.1 ms runs
        # at 80% of its GB/s, the peer at 0.05 ms at 160%.
        c = cases.Case("d", 1, 32, 8, 1, 4096, 128, False).as_dict()
        c.update(ceilings={"matmul_tflops": 800.0, "copy_gbps": 4000.0},
                 size_copy={"bytes": c["kv_bytes"], "ms": 0.08},
                 systems={results.OURS: {"ms": 0.1},
                          "sdpa-cudnn": {"ms": 0.05}})
        results.add_rates(c)
        self.assertAlmostEqual(c["systems"][results.OURS]["size_copy_fraction"], 0.8)
        self.assertAlmostEqual(c["systems"]["sdpa-cudnn"]["size_copy_fraction"], 1.6)

    def test_decode_read_floor_fraction(self):
        # A read of the case's bytes that took 0.07 ms: ours at 0.1 ms runs
        # at 70% of its GB/s; a case without one has no such share.
        c = cases.Case("d", 1, 32, 8, 1, 4096, 128, False).as_dict()
        c.update(ceilings={"matmul_tflops": 800.0, "copy_gbps": 4000.0},
                 read_floor={"bytes": c["kv_bytes"], "ms": 0.07},
                 systems={results.OURS: {"ms": 0.1}})
        results.add_rates(c)
        self.assertAlmostEqual(c["systems"][results.OURS]["read_floor_fraction"], 0.7)
        self.assertNotIn("size_copy_fraction", c["systems"][results.OURS])

    def test_merge(self):
        old = {"cases": [{"name": "a", "v": 1}, {"name": "b", "v": 1}]}
        new = {"date": "x", "cases": [{"name": "b", "v": 2}]}
        merged = results.merge(old, new)
        self.assertEqual([(c["name"], c["v"]) for c in merged["cases"]],
                         [("a", 1), ("b", 2)])

    def test_merge_files(self):
        with tempfile.TemporaryDirectory() as d:
            parts = []
            for i, name in enumerate(("a", "b")):
                r = Table.run_results(None)
                r["cases"] = [dict(r["cases"][i], name=name)]
                parts.append(os.path.join(d, name + ".json"))
                with open(parts[-1], "w") as f:
                    json.dump(r, f)
            results.merge_files(os.path.join(d, "out"), parts)
            merged = results.load(os.path.join(d, "out", "results.json"))
            self.assertEqual([c["name"] for c in merged["cases"]], ["a", "b"])
            self.assertTrue(os.path.exists(os.path.join(d, "out", "table.md")))

    def test_default_dir(self):
        self.assertEqual(results.default_dir("r", "NVIDIA H200", "bench/cases.txt",
                                             "2026-01-02"), "r/2026-01-02-nvidia-h200")
        self.assertEqual(results.default_dir("r", "NVIDIA H200", "cases-quick.txt",
                                             "2026-01-02"), "r/2026-01-02-nvidia-h200-quick")


class Table(unittest.TestCase):
    def run_results(self):
        ok = case_record("p-ok", **{results.OURS: {"ms": 1.0, "check": passing(),
                                                   "schedule": "sm80: synthetic"},
                                    "sdpa-flash": {"ms": 2.0, "check": passing()},
                                    "flex": {"error": "n/a: synthetic"}})
        bad = case_record("p-bad", causal=True,
                          **{results.OURS: {"ms": 1.0, "check": passing(0.5)},
                             "sdpa-flash": {"ms": 0.5, "check": passing(0.5)}})
        dec = case_record("d", sq=1, sk=4096,
                          **{results.OURS: {"ms": 0.1, "check": passing()},
                             "llama2-repeat-kv": {"ms": 0.4, "check": passing()}})
        return {"synthetic": True, "date": "2026-01-02",
                "device": {"name": "Example"},
                "ceilings": {"matmul_tflops": 800.0, "copy_gbps": 4000.0},
                "settings": {"runs": 20, "seed": 0}, "cases": [ok, bad, dec]}

    def test_render(self):
        md = table.render(self.run_results())
        self.assertIn("SYNTHETIC", md)
        self.assertIn("## Prefill", md)
        self.assertIn("## Decode", md)
        rows = {line.split(" | ")[0][2:]: line for line in md.splitlines()
                if line.startswith("| ") and not line.startswith("| case")}
        self.assertIn("| 2.00 |", rows["p-ok"])            # flash/ours
        self.assertIn("FAIL (5.0e-01 > 5.0e-03)", rows["p-bad"])
        self.assertIn("| 4.00 |", rows["d"])               # llama2/ours
        self.assertIn("(", rows["d"].split(" | ")[-1])     # % of copy
        self.assertNotIn("llama2", md.split("## Decode")[0].split("x/ours")[1])
        self.assertIn("p-ok, flex: n/a: synthetic", md)
        self.assertIn("- attn-mlir schedule sm80: synthetic: p-ok", md)
        self.assertIn("p-bad, sdpa-flash: FAILED the check", md)
        self.assertNotIn("were held", md)

    @staticmethod
    def timed(case, ms):
        """A size_copy or read_floor record of the case's bytes in ms."""
        return {"bytes": case["kv_bytes"], "ms": ms,
                "gbps": case["kv_bytes"] / ms * 1e-6}

    def test_render_size_copy(self):
        r = self.run_results()
        self.assertNotIn("same-size copy", table.render(r))
        dec = r["cases"][2]
        dec["size_copy"] = self.timed(dec, 0.08)
        results.add_rates(dec)
        md = table.render(r)
        self.assertIn("same-size copy ms", md)
        row = [line for line in md.splitlines() if line.startswith("| d |")][0]
        self.assertIn("| 0.0800 (", row)
        self.assertIn("; 80%)", row.split(" | ")[-2])       # ours: 80% of it

    def test_render_read_floor(self):
        r = self.run_results()
        self.assertNotIn("read floor", table.render(r))
        dec = r["cases"][2]
        dec["size_copy"] = self.timed(dec, 0.08)
        dec["read_floor"] = self.timed(dec, 0.07)
        results.add_rates(dec)
        md = table.render(r)
        self.assertIn("same-size copy ms | read floor ms", md)
        self.assertIn("% of same-size copy; % of read floor", md)
        row = [line for line in md.splitlines() if line.startswith("| d |")][0]
        self.assertIn("| 0.0800 (", row)
        self.assertIn("| 0.0700 (", row)
        self.assertIn("; 80%; 70%)", row.split(" | ")[-2])  # ours

    def test_render_hold(self):
        r = self.run_results()
        r["settings"]["runner_args"] = ["--benchmark-hold=300"]
        self.assertIn("launches were held 300 us", table.render(r))
        r["settings"]["hold_us"] = 0.0
        self.assertNotIn("were held", table.render(r))

    def test_panels(self):
        ps = plot.panels(self.run_results())
        titles = [p[0] for p in ps]
        self.assertEqual(len(ps), 3, titles)
        self.assertTrue(titles[0].startswith("prefill, non-causal"))
        self.assertTrue(titles[2].startswith("decode, GQA 32/8"))
        # A point that failed the check is not drawn.
        self.assertEqual(plot.series(ps[1][3], "tflops"), {})

    def test_write_all(self):
        with tempfile.TemporaryDirectory() as d:
            msg = results.write_all(self.run_results(), d)
            with open(os.path.join(d, "results.json")) as f:
                self.assertTrue(json.load(f)["synthetic"])
            self.assertTrue(os.path.exists(os.path.join(d, "table.md")))
            self.assertTrue(msg or os.path.getsize(os.path.join(d, "plot.png")) > 0)


class BalanceModel(unittest.TestCase):
    """The model behind the sm90 grid's reversed rounds, against the causal
    times measured on an H100 (bench/NOTES.md, 2026-12-06)."""

    def share(self, seq, batch, reverse):
        return balance_model.largest_share(seq, batch, 8, 4, 132, reverse)

    def test_measured_directions(self):
        # S4224: causal 1.63 ms plain, 0.91-0.94 reversed.
        self.assertGreater(self.share(4224, 4, False), 1.5)
        self.assertLess(self.share(4224, 4, True), 1.05)
        # B1 S16384: causal 3.27 ms plain, 3.86 reversed (1.18x).
        plain, rev = self.share(16384, 1, False), self.share(16384, 1, True)
        self.assertAlmostEqual(rev / plain, 1.18, delta=0.05)

    def test_rule_picks_the_better_order(self):
        for seq, batch in ((1408, 12), (2816, 6), (4224, 4), (8192, 2),
                           (16384, 1)):
            plain, rev = self.share(seq, batch, False), self.share(seq, batch, True)
            picked = rev if balance_model.rule_reverses(seq, 4, 132) else plain
            self.assertLessEqual(picked, min(plain, rev) * 1.001, (seq, batch))


class SelfTest(unittest.TestCase):
    def test_selftest_writes_outside_bench_results(self):
        before = set(os.listdir(os.path.join(HERE, "results"))) \
            if os.path.isdir(os.path.join(HERE, "results")) else set()
        p = subprocess.run([sys.executable, os.path.join(HERE, "bench.py"), "--selftest"],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("SYNTHETIC", p.stdout)
        after = set(os.listdir(os.path.join(HERE, "results"))) \
            if os.path.isdir(os.path.join(HERE, "results")) else set()
        self.assertEqual(before, after)

    def test_only_patterns(self):
        p = subprocess.run([sys.executable, os.path.join(HERE, "bench.py"), "--selftest",
                            "--only", "nothing-*"], capture_output=True, text=True)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("matches nothing-*", p.stderr)


class NcuSummary(unittest.TestCase):
    """bench/ncu_summary.py on a report in the form of ncu --csv --page
    details: its own log lines first, then one row per metric."""

    def test_summary(self):
        import ncu_summary
        header = ('"ID","Process ID","Process Name","Host Name","Kernel Name",'
                  '"Context","Stream","Block Size","Grid Size","Device","CC",'
                  '"Section Name","Metric Name","Metric Unit","Metric Value"\n')

        def row(section, name, unit, value):
            return ('"0","1","attn-runner","h","a_kernel","1","13",'
                    '"(384, 1, 1)","(132, 1, 1)","0","9.0","%s","%s","%s","%s"\n'
                    % (section, name, unit, value))

        text = ("==PROF== Connected to process 1\n" + header +
                row("GPU Speed Of Light Throughput", "Duration", "us", "1,234.5") +
                row("GPU Speed Of Light Throughput", "Compute (SM) Throughput", "%", "71.2") +
                row("Scheduler Statistics", "Issue Slots Busy", "%", "55.0") +
                row("Command line profiler metrics",
                    "sm__pipe_tensor_op_gmma_cycles_active.avg.pct_of_peak_sustained_active",
                    "%", "62.5") +
                "".join(row("Command line profiler metrics",
                            "smsp__average_warps_issue_stalled_%s_per_issue_active.ratio" % r,
                            "", v)
                        for r, v in [("barrier", "0.4"), ("wait", "1.9"),
                                     ("long_scoreboard", "0.7"), ("math_pipe_throttle", "2.5"),
                                     ("selected", "1.0"), ("sleeping", "0.1")]))
        line = ncu_summary.summarize("B16-S1024-sm90", text)
        self.assertEqual(
            line,
            "B16-S1024-sm90: duration 1234.5 us; SM throughput % 71.2; "
            "issue slots busy % 55.0; sm__pipe_tensor_op_gmma 62.5%; stalls: "
            "math_pipe_throttle 2.50, wait 1.90, selected 1.00, "
            "long_scoreboard 0.70, barrier 0.40")
        self.assertEqual(ncu_summary.summarize("x", "==ERROR== no kernels\n"),
                         "x: no metrics in the report")


class SassLoops(unittest.TestCase):
    """bench/sass_loops.py on a listing in the form of cuobjdump -sass (a
    tile loop whose descriptor arithmetic is uniform, and a barrier wait's
    retry loop past the last EXIT that branches back over the whole of it),
    and on machine code, with branch words from a cubin of ptxas 13.0."""

    LISTING = textwrap.dedent("""\
                Function : a_kernel
            /*0000*/                   MOV R1, c[0x0][0x28] ;
            /*0010*/                   SYNCS.PHASECHK.TRANS64.TRYWAIT P0, [UR4], R2 ;
            /*0020*/               @!P0 BRA 0xa0 ;
            /*0030*/                   UIADD3.64 UR8, UR6, 0x2, URZ ;
            /*0040*/                   R2UR UR6, R4 ;
            /*0050*/                   HGMMA.64x128x16.F32.BF16 R24, gdesc[UR4], R24 ;
            /*0060*/                   FMUL R5, R5, R6 ;
            /*0070*/               @P1 BRA 0x30 ;
            /*0080*/                   EXIT ;
            /*0090*/                   BRA 0x90 ;
            /*00a0*/                   SYNCS.PHASECHK.TRANS64.TRYWAIT P0, [UR4], R2 ;
            /*00b0*/               @!P0 BRA 0xa0 ;
            /*00c0*/                   BRA 0x30 ;
        """)

    def test_tile_loop(self):
        import sass_loops
        kernels = sass_loops.parse(self.LISTING)
        self.assertEqual(list(kernels), ["a_kernel"])
        found = sass_loops.loops(kernels["a_kernel"])
        self.assertEqual([(s, e) for s, e, _ in found], [(0x30, 0x70)])
        summary, counts = sass_loops.mix(found[0][2])
        self.assertEqual(summary, {"instructions": 5, "tensor": 1, "R2UR": 1,
                                   "uniform": 1})
        self.assertEqual(counts["BRA"], 1)
        self.assertEqual(sass_loops.opcode("@!UP0 BRA 0x30"), "BRA")

    def test_machine_code(self):
        import sass_loops
        # Branch words and their targets as cuobjdump printed them: 0xc0 to
        # 0x230, 0x6b0 to 0x670, 0xb80 to 0x760.
        for word, offset in ((0x581947, 0x230 - 0xD0),
                             (0xFFFFFFFD00EC0947, 0x670 - 0x6C0),
                             (0xFFFFFFF800F48947, 0x760 - 0xB90)):
            self.assertEqual(sass_loops.branch_offset(word), offset)
        table = {0x947: "BRA", 0x94D: "EXIT", 0x9F0: "HGMMA", 0x2CA: "R2UR"}
        # The branch at 0x20 goes back 48 bytes past its end, to 0.
        words = [0x9F0, 0x2CA, 0xFFFFFFFC00F40947, 0x94D, 0x123]
        code = b"".join(struct.pack("<QQ", w, 0) for w in words)
        instructions = sass_loops.decode(code, table)
        self.assertEqual([i.opcode for i in instructions],
                         ["HGMMA", "R2UR", "BRA", "EXIT", "?123"])
        self.assertEqual(instructions[2].target, 0)
        self.assertEqual([(s, e) for s, e, _ in
                          sass_loops.loops(instructions)], [(0, 0x20)])

    def test_learn_extends_a_table(self):
        import sass_loops
        listing = textwrap.dedent("""\
                    Function : k
                /*0000*/                   HMMA.16816.F32.BF16 R4, R8, R12, R4 ;  /* 0x0000000c0804723c */
                /*0010*/                   EXIT ;                                 /* 0x000000000000794d */
            """)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "k.sass")
            with open(path, "w") as f:
                f.write(listing)
            self.assertEqual(sass_loops.learn([path], {0x947: "BRA"}),
                             {0x947: "BRA", 0x23C: "HMMA", 0x94D: "EXIT"})
            # A listing that names a known code otherwise is refused.
            with self.assertRaisesRegex(ValueError, "0x23c is both"):
                sass_loops.learn([path], {0x23C: "IMAD"})

    def test_table_has_the_codes_the_loops_need(self):
        with open(os.path.join(HERE, "sass-opcodes.json")) as f:
            table = json.load(f)
        self.assertEqual(table["0x947"], "BRA")
        self.assertEqual(table["0x94d"], "EXIT")
        self.assertEqual(table["0x9f0"], "HGMMA")
        self.assertEqual(table["0x2ca"], "R2UR")
        self.assertEqual(table["0x23c"], "HMMA")


def run_ab_script(runner_text, *args):
    """Runs bench/ab.sh with `args`, RUNNER in them standing for a stand-in
    attn-runner whose script is `runner_text`."""
    with tempfile.TemporaryDirectory() as d:
        runner = os.path.join(d, "attn-runner")
        with open(runner, "w") as f:
            f.write(runner_text)
        os.chmod(runner, 0o755)
        args = [a.replace("RUNNER", runner) for a in args]
        return subprocess.run(["bash", os.path.join(HERE, "ab.sh")] + args,
                              capture_output=True, text=True)


class AbScript(unittest.TestCase):
    """bench/ab.sh with a stand-in runner that checks the module it is
    given and prints a median by its flags: 1.0 ms, 0.9 with --fast, a
    failure with --broken."""

    RUNNER = textwrap.dedent("""\
        #!/bin/sh
        grep -q 'tensor<1x256x32x64xbf16>' "$1" || { echo "bad module" >&2; exit 1; }
        grep -q '{causal}' "$1" || { echo "no attributes" >&2; exit 1; }
        case " $* " in
          *" --broken "*) echo "error: boom" >&2; exit 1 ;;
          *" --fast "*) t=0.9000 ;;
          *) t=1.0000 ;;
        esac
        echo "benchmark: kernel time (events): median $t ms, min 0.5 ms over 20 runs"
        """)

    def run_ab(self, *args):
        return run_ab_script(self.RUNNER, *args)

    def test_change(self):
        out = self.run_ab("-p", "2", "RUNNER", "RUNNER --fast",
                          "1 256 64 {causal}")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.strip(),
                         "B1 S256 d64 {causal}: A 1.0000 1.0000 | "
                         "B 0.9000 0.9000 | B against A -10.0%")

    def test_failure(self):
        out = self.run_ab("-p", "1", "RUNNER", "RUNNER --broken",
                          "1 256 64 {causal}")
        self.assertEqual(out.returncode, 1)
        self.assertIn("B FAILED (error: boom", out.stdout)
        self.assertIn("B against A n/a", out.stdout)

    def test_usage(self):
        out = self.run_ab("RUNNER", "RUNNER --fast")
        self.assertEqual(out.returncode, 2)
        self.assertIn("bench/ab.sh [-p PAIRS]", out.stderr)


class AbDecode(unittest.TestCase):
    """bench/ab.sh on decode cases, with a stand-in runner that checks the
    cache entry and the length it is given: 1.0 ms, 0.95 with --fast."""

    RUNNER = textwrap.dedent("""\
        #!/bin/sh
        grep -q 'attn.cache.attend' "$1" || { echo "no attend" >&2; exit 1; }
        grep -q 'tensor<64x1x32x128xbf16>' "$1" || { echo "bad query" >&2; exit 1; }
        case "$(cat "$1")" in
          *'64x1x4096x128xi8, scales = f32'*) want="--input 5=4096" ;;
          *'64x1x4096x128xbf16>'*) want="--input 3=4096" ;;
          *) echo "bad cache" >&2; exit 1 ;;
        esac
        case " $* " in
          *" $want "*) ;;
          *) echo "no length: $*" >&2; exit 1 ;;
        esac
        case " $* " in
          *" --fast "*) t=0.9500 ;;
          *) t=1.0000 ;;
        esac
        echo "benchmark: kernel time (events): median $t ms, min 0.5 ms over 20 runs"
        """)

    def run_ab(self, *args):
        return run_ab_script(self.RUNNER, *args)

    def test_storages(self):
        out = self.run_ab("-p", "1", "RUNNER", "RUNNER --fast",
                          "mqa-b64-4k", "mqa-b64-4k i8")
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertEqual(out.stdout.splitlines(), [
            "mqa-b64-4k bf16: A 1.0000 | B 0.9500 | B against A -5.0%",
            "mqa-b64-4k i8: A 1.0000 | B 0.9500 | B against A -5.0%"])

    def test_wrong_shape_fails(self):
        # A GQA case's cache is not the one the stand-in wants.
        out = self.run_ab("-p", "1", "RUNNER", "RUNNER", "gqa-b64-4k")
        self.assertEqual(out.returncode, 1)
        self.assertIn("A FAILED (bad cache", out.stdout)


class NcuSource(unittest.TestCase):
    """bench/ncu_source.py on a source page in the form of ncu --page source
    --csv --print-source sass: the kernel's name, then one row an
    instruction."""

    def test_summary(self):
        import ncu_source
        head = ('"Kernel Name","attend_kernel",\n'
                '"Address","Source","Warp Stall Sampling (All Samples)",'
                '"Instructions Executed","stall_long_sb","stall_mio",'
                '"stall_long_sb (Not Issued)"\n')

        def row(address, source, samples, executed, long_sb, mio):
            return '"%s","%s","%s","%s","%s","%s","0"\n' % (
                address, source, samples, executed, long_sb, mio)

        # Two instructions before a loop of three (ten times as often),
        # one after it.
        text = (head + row("0x10", "LDC R1", "10", "4", "0", "10") +
                row("0x20", "IADD3 R0", "0", "4", "0", "0") +
                row("0x30", "WARPSYNC.ALL", "1,000", "40", "1,000", "0") +
                row("0x40", "HMMA R4", "300", "40", "0", "300") +
                row("0x50", "BRA 0x30", "0", "40", "0", "0") +
                row("0x60", "STS [R2]", "100", "4", "50", "50"))
        self.assertEqual(
            ncu_source.summarize("mqa", text, top=2).splitlines(),
            ["mqa: 6 instructions, 1410 samples",
             "  stalls: long_sb 74.5%, mio 25.5%",
             "  from instruction 2, executed 40 times: 92.2% (WARPSYNC.ALL)",
             "  from instruction 5, executed 4 times: 7.1% (STS [R2])",
             "  70.9% WARPSYNC.ALL [long_sb 100%]",
             "  21.3% HMMA R4 [mio 100%]"])
        with self.assertRaises(ValueError):
            ncu_source.parse('"Kernel Name","k",\n"Address","Source"\n')


class ModelBench(unittest.TestCase):
    """bench/model.py's parts that need no GPU: generate.c's output, the
    weight bytes of a checkpoint, the floor, the table, the settings."""

    GENERATE_OUTPUT = textwrap.dedent("""\
        target: cuda
        batch 2, prompt 6 tokens, 5 generated
        sequence 0: 12 5 7 1 2
        sequence 1: 3 4 5 6 7
        prefill: 12 tokens in 1.234 ms (9724.0 tokens/s)
        decode: 4 steps in 2.345 ms (3411.5 tokens/s, 0.586 ms per step)
        """)

    def test_parse_generate(self):
        r = model_bench.parse_generate(self.GENERATE_OUTPUT)
        self.assertEqual(r, {"target": "cuda", "prefill_tokens": 12,
                             "prefill_ms": 1.234, "decode_steps": 4,
                             "decode_ms": 2.345})
        one = model_bench.parse_generate(
            "target: cpu\nprefill: 1 token in 0.5 ms (2000.0 tokens/s)\n"
            "decode: no steps\n")
        self.assertEqual((one["prefill_tokens"], one["decode_ms"]), (1, None))

    def test_runtime_stats(self):
        """The lines a GPU model prints with ATTN_GPU_STATS=time, rendered
        from the format strings of lib/Runtime/Model.cpp itself, parse."""
        source = open(os.path.join(os.path.dirname(HERE), "lib", "Runtime",
                                   "Model.cpp")).read()
        body = source[source.index("void AttnModel::reportStats"):]
        calls = re.findall(r"std::fprintf\(stderr,((?:\s*\"[^\"]*\")+)", body)
        self.assertEqual(len(calls), 2)
        text = "".join("".join(re.findall(r'"([^"]*)"', c)) for c in calls)
        text = text.replace("%lld", "%d")
        line = text % ("decode", 63, 173.0, 32.0, 0.0, 61.5, 61.5, 17.0, 0.0, 2.0,
                       0.8123)
        stats = model_bench.parse_runtime_stats(line + "\nother output\n")
        self.assertEqual(stats, {"decode": {
            "launches": 173.0, "dependent_launches": 32.0,
            "library_calls": 0.0, "allocations": 61.5, "frees": 61.5, "synchronizations": 17.0, "copies": 0.0,
            "fills": 2.0, "kernel_ms": 0.8123}})
        self.assertEqual(model_bench.parse_runtime_stats("no stats\n"), {})

    def test_rates_and_floor(self):
        r = model_bench.rates(2, 6, 5, 1.0, 4.0)
        self.assertAlmostEqual(r["prefill_tps"], 12000.0)
        self.assertAlmostEqual(r["decode_tps"], 2000.0)   # 2 x 4 tokens in 4 ms
        self.assertAlmostEqual(r["decode_ms_per_step"], 1.0)
        self.assertIsNone(model_bench.rates(1, 8, 1, 1.0, None)["decode_tps"])
        f = model_bench.floor(8, 2e9, 4000.0)             # 2 GB at 4 TB/s
        self.assertAlmostEqual(f["step_ms"], 0.5)
        self.assertAlmostEqual(f["tps"], 16000.0)

    def test_tokens(self):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "t.npy")
            values = [1, 2, 3, 4, 5, 2 ** 40]
            npyfile.write_bytes(p, "<i8", (2, 3), b"".join(
                v.to_bytes(8, "little") for v in values))
            self.assertEqual(model_bench.read_tokens(p), [[1, 2, 3], [4, 5, 2 ** 40]])
            npyfile.write_bytes(p, "<f4", (1, 1), b"\0" * 4)
            with self.assertRaises(ValueError):
                model_bench.read_tokens(p)

    def test_weight_bytes(self):
        make = os.path.join(os.path.dirname(HERE), "test", "Frontend", "Inputs",
                            "make_llama.py")
        with tempfile.TemporaryDirectory() as d:
            for shards in (1, 2):
                m = os.path.join(d, "m%d" % shards)
                subprocess.run([sys.executable, make, m, "--dtype", "bfloat16",
                                "--layers", "2", "--shards", str(shards)],
                               check=True)
                tensors = model_bench.safetensors_tensors(m)
                # make_llama's default: hidden 64, 4/2 heads, inter 128, vocab 32.
                per_layer = 2 * 64 + 64 * 64 * 2 + 2 * 32 * 64 + 3 * 64 * 128
                total = 2 * (2 * 32 * 64 + 2 * per_layer + 64)
                self.assertEqual(sum(t[2] for t in tensors.values()), total)
                embed_row = 2 * 64
                self.assertEqual(model_bench.decode_weight_bytes(tensors, {}, 3),
                                 total - 32 * embed_row + 3 * embed_row)
                self.assertEqual(model_bench.decode_weight_bytes(
                    tensors, {"tie_word_embeddings": True}, 3), total)

    def run_record(self):
        ceil = {"copy_gbps": 4000.0, "matmul_tflops": 800.0}
        model = {"name": "default", "hidden": 64, "layers": 2, "heads": 4,
                 "kv_heads": 2, "head_dim": 16, "inter": 128, "vocab": 32,
                 "dtype": "bfloat16", "parameters": 1e6, "bytes": 2e6}
        batches = []
        for b in (1, 8):
            batches.append({
                "batch": b, "floor": model_bench.floor(b, 2e6, 4000.0),
                "ours": {
                    "warp": dict(model_bench.rates(b, 128, 64, 100.0, 630.0),
                                 matmul="warp"),
                    "cublas": dict(model_bench.rates(b, 128, 64, 10.0, 315.0),
                                   matmul="cublas")},
                "transformers": dict(model_bench.rates(b, 128, 64, 1.0, 63.0))})
        batches[1]["ours"]["cublas"] = {
            "matmul": "cublas",
            "error": "generate-b8-cublas exited with 1: generate: error: "
                     "cuBLAS not found (libcublas.so.13 or .12 | elsewhere)"}
        return {"synthetic": True, "date": "2026-01-02",
                "device": {"name": "Example", "torch": "x", "cuda": "y",
                           "transformers": "z"},
                "ceilings": ceil, "model": model,
                "settings": {"prompt": 128, "generate": 64, "runs": 3,
                             "matmul": ["warp", "cublas"],
                             "cublas": "$ATTN_CUBLAS: /x/libcublas.so.12",
                             "transformers_attention": "sdpa"},
                "batches": batches}

    @staticmethod
    def rows(md):
        """{(batch, system): cells} of a model table."""
        out = {}
        for line in md.splitlines():
            if line.startswith("| ") and not line.startswith("| batch"):
                cells = [c.strip() for c in
                         re.split(r"(?<!\\)\|", line.strip()[1:-1])]
                out[(int(cells[0]), cells[1])] = cells[2:]
        return out

    def test_render(self):
        md = model_bench.render(self.run_record())
        self.assertIn("SYNTHETIC", md)
        rows = self.rows(md)
        self.assertEqual(len(rows), 8)   # 2 batches x (2 variants, tf, floor)
        # batch 1: floor 2e6 tok/s (0.0005 ms a step); warp decodes 100
        # tok/s, cublas 200, transformers 1000.
        self.assertEqual(rows[(1, "ours (warp)")],
                         ["1280", "100.0", "10", "0.005%"])
        self.assertEqual(rows[(1, "ours (cublas)")],
                         ["12800", "200.0", "5", "0.01%"])
        self.assertEqual(rows[(1, "transformers")],
                         ["128000", "1000.0", "1", "0.05%"])
        self.assertEqual(rows[(1, "decode floor")], ["", "2000000", "0.0005", ""])
        # A failed variant is its error in the table (pipes escaped) and in
        # the notes; the other variant and transformers are still there.
        self.assertIn("| 8 | ours (cublas) | error: generate-b8-cublas exited "
                      "with 1: generate: error: cuBLAS not found "
                      "(libcublas.so.13 or .12 \\| elsewhere) | n/a | n/a | "
                      "n/a |", md)
        self.assertEqual(rows[(8, "ours (warp)")][1], "800.0")
        self.assertIn("- batch 8, ours (cublas): generate-b8-cublas exited "
                      "with 1: generate: error: cuBLAS not found", md)
        self.assertIn("  - ours (warp): kernels with a warp per output column", md)
        self.assertIn("  - ours (cublas): cublasGemmEx", md)
        self.assertIn("- cuBLAS of ours (cublas): $ATTN_CUBLAS: /x/libcublas.so.12", md)
        self.assertNotIn("one thread per output element", md)
        self.assertEqual(model_bench.failures(self.run_record()),
                         ["batch 8, ours (cublas)"])
        # A long error is cut in the table, whole in the notes.
        run = self.run_record()
        run["batches"][0]["transformers"] = {"error": "x" * 1000}
        md = model_bench.render(run)
        self.assertIn("| 1 | transformers | error: " + "x" * 157 + "... |", md)
        self.assertIn("- batch 1, transformers: " + "x" * 1000, md)

    def test_matmul_variants(self):
        self.assertEqual(model_bench.matmul_list("warp,cublas"), ["warp", "cublas"])
        self.assertEqual(model_bench.matmul_list("auto,warp,cublas"),
                         ["auto", "warp", "cublas"])
        self.assertEqual(model_bench.matmul_list(" cublas "), ["cublas"])
        for text in ("", "warp,tensor", "warp,warp"):
            with self.assertRaises(SystemExit):
                model_bench.matmul_list(text)
        maps = textwrap.dedent("""\
            7f00-7f01 r-xp 00000000 08:01 1 /usr/lib/libc.so.6
            7f02-7f03 r-xp 00000000 08:01 2 /p/nvidia/cublas/lib/libcublasLt.so.12
            7f04-7f05 r--p 00000000 08:01 3 /p/nvidia/cublas/lib/libcublas.so.12
            7f06-7f07 r-xp 00001000 08:01 3 /p/nvidia/cublas/lib/libcublas.so.12
            7f08-7f09 rw-p 00000000 00:00 0
            7f0a-7f0b r-xp 00000000 08:01 4 /q/libcublas.so.12.not
            """)
        found = model_bench.loaded_cublas(maps)
        self.assertEqual(found, {
            "libcublas": "/p/nvidia/cublas/lib/libcublas.so.12",
            "libcublasLt": "/p/nvidia/cublas/lib/libcublasLt.so.12"})
        env = model_bench.generate_env({"LD_LIBRARY_PATH": "/l"}, "cublas", found)
        self.assertEqual(env["ATTN_CUBLAS"], found["libcublas"])
        self.assertEqual(env["LD_LIBRARY_PATH"], "/p/nvidia/cublas/lib" + os.pathsep + "/l")
        self.assertEqual(env["CUDA_MODULE_LOADING"], "EAGER")
        # auto calls cuBLAS too (for a prefill's projections).
        self.assertEqual(
            model_bench.generate_env({}, "auto", found)["ATTN_CUBLAS"],
            found["libcublas"])
        # The warp variant, a set ATTN_CUBLAS, or no torch cuBLAS: unchanged.
        self.assertNotIn("ATTN_CUBLAS", model_bench.generate_env({}, "warp", found))
        given = {"ATTN_CUBLAS": "/mine.so", "CUDA_MODULE_LOADING": "LAZY"}
        self.assertEqual(model_bench.generate_env(given, "cublas", found), given)
        self.assertEqual(model_bench.generate_env({}, "cublas", {}),
                         {"CUDA_MODULE_LOADING": "EAGER"})
        self.assertIn("$ATTN_CUBLAS: /mine.so", model_bench.cublas_source(given, found))
        self.assertIn("torch's", model_bench.cublas_source({}, found))
        self.assertIn("runtime's search", model_bench.cublas_source({}, {}))

    # Stand-ins for the whole run. attn-compile writes the object as JSON
    # of its options (failing for the variant in $FAKE_COMPILE_FAILS); the
    # C compiler writes a generate program that reads that object and,
    # compiled with matmul=cublas, fails as the runtime does when
    # $ATTN_CUBLAS names no file (the real one searches further).
    FAKE_COMPILE = textwrap.dedent("""\
        import json, os, sys
        args = sys.argv[1:]
        with open(os.environ["FAKE_LOG"], "a") as f:
            f.write(" ".join(args[1:]) + "\\n")
        variant = [a.split("=", 2)[2] for a in args
                   if a.startswith("--gpu-pipeline=matmul=")][0]
        if os.environ.get("FAKE_COMPILE_FAILS") == variant:
            sys.exit("attn-compile: error: synthetic failure of " + variant)
        with open(args[args.index("-o") + 1], "w") as f:
            json.dump({"matmul": variant,
                       "batch": int(args[args.index("--batch") + 1])}, f)
        """)
    FAKE_CC = textwrap.dedent("""\
        import os, sys
        args = sys.argv[1:]
        assert "-ldl" in args and any(a.endswith("generate.c") for a in args)
        obj = [a for a in args if a.endswith(".o")][0]
        program = args[args.index("-o") + 1]
        with open(program, "w") as f:
            f.write("#!%s\\nOBJ = %r\\n" % (sys.executable, obj)
                    + os.environ["FAKE_PROGRAM"])
        os.chmod(program, 0o755)
        """)
    FAKE_PROGRAM = textwrap.dedent("""\
        import json, os, sys
        sys.path.insert(0, @HERE@)
        import npyfile
        with open(OBJ) as f:
            obj = json.load(f)
        if obj["matmul"] == "cublas" and not os.path.isfile(
                os.environ.get("ATTN_CUBLAS", "")):
            sys.exit("generate: error: cuBLAS not found (libcublas.so.13 or "
                     ".12, ...): the model was compiled with matmul=cublas")
        args = sys.argv[1:]
        ids = args[1].split(",")
        steps = int(args[args.index("--steps") + 1])
        fast = obj["matmul"] == "cublas"
        print("target: cuda")
        print("prefill: %d tokens in %.3f ms (0 tokens/s)"
              % (len(ids), 1.0 if fast else 2.0))
        print("decode: %d steps in %.3f ms (0 tokens/s, 0 ms per step)"
              % (steps - 1, 8.0 if fast else 4.0))
        npyfile.write_bytes(args[args.index("--output") + 1], "<i8",
                            (obj["batch"], steps), bytes(8 * obj["batch"] * steps))
        """).replace("@HERE@", repr(HERE))

    def fake_main(self, d, argv, environ):
        """model.main with the stand-ins, a make_llama checkpoint and no
        GPU: (exit status, model.json, model.md, attn-compile's calls)."""
        tools = {}
        for name, body in (("attn-compile", self.FAKE_COMPILE), ("cc", self.FAKE_CC)):
            tools[name] = os.path.join(d, name)
            with open(tools[name], "w") as f:
                f.write("#!%s\n" % sys.executable + body)
            os.chmod(tools[name], 0o755)
        checkpoint = os.path.join(d, "llama")
        if not os.path.isdir(checkpoint):
            subprocess.run([sys.executable, os.path.join(
                os.path.dirname(HERE), "test", "Frontend", "Inputs", "make_llama.py"),
                checkpoint, "--dtype", "bfloat16", "--layers", "2"], check=True)
        out, log = os.path.join(d, "out"), os.path.join(d, "compile.log")
        if os.path.exists(log):
            os.remove(log)
        cuda = types.SimpleNamespace(
            is_available=lambda: True, current_device=lambda: 0,
            get_device_name=lambda: "Example GPU", empty_cache=lambda: None,
            get_device_properties=lambda i: types.SimpleNamespace(
                major=9, minor=0, multi_processor_count=132, total_memory=2 ** 37))
        fake_torch = types.ModuleType("torch")
        fake_torch.cuda, fake_torch.__version__ = cuda, "0+stand-in"
        fake_torch.version = types.SimpleNamespace(cuda="0")
        fake_tf = types.ModuleType("transformers")
        fake_tf.__version__ = "0+stand-in"
        fake_ceilings = types.ModuleType("ceilings")
        fake_ceilings.measure = lambda: {"copy_gbps": 4000.0, "matmul_tflops": 800.0}

        def transformers_rates(hf, prompt, steps, runs, torch):
            r = model_bench.rates(len(prompt), len(prompt[0]), steps, 0.5, 1.0)
            return dict(r, tokens=[[0] * steps for _ in prompt])

        env = {k: v for k, v in os.environ.items() if k != "ATTN_CUBLAS"}
        env.update(environ, FAKE_LOG=log, FAKE_PROGRAM=self.FAKE_PROGRAM)
        with mock.patch.dict(os.environ, env, clear=True), \
                mock.patch.dict(sys.modules, {"torch": fake_torch,
                                              "transformers": fake_tf,
                                              "ceilings": fake_ceilings}), \
                mock.patch.object(model_bench, "read_maps", lambda: ""), \
                mock.patch.object(model_bench, "load_model", lambda m, t:
                                  types.SimpleNamespace(config=types.SimpleNamespace(
                                      _attn_implementation="sdpa"))), \
                mock.patch.object(model_bench, "time_transformers",
                                  transformers_rates), \
                contextlib.redirect_stdout(io.StringIO()):
            status = model_bench.main(
                ["--model", checkpoint, "--attn-compile", tools["attn-compile"],
                 "--runtime", tools["cc"], "--cc", tools["cc"], "--batches", "1,2",
                 "--prompt", "4", "--generate", "3", "--runs", "2",
                 "--out", out, "--work", os.path.join(d, "work")] + argv)
        # A --model checkpoint is the size "custom".
        with open(os.path.join(out, "model-custom.json")) as f:
            run = json.load(f)
        with open(os.path.join(out, "model-custom.md")) as f:
            md = f.read()
        with open(log) as f:
            calls = f.read().splitlines()
        return status, run, md, calls

    def test_variants_end_to_end(self):
        with tempfile.TemporaryDirectory() as d:
            # warp and cublas; no cuBLAS: cublas fails at run time, warp
            # and transformers are measured.
            status, run, md, calls = self.fake_main(
                d, ["--matmul", "warp,cublas"], {})
            self.assertEqual(status, 1)
            # One compile per batch and variant, all at once (any order).
            self.assertEqual(sorted(c.split()[2] for c in calls),
                             ["--gpu-pipeline=matmul=cublas"] * 2 +
                             ["--gpu-pipeline=matmul=warp"] * 2)
            self.assertEqual(run["settings"]["matmul"], ["warp", "cublas"])
            self.assertIn("runtime's search", run["settings"]["cublas"])
            for entry in run["batches"]:
                b = entry["batch"]
                warp, blas = entry["ours"]["warp"], entry["ours"]["cublas"]
                self.assertNotIn("error", warp)
                self.assertAlmostEqual(warp["prefill_tps"], b * 4 / 2e-3)
                self.assertAlmostEqual(warp["decode_tps"], b * 2 / 4e-3)
                self.assertEqual(warp["tokens"], [[0] * 3] * b)
                self.assertIn("generate-b%d-cublas exited with 1: generate: "
                              "error: cuBLAS not found" % b, blas["error"])
                self.assertNotIn("prefill_tps", blas)
                self.assertAlmostEqual(entry["transformers"]["prefill_tps"],
                                       b * 4 / 0.5e-3)
            rows = self.rows(md)
            self.assertEqual(rows[(2, "ours (warp)")][:2], ["4000", "1000.0"])
            self.assertTrue(rows[(2, "ours (cublas)")][0].startswith(
                "error: generate-b2-cublas exited with 1: generate: error: "
                "cuBLAS not found"))
            self.assertEqual(rows[(2, "transformers")][:2], ["16000", "4000.0"])
            self.assertIn((2, "decode floor"), rows)

            # cuBLAS found, the variants in the other order, and warp
            # failing to compile: cublas is still measured.
            blas = os.path.join(d, "libcublas.so.12")
            open(blas, "w").close()
            status, run, md, calls = self.fake_main(
                d, ["--matmul", "cublas,warp"],
                {"ATTN_CUBLAS": blas, "FAKE_COMPILE_FAILS": "warp"})
            self.assertEqual(status, 1)
            self.assertEqual(len(calls), 4)
            self.assertEqual(run["settings"]["cublas"], "$ATTN_CUBLAS: " + blas)
            for entry in run["batches"]:
                self.assertEqual(list(entry["ours"]), ["cublas", "warp"])
                self.assertAlmostEqual(entry["ours"]["cublas"]["decode_tps"],
                                       entry["batch"] * 2 / 8e-3)
                self.assertIn("attn-compile: attn-compile exited with 1: "
                              "attn-compile: error: synthetic failure of warp",
                              entry["ours"]["warp"]["error"])
            self.assertIn("- batch 1, ours (warp): attn-compile:", md)

            # One variant that works: exit status 0.
            status, run, md, calls = self.fake_main(
                d, ["--matmul", "warp"], {})
            self.assertEqual(status, 0)
            self.assertEqual([list(e["ours"]) for e in run["batches"]],
                             [["warp"], ["warp"]])
            self.assertNotIn("ours (cublas)", md)
            self.assertNotIn("cuBLAS of", md)

    def test_settings(self):
        shape = model_bench.model_shape("1b", {"BENCH_LAYERS": "2"})
        self.assertEqual((shape["hidden"], shape["layers"], shape["kv_heads"]),
                         (2048, 2, 4))
        for env in ({"BENCH_HIDDEN": "x"}, {"BENCH_KV_HEADS": "3"},
                    {"BENCH_HIDDEN": "1000", "BENCH_HEADS": "8"}):
            with self.assertRaises(SystemExit):
                model_bench.model_shape("default", env)
        self.assertEqual(model_bench.int_list("1, 8", "b"), [1, 8])
        with self.assertRaises(SystemExit):
            model_bench.int_list("1,0", "b")
        script = os.path.join(HERE, "model.py")
        p = subprocess.run([sys.executable, script, "--help"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        env = dict(os.environ, ATTN_COMPILE="", ATTN_RUNTIME="")
        p = subprocess.run([sys.executable, script], capture_output=True,
                           text=True, timeout=60, env=env)
        self.assertIn("no attn-compile", p.stderr)
        p = subprocess.run([sys.executable, script, "--attn-compile",
                            os.path.join(HERE, "absent"), "--runtime", script],
                           capture_output=True, text=True, timeout=60, env=env)
        self.assertIn("is not an executable file", p.stderr)


@unittest.skipIf(torch is None, "torch is not installed")
class Check(unittest.TestCase):
    """reference.check on the CPU, against a row-by-row float64 attention."""

    def loop_attention(self, case, q, k, v):
        out = torch.zeros(q.shape, dtype=torch.float64)
        for b in range(case.batch):
            for h in range(case.heads_q):
                kv = h // case.group
                for i in range(case.seq_q):
                    keys = case.seq_k
                    if case.causal:
                        keys = max(0, min(case.seq_k, i + case.seq_k - case.seq_q + 1))
                    if keys == 0:
                        continue
                    s = k[b, kv, :keys].double() @ q[b, h, i].double() / case.head_dim ** 0.5
                    out[b, h, i] = torch.softmax(s, 0) @ v[b, kv, :keys].double()
        return out

    def inputs(self, case):
        g = torch.Generator().manual_seed(1)
        mk = lambda *s: torch.randn(*s, generator=g).to(torch.bfloat16)
        return (mk(case.batch, case.heads_q, case.seq_q, case.head_dim),
                mk(case.batch, case.heads_kv, case.seq_k, case.head_dim),
                mk(case.batch, case.heads_kv, case.seq_k, case.head_dim))

    def test_criterion_and_chunks(self):
        import reference
        for case in (cases.Case("a", 2, 4, 2, 5, 7, 16, True),
                     cases.Case("b", 1, 4, 1, 7, 3, 16, True),   # rows that see nothing
                     cases.Case("c", 3, 4, 4, 1, 9, 16, False)):
            q, k, v = self.inputs(case)
            exact = self.loop_attention(case, q, k, v)
            rounded = exact.to(torch.bfloat16)
            nan = rounded.clone()
            nan[0, 0, 0, 0] = float("nan")
            outs = {"exact": rounded, "off": rounded + 0.25, "nan": nan}
            for budget in (1 << 27, 8):  # one chunk, and many
                reference.CHUNK_ELEMENTS = budget
                r = reference.check(case, q, k, v, outs)
                self.assertTrue(r["exact"]["pass"], (case, r["exact"]))
                self.assertLess(r["exact"]["max_err"], 2 ** -8)
                self.assertFalse(r["off"]["pass"])
                self.assertFalse(r["nan"]["pass"])
                self.assertEqual(r["nan"]["nan"], 1)
            reference.CHUNK_ELEMENTS = 1 << 27


@unittest.skipIf(torch is None, "torch is not installed")
class OursOnCPU(unittest.TestCase):
    """bench.run_ours and the check with a stand-in attn-runner that reads
    the .npy inputs, computes the attention in float64 with torch on the CPU
    and writes o.npy in bf16: the file exchange end to end."""

    STAND_IN = textwrap.dedent("""\
        import sys
        sys.path.insert(0, %r)
        import torch, npyfile, reference
        args = dict(a.split("=", 1) for a in sys.argv[2:] if "=" in a)
        paths = [a.split("=", 2)[2] for a in sys.argv[2:] if a.startswith("--input=")]
        q, k, v = (npyfile.load_tensor(p, "bf16", "cpu").double() for p in paths)
        b, hq, sq, d = q.shape
        hkv = k.shape[1]
        o = reference._attend(q.view(b, hkv, hq // hkv, sq, d), k, v, None, d ** -0.5)
        npyfile.save_tensor(args["--output"], o.reshape(q.shape).to(torch.bfloat16), "bf16")
        print("target: cuda (stand-in; schedule none, PTX compiled by the driver), x")
        print("benchmark: kernel time (stand-in): median 1.5 ms, min 1.0 ms over 3 runs")
        """)

    def test_run_ours_and_check(self):
        import argparse
        import bench
        import reference
        case = cases.Case("x", 2, 4, 2, 3, 5, 16, False)
        with tempfile.TemporaryDirectory() as d:
            runner = os.path.join(d, "runner")
            with open(runner, "w") as f:
                f.write("#!%s\n" % sys.executable + self.STAND_IN % HERE)
            os.chmod(runner, 0o755)
            g = torch.Generator().manual_seed(0)
            inputs = [torch.randn(*s, generator=g).to(torch.bfloat16)
                      for s in ((2, 4, 3, 16), (2, 2, 5, 16), (2, 2, 5, 16))]
            args = argparse.Namespace(runner=runner, runs=3, runner_timeout=60)
            ceil = {"matmul_tflops": 1.0, "copy_gbps": 1.0}
            record, out = bench.run_ours(case, inputs, ceil, d, args)
            self.assertIsNone(record["error"], record)
            self.assertEqual(record["ms"], 1.5)
            self.assertEqual(out.shape, inputs[0].shape)
            r = reference.check(case, *inputs, {"attn-mlir": out})["attn-mlir"]
            self.assertTrue(r["pass"], r)


if __name__ == "__main__":
    unittest.main(verbosity=1)
