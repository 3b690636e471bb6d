#!/usr/bin/env python3
"""Checks the logits attn-runner computed for `attn-compile --emit=mlir`'s
@prefill against LlamaForCausalLM's math computed here from the same
config.json and safetensors, with nothing shared with the compiler.

The model is computed twice, by one implementation with two precisions:

  ref64  every value in float64, no rounding anywhere;
  naive  what a straightforward implementation in the model's dtype does:
         float32 arithmetic, each operation rounded to float32 (matmul and
         attention sums accumulated in float32, rounded after every add),
         and tensors rounded to the dtype where transformers' modules hand
         them on (after each projection, RoPE product and sum, attention,
         residual add, RMSNorm, silu and the SwiGLU product).

The criterion is FlashAttention's: the compiled logits may be at most twice
as far from ref64 as the naive ones are, plus a floor,

  max|out - ref64| <= 2 * max|naive - ref64| + u * max|ref64|

with u the dtype's unit roundoff (2^-24 f32, 2^-11 f16, 2^-8 bf16). The
factor 2 allows the compiled code its own summation order and roundings
(for instance a different rounding of one bf16 activation, which the later
layers carry on); the floor, one rounding of the largest logit, covers a
naive run that happens to round luckily. The greedy next token (the argmax
of each sequence's last logits) must equal ref64's, and ref64's top two
logits must be further apart than twice the bound, so that the comparison
decides something.

--ablate rope|causal computes the references without RoPE or without the
causal mask: the compiled logits must then FAIL, which shows that the bound
is tight enough to see either mistake.

Only the standard library is used (no NumPy); the sizes are tiny.
"""

import argparse
import ast
import json
import math
import os
import struct
import sys
from array import array
from operator import add, mul

UNIT_ROUNDOFF = {"float32": 2.0 ** -24, "float16": 2.0 ** -11,
                 "bfloat16": 2.0 ** -8}

_F16 = struct.Struct("<e")


def round_bf16(x):
    # bfloat16 keeps 8 significant bits; frexp's mantissa lies in [0.5, 1).
    if x == 0.0 or not math.isfinite(x):
        return x
    m, e = math.frexp(x)
    return math.ldexp(round(math.ldexp(m, 8)), e - 8)


def round_f16(x):
    return _F16.unpack(_F16.pack(x))[0]


def f32_list(values):
    """Rounds every value to float32 (array('f') rounds to nearest even)."""
    return array("f", values).tolist()


# ---------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------

