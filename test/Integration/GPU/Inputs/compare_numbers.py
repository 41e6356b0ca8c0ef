"""Compares every number (but the printMemref header lines) printed by two runs (same text layout): prints
`match N numbers, max rel diff X` when all agree within rtol/atol, else the
first mismatch. Usage: compare_numbers.py A B RTOL ATOL"""
import re
import sys

NUM = re.compile(r"[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|nan|inf)")


def numbers(path):
    # Memref headers (base addresses, sizes) are not results.
    with open(path) as f:
        text = "".join(l for l in f if "base@" not in l)
    return [float(x) for x in NUM.findall(text)]


a, b = numbers(sys.argv[1]), numbers(sys.argv[2])
rtol, atol = float(sys.argv[3]), float(sys.argv[4])
if len(a) != len(b) or not a:
    print(f"count mismatch: {len(a)} vs {len(b)}")
    sys.exit(1)
worst = 0.0
for i, (x, y) in enumerate(zip(a, b)):
    d = abs(x - y)
    if d > atol + rtol * abs(x):
        print(f"mismatch at number {i}: {x} vs {y}")
        sys.exit(1)
    if d > atol:
        worst = max(worst, d / max(abs(x), 1e-30))
print(f"match {len(a)} numbers, max rel diff {worst:.3g}")
