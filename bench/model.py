#!/usr/bin/env python3
"""A whole Llama model compiled by attn-compile against Hugging Face
transformers on the same GPU in the same run, next to the weight-bandwidth
floor of a decode step.

What the numbers measure: in the GPU object, attention and the KV caches
are attn-mlir's kernels; the projections (every C[m,n] += A[m,k] * B[n,k]
matmul: Q, K, V and O, the MLP, the LM head) are one of three variants,
chosen with --matmul, each compiled into its own object
(attn-compile --gpu-pipeline=matmul=<variant>) and measured on its own:

  warp    kernels with a warp per output column that read each weight row
          once, coalesced: the shape of a decode step, which is bound by
          reading the weights; no tensor cores. attn-compile's default.
  cublas  calls of cublasGemmEx through the runtime library (f32
          accumulation, tensor cores). The runtime opens cuBLAS when the
          program runs: libcublas.so.13 or .12 from the library path,
          $CUDA_HOME/lib64 or /usr/local/cuda/lib64, or the file named by
          $ATTN_CUBLAS.
  auto    cublas for a projection of 16 rows or more (a prefill's, one row
          a prompt token), warp for fewer (a decode step's, one row a
          sequence): each step on the variant that measured faster for it.

Every other op of the graph (RoPE, elementwise ops, the embedding) is a
one-thread-per-element kernel in all, but the norms' row sums, which are a
warp a row. The variants run on the same
model, prompt and GPU in the same run, next to transformers and the
decode floor: what the choice between generated tensor-core code and
cuBLAS for the projections is decided on (cublas is what tensor cores give
through the library, the bar a generated tensor-core schedule must reach;
warp is the generated code of today, without them).

  1. Measures the device's ceilings (ceilings.py: a bf16 8192^3 matmul and
     a 1 GiB device-to-device copy, medians of CUDA-event-timed runs).
  2. Makes a bf16 Llama model directory with transformers itself
     (LlamaConfig + LlamaForCausalLM with its random initialisation,
     save_pretrained), or takes --model. Default shape: hidden 1024, 8
     layers, 16 query heads over 4 KV heads (head_dim 64), intermediate
     2816 (Llama's 8/3 x hidden, rounded up to a multiple of 256), vocab
     8192: about 107M parameters (213 MB), large enough that a decode step
     reads far more weight bytes than launch overheads cost, small enough
     that the one-thread-per-element kernels run the benchmark in
     minutes. --size 1b (BENCH_SIZE=1b) is the 1B shape of the
     cross-layer attention paper that examples/cla1b_gqa4.mlir uses
     (hidden 2048, 20 layers, head_dim 128, so 16 query heads, 4 KV
     heads), with intermediate 5632 and vocab 32000 (TinyLlama's and
     Llama 2's; the examples fix only the attention shape): about 1.03B
     parameters. Each dimension can be overridden
     (BENCH_HIDDEN, BENCH_LAYERS, BENCH_HEADS, BENCH_KV_HEADS, BENCH_INTER,
     BENCH_VOCAB).
  3. Ours, per batch and per --matmul variant: attn-compile --emit=object
     --target=cuda --gpu-pipeline=matmul=<variant> (all of them at once,
     one process each, since each takes tens of seconds on one core),
     linked with examples/generate/generate.c and libattn_runtime.a, run
     --runs times
     on the same seeded random prompt; the prefill and decode times it
     prints (wall clock around each attnModelPrefill / attnModelDecode
     call, the device-to-host copy of the logits included, the host argmax
     not) are kept as medians over the runs. Each run is a new process;
     generate.c runs one untimed prefill first, so the timed prefill does
     not pay the first call's one-time costs (first launches, cuBLAS's
     handle). CUDA_MODULE_LOADING=EAGER (unless set otherwise)
     has the driver load every kernel when the program starts, so that
     loading is not in the timed calls. A variant that fails (say, cuBLAS
     not found: generate exits with an error naming cuBLAS) is recorded
     with its error, and the other variants and transformers still run.
     Unless $ATTN_CUBLAS is set, the cublas and auto variants' runs get
     ATTN_CUBLAS set to the libcublas that torch loaded in this process,
     with its directory first on LD_LIBRARY_PATH (for libcublasLt), so
     that both sides use the same cuBLAS, where torch has one as a
     separate library.
     Their prefill is the call that opens cuBLAS and
     makes its handle: a one-time cost inside its prefill time.
  4. transformers, per batch, on the same directory and prompt (bf16 on the
     GPU, its default attention implementation): prefill is one forward
     over the prompt with use_cache=True (only the last position's logits
     where the forward can skip the others); decode is the loop of
     single-token forwards through the returned past_key_values, the argmax
     of each step's logits fed to the next: the calls model.generate()
     makes for greedy decoding, without its logits processors and stopping
     checks. Wall clock with torch.cuda.synchronize() around each part,
     one untimed warm-up, then the medians over --runs runs.
  5. The decode floor: the bytes of weights one decode step must read
     (every tensor of the safetensors files once, but of the embedding
     table only the B gathered rows, where the LM head has its own matrix;
     the KV caches' bytes are left out, a few percent at these lengths)
     over the copy bandwidth measured in step 1 (bytes read plus written
     per second: the rate the memory moves bytes at). A step reads the
     weights once for the whole batch, so the floor is B tokens per
     (weight bytes / bandwidth) seconds.

Counting as generate.c does: a batch of B prompts of S tokens, N generated
tokens per sequence; prefill tok/s = B*S / prefill time, decode tok/s =
B*(N-1) / time of the N-1 decode steps (the prefill gives the first token).

Writes <results-root>/<date>-<device>/model[-<size>].json and .md (or into
--out), prints the table, and exits 1 when a step of a variant of ours or
of transformers failed (after writing what was measured). Every side's
tokens are recorded; they are not compared (bf16 greedy steps of a randomly
initialised model are mostly within rounding: test/Integration/CUDA/
transformers.test compares tokens in float32). bench/model.sh finds
attn-compile and the runtime library and calls this.
"""
import argparse
import concurrent.futures
import datetime
import json
import os
import random
import re
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import npyfile  # noqa: E402
import results as res  # noqa: E402