def read_safetensors(directory):
    """{name: (dtype, shape, flat list of floats)} of every file."""
    index = os.path.join(directory, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            files = sorted(set(json.load(f)["weight_map"].values()))
    else:
        files = ["model.safetensors"]
    tensors = {}
    for name in files:
        with open(os.path.join(directory, name), "rb") as f:
            data = f.read()
        (length,) = struct.unpack("<Q", data[:8])
        header = json.loads(data[8:8 + length])
        base = 8 + length
        for key, entry in header.items():
            if key == "__metadata__":
                continue
            begin, end = entry["data_offsets"]
            raw = data[base + begin:base + end]
            dtype = entry["dtype"]
            if dtype == "F32":
                values = array("f", raw).tolist()
            elif dtype == "F16":
                values = [v for (v,) in struct.iter_unpack("<e", raw)]
            elif dtype == "BF16":
                words = array("H", raw)
                values = array("f", struct.pack(
                    "<%dI" % len(words), *[w << 16 for w in words])).tolist()
            else:
                sys.exit("unsupported dtype %s of %s" % (dtype, key))
            tensors[key] = (dtype, entry["shape"], values)
    return tensors


def read_npy(path, descr, typecode, what):
    """(shape, values) of an .npy file of dtype `descr` in C order, read as
    array(`typecode`); `what` names the dtype in the message otherwise."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:6] != b"\x93NUMPY":
        sys.exit("%s: not an .npy file" % path)
    major = data[6]
    if major == 1:
        (hlen,) = struct.unpack("<H", data[8:10])
        start = 10
    else:
        (hlen,) = struct.unpack("<I", data[8:12])
        start = 12
    header = ast.literal_eval(data[start:start + hlen].decode("latin1"))
    if header["descr"] != descr or header["fortran_order"]:
        sys.exit("%s: expected little-endian %s in C order" % (path, what))
    return header["shape"], array(typecode, data[start + hlen:]).tolist()


def read_npy_f32(path):
    return read_npy(path, "<f4", "f", "float32")


# ---------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------

class Precision:
    """Identity roundings for ref64, float32 and dtype roundings for naive."""

    def __init__(self, naive, dtype):
        self.naive = naive
        if not naive:
            self.op = self.dtype = lambda x: x
            self.op_list = self.dtype_list = lambda xs: list(xs)
            return
        self.op = lambda x: array("f", [x])[0]
        self.op_list = f32_list
        one = {"float32": lambda x: array("f", [x])[0],
               "float16": round_f16, "bfloat16": round_bf16}[dtype]
        self.dtype = one
        self.dtype_list = (f32_list if dtype == "float32"
                           else lambda xs: [one(x) for x in xs])

    def dot_rows(self, x, w):
        """x [N][K] times w [O][K] transposed: [N][O], not yet rounded to
        the dtype. Naive accumulates in float32, one rounding per add."""
        if not self.naive:
            return [[math.fsum(map(mul, row, wrow)) for wrow in w] for row in x]
        columns = list(zip(*w))  # [K][O]
        out = []
        for row in x:
            acc = array("f", bytes(4 * len(w)))
            for xk, column in zip(row, columns):
                products = array("f", map(mul, [xk] * len(column), column))
                acc = array("f", map(add, acc, products))
            out.append(acc.tolist())
        return out

    def dot(self, a, b):
        if not self.naive:
            return math.fsum(map(mul, a, b))
        acc = 0.0
        for p in f32_list(map(mul, a, b)):
            acc = self.op(acc + p)
        return acc


class Llama:
    def __init__(self, config, tensors, precision, ablate):
        self.c = config
        self.p = precision
        self.ablate = ablate
        self.w = {}
        for name, (_, shape, values) in tensors.items():
            if len(shape) == 2:
                cols = shape[1]
                self.w[name] = [values[r * cols:(r + 1) * cols]
                                for r in range(shape[0])]
            else:
                self.w[name] = values
        self.heads = config["num_attention_heads"]
        self.kv_heads = config.get("num_key_value_heads", self.heads)
        self.head_dim = config.get("head_dim") or (
            config["hidden_size"] // self.heads)
        self.eps = config["rms_norm_eps"]
        rope = config.get("rope_parameters") or {}
        self.theta = config.get("rope_theta", rope.get("rope_theta", 10000.0))
        self.sharing = config.get("cla_sharing_factor", 1)

    def linear(self, x, name):
        return [self.p.dtype_list(row) for row in self.p.dot_rows(x, self.w[name])]

    def rms_norm(self, x, name):
        p, weight = self.p, self.w[name]
        out = []
        for row in x:
            if p.naive:
                acc = 0.0
                for v in row:
                    acc = p.op(acc + p.op(v * v))
                variance = p.op(acc / len(row))
                scale = p.op(1.0 / p.op(math.sqrt(p.op(variance + p.op(self.eps)))))
            else:
                variance = math.fsum(v * v for v in row) / len(row)
                scale = 1.0 / math.sqrt(variance + self.eps)
            normed = p.dtype_list(p.op_list(v * scale for v in row))
            out.append(p.dtype_list(p.op_list(map(mul, weight, normed))))
        return out

    def rope_tables(self, seq_len):
        d, half, p = self.head_dim, self.head_dim // 2, self.p
        if p.naive:
            inv = [p.op(1.0 / p.op(self.theta ** p.op(2 * i / d)))
                   for i in range(half)]
        else:
            inv = [self.theta ** (-2 * i / d) for i in range(half)]
        cos, sin = [], []
        for s in range(seq_len):
            angles = [p.op(s * f) for f in inv] * 2
            cos.append(p.dtype_list(p.op_list(math.cos(a) for a in angles)))
            sin.append(p.dtype_list(p.op_list(math.sin(a) for a in angles)))
        return cos, sin

    def rope(self, vec, cos, sin):
        half, p = self.head_dim // 2, self.p
        rotated = [-v for v in vec[half:]] + vec[:half]
        first = p.dtype_list(p.op_list(map(mul, vec, cos)))
        second = p.dtype_list(p.op_list(map(mul, rotated, sin)))
        return p.dtype_list(p.op_list(map(add, first, second)))

    def attention(self, q, k, v, seq_len):
        """q [S][Hq][D], k and v [S][Hkv][D] of one sequence."""
        p, d = self.p, self.head_dim
        group = self.heads // self.kv_heads
        scale = p.op(1.0 / math.sqrt(d))
        out = [[None] * self.heads for _ in range(seq_len)]
        for h in range(self.heads):
            kvh = h // group
            for i in range(seq_len):
                last = seq_len if self.ablate == "causal" else i + 1
                scores = [p.op(p.dot(q[i][h], k[j][kvh]) * scale)
                          for j in range(last)]
                top = max(scores)
                weights = [p.op(math.exp(p.op(s - top))) for s in scores]
                total = 0.0
                for wgt in weights:
                    total = p.op(total + wgt)
                probs = [p.op(wgt / total) for wgt in weights]
                row = []
                for e in range(d):
                    row.append(p.dot(probs, [v[j][kvh][e] for j in range(last)]))
                out[i][h] = p.dtype_list(row)
        return out

    def forward(self, tokens, seq_len):
        """Logits [S][V] of one sequence."""
        p, d = self.p, self.head_dim
        x = [list(self.w["model.embed_tokens.weight"][t]) for t in tokens]
        cos, sin = self.rope_tables(seq_len)
        shared = None
        for layer in range(self.c["num_hidden_layers"]):
            pre = "model.layers.%d." % layer
            h = self.rms_norm(x, pre + "input_layernorm.weight")

            def heads(rows, count):
                return [[row[i * d:(i + 1) * d] for i in range(count)]
                        for row in rows]

            def roped(t):
                if self.ablate == "rope":
                    return t
                return [[self.rope(vec, cos[s], sin[s]) for vec in t[s]]
                        for s in range(seq_len)]

            q = roped(heads(self.linear(h, pre + "self_attn.q_proj.weight"),
                            self.heads))
            if layer % self.sharing == 0:
                k = roped(heads(self.linear(h, pre + "self_attn.k_proj.weight"),
                                self.kv_heads))
                v = heads(self.linear(h, pre + "self_attn.v_proj.weight"),
                          self.kv_heads)
                shared = (k, v)
            att = self.attention(q, shared[0], shared[1], seq_len)
            att = [sum(att[s], []) for s in range(seq_len)]
            o = self.linear(att, pre + "self_attn.o_proj.weight")
            x = [p.dtype_list(p.op_list(map(add, a, b))) for a, b in zip(x, o)]

            h = self.rms_norm(x, pre + "post_attention_layernorm.weight")
            gate = self.linear(h, pre + "mlp.gate_proj.weight")
            up = self.linear(h, pre + "mlp.up_proj.weight")
            act = []
            for grow, urow in zip(gate, up):
                silu = p.dtype_list(p.op(g / p.op(1.0 + p.op(math.exp(-g))))
                                    for g in grow)
                act.append(p.dtype_list(p.op_list(map(mul, silu, urow))))
            down = self.linear(act, pre + "mlp.down_proj.weight")
            x = [p.dtype_list(p.op_list(map(add, a, b))) for a, b in zip(x, down)]

        x = self.rms_norm(x, "model.norm.weight")
        head = ("model.embed_tokens.weight"
                if self.c.get("tie_word_embeddings") else "lm_head.weight")
        # The graph returns lm_head's float32 accumulator, unrounded.
        return self.p.dot_rows(x, self.w[head])


# ---------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("model", help="the model directory")
    ap.add_argument("logits", help="attn-runner --output of @prefill (.npy)")
    ap.add_argument("--tokens", required=True,
                    help="the ids given to attn-runner --tokens")
    ap.add_argument("--ablate", choices=["rope", "causal"],
                    help="leave this out of the references (expect FAIL)")
    a = ap.parse_args()

    with open(os.path.join(a.model, "config.json")) as f:
        config = json.load(f)
    dtype = config.get("torch_dtype") or config.get("dtype")
    tensors = read_safetensors(a.model)
    (batch, seq_len, vocab), out = read_npy_f32(a.logits)
    tokens = [int(t) for t in a.tokens.split(",")]
    if len(tokens) != batch * seq_len:
        sys.exit("--tokens has %d ids, the logits are [%d, %d, %d]"
                 % (len(tokens), batch, seq_len, vocab))

    ref, naive = [], []
    for precision, result in ((Precision(False, dtype), ref),
                              (Precision(True, dtype), naive)):
        model = Llama(config, tensors, precision, a.ablate)
        for b in range(batch):
            rows = model.forward(tokens[b * seq_len:(b + 1) * seq_len], seq_len)
            for row in rows:
                result.extend(row)

    err = max(abs(o - r) for o, r in zip(out, ref))
    naive_err = max(abs(n - r) for n, r in zip(naive, ref))
    floor = UNIT_ROUNDOFF[dtype] * max(abs(r) for r in ref)
    bound = 2 * naive_err + floor
    ok = all(math.isfinite(o) for o in out) and err <= bound
    print("logits: max_abs_err=%.3e naive_err=%.3e floor=%.3e bound=%.3e %s"
          % (err, naive_err, floor, bound, "PASS" if ok else "FAIL"))

    for b in range(batch):
        start = (b * seq_len + seq_len - 1) * vocab
        last_ref = ref[start:start + vocab]
        last_out = out[start:start + vocab]
        want = max(range(vocab), key=lambda i: last_ref[i])
        got = max(range(vocab), key=lambda i: last_out[i])
        margin = last_ref[want] - max(v for i, v in enumerate(last_ref)
                                      if i != want)
        decisive = margin > 2 * bound
        print("next token %d: %d (float64 %d, margin %.3e) %s"
              % (b, got, want, margin,
                 "PASS" if got == want and decisive else "FAIL"))
        ok = ok and got == want and decisive
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
