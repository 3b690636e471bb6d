"""Benchmark cases: the cases files, and the work each case must do.

Pure Python (no torch), so that the parsing and the cost model can be
checked on a machine without a GPU. The cost model is attn-runner's
(lib/Runner/Benchmark.cpp): FLOPs count only the score entries that causal
masking leaves visible, so every system is credited with the same work, and
a causal kernel is not credited with work it may skip.
"""
from dataclasses import dataclass, asdict

DTYPES = {"bf16": 2, "f16": 2}
MASKS = ("causal", "full")


@dataclass(frozen=True)
class Case:
    """One attention problem in the bhsd layout, as a cases file line gives it."""
    name: str
    batch: int
    heads_q: int
    heads_kv: int
    seq_q: int
    seq_k: int
    head_dim: int
    causal: bool
    dtype: str = "bf16"

    @property
    def decode(self):
        """One query token: a decode step, judged by the KV bytes it reads."""
        return self.seq_q == 1

    @property
    def kind(self):
        return "decode" if self.decode else "prefill"

    @property
    def group(self):
        """Query heads per KV head (4 for 32/8 GQA, 32 for 32/1 MQA)."""
        return self.heads_q // self.heads_kv

    @property
    def element_bytes(self):
        return DTYPES[self.dtype]

    def visible_entries(self):
        """Score entries (query, key) that the mask leaves visible, per head.

        Causal masking is bottom-right aligned, as attn.attention defines it:
        query i sees keys j <= i + Sk - Sq.
        """
        if not self.causal:
            return self.seq_q * self.seq_k
        offset = self.seq_k - self.seq_q
        return sum(max(0, min(self.seq_k, i + offset + 1))
                   for i in range(self.seq_q))

    def flops(self):
        """2 FLOPs per multiply-add in Q·Kᵀ and in P·V, visible entries only."""
        return (self.visible_entries() * self.batch * self.heads_q *
                2 * (self.head_dim + self.head_dim))

    def kv_bytes(self):
        """Bytes of K and V: what a decode step must read at least."""
        return 2 * self.batch * self.heads_kv * self.seq_k * self.head_dim * \
            self.element_bytes

    def io_bytes(self):
        """Bytes of Q, K, V and O: what any attention must move at least."""
        qo = 2 * self.batch * self.heads_q * self.seq_q * self.head_dim
        return qo * self.element_bytes + self.kv_bytes()

    def shape_text(self):
        """A short shape description for tables: B4 H32/8 4096x4096 d128 bf16."""
        return "B%d H%d/%d %dx%d d%d %s" % (
            self.batch, self.heads_q, self.heads_kv, self.seq_q, self.seq_k,
            self.head_dim, self.dtype)

    def as_dict(self):
        d = asdict(self)
        d.update(kind=self.kind, flops=self.flops(), kv_bytes=self.kv_bytes(),
                 io_bytes=self.io_bytes())
        return d


def parse_line(line, where="cases"):
    """A Case from one line: name batch q-heads kv-heads Sq Sk head_dim
    causal|full [bf16|f16]. Raises ValueError naming the line."""
    fields = line.split()
    if len(fields) not in (8, 9):
        raise ValueError("%s: expected 8 or 9 fields, got %d: %r"
                         % (where, len(fields), line))
    name, mask = fields[0], fields[7]
    dtype = fields[8] if len(fields) == 9 else "bf16"
    try:
        b, hq, hkv, sq, sk, d = (int(f) for f in fields[1:7])
    except ValueError:
        raise ValueError("%s: batch, heads, lengths and head_dim must be "
                         "integers: %r" % (where, line)) from None
    if mask not in MASKS:
        raise ValueError("%s: mask must be causal or full: %r" % (where, line))
    if dtype not in DTYPES:
        raise ValueError("%s: dtype must be one of %s: %r"
                         % (where, ", ".join(DTYPES), line))
    if min(b, hq, hkv, sq, sk, d) < 1 or hq % hkv:
        raise ValueError("%s: sizes must be positive and q-heads a multiple "
                         "of kv-heads: %r" % (where, line))
    return Case(name, b, hq, hkv, sq, sk, d, mask == "causal", dtype)