PROG = "model.py"

# hidden, layers, query heads, KV heads, intermediate, vocab (see above).
SIZES = {
    "default": {"hidden": 1024, "layers": 8, "heads": 16, "kv_heads": 4,
                "inter": 2816, "vocab": 8192},
    "1b": {"hidden": 2048, "layers": 20, "heads": 16, "kv_heads": 4,
           "inter": 5632, "vocab": 32000},
}
OVERRIDES = {"hidden": "BENCH_HIDDEN", "layers": "BENCH_LAYERS",
             "heads": "BENCH_HEADS", "kv_heads": "BENCH_KV_HEADS",
             "inter": "BENCH_INTER", "vocab": "BENCH_VOCAB"}

NUMBER = r"([0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)"
PREFILL = re.compile(r"^prefill: ([0-9]+) tokens? in " + NUMBER + r" ms")
DECODE = re.compile(r"^decode: ([0-9]+) steps? in " + NUMBER + r" ms")
TARGET = re.compile(r"^target: (\S+)")
# What a GPU model reports on stderr with ATTN_GPU_STATS=time (Model.cpp).
RUNTIME_STATS = re.compile(
    r"^attn runtime, (prefill|decode): [0-9]+ calls; a call: ([0-9.]+) kernel "
    r"launches \(([0-9.]+) programmatic dependents\), ([0-9.]+) library calls, ([0-9.]+) allocations, ([0-9.]+) "
    r"frees, ([0-9.]+) host synchronizations, ([0-9.]+) copies, ([0-9.]+) "
    r"fills; kernels " + NUMBER + r" ms$")

# The projections' variants (attn-compile --gpu-pipeline=matmul=<variant>),
# as the table's notes describe them.
MATMULS = {
    "warp": "kernels with a warp per output column, each weight row read "
            "once, coalesced; no tensor cores",
    "cublas": "cublasGemmEx through the runtime library, tensor cores, f32 "
              "accumulation; cuBLAS is opened in generate's untimed "
              "warm-up prefill",
    "auto": "cublas for the projections of 16 rows or more (a prefill's), "
            "warp kernels for the others (a decode step's)",
}
# The variants that call cuBLAS, and so need it found.
USES_CUBLAS = ("cublas", "auto")
CUBLAS_FILE = re.compile(r"libcublas(Lt)?\.so(\.[0-9]+)*$")


def fail(message):
    sys.exit("%s: error: %s" % (PROG, message))


# ---------------------------------------------------------------------------
# Pure Python: settings, parsing, bytes, rates, the table (test_bench.py)
# ---------------------------------------------------------------------------

def int_list(text, what):
    try:
        values = [int(v) for v in re.split(r"[,\s]+", text.strip()) if v]
    except ValueError:
        fail("%s '%s' is not a list of integers" % (what, text))
    if not values or min(values) < 1:
        fail("%s '%s': every value must be at least 1" % (what, text))
    return values


def matmul_list(text):
    """The --matmul variants, in the order given."""
    names = [v for v in re.split(r"[,\s]+", text.strip()) if v]
    if not names:
        fail("--matmul '%s' names no variant (of %s)" % (text, ", ".join(MATMULS)))
    for name in names:
        if name not in MATMULS:
            fail("--matmul: unknown variant '%s' (one of %s)"
                 % (name, ", ".join(MATMULS)))
    if len(set(names)) != len(names):
        fail("--matmul '%s' names a variant twice" % text)
    return names


def ours_label(variant):
    return "ours (%s)" % variant


def loaded_cublas(maps_text):
    """{"libcublas": path, "libcublasLt": path} of the cuBLAS libraries
    mapped into a process, from its /proc/<pid>/maps text."""
    found = {}
    for line in maps_text.splitlines():
        fields = line.split(None, 5)
        if len(fields) == 6:
            path = fields[5].strip()
            m = CUBLAS_FILE.search(os.path.basename(path))
            if m and path.startswith("/"):
                found.setdefault("libcublas" + (m.group(1) or ""), path)
    return found


def generate_env(environ, variant, cublas):
    """The environment of one variant's generate runs: `environ` with
    CUDA_MODULE_LOADING=EAGER unless set; for cublas, unless ATTN_CUBLAS is
    set, ATTN_CUBLAS naming the libcublas of `cublas` (loaded_cublas's
    answer) and its libraries' directories first on LD_LIBRARY_PATH."""
    env = dict(environ)
    env.setdefault("CUDA_MODULE_LOADING", "EAGER")
    if (variant in USES_CUBLAS and not environ.get("ATTN_CUBLAS")
            and cublas.get("libcublas")):
        env["ATTN_CUBLAS"] = cublas["libcublas"]
        dirs = []
        for key in ("libcublas", "libcublasLt"):
            if cublas.get(key) and os.path.dirname(cublas[key]) not in dirs:
                dirs.append(os.path.dirname(cublas[key]))
        if environ.get("LD_LIBRARY_PATH"):
            dirs.append(environ["LD_LIBRARY_PATH"])
        env["LD_LIBRARY_PATH"] = os.pathsep.join(dirs)
    return env


