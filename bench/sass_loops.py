#!/usr/bin/env python3
"""Counts the instructions of the loops that hold tensor-core operations.

  sass_loops.py SASS.txt [SASS2.txt]

SASS.txt is what `cuobjdump -sass` prints for a cubin (the one kernel of
a `ptxas -arch=sm_90a` run over the PTX that `attn-opt ...
--attn-to-nvvm-pipeline="format=isa" | utils/extract-ptx.py` writes). A loop
is a backward branch and the instructions from its target to it; the
innermost loop holding HGMMA (or HMMA) is the kernel's tile loop, and its
instruction mix is what each tile costs to issue. Given two files, the
two mixes are printed side by side.

Why: a wgmma descriptor must sit in uniform registers. Where ptxas cannot
keep a descriptor's arithmetic on the uniform datapath, it computes it in
vector registers and moves it across (R2UR) before every HGMMA. The tile
loop's PTX can be the same while its SASS is not: the split last round's
kernel issued 17.5% more instructions than the kernel without it, from a
tile loop of 641 instructions against 460 (bench/NOTES.md, 2026-12-07).
"""
import collections
import re
import sys

INSTRUCTION = re.compile(r"\s*/\*([0-9a-f]{4,})\*/\s+(.*?)\s*;")
BRANCH = re.compile(r"\bBRA(?:\.[A-Z.]+)?\s+(?:`\(\.L_x_\d+\)|0x([0-9a-f]+))")
GUARD = re.compile(r"^@!?U?P[T0-9]+\s+")
TENSOR = ("HGMMA", "HMMA")


def parse(text):
    """The (address, instruction) pairs of a SASS listing, in order."""
    out = []
    for line in text.splitlines():
        m = INSTRUCTION.match(line)
        if m:
            out.append((int(m.group(1), 16), m.group(2).strip()))
    return out


def opcode(instruction):
    """The opcode with its modifiers, without a predicate guard."""
    return GUARD.sub("", instruction).split()[0]


def loops(instructions):
    """(start, end, body) of each backward branch that holds a tensor-core
    operation, the smallest first. Branches past the kernel's last EXIT are
    left out: there ptxas puts the retry loops of barrier waits, each of
    which branches back to just after its wait, a span that is no loop."""
    index = {a: i for i, (a, _) in enumerate(instructions)}
    exits = [a for a, t in instructions if opcode(t) == "EXIT"]
    last = exits[-1] if exits else instructions[-1][0] if instructions else 0
    found = []
    for i, (address, text) in enumerate(instructions):
        if address > last:
            break
        m = BRANCH.search(text)
        if not m or not m.group(1):
            continue
        target = int(m.group(1), 16)
        if target >= address or target not in index:
            continue
        body = [t for _, t in instructions[index[target]:i + 1]]
        if any(opcode(t).split(".")[0] in TENSOR for t in body):
            found.append((target, address, body))
    return sorted(found, key=lambda loop: len(loop[2]))


def mix(body):
    """Opcode counts of a loop body, and the R2UR and uniform ones."""
    counts = collections.Counter(opcode(t) for t in body)
    summary = {
        "instructions": len(body),
        "tensor": sum(n for op, n in counts.items()
                      if op.split(".")[0] in TENSOR),
        "R2UR": counts.get("R2UR", 0),
        "uniform": sum(n for op, n in counts.items()
                       if op.startswith("U") and op != "UMOV"),
    }
    return summary, counts


def describe(path):
    with open(path) as f:
        found = loops(parse(f.read()))
    if not found:
        sys.exit("sass_loops.py: no loop with HGMMA or HMMA in " + path)
    start, end, body = found[0]
    summary, counts = mix(body)
    head = "%s: tile loop %#x-%#x: %s" % (
        path, start, end,
        ", ".join("%s %d" % (k, v) for k, v in summary.items()))
    return head, counts


def main(argv):
    if len(argv) not in (2, 3):
        sys.exit(__doc__)
    described = [describe(p) for p in argv[1:]]
    for head, _ in described:
        print(head)
    ops = sorted({op for _, c in described for op in c},
                 key=lambda op: -max(c[op] for _, c in described))
    for op in ops:
        print("%-40s %s" % (op, " ".join("%6d" % c[op] for _, c in described)))


if __name__ == "__main__":
    main(sys.argv)