def parse_text(text, where="cases"):
    """All cases of a cases file's text; '#' starts a comment. Names must be
    unique, since results are keyed by them."""
    cases = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if line:
            cases.append(parse_line(line, "%s:%d" % (where, n)))
    names = [c.name for c in cases]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError("%s: duplicate case names: %s" % (where, ", ".join(dupes)))
    return cases


def load(path):
    with open(path) as f:
        return parse_text(f.read(), path)


def tensor_type(case, *dims):
    """tensor<AxBxCxDx{dtype}> for a case's element type."""
    return "tensor<%sx%s>" % ("x".join(str(n) for n in dims), case.dtype)


def module_text(case):
    """The MLIR module attn-runner compiles for a case: one attn.attention of
    the entry's three arguments, bhsd, default scale 1/sqrt(head_dim)."""
    q = tensor_type(case, case.batch, case.heads_q, case.seq_q, case.head_dim)
    kv = tensor_type(case, case.batch, case.heads_kv, case.seq_k, case.head_dim)
    attr = "causal, " if case.causal else ""
    return (
        "func.func @attention(%%q: %s, %%k: %s, %%v: %s) -> %s {\n"
        "  %%o = attn.attention %%q, %%k, %%v {%slayout = #attn.layout<bhsd>}\n"
        "      : %s, %s, %s -> %s\n"
        "  return %%o : %s\n"
        "}\n" % (q, kv, kv, q, attr, q, kv, kv, q, q))


def llama2_module_text(case):
    """The same attention written as llama2 writes it, for the llama2 path of
    the decode cases: K and V (bhsd arguments, as the peers get them) back
    in llama2's [B, S, Hkv, D], attn.repeat_kv to Hq heads, then
    .transpose(1, 2) to bhsd and attention over the copied heads.
    attn-runner's pipeline folds the transposes and repeat_kv into the
    attention (attn-fuse-repeat-kv), so no copy is made; the peer
    llama2-repeat-kv makes it."""
    b, hq, hkv, sk, d = (case.batch, case.heads_q, case.heads_kv, case.seq_k,
                         case.head_dim)
    q = tensor_type(case, b, hq, case.seq_q, d)
    kv = tensor_type(case, b, hkv, sk, d)
    kv_bshd = tensor_type(case, b, sk, hkv, d)
    rep_bshd = tensor_type(case, b, sk, hq, d)
    rep = tensor_type(case, b, hq, sk, d)
    lines = ["func.func @attention(%%q: %s, %%k: %s, %%v: %s) -> %s {" % (q, kv, kv, q)]
    for x in "kv":
        lines += [
            "  %%%s_init = tensor.empty() : %s" % (x, kv_bshd),
            "  %%%s_bshd = linalg.transpose ins(%%%s : %s) outs(%%%s_init : %s)"
            " permutation = [0, 2, 1, 3]" % (x, x, kv, x, kv_bshd),
            "  %%%s_rep = attn.repeat_kv %%%s_bshd, n_rep = %d : %s -> %s"
            % (x, x, hq // hkv, kv_bshd, rep_bshd),
            "  %%%s_rep_init = tensor.empty() : %s" % (x, rep),
            "  %%%s_bhsd = linalg.transpose ins(%%%s_rep : %s) outs(%%%s_rep_init : %s)"
            " permutation = [0, 2, 1, 3]" % (x, x, rep_bshd, x, rep)]
    attr = "causal, " if case.causal else ""
    lines += [
        "  %%o = attn.attention %%q, %%k_bhsd, %%v_bhsd {%slayout = #attn.layout<bhsd>}"
        % attr,
        "      : %s, %s, %s -> %s" % (q, rep, rep, q),
        "  return %%o : %s" % q,
        "}"]
    return "\n".join(lines) + "\n"
