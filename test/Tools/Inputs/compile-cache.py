"""Helper of flops-train-compile-cache.mlir: count / damage cache entries.

    compile-cache.py count DIR     prints "entries N"
    compile-cache.py flip DIR      flips a byte in the middle
    compile-cache.py truncate DIR  cuts each entry in half
    compile-cache.py fake DIR NAME KB AGE
                                   writes NAME.flopsobj (KB kibibytes of
                                   zeros) last modified AGE seconds ago
    compile-cache.py age DIR AGE   every entry last modified AGE seconds ago
    compile-cache.py list DIR      the fake entries present (sorted) and
                                   "real N": the others (64-hex-digit names)
"""
import os
import sys
import time

cmd, d = sys.argv[1], sys.argv[2]
if cmd == "fake":
    os.makedirs(d, exist_ok=True)
    p = os.path.join(d, sys.argv[3] + ".flopsobj")
    open(p, "wb").write(bytes(1024 * int(sys.argv[4])))
    t = time.time() - float(sys.argv[5])
    os.utime(p, (t, t))
    sys.exit(0)
entries = sorted(f for f in os.listdir(d) if f.endswith(".flopsobj")) \
    if os.path.isdir(d) else []
if cmd == "count":
    print("entries", len(entries))
if cmd == "list":
    real = [f for f in entries if len(f) == len("0" * 64 + ".flopsobj")]
    print(" ".join(f[: -len(".flopsobj")] for f in entries if f not in real),
          "real", len(real))
if cmd == "age":
    t = time.time() - float(sys.argv[3])
    for f in entries:
        os.utime(os.path.join(d, f), (t, t))
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
