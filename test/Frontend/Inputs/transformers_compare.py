#!/usr/bin/env python3
"""Checks the tokens a compiled model generated (examples/generate/generate.c
--output, or attn-runner --output of @generate) against Hugging Face
transformers' LlamaForCausalLM loaded from the same model directory: an
implementation of the model written by others, so that a mistake shared by
attn-compile and llama_reference.py (both written here, from the same
reading of the model) cannot pass unseen.

transformers' greedy decoding is computed here by a plain loop, not by
model.generate(): at every step the model runs over the whole sequence so
far, without a KV cache (so the check does not depend on how either side
caches), and the next token is the argmax of the last position's logits,
the lowest id among equal maxima (torch.argmax's rule, and generate.c's).
No repetition penalty, no end-of-sequence stop, no sampling: nothing of
generate()'s defaults or of the checkpoint's generation_config applies.

Each step prints

  sequence b token t: <ours> (transformers <theirs>, margin <m>) PASS|FAIL

with m transformers' top-1 minus top-2 logit. A step whose margin is below
--min-margin is UNDECIDED: two implementations that are both correct may
round their way to either token, so it neither passes nor fails. The
default for float32, 1e-3, is about a hundred times the difference expected
between two float32 computations of these small models (logits of order 1,
float32 accumulation over at most a few hundred terms: 1e-6 to 1e-5), and
far below the typical gap between the top two of a few dozen logits of
order 1. For bfloat16 it is 2^-4 times the step's largest |logit|: every
module hands on activations rounded to 8 significant bits, in an order that
differs between the implementations, so logits can differ by several such
roundings.

After a sequence's first differing token its later tokens are not compared
(they continue different prefixes): a decided difference fails the
sequence; an undecided one ends its comparison without failing, and its
remaining steps count as undecided. The check fails when any decided step
differs, when more than half of all steps are undecided (then it checked
too little), or when transformers' tokens of a sequence take fewer than
three values (llama_generate_reference.py's rule: a sequence that repeats
one token can hide a wrong position or cache length). The last line is
`transformers: PASS`, or `transformers: FAIL (why)` with exit status 1.

  transformers_compare.py MODEL_DIR TOKENS.npy --tokens=1,5,7,... \\
      [--device cuda|cpu] [--dtype float32|bfloat16] [--min-margin M]

TOKENS.npy holds int64 [B, N]. --tokens is the prompt given to generate.c:
B x S ids, sequence after sequence, or S ids used for every sequence
(B > 1); --seq-len S decides between the two where the count allows both
(without it, a count that is a multiple of B is read as B x S).
"""

import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from llama_reference import read_npy  # noqa: E402

PROG = "transformers_compare.py"
DEFAULT_MIN_MARGIN = {"float32": 1e-3}
BF16_RELATIVE_MARGIN = 2.0 ** -4


def fail(message):
    sys.exit("%s: error: %s" % (PROG, message))


def parse_ids(text):
    ids = []
    for i, item in enumerate(text.split(",")):
        if not re.fullmatch(r"[0-9]+", item):
            fail("--tokens item %d ('%s') is not a token id (a non-negative "
                 "decimal integer)" % (i + 1, item))
        ids.append(int(item))
    return ids


def prompts(ids, batch, seq_len):
    """The B prompts, by generate.c's rule: B x S ids, or S ids for every
    sequence when B > 1."""
    if seq_len is not None and seq_len < 1:
        fail("--seq-len must be at least 1")
    if seq_len is None:
        seq_len = len(ids) // batch if len(ids) % batch == 0 else len(ids)
    if len(ids) == batch * seq_len:
        return [ids[b * seq_len:(b + 1) * seq_len] for b in range(batch)]
    if batch > 1 and len(ids) == seq_len:
        return [list(ids) for _ in range(batch)]
    fail("--tokens has %d ids, but %d sequences of %d take %d (or %d, used "
         "for every sequence)" % (len(ids), batch, seq_len, batch * seq_len,
                                  seq_len))


def checkpoint_dtype(model_dir):
    try:
        with open(os.path.join(model_dir, "config.json")) as f:
            config = json.load(f)
    except (OSError, ValueError) as e:
        fail("cannot read %s/config.json: %s" % (model_dir, e))
    return config, config.get("torch_dtype") or config.get("dtype")


def transformers_greedy(model_dir, prompt_rows, steps, device, dtype_name):
    """transformers' greedy tokens and top-2 margins, [B][N] each, and the
    largest |logit| of each step (for the bfloat16 margin)."""
    # Everything is local; the test machines have no network to wait for.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        import torch
        import transformers
        from transformers import LlamaForCausalLM
    except ImportError as e:
        fail("needs torch and transformers (%s)" % e)
    if device == "cuda" and not torch.cuda.is_available():
        fail("--device cuda, but torch sees no CUDA device (use --device cpu)")
    # float32 must mean float32: no TF32 in the matmuls.
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    dtype = {"float32": torch.float32, "bfloat16": torch.bfloat16}[dtype_name]
    # transformers 5 renamed from_pretrained's torch_dtype to dtype.
    major = int(transformers.__version__.split(".")[0])
    kwargs = {"dtype": dtype} if major >= 5 else {"torch_dtype": dtype}
    try:
        model = LlamaForCausalLM.from_pretrained(
            model_dir, attn_implementation="eager", **kwargs)
    except Exception as e:  # transformers raises many types; say which file
        fail("transformers cannot load %s: %s: %s"
             % (model_dir, type(e).__name__, e))
    model = model.to(device).eval()
    print("transformers %s, torch %s, %s on %s (eager attention)"
          % (transformers.__version__, torch.__version__, dtype_name,
             torch.cuda.get_device_name() if device == "cuda" else "cpu"))

    seq = torch.tensor(prompt_rows, dtype=torch.long, device=device)
    tokens, margins, scales = [], [], []
    with torch.no_grad():
        for _ in range(steps):
            logits = model(input_ids=seq, use_cache=False).logits[:, -1, :]
            logits = logits.double()
            top = torch.topk(logits, 2, dim=-1).values
            # torch.argmax gives the first of equal maxima.
            nxt = torch.argmax(logits, dim=-1)
            tokens.append(nxt.tolist())
            margins.append((top[:, 0] - top[:, 1]).tolist())
            scales.append(logits.abs().max(dim=-1).values.tolist())
            seq = torch.cat([seq, nxt[:, None]], dim=1)
    # [N][B] -> [B][N]
    flip = lambda rows: [list(col) for col in zip(*rows)]  # noqa: E731
    return flip(tokens), flip(margins), flip(scales)


