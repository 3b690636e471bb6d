"""Runs attn-runner on one case and reads what it prints.

attn-runner compiles the case's module for the GPU, reads q, k and v from
.npy files, writes o.npy, and with --benchmark=N times N more launches with
CUDA events over its own rotating copies of the inputs. It is run without
--check: its float64 reference runs single-threaded on the CPU and takes
minutes on the large shapes; bench.py checks o.npy on the GPU instead.
Parsing is pure Python so that it can be tested against the runner's output
format (lib/Runner/Benchmark.cpp, Runner.cpp, GPUTarget.cpp) anywhere.
"""
import os
import re
import subprocess
import time

# The launch hold of every timed call, ours and the peers' (hold_us),
# unless $BENCH_HOLD_US says otherwise: longer than the host takes to queue
# any peer's call (PyTorch dispatch, FlexAttention's compiled wrapper). On an
# H100 (2026-12-05) a 300 us hold left attn-runner's decode times within 2%
# of those without, and cuDNN's MQA batch-64 decode took 0.052 ms with it
# where the run before, without it, had 0.073: its dispatch was in the span.
DEFAULT_HOLD_US = "300"

NUMBER = r"([0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|nan|inf)"
KERNEL_TIME = re.compile(r"^benchmark: (kernel time.*): median " + NUMBER +
                         r" ms, min " + NUMBER + r" ms over ([0-9]+) runs$")
FLOOR = re.compile(r"^benchmark: floor " + NUMBER + r" ms at")
FIRST_CALL = re.compile(r"^time: " + NUMBER + r" ms \(first call")
COMPILE = re.compile(r"^compile: " + NUMBER + r" ms \((.*)\)$")
KERNEL_LOAD = re.compile(r"kernel load " + NUMBER + r" ms")
TARGET = re.compile(r"^target: (.*)$")
SCHEDULE = re.compile(r"; schedule (.*), (PTX compiled by the driver|\S+ from ptxas)\)")


def command(runner, module, q, k, v, out, runs, peaks, extra=()):
    """The attn-runner command line for one case."""
    return [runner, module, "--target=cuda",
            "--input=0=" + q, "--input=1=" + k, "--input=2=" + v,
            "--output=" + out, "--benchmark=%d" % runs,
            "--peak-tflops=%.6g" % peaks["matmul_tflops"],
            "--peak-gbps=%.6g" % peaks["copy_gbps"]] + list(extra)


def parse_output(text):
    """What bench.py keeps of the runner's stdout: the median and minimum
    kernel time, the floor, the first call's wall time, the compile time
    (all of it, and the kernels' load, where the driver compiles PTX), the
    target line and the schedule it names."""
    r = {"ms": None, "min_ms": None, "runs": None, "timed": None,
         "floor_ms": None, "first_call_ms": None, "compile_ms": None,
         "kernel_load_ms": None, "target": None, "schedule": None,
         "device": None}
    for line in text.splitlines():
        line = line.rstrip()
        if m := KERNEL_TIME.match(line):
            r["timed"], r["ms"], r["min_ms"] = m[1], float(m[2]), float(m[3])
            r["runs"] = int(m[4])
        elif m := FLOOR.match(line):
            r["floor_ms"] = float(m[1])
        elif m := FIRST_CALL.match(line):
            r["first_call_ms"] = float(m[1])
        elif m := COMPILE.match(line):
            r["compile_ms"] = float(m[1])
            if k := KERNEL_LOAD.search(m[2]):
                r["kernel_load_ms"] = float(k[1])
        elif m := TARGET.match(line):
            r["target"] = m[1]
            if s := SCHEDULE.search(m[1]):
                r["schedule"] = s[1]
                # The device part, without the case's schedule.
                r["device"] = m[1][:s.start()] + ", " + s[2] + ")"
    return r


def run(cmd, timeout_s):
    """Runs the runner; returns (parsed output, error text or None). The
    whole process's wall time is kept too: it includes parsing, lowering,
    the driver's PTX JIT, the .npy I/O and the timed runs, so it is an upper
    bound on compile time, not a measure of it."""
    start = time.monotonic()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return None, "attn-runner did not finish in %d s" % timeout_s
    except OSError as e:
        return None, "cannot run %s: %s" % (cmd[0], e)
    wall = time.monotonic() - start
    parsed = parse_output(p.stdout)
    parsed["wall_s"] = wall
    parsed["stdout"] = p.stdout[-4000:]
    if p.returncode != 0:
        why = (p.stderr.strip() or p.stdout.strip()).splitlines()
        return parsed, "attn-runner exited %d: %s" % (
            p.returncode, why[-1][:300] if why else "(no output)")
    if parsed["ms"] is None:
        return parsed, "attn-runner printed no 'benchmark: kernel time' line"
    return parsed, None


def hold_us():
    """Microseconds each timed call, ours or a peer's, holds the device before
    its start event: $BENCH_HOLD_US, else DEFAULT_HOLD_US; 0 turns it off."""
    return float(os.environ.get("BENCH_HOLD_US", DEFAULT_HOLD_US))


def extra_args():
    """Extra runner flags from BENCH_RUNNER_ARGS (e.g. --schedule=sm80), and
    the launch hold (hold_us) as --benchmark-hold."""
    args = os.environ.get("BENCH_RUNNER_ARGS", "").split()
    if hold_us() > 0:
        args.append("--benchmark-hold=%g" % hold_us())
    return args
