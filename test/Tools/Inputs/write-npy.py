# write-npy.py OUT.npy DTYPE SHAPE VALUE: an .npy array (format 1.0) of
# `DTYPE` ('<f4', '<i8', ...) and shape `SHAPE` (comma-separated, may be
# empty or contain 0) filled with VALUE; stdlib only.
import struct
import sys

out, dtype, shape_text, value = sys.argv[1:5]
shape = tuple(int(s) for s in shape_text.split(",") if s)
header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (
    dtype, "(%s)" % "".join("%d," % d for d in shape) if len(shape) == 1
    else str(shape))
pad = 64 - (10 + len(header) + 1) % 64
header = header + " " * pad + "\n"
count = 1
for d in shape:
    count *= d
fmt = {"<f4": "f", "<f8": "d", "<i8": "q", "<i4": "i"}[dtype]
body = struct.pack("<%d%s" % (count, fmt), *([float(value) if fmt in "fd"
                                               else int(value)] * count))
with open(out, "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) +
            header.encode("latin1") + body)
