#!/usr/bin/env python3
"""Counts the instructions of the loops that hold tensor-core operations.

  sass_loops.py FILE [FILE2]
  sass_loops.py --learn LISTING... > new.json; mv new.json bench/sass-opcodes.json

FILE is what `cuobjdump -sass` prints for a cubin, or the cubin itself (an
sm_90a ELF file from `ptxas -arch=sm_90a` over the PTX that `attn-opt ...
--attn-to-nvvm-pipeline="format=isa" | utils/extract-ptx.py` writes). A
loop is a backward branch and the instructions from its target to it; the
innermost loop holding HGMMA (or HMMA) is the kernel's tile loop, and its
instruction mix is what each tile costs to issue. Given two files, the
two mixes are printed side by side.

A cubin is read without cuobjdump, so that a machine with ptxas and no
GPU tools can look at a kernel's loops: an instruction is 16 bytes, and
the low 12 bits of its first 8 name its opcode (the mnemonic without
modifiers) in every listing this script has learned from. --learn reads
listings and prints that table, which bench/sass-opcodes.json holds: the
table there, extended by the listings' codes (so the listings it was learned
from need not be kept), failing where a listing names a known code
otherwise. It also checks, on every branch of the listings, how a branch's offset is
encoded, and fails if one does not decode. Opcodes the table lacks print
as `?` and their code.

Why: a wgmma descriptor must sit in uniform registers. Where ptxas cannot
keep a descriptor's arithmetic on the uniform datapath, it computes it in
vector registers and moves it across (R2UR) before every HGMMA. The tile
loop's PTX can be the same while its SASS is not: the split last round's
kernel issued 17.5% more instructions than the kernel without it, from a
tile loop of 641 instructions against 460 (bench/NOTES.md, 2026-12-07).
"""
import collections
import json
import os
import re
import struct
import sys

INSTRUCTION = re.compile(
    r"\s*/\*([0-9a-f]{4,})\*/\s+(.*?)\s*;(?:\s*/\* 0x([0-9a-f]{16}) \*/)?")
BRANCH = re.compile(r"\bBRA(?:\.[A-Z.]+)?\s+(?:`\(\.L_x_\d+\)|0x([0-9a-f]+))")
FUNCTION = re.compile(r"\s*Function : (\S+)")
GUARD = re.compile(r"^@!?U?P[T0-9]+\s+")
TENSOR = ("HGMMA", "HMMA")
TABLE = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                     "sass-opcodes.json")


class Instruction:
    def __init__(self, address, opcode, target=None, word=None):
        self.address, self.opcode, self.target, self.word = (
            address, opcode, target, word)


def opcode(instruction):
    """The opcode with its modifiers, without a predicate guard."""
    return GUARD.sub("", instruction).split()[0]


def base(op):
    """The mnemonic without modifiers."""
    return op.split(".")[0]


def branch_offset(word):
    """The byte offset, from the next instruction, of the branch whose first
    8 bytes are `word`: bits 16-23 hold offset bits 2-9, and bits 34-63
    offset bits 10 on, signed."""
    signed = word - (1 << 64) if word >> 63 else word
    return ((signed >> 34) << 10) | (((word >> 16) & 0xFF) << 2)


def parse(text):
    """{kernel: instructions} of a SASS listing, each in order, their
    opcodes without modifiers (as a cubin's are read)."""
    out = {}
    kernel = None
    for line in text.splitlines():
        function = FUNCTION.match(line)
        if function:
            kernel = function.group(1)
            continue
        m = INSTRUCTION.match(line)
        if not m:
            continue
        address, text_ = int(m.group(1), 16), m.group(2).strip()
        target = BRANCH.search(text_)
        out.setdefault(kernel, []).append(Instruction(
            address, base(opcode(text_)),
            int(target.group(1), 16) if target and target.group(1) else None,
            int(m.group(3), 16) if m.group(3) else None))
    return out


def text_sections(data):
    """{name: bytes} of the .text.<kernel> sections of a 64-bit ELF file."""
    if data[:4] != b"\x7fELF" or data[4] != 2:
        raise ValueError("not a 64-bit ELF file")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    entsize, count, names = struct.unpack_from("<HHH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * entsize)
                for i in range(count)]
    strings = sections[names][4]

    def name(offset):
        end = data.index(b"\0", strings + offset)
        return data[strings + offset:end].decode()

    return {name(s[0]): data[s[4]:s[4] + s[5]] for s in sections
            if name(s[0]).startswith(".text.")}


