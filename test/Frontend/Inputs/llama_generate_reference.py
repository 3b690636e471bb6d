#!/usr/bin/env python3
"""Checks the tokens attn-runner generated with `attn-compile --generate=N`'s
@generate against greedy decoding computed here in float64 from the same
config.json and safetensors (llama_reference.py's model, nothing shared
with the compiler).

The reference recomputes the whole sequence at every step, with no KV
cache, so it also checks that the compiled caches hold what a full forward
pass would compute. At each step the compiled token must be ref64's argmax
of the last position's logits, and that argmax must be decisive: ref64's top
two logits further apart than twice llama_reference.py's bound (twice the
naive dtype computation's error plus one rounding of the largest logit),
so that a correct compiler could not pick another token. Each sequence's
tokens must also take at least three values: a sequence that repeats one
token can hide a wrong position or cache length.

  llama_generate_reference.py MODEL TOKENS.npy --tokens=1,5,7,...

TOKENS.npy is attn-runner --output of @generate, [B, N] of int64; --tokens
the prompt given to attn-runner --tokens, B x S ids.
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from llama_reference import (Llama, Precision, UNIT_ROUNDOFF,  # noqa: E402
                             read_npy, read_safetensors)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("model", help="the model directory")
    ap.add_argument("generated", help="attn-runner --output of @generate")
    ap.add_argument("--tokens", required=True,
                    help="the prompt ids given to attn-runner --tokens")
    a = ap.parse_args()

    with open(os.path.join(a.model, "config.json")) as f:
        config = json.load(f)
    dtype = config.get("torch_dtype") or config.get("dtype")
    tensors = read_safetensors(a.model)
    shape, got = read_npy(a.generated, "<i8", "q", "int64")
    if len(shape) != 2 or len(got) != shape[0] * shape[1]:
        sys.exit("%s: expected [B, N] tokens, got shape %s with %d values"
                 % (a.generated, shape, len(got)))
    batch, steps = shape
    prompt = [int(t) for t in a.tokens.split(",")]
    if len(prompt) % batch:
        sys.exit("--tokens has %d ids, not a multiple of the batch %d"
                 % (len(prompt), batch))
    seq_len = len(prompt) // batch
    ref_model = Llama(config, tensors, Precision(False, dtype), None)
    naive_model = Llama(config, tensors, Precision(True, dtype), None)

    ok = True
    for b in range(batch):
        seq = prompt[b * seq_len:(b + 1) * seq_len]
        start = len(seq)
        for i in range(steps):
            ref = ref_model.forward(seq, len(seq))[-1]
            naive = naive_model.forward(seq, len(seq))[-1]
            naive_err = max(abs(n - r) for n, r in zip(naive, ref))
            bound = 2 * naive_err + UNIT_ROUNDOFF[dtype] * max(map(abs, ref))
            want = max(range(len(ref)), key=lambda v: ref[v])
            margin = ref[want] - max(x for v, x in enumerate(ref) if v != want)
            token = got[b * steps + i]
            good = token == want and margin > 2 * bound
            print("sequence %d token %d: %d (float64 %d, margin %.3e, "
                  "bound %.3e) %s" % (b, i, token, want, margin, bound,
                                      "PASS" if good else "FAIL"))
            ok = ok and good
            # Go on from the reference's token, so that one wrong token
            # does not make every later one wrong too.
            seq = seq + [want]
        distinct = len(set(seq[start:]))
        if steps >= 3 and distinct < 3:
            print("sequence %d: the reference's tokens take %d values; pick "
                  "a prompt whose continuation varies FAIL" % (b, distinct))
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
