# Compares the float tensors of two safetensors files (flops-train --save):
# same names, dtypes and shapes, and per element
#   rel = |a - b| / max(|a|, |b|, floor * max|b| over the tensor)
# (floor 1e-3: elements near zero are judged against the tensor's scale).
# and per tensor normwise ||a - b|| / ||b||. Prints the largest of each per
# tensor and overall, then "within R" or "EXCEEDS R" for the elementwise
# (default) or the normwise (--normwise) figure; exit status 1 when a tensor
# differs in name, dtype or shape, or the figure exceeds R.
# Used by test/Integration/GPU/cuda-device-*.mlir and scripts/gpu-check.sh.
# Standard library only.
#   compare-safetensors.py [--normwise] A.safetensors B.safetensors [R=1e-4]
import json
import math
import struct
import sys

FORMATS = {"F32": "f", "F64": "d"}


def load(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    out = {}
    for name, t in header.items():
        if name == "__metadata__" or t["dtype"] not in FORMATS:
            continue
        begin, end = t["data_offsets"]
        fmt = FORMATS[t["dtype"]]
        count = (end - begin) // struct.calcsize(fmt)
        out[name] = (t["dtype"], t["shape"],
                     struct.unpack("<%d%s" % (count, fmt),
                                   blob[8 + n + begin:8 + n + end]))
    return out


def main():
    args = [x for x in sys.argv[1:] if x != "--normwise"]
    normwise = "--normwise" in sys.argv[1:]
    a, b = load(args[0]), load(args[1])
    limit = float(args[2]) if len(args) > 2 else 1e-4
    ok = True
    if sorted(a) != sorted(b):
        print("tensor names differ: %s vs %s" % (sorted(a), sorted(b)))
        return 1
    worst = worstNorm = 0.0
    for name in sorted(a):
        (da, sa, va), (db, sb, vb) = a[name], b[name]
        if (da, sa) != (db, sb):
            print("%s: %s %s vs %s %s" % (name, da, sa, db, sb))
            ok = False
            continue
        scale = max((abs(x) for x in vb), default=0.0)
        rel = 0.0
        for x, y in zip(va, vb):
            if not (math.isfinite(x) and math.isfinite(y)):
                rel = math.inf
                break
            d = abs(x - y)
            if d:
                rel = max(rel, d / max(abs(x), abs(y), 1e-3 * scale))
        worst = max(worst, rel)
        num = math.sqrt(sum((x - y) ** 2 for x, y in zip(va, vb)))
        den = math.sqrt(sum(y * y for y in vb))
        norm = num / den if den else (0.0 if num == 0 else math.inf)
        worstNorm = max(worstNorm, norm)
        print("%s %s: max rel diff %.3g, normwise %.3g" % (name, sa, rel, norm))
    gate = worstNorm if normwise else worst
    print("max relative difference %.3g (elementwise), %.3g (normwise) over "
          "%d tensors: %s %s %g" %
          (worst, worstNorm, len(a), "normwise" if normwise else "elementwise",
           "within" if gate <= limit else "EXCEEDS", limit))
    return 0 if ok and gate <= limit else 1


if __name__ == "__main__":
    sys.exit(main())