def decode(code, table):
    """The instructions of a kernel's machine code."""
    out = []
    for address in range(0, len(code), 16):
        word, = struct.unpack_from("<Q", code, address)
        op = table.get(word & 0xFFF, "?%03x" % (word & 0xFFF))
        target = address + 16 + branch_offset(word) if op == "BRA" else None
        out.append(Instruction(address, op, target, word))
    return out


def learn(listings, table=None):
    """`table` extended by the opcodes of the listings, checked to name each
    code once and to decode every branch."""
    table = dict(table or {})
    for path in listings:
        with open(path) as f:
            listed = parse(f.read())
        for ins in (i for kernel in listed.values() for i in kernel):
            if ins.word is None:
                continue
            code, name = ins.word & 0xFFF, ins.opcode
            if table.setdefault(code, name) != name:
                raise ValueError("code %#x is both %s and %s" %
                                 (code, table[code], name))
            if (ins.opcode == "BRA" and ins.target is not None and
                    ins.address + 16 + branch_offset(ins.word) !=
                    ins.target):
                raise ValueError("%s: the branch at %#x does not decode" %
                                 (path, ins.address))
    return table


def committed_table():
    """The table in bench/sass-opcodes.json."""
    with open(TABLE) as f:
        return {int(k, 16): v for k, v in json.load(f).items()}


def read(path, table=None):
    """{kernel: instructions} of a listing or a cubin."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] == b"\x7fELF":
        if table is None:
            table = committed_table()
        return {name[len(".text."):]: decode(code, table)
                for name, code in text_sections(data).items()}
    return parse(data.decode())


def loops(instructions):
    """(start, end, opcodes) of each backward branch that holds a
    tensor-core operation, the smallest first. Branches past the kernel's
    last EXIT are left out: there ptxas puts the retry loops of barrier
    waits, each of which branches back to just after its wait, a span that
    is no loop."""
    index = {ins.address: i for i, ins in enumerate(instructions)}
    exits = [i.address for i in instructions if i.opcode == "EXIT"]
    last = exits[-1] if exits else (
        instructions[-1].address if instructions else 0)
    found = []
    for i, ins in enumerate(instructions):
        if ins.address > last:
            break
        if ins.target is None or ins.target >= ins.address:
            continue
        if ins.target not in index:
            continue
        body = [x.opcode for x in instructions[index[ins.target]:i + 1]]
        if any(op in TENSOR for op in body):
            found.append((ins.target, ins.address, body))
    return sorted(found, key=lambda loop: len(loop[2]))


def mix(body):
    """Opcode counts of a loop body, and the R2UR and uniform ones."""
    counts = collections.Counter(body)
    summary = {
        "instructions": len(body),
        "tensor": sum(counts[op] for op in TENSOR),
        "R2UR": counts["R2UR"],
        "uniform": sum(n for op, n in counts.items()
                       if op.startswith("U") and op != "UMOV"),
    }
    return summary, counts


def describe(path):
    """(heading, opcode counts) of the tile loop of each kernel in `path`."""
    out = []
    for kernel, instructions in read(path).items():
        found = loops(instructions)
        if not found:
            out.append(("%s: %s: no loop with HGMMA or HMMA" % (path, kernel),
                        collections.Counter()))
            continue
        start, end, body = found[0]
        summary, counts = mix(body)
        out.append(("%s: %s: tile loop %#x-%#x: %s" % (
            path, kernel, start, end,
            ", ".join("%s %d" % (k, v) for k, v in summary.items())), counts))
    return out


def main(argv):
    if len(argv) >= 2 and argv[1] in ("-h", "--help"):
        print(__doc__)
        return
    if len(argv) >= 3 and argv[1] == "--learn":
        table = learn(argv[2:], committed_table())
        json.dump({"%#05x" % k: v for k, v in sorted(table.items())},
                  sys.stdout, indent=0, sort_keys=True)
        print()
        return
    if len(argv) not in (2, 3):
        sys.exit(__doc__)
    described = [d for p in argv[1:] for d in describe(p)]
    for head, _ in described:
        print(head)
    ops = sorted({op for _, c in described for op in c},
                 key=lambda op: -max(c[op] for _, c in described))
    for op in ops:
        print("%-40s %s" % (op, " ".join("%6d" % c[op] for _, c in described)))


if __name__ == "__main__":
    main(sys.argv)