def main():
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("model", help="the model directory (config.json, safetensors)")
    ap.add_argument("generated", help="the generated ids, int64 [B, N] .npy")
    ap.add_argument("--tokens", required=True,
                    help="the prompt ids given to generate (comma-separated)")
    ap.add_argument("--seq-len", type=int,
                    help="prompt tokens per sequence, where the count is "
                         "ambiguous")
    ap.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    ap.add_argument("--dtype", choices=["float32", "bfloat16"],
                    help="transformers' dtype (default: the checkpoint's)")
    ap.add_argument("--min-margin", type=float,
                    help="top-2 margin below which a step is UNDECIDED "
                         "(default 1e-3 for float32, 2^-4 x max|logit| for "
                         "bfloat16)")
    a = ap.parse_args()

    # Everything that needs no torch is checked before the (slow) import.
    config, stored = checkpoint_dtype(a.model)
    dtype = a.dtype or stored
    if dtype not in ("float32", "bfloat16"):
        fail("the checkpoint's dtype is %s; pass --dtype float32 or bfloat16"
             % stored)
    if a.min_margin is not None and a.min_margin < 0:
        fail("--min-margin must not be negative")
    shape, got = read_npy(a.generated, "<i8", "q", "int64")
    if len(shape) != 2 or shape[0] < 1 or shape[1] < 1:
        fail("%s: expected [B, N] tokens with B, N >= 1, got shape %s"
             % (a.generated, shape))
    batch, steps = shape
    if len(got) != batch * steps:
        fail("%s: shape %s, but %d values" % (a.generated, shape, len(got)))
    ours = [got[b * steps:(b + 1) * steps] for b in range(batch)]
    ids = parse_ids(a.tokens)
    vocab = config.get("vocab_size")
    if isinstance(vocab, int):
        for i, t in enumerate(ids):
            if t >= vocab:
                fail("--tokens item %d (%d) is not below the vocabulary size "
                     "%d" % (i + 1, t, vocab))
    rows = prompts(ids, batch, a.seq_len)
    print("prompt: %d sequence%s of %d ids; %d generated each"
          % (batch, "" if batch == 1 else "s", len(rows[0]), steps))

    theirs, margins, scales = transformers_greedy(a.model, rows, steps,
                                                  a.device, dtype)

    decided = undecided = 0
    failed = []
    few_values = []
    for b in range(batch):
        # None while the prefixes agree; then why this sequence stopped.
        stopped = None
        for t in range(steps):
            if a.min_margin is not None:
                threshold = a.min_margin
            elif dtype == "bfloat16":
                threshold = BF16_RELATIVE_MARGIN * scales[b][t]
            else:
                threshold = DEFAULT_MIN_MARGIN[dtype]
            line = ("sequence %d token %d: %d (transformers %d, margin %.3e)"
                    % (b, t, ours[b][t], theirs[b][t], margins[b][t]))
            if stopped:
                # After a failure the sequence has failed already; after an
                # undecided difference these steps went unchecked.
                undecided += stopped == "undecided"
                print(line + " NOT COMPARED (an earlier token differs)")
                continue
            same = ours[b][t] == theirs[b][t]
            if margins[b][t] < threshold:
                undecided += 1
                print(line + " UNDECIDED (margin below %.3e)" % threshold)
                if not same:
                    stopped = "undecided"
                continue
            decided += 1
            print(line + (" PASS" if same else " FAIL"))
            if not same:
                failed.append(b)
                stopped = "failed"
        if steps >= 3 and len(set(theirs[b])) < 3:
            print("sequence %d: transformers' tokens take %d values; pick a "
                  "prompt whose continuation varies FAIL"
                  % (b, len(set(theirs[b]))))
            few_values.append(b)

    why = []
    if failed:
        why.append("sequence%s %s differ%s on a decided step"
                   % ("" if len(failed) == 1 else "s",
                      ", ".join(map(str, failed)),
                      "s" if len(failed) == 1 else ""))
    total = batch * steps
    if 2 * undecided > total:
        why.append("%d of %d steps undecided" % (undecided, total))
    if few_values:
        why.append("fewer than 3 distinct tokens in sequence%s %s"
                   % ("" if len(few_values) == 1 else "s",
                      ", ".join(map(str, few_values))))
    if why:
        print("transformers: FAIL (%s)" % "; ".join(why))
        return 1
    print("transformers: PASS (%d steps decided, %d undecided)"
          % (decided, undecided))
    return 0


if __name__ == "__main__":
    sys.exit(main())
