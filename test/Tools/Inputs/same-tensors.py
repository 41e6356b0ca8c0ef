"""same-tensors.py A.safetensors B.safetensors: whether two checkpoints hold
the same tensors bit for bit (names, dtypes, shapes, bytes) and the same
metadata apart from the `model` entry (the model's file name). Standard
library only. Used by test/Tools/flops-compile-onnx.mlir."""
import json
import struct
import sys


def load(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    meta = header.pop("__metadata__", {})
    meta.pop("model", None)
    tensors = {}
    for name, t in header.items():
        b, e = t["data_offsets"]
        tensors[name] = (t["dtype"], t["shape"], blob[8 + n + b:8 + n + e])
    return tensors, meta


a, ma = load(sys.argv[1])
b, mb = load(sys.argv[2])
differ = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
print("tensors: %d and %d, identical %d%s; other metadata identical %d" %
      (len(a), len(b), int(not differ),
       "" if not differ else " (differ: %s)" % ", ".join(differ),
       int(ma == mb)))
