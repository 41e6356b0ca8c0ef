# Prints the Gaussian allocator state that flops-train saved in a safetensors
# checkpoint (8-byte little-endian header length, JSON header, raw data), for
# test/Tools/flops-train-allocators.mlir. Standard library only.
import json
import struct
import sys

with open(sys.argv[1], "rb") as f:
    blob = f.read()
(n,) = struct.unpack("<Q", blob[:8])
header = json.loads(blob[8:8 + n])
print("forward_train:", header["__metadata__"]["forward_train"])
t = header["allocator.gaussian"]
print("allocator.gaussian", t["dtype"], json.dumps(t["shape"]))
begin, end = t["data_offsets"]
s = struct.unpack("<16d", blob[8 + n + begin:8 + n + end])
print("w %r c %r rho_s %r rho_h %r" % s[:4])
print("baseline > 0:", s[12] > 0)
print("adam steps %r has_baseline %r reserved %r" % (s[13], s[14], s[15]))
print("moved from (0, 6, 0, 0):", s[:4] != (0.0, 6.0, 0.0, 0.0))
