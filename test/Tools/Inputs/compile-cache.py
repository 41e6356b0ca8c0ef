"""Helper of flops-train-compile-cache.mlir: count / damage cache entries.

    compile-cache.py count DIR     prints "entries N"
    compile-cache.py flip DIR      flips a byte in the middle
    compile-cache.py truncate DIR  cuts each entry in half
"""
import os
import sys

cmd, d = sys.argv[1], sys.argv[2]
entries = sorted(f for f in os.listdir(d) if f.endswith(".flopsobj")) \
    if os.path.isdir(d) else []
if cmd == "count":
    print("entries", len(entries))
for f in entries:
    p = os.path.join(d, f)
    data = bytearray(open(p, "rb").read())
    if cmd == "flip":
        data[len(data) // 2] ^= 0xFF
    elif cmd == "truncate":
        data = data[: len(data) // 2]
    else:
        continue
    open(p, "wb").write(bytes(data))
