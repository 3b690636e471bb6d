#!/usr/bin/env python3
"""Print the PTX embedded in a module's gpu.binary (format=isa).

Reads MLIR text on stdin, finds the `assembly = "..."` string of each gpu.object in the
attn-to-nvvm-pipeline output and prints it with MLIR's string escapes (\\0A,
\\09, \\22, \\5C) undone, so that ptxas or a reader can take it as it is. With
`--object=N`, only the N-th (from 0) of them: ptxas takes one module a file.
"""
import re
import sys

text = sys.stdin.read()
objects = re.findall(r'assembly = "((?:[^"\\]|\\.)*)"', text)
if not objects:
    sys.exit("extract-ptx: no gpu.object with an embedded string in the input")
for arg in sys.argv[1:]:
    if not arg.startswith("--object="):
        sys.exit(f"extract-ptx: unknown argument {arg}")
    n = int(arg.split("=", 1)[1])
    if not 0 <= n < len(objects):
        sys.exit(f"extract-ptx: --object={n}, but the input has {len(objects)}")
    objects = [objects[n]]
for obj in objects:
    sys.stdout.write(re.sub(r"\\([0-9A-Fa-f]{2})",
                            lambda m: chr(int(m.group(1), 16)), obj))