def cublas_source(environ, cublas):
    """Which cuBLAS the cublas variant's runs open, in words."""
    if environ.get("ATTN_CUBLAS"):
        return "$ATTN_CUBLAS: %s" % environ["ATTN_CUBLAS"]
    if cublas.get("libcublas"):
        return "torch's, as $ATTN_CUBLAS: %s" % cublas["libcublas"]
    return ("the runtime's search (library path, $CUDA_HOME/lib64, "
            "/usr/local/cuda/lib64); torch has no separate libcublas loaded")


def model_shape(size, environ):
    """The preset `size` with the BENCH_<DIM> overrides of `environ`."""
    if size not in SIZES:
        fail("unknown size '%s' (one of %s)" % (size, ", ".join(SIZES)))
    shape = dict(SIZES[size])
    for key, var in OVERRIDES.items():
        if environ.get(var):
            if (not re.fullmatch(r"[0-9]+", environ[var])
                    or int(environ[var]) < 1):
                fail("%s='%s' is not a positive integer" % (var, environ[var]))
            shape[key] = int(environ[var])
    if shape["hidden"] % shape["heads"] or shape["heads"] % shape["kv_heads"]:
        fail("hidden %d, %d heads, %d KV heads: the heads must divide hidden "
             "and the KV heads the heads" % (shape["hidden"], shape["heads"],
                                             shape["kv_heads"]))
    if (shape["hidden"] // shape["heads"]) % 2:
        fail("head_dim %d is odd; RoPE needs an even one"
             % (shape["hidden"] // shape["heads"]))
    return shape


def prompt_ids(batch, length, vocab, seed):
    """B x S ids, seeded by the batch size as well, so that each batch has
    its own prompts and a rerun the same ones."""
    rng = random.Random(seed * 1000003 + batch)
    return [[rng.randrange(vocab) for _ in range(length)] for _ in range(batch)]


def parse_generate(text):
    """What generate.c prints: target, prefill tokens and ms, decode steps
    and ms; None where a line is missing."""
    r = {"target": None, "prefill_tokens": None, "prefill_ms": None,
         "decode_steps": None, "decode_ms": None}
    for line in text.splitlines():
        m = TARGET.match(line)
        if m:
            r["target"] = m.group(1)
        m = PREFILL.match(line)
        if m:
            r["prefill_tokens"], r["prefill_ms"] = int(m.group(1)), float(m.group(2))
        m = DECODE.match(line)
        if m:
            r["decode_steps"], r["decode_ms"] = int(m.group(1)), float(m.group(2))
    return r


def parse_runtime_stats(text):
    """{phase: {launches, dependent_launches, library_calls, allocations,
    frees, synchronizations, copies, fills, kernel_ms}} per call, from the lines
    a GPU model prints on stderr with ATTN_GPU_STATS=time."""
    keys = ["launches", "dependent_launches", "library_calls", "allocations", "frees",
            "synchronizations", "copies", "fills", "kernel_ms"]
    stats = {}
    for line in text.splitlines():
        m = RUNTIME_STATS.match(line.strip())
        if m:
            stats[m.group(1)] = dict(zip(keys, map(float, m.groups()[1:])))
    return stats


def read_tokens(path):
    """The [B, N] int64 ids generate.c --output wrote, as lists."""
    with open(path, "rb") as f:
        data = f.read()
    descr, shape, offset = npyfile.parse_header(data)
    if descr != "<i8" or len(shape) != 2:
        raise ValueError("%s: expected int64 [B, N], got %s %s"
                         % (path, descr, shape))
    values = struct.unpack_from("<%dq" % (shape[0] * shape[1]), data, offset)
    return [list(values[b * shape[1]:(b + 1) * shape[1]])
            for b in range(shape[0])]


def safetensors_tensors(model_dir):
    """{name: (dtype, shape, bytes)} from the safetensors headers of
    model_dir (one file or the index's shards); reads headers only."""
    index = os.path.join(model_dir, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            files = sorted(set(json.load(f)["weight_map"].values()))
    else:
        files = ["model.safetensors"]
    tensors = {}
    for name in files:
        with open(os.path.join(model_dir, name), "rb") as f:
            (length,) = struct.unpack("<Q", f.read(8))
            header = json.loads(f.read(length))
        for key, entry in header.items():
            if key != "__metadata__":
                begin, end = entry["data_offsets"]
                tensors[key] = (entry["dtype"], entry["shape"], end - begin)
    return tensors


def decode_weight_bytes(tensors, config, batch):
    """Weight bytes one decode step of `batch` tokens reads: every tensor
    once, except that an untied embedding table is only gathered from (its
    `batch` rows)."""
    total = sum(t[2] for t in tensors.values())
    embed = tensors.get("model.embed_tokens.weight")
    if embed and not config.get("tie_word_embeddings", False):
        rows = embed[1][0]
        total -= embed[2] - embed[2] // rows * min(batch, rows)
    return total


def rates(batch, prompt, steps, prefill_ms, decode_ms):
    """Tokens per second as generate.c counts them (see the docstring)."""
    r = {"prefill_ms": prefill_ms, "decode_ms": decode_ms,
         "prefill_tps": None, "decode_tps": None, "decode_ms_per_step": None}
    if prefill_ms:
        r["prefill_tps"] = batch * prompt / (prefill_ms * 1e-3)
    if decode_ms and steps > 1:
        r["decode_tps"] = batch * (steps - 1) / (decode_ms * 1e-3)
        r["decode_ms_per_step"] = decode_ms / (steps - 1)
    return r


def floor(batch, weight_bytes, copy_gbps):
    """The decode floor: time to read the weights once at the copy rate,
    and the batch's tokens per second at that time."""
    seconds = weight_bytes / (copy_gbps * 1e9)
    return {"weight_bytes": weight_bytes, "step_ms": seconds * 1e3,
            "tps": batch / seconds}


def _num(v, digits=0):
    if v is None:
        return "n/a"
    return "%.*f" % (digits, v)


def _frac(a, b):
    if a is None or not b:
        return "n/a"
    f = a / b
    return "%.2g%%" % (100 * f) if f < 0.1 else "%.0f%%" % (100 * f)


def _ms(v):
    return "n/a" if v is None else "%.3g" % v


def _cell(text, limit=160):
    """An error as one table cell: one line, at most `limit` characters
    (the notes below the table have it whole), pipes escaped."""
    text = " ".join(str(text).split())
    if len(text) > limit:
        text = text[:limit - 3] + "..."
    return text.replace("|", "\\|")


def variants(run):
    """The --matmul variants of a run, in its order."""
    names = list(run["settings"].get("matmul") or [])
    for b in run["batches"]:
        names += [v for v in (b.get("ours") or {}) if v not in names]
    return names


def systems(entry):
    """(label, record) of each system measured at a batch: ours' variants
    in their order, then transformers."""
    out = [(ours_label(v), r or {}) for v, r in (entry.get("ours") or {}).items()]
    if "transformers" in entry:
        out.append(("transformers", entry["transformers"] or {}))
    return out


def failures(run):
    """"batch B, <system>" for each system that failed at some batch."""
    return ["batch %d, %s" % (b["batch"], label)
            for b in run["batches"] for label, r in systems(b)
            if r.get("error")]


def render(run):
    """The markdown table of a model run."""
    m, c = run["model"], run["ceilings"]
    out = ["# attn-compile model vs transformers, %s" % run["date"], ""]
    if run.get("synthetic"):
        out += ["**SYNTHETIC: fabricated numbers, not a measurement.**", ""]
    out += [
        "- device: %s (torch %s, CUDA %s, transformers %s, driver %s)"
        % (run["device"].get("name"), run["device"].get("torch"),
           run["device"].get("cuda"), run["device"].get("transformers"),
           run["device"].get("driver", "n/a")),
        "- model: %s: hidden %d, %d layers, %d/%d heads (head_dim %d), "
        "intermediate %d, vocab %d, %s; %.1fM parameters, %.1f MB of weights"
        % (m["name"], m["hidden"], m["layers"], m["heads"], m["kv_heads"],
           m["head_dim"], m["inter"], m["vocab"], m["dtype"],
           m["parameters"] / 1e6, m["bytes"] / 1e6),
        "- prompt %d tokens, %d generated per sequence; medians of %d runs"
        % (run["settings"]["prompt"], run["settings"]["generate"],
           run["settings"]["runs"]),
        "- ceilings (same run): device copy %.0f GB/s (read + written), "
        "bf16 matmul %.0f TFLOP/s" % (c["copy_gbps"], c["matmul_tflops"]),
        "- ours: GPU object; attention and the KV caches attn-mlir's kernels, "
        "RoPE, elementwise ops and the embedding one-thread-per-element "
        "kernels, the norms' row sums a warp a row; the projections (every "
        "C += A B^T matmul) by variant:",
    ]
    for v in variants(run):
        out.append("  - %s: %s" % (ours_label(v), MATMULS.get(v, "?")))
    if run["settings"].get("cublas"):
        out.append("- cuBLAS of ours (cublas): %s" % run["settings"]["cublas"])
    out += [
        "- transformers: bf16, attention '%s', past_key_values loop"
        % run["settings"].get("transformers_attention", "n/a"),
        "",
        "| batch | system | prefill tok/s | decode tok/s | decode ms/step | "
        "decode / floor |",
        "|---|---|---|---|---|---|",
    ]
    notes = []
    for b in run["batches"]:
        fl = b["floor"]
        for label, r in systems(b):
            if r.get("error"):
                out.append("| %d | %s | error: %s | n/a | n/a | n/a |"
                           % (b["batch"], label, _cell(r["error"])))
                notes.append("batch %d, %s: %s" % (b["batch"], label, r["error"]))
                continue
            out.append("| %d | %s | %s | %s | %s | %s |" % (
                b["batch"], label, _num(r.get("prefill_tps")),
                _num(r.get("decode_tps"), 1), _ms(r.get("decode_ms_per_step")),
                _frac(r.get("decode_tps"), fl["tps"])))
        out.append("| %d | decode floor | | %s | %s | |"
                   % (b["batch"], _num(fl["tps"]), _ms(fl["step_ms"])))
    out += ["", "Decode floor: the weight bytes a step reads (%.1f MB at batch "
            "1) over the copy bandwidth; a step serves the whole batch. Tok/s "
            "count every sequence of the batch." % (
                run["batches"][0]["floor"]["weight_bytes"] / 1e6
                if run["batches"] else 0)]
    host = host_side_lines(run)
    if host:
        out += ["", "Host side of ours, per call (one more run with "
                "ATTN_GPU_STATS=time: the runtime counts what compiled code "
                "asks of it, and CUDA events time each kernel; the wall "
                "time of a decode step is the table's):", ""] + host
    if notes:
        out += ["", "Errors:", ""] + ["- " + n for n in notes]
    return "\n".join(out) + "\n"


def host_side_lines(run):
    """One markdown line per (batch, variant of ours) with runtime stats."""
    lines = []
    for b in run["batches"]:
        for label, r in systems(b):
            for phase, s in sorted(r.get("runtime_stats", {}).items()):
                wall = r.get("decode_ms_per_step") if phase == "decode" else None
                lines.append(
                    "- batch %d, %s, %s: %.0f kernel launches%s, %.0f library "
                    "calls, %.0f allocations, %.0f frees, %.0f host "
                    "synchronizations, %.0f copies, %.0f fills; kernels %s ms%s"
                    % (b["batch"], label, phase, s["launches"],
                       # Runs recorded before the runtime counted them.
                       " (%.0f programmatic dependents)"
                       % s["dependent_launches"]
                       if "dependent_launches" in s else "",
                       s["library_calls"], s["allocations"], s["frees"],
                       s["synchronizations"], s["copies"], s["fills"],
                       _ms(s["kernel_ms"]),
                       " of a %s ms step" % _ms(wall) if wall else ""))
    return lines


def out_paths(args, device_name, size_label):
    out_dir = args.out or os.path.join(
        args.results_root, "%s-%s" % (datetime.date.today().isoformat(),
                                      res.device_slug(device_name)))
    stem = "model" if size_label == "default" else "model-" + size_label
    return (os.path.join(out_dir, stem + ".json"),
            os.path.join(out_dir, stem + ".md"))


def write_outputs(run, json_path, md_path):
    os.makedirs(os.path.dirname(json_path), exist_ok=True)
    with open(json_path, "w") as f:
        json.dump(run, f, indent=1)
        f.write("\n")
    with open(md_path, "w") as f:
        f.write(render(run))


# ---------------------------------------------------------------------------
# Ours: compile, link, run
# ---------------------------------------------------------------------------

def run_command(cmd, timeout, env=None):
    """(stdout, error or None) of a command, with its stderr's tail as the
    error when it fails."""
    try:
        p = subprocess.run(cmd, capture_output=True, text=True,
                           timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return "", "%s: no result after %d s" % (os.path.basename(cmd[0]), timeout)
    except OSError as e:
        return "", "%s: %s" % (cmd[0], e)
    if p.returncode != 0:
        tail = (p.stderr.strip() or p.stdout.strip())[-2000:]
        return p.stdout, "%s exited with %d: %s" % (
            os.path.basename(cmd[0]), p.returncode, tail)
    return p.stdout, None


def build_ours(args, model_dir, batch, variant, work):
    """Compiles and links the object of `variant` for `batch`: (program,
    record)."""
    stem = "b%d-%s" % (batch, variant)
    obj = os.path.join(work, "model-%s.o" % stem)
    program = os.path.join(work, "generate-%s" % stem)
    record = {"matmul": variant}
    start = time.monotonic()
    _, error = run_command(
        [args.attn_compile, model_dir, "--emit=object", "--target=cuda",
         "--gpu-pipeline=matmul=" + variant,
         "--batch", str(batch), "--seq-len", str(args.prompt),
         "--generate", str(args.generate), "-o", obj], args.compile_timeout)
    record["compile_s"] = round(time.monotonic() - start, 1)
    if error:
        record["error"] = "attn-compile: " + error
        return None, record
    _, error = run_command(
        args.cc.split() + ["-std=c99", "-I" + os.path.join(ROOT, "include"),
                           os.path.join(ROOT, "examples", "generate", "generate.c"),
                           obj, args.runtime, "-lstdc++", "-lm", "-ldl",
                           "-o", program], 300)
    if error:
        record["error"] = "link: " + error
        return None, record
    return program, record


def run_ours(args, program, model_dir, prompt, record, env):
    """Runs the program --runs times; fills `record` with the medians."""
    batch = len(prompt)
    ids = ",".join(str(t) for row in prompt for t in row)
    tokens_path = program + "-tokens.npy"
    prefill, decode = [], []
    for _ in range(args.runs):
        out, error = run_command(
            [program, model_dir, ids, "--steps", str(args.generate),
             "--output", tokens_path], args.run_timeout, env)
        if error:
            record["error"] = error
            return record
        parsed = parse_generate(out)
        if parsed["target"] != "cuda" or parsed["prefill_ms"] is None or (
                args.generate > 1 and parsed["decode_ms"] is None):
            record["error"] = ("unexpected output of generate: %s"
                               % out.strip()[-500:])
            return record
        prefill.append(parsed["prefill_ms"])
        decode.append(parsed["decode_ms"])
    record.update(rates(batch, args.prompt, args.generate,
                        statistics.median(prefill),
                        statistics.median(decode) if args.generate > 1 else None))
    record["prefill_ms_runs"], record["decode_ms_runs"] = prefill, decode
    try:
        record["tokens"] = read_tokens(tokens_path)
    except (OSError, ValueError) as e:
        record["error"] = "cannot read the generated tokens: %s" % e
        return record
    # One more run, untimed by us, for the host side of a call: the runtime
    # counts its calls and times each kernel with events.
    stats_env = dict(env or os.environ, ATTN_GPU_STATS="time")
    try:
        p = subprocess.run([program, model_dir, ids, "--steps",
                            str(args.generate)], capture_output=True,
                           text=True, timeout=args.run_timeout, env=stats_env)
        record["runtime_stats"] = parse_runtime_stats(p.stderr)
    except (subprocess.TimeoutExpired, OSError) as e:
        record["runtime_stats_error"] = str(e)
    return record


def build_all(args, model_dir, work):
    """Every (batch, variant) object, compiled and linked at once, one
    attn-compile process each (they are single-threaded, and a GPU machine
    has cores to spare): {(batch, variant): (program, record)}."""
    jobs = [(b, v) for b in args.batch_list for v in args.matmul_list]
    print("ours: compiling %d objects at once" % len(jobs), flush=True)

    def build(job):
        try:
            return build_ours(args, model_dir, job[0], job[1], work)
        except Exception as e:  # this object only
            return None, {"matmul": job[1],
                          "error": "%s: %s" % (type(e).__name__, e)}

    with concurrent.futures.ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return dict(zip(jobs, pool.map(build, jobs)))


def measure_ours(args, model_dir, prompt, variant, built, env):
    """One variant of ours at the prompt's batch, `built` by build_all: run
    (its record; a failure is the record's `error`)."""
    batch, label = len(prompt), ours_label(variant)
    program, record = built
    if program:
        print("%s, batch %d: running (compiled in %.0f s)"
              % (label, batch, record["compile_s"]), flush=True)
        run_ours(args, program, model_dir, prompt, record, env)
    if record.get("error"):
        print("%s, batch %d: %s" % (label, batch, record["error"]), flush=True)
    return record


# ---------------------------------------------------------------------------
# transformers
# ---------------------------------------------------------------------------

def transformers_major(transformers):
    return int(transformers.__version__.split(".")[0])


def make_model(path, shape, max_positions, seed, torch):
    """A random bf16 LlamaForCausalLM saved as save_pretrained writes it."""
    import transformers
    from transformers import LlamaConfig, LlamaForCausalLM
    config = LlamaConfig(
        vocab_size=shape["vocab"], hidden_size=shape["hidden"],
        intermediate_size=shape["inter"], num_hidden_layers=shape["layers"],
        num_attention_heads=shape["heads"],
        num_key_value_heads=shape["kv_heads"],
        max_position_embeddings=max_positions, tie_word_embeddings=False)
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config).to(torch.bfloat16)
    # transformers 5 writes only safetensors and dropped the switch.
    kwargs = ({} if transformers_major(transformers) >= 5
              else {"safe_serialization": True})
    model.save_pretrained(path, **kwargs)
    del model


def load_model(model_dir, torch):
    import transformers
    from transformers import LlamaForCausalLM
    key = "dtype" if transformers_major(transformers) >= 5 else "torch_dtype"
    model = LlamaForCausalLM.from_pretrained(model_dir, **{key: torch.bfloat16})
    return model.to("cuda").eval()


def last_logits_only(model):
    """The forward's keyword that computes only the last position's logits
    (its name changed across transformers versions), as generate() uses."""
    import inspect
    params = inspect.signature(model.forward).parameters
    for name in ("logits_to_keep", "num_logits_to_keep"):
        if name in params:
            return {name: 1}
    return {}


def time_transformers(model, prompt, steps, runs, torch):
    """Medians of prefill and decode wall times over `runs` runs after one
    warm-up, and the last run's tokens."""
    ids = torch.tensor(prompt, dtype=torch.long, device="cuda")
    keep = last_logits_only(model)

    def once():
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        out = model(input_ids=ids, use_cache=True, **keep)
        torch.cuda.synchronize()
        t1 = time.perf_counter()
        nxt = out.logits[:, -1, :].argmax(dim=-1, keepdim=True)
        past, tokens = out.past_key_values, [nxt]
        torch.cuda.synchronize()
        t2 = time.perf_counter()
        for _ in range(steps - 1):
            out = model(input_ids=nxt, past_key_values=past, use_cache=True)
            past = out.past_key_values
            nxt = out.logits[:, -1, :].argmax(dim=-1, keepdim=True)
            tokens.append(nxt)
        torch.cuda.synchronize()
        t3 = time.perf_counter()
        return (t1 - t0) * 1e3, (t3 - t2) * 1e3, torch.cat(tokens, 1).tolist()

    with torch.inference_mode():
        once()
        timed = [once() for _ in range(runs)]
    prefill = [t[0] for t in timed]
    decode = [t[1] for t in timed]
    record = rates(len(prompt), len(prompt[0]), steps,
                   statistics.median(prefill),
                   statistics.median(decode) if steps > 1 else None)
    record["prefill_ms_runs"], record["decode_ms_runs"] = prefill, decode
    record["tokens"] = timed[-1][2]
    return record


# ---------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------

def env_int(name, default):
    text = os.environ.get(name)
    if not text:
        return default
    if not re.fullmatch(r"[0-9]+", text):
        fail("%s='%s' is not a non-negative integer" % (name, text))
    return int(text)


def parse_args(argv):
    env = os.environ.get
    p = argparse.ArgumentParser(prog=PROG, description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--attn-compile", default=env("ATTN_COMPILE"),
                   help="attn-compile (default $ATTN_COMPILE; model.sh finds one)")
    p.add_argument("--runtime", default=env("ATTN_RUNTIME"),
                   help="libattn_runtime.a (default $ATTN_RUNTIME)")
    p.add_argument("--cc", default=env("CC", "cc"),
                   help="C compiler and driver for the link (default $CC or cc)")
    p.add_argument("--model",
                   help="an existing bf16 Llama directory to use instead of "
                        "making one (then the size settings do not apply)")
    p.add_argument("--size", default=env("BENCH_SIZE", "default"),
                   choices=sorted(SIZES),
                   help="model shape preset (default $BENCH_SIZE or default)")
    p.add_argument("--batches", default=env("BENCH_BATCHES", "1,8"),
                   help="batch sizes, comma-separated (default $BENCH_BATCHES "
                        "or 1,8)")
    p.add_argument("--matmul", default=env("BENCH_MATMUL", "auto,warp,cublas"),
                   help="variants of the projections to measure, "
                        "comma-separated, each its own object (attn-compile "
                        "--gpu-pipeline=matmul=<variant>): auto, warp, "
                        "cublas "
                        "(default $BENCH_MATMUL or auto,warp,cublas)")
    p.add_argument("--prompt", type=int, default=env_int("BENCH_PROMPT", 128),
                   help="prompt tokens per sequence (default $BENCH_PROMPT or 128)")
    p.add_argument("--generate", type=int,
                   default=env_int("BENCH_GENERATE", 64),
                   help="tokens generated per sequence (default "
                        "$BENCH_GENERATE or 64)")
    p.add_argument("--runs", type=int, default=env_int("BENCH_MODEL_RUNS", 3),
                   help="timed runs per system (each variant of ours, "
                        "transformers) and batch (default $BENCH_MODEL_RUNS "
                        "or 3)")
    p.add_argument("--seed", type=int, default=env_int("BENCH_SEED", 0),
                   help="seed of the weights and prompts (default $BENCH_SEED or 0)")
    p.add_argument("--out", default=env("BENCH_OUT"),
                   help="directory for model.json and model.md (default "
                        "$BENCH_OUT, else <results-root>/<date>-<device>)")
    p.add_argument("--results-root",
                   default=env("BENCH_RESULTS", os.path.join(HERE, "results")),
                   help="where the dated directory goes (default "
                        "$BENCH_RESULTS or bench/results)")
    p.add_argument("--work", help="keep the model, objects and programs here "
                                  "(default: a temporary directory, removed)")
    p.add_argument("--compile-timeout", type=int,
                   default=env_int("BENCH_COMPILE_TIMEOUT", 1800),
                   help="seconds one attn-compile may take (default 1800)")
    p.add_argument("--run-timeout", type=int,
                   default=env_int("BENCH_RUN_TIMEOUT", 600),
                   help="seconds one generate run may take (default 600)")
    a = p.parse_args(argv)
    a.batch_list = int_list(a.batches, "--batches")
    a.matmul_list = matmul_list(a.matmul)
    for name in ("prompt", "generate", "runs"):
        if getattr(a, name) < 1:
            fail("--%s must be at least 1" % name)
    return a


def check_tools(args):
    """Everything that needs no GPU is checked before the slow parts."""
    if not args.attn_compile:
        fail("no attn-compile: pass --attn-compile or set ATTN_COMPILE "
             "(bench/model.sh does)")
    if not args.runtime:
        fail("no runtime library: pass --runtime or set ATTN_RUNTIME "
             "(bench/model.sh does)")
    if not (os.path.isfile(args.attn_compile) and
            os.access(args.attn_compile, os.X_OK)):
        fail("attn-compile %s is not an executable file" % args.attn_compile)
    if not os.path.isfile(args.runtime):
        fail("runtime library %s does not exist" % args.runtime)
    if not shutil.which(args.cc.split()[0]):
        fail("no C compiler '%s' (set CC)" % args.cc)
    if args.model and not os.path.isfile(os.path.join(args.model, "config.json")):
        fail("%s has no config.json" % args.model)


def read_maps():
    """This process's memory map (Linux), or "" where there is none."""
    try:
        with open("/proc/self/maps") as f:
            return f.read()
    except OSError:
        return ""


def device_info(torch, transformers):
    props = torch.cuda.get_device_properties(torch.cuda.current_device())
    info = {"name": torch.cuda.get_device_name(),
            "capability": "%d.%d" % (props.major, props.minor),
            "sms": props.multi_processor_count,
            "memory_gib": round(props.total_memory / 2 ** 30, 1),
            "torch": torch.__version__, "cuda": torch.version.cuda,
            "transformers": transformers.__version__}
    out, error = run_command(["nvidia-smi", "--query-gpu=driver_version",
                              "--format=csv,noheader"], 30)
    if not error and out.strip():
        info["driver"] = out.strip().splitlines()[0]
    return info


def describe_model(model_dir, tensors, config):
    heads = config["num_attention_heads"]
    dtype = config.get("torch_dtype") or config.get("dtype")
    parameters = 0
    for _, shape, _ in tensors.values():
        count = 1
        for d in shape:
            count *= d
        parameters += count
    return {"dir": model_dir, "dtype": dtype,
            "hidden": config["hidden_size"],
            "layers": config["num_hidden_layers"], "heads": heads,
            "kv_heads": config.get("num_key_value_heads", heads),
            "head_dim": config.get("head_dim") or config["hidden_size"] // heads,
            "inter": config["intermediate_size"], "vocab": config["vocab_size"],
            "tied": bool(config.get("tie_word_embeddings", False)),
            "parameters": parameters,
            "bytes": sum(t[2] for t in tensors.values())}


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    shape = None if args.model else model_shape(args.size, os.environ)
    check_tools(args)
    # Everything is local; the GPU machine has no network to wait for.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        import torch
        import transformers
    except ImportError as e:
        fail("needs torch and transformers (%s)" % e)
    if not torch.cuda.is_available():
        fail("torch sees no CUDA device")
    import ceilings as ceilings_mod

    device = device_info(torch, transformers)
    print("device: %s" % device["name"], flush=True)
    ceilings = ceilings_mod.measure()
    print("ceilings: device copy %.0f GB/s, bf16 matmul %.0f TFLOP/s"
          % (ceilings["copy_gbps"], ceilings["matmul_tflops"]), flush=True)
    # torch has run a matmul: the cuBLAS it uses is loaded by now.
    cublas = loaded_cublas(read_maps())

    work = args.work or tempfile.mkdtemp(prefix="attn-model-bench-")
    os.makedirs(work, exist_ok=True)
    try:
        if args.model:
            model_dir, size_label = os.path.abspath(args.model), "custom"
        else:
            model_dir, size_label = os.path.join(work, "model"), args.size
            print("making the model with transformers: %s" % json.dumps(shape),
                  flush=True)
            make_model(model_dir, shape, max(2048, args.prompt + args.generate),
                       args.seed, torch)
        with open(os.path.join(model_dir, "config.json")) as f:
            config = json.load(f)
        tensors = safetensors_tensors(model_dir)
        model = describe_model(model_dir, tensors, config)
        model["name"] = size_label
        if model["dtype"] != "bfloat16":
            fail("%s holds %s weights; the benchmark is of bf16 models"
                 % (model_dir, model["dtype"]))
        print("model: %.1fM parameters, %.1f MB" % (model["parameters"] / 1e6,
                                                    model["bytes"] / 1e6),
              flush=True)

        run = {"synthetic": False,
               "date": datetime.date.today().isoformat(),
               "started": datetime.datetime.now().isoformat(timespec="seconds"),
               "device": device, "ceilings": ceilings, "model": model,
               "settings": {"prompt": args.prompt, "generate": args.generate,
                            "runs": args.runs, "seed": args.seed,
                            "attn_compile": args.attn_compile,
                            "matmul": args.matmul_list,
                            "cublas": (cublas_source(os.environ, cublas)
                                       if any(v in USES_CUBLAS
                                              for v in args.matmul_list)
                                       else None),
                            "cuda_module_loading": os.environ.get(
                                "CUDA_MODULE_LOADING", "EAGER")},
               "batches": []}
        if not args.work and model["dir"].startswith(work):
            model["dir"] = None  # a temporary directory, gone after the run
        json_path, md_path = out_paths(args, device["name"], size_label)
        prompts = {b: prompt_ids(b, args.prompt, model["vocab"], args.seed)
                   for b in args.batch_list}

        # Ours first, with no transformers model in device memory.
        built = build_all(args, model_dir, work)
        for batch in args.batch_list:
            entry = {"batch": batch, "ours": {},
                     "floor": floor(batch,
                                    decode_weight_bytes(tensors, config, batch),
                                    ceilings["copy_gbps"])}
            run["batches"].append(entry)
            for variant in args.matmul_list:
                try:
                    record = measure_ours(
                        args, model_dir, prompts[batch], variant,
                        built[batch, variant],
                        generate_env(os.environ, variant, cublas))
                except Exception as e:  # this variant only
                    record = {"matmul": variant,
                              "error": "%s: %s" % (type(e).__name__, e)}
                entry["ours"][variant] = record
                write_outputs(run, json_path, md_path)

        torch.cuda.empty_cache()
        try:
            hf = load_model(model_dir, torch)
            run["settings"]["transformers_attention"] = getattr(
                hf.config, "_attn_implementation", None)
        except Exception as e:  # keep ours' results; say why
            hf, why = None, "cannot load the model: %s: %s" % (type(e).__name__, e)
        for entry in run["batches"]:
            batch = entry["batch"]
            print("transformers, batch %d" % batch, flush=True)
            if hf is None:
                entry["transformers"] = {"error": why}
                continue
            try:
                entry["transformers"] = time_transformers(
                    hf, prompts[batch], args.generate, args.runs, torch)
            except Exception as e:  # one batch (say, out of memory) only
                entry["transformers"] = {"error": "%s: %s" % (type(e).__name__, e)}
                torch.cuda.empty_cache()
            write_outputs(run, json_path, md_path)
        write_outputs(run, json_path, md_path)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)

    print()
    print(render(run))
    print("results: %s, %s" % (json_path, md_path))
    bad = failures(run)
    if bad:
        print("FAILED: %s" % "; ".join(bad))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
