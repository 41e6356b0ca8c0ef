"""The forward entry of flops-compile's header/object/.so against flops-run.

  forward-check.py gen HEADER DIR     random arguments of @forward (seed 0):
      DIR/argI.bin (raw, for call-forward.c), DIR/inputK.npy (flops-run
      --input) and DIR/params.safetensors (flops-run --params, by flops.name)
  forward-check.py compare DIR Y.npy...   DIR/resultI.bin against flops-run's
      outputs
  forward-check.py ctypes LIB.so HEADER DIR Y.npy...   calls the .so's
      _flops_packed_forward with ctypes (no LLVM) on DIR's arguments and
      compares with flops-run's outputs

The layouts come from the header's description of @forward. Tolerance:
|a - b| <= 1e-5 * (1 + |b|) elementwise (the compiled object and flops-run's
JIT may differ in the last bits when their CPU targets differ)."""
import ctypes
import json
import re
import struct
import sys

import numpy as np

DTYPES = {"f32": np.float32, "f64": np.float64, "i32": np.int32,
          "i64": np.int64}
ST_NAMES = {np.float32: "F32", np.float64: "F64", np.int32: "I32",
            np.int64: "I64"}


def layout(header):
    """[(kind, role, name, shape, dtype)] of @forward, from the header."""
    text = open(header).read()
    block = text[text.index("/* @forward */"):]
    block = block[:block.index("*/", block.index("Arguments and results"))]
    out = []
    for m in re.finditer(r"\*   (argument|result) \d+: (\S+) '([^']*)' "
                         r"tensor<([0-9x]*)([a-z0-9]+)>", block):
        dims = [int(d) for d in m.group(4).split("x") if d]
        out.append((m.group(1), m.group(2), m.group(3), dims,
                    DTYPES[m.group(5)]))
    return out


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name, a in tensors:
        b = np.ascontiguousarray(a).tobytes()
        header[name] = {"dtype": ST_NAMES[a.dtype.type], "shape": list(a.shape),
                        "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def arguments(header):
    rng = np.random.default_rng(0)
    args = []
    for kind, role, name, shape, dtype in layout(header):
        if kind != "argument":
            continue
        if dtype in (np.float32, np.float64):
            a = (rng.standard_normal(shape) * 0.5).astype(dtype)
        else:
            a = rng.integers(0, 10, shape).astype(dtype)
        args.append((role, name, a))
    return args


def compare(results, outputs):
    worst, ok = 0.0, True
    for got, path in zip(results, outputs):
        want = np.load(path)
        if got.shape != want.shape:
            print("shape mismatch: %s vs %s (%s)" % (got.shape, want.shape, path))
            return False
        diff = np.abs(got.astype(np.float64) - want.astype(np.float64))
        worst = max(worst, float(diff.max()) if diff.size else 0.0)
        ok &= bool(np.all(diff <= 1e-5 * (1 + np.abs(want))))
    print("forward vs flops-run: %d result(s), %d values, max abs diff %.3g, "
          "within tolerance %d" % (len(results),
                                   sum(np.load(p).size for p in outputs),
                                   worst, ok))
    return ok


def main():
    mode = sys.argv[1]
    if mode == "gen":
        header, d = sys.argv[2], sys.argv[3]
        params, k = [], 0
        for i, (role, name, a) in enumerate(arguments(header)):
            a.tofile("%s/arg%d.bin" % (d, i))
            if role == "param":
                params.append((name, a))
            else:
                np.save("%s/input%d.npy" % (d, k), a)
                k += 1
        write_safetensors(d + "/params.safetensors", params)
        print("wrote %d inputs and %d parameters" % (k, len(params)))
        return 0
    if mode == "compare":
        d, outputs = sys.argv[2], sys.argv[3:]
        header_results = [np.load(p) for p in outputs]
        results = [np.fromfile("%s/result%d.bin" % (d, r), w.dtype).reshape(w.shape)
                   for r, w in enumerate(header_results)]
        return 0 if compare(results, outputs) else 1
    if mode == "ctypes":
        lib_path, header, d, outputs = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
        lib = ctypes.CDLL(lib_path)
        lay = layout(header)
        arrays = [np.fromfile("%s/arg%d.bin" % (d, i), dt).reshape(shape)
                  for i, (_, _, _, shape, dt) in
                  enumerate(x for x in lay if x[0] == "argument")]
        results = [np.zeros(shape, dt) for kind, _, _, shape, dt in lay
                   if kind == "result"]
        keep, packed = [], []
        for a in arrays + results:
            rank = a.ndim
            words = (ctypes.c_int64 * (3 + 2 * rank))()
            words[0] = words[1] = a.ctypes.data
            for k in range(rank):
                words[3 + k] = a.shape[k]
                words[3 + rank + k] = a.strides[k] // a.itemsize
            ptr = ctypes.c_void_p(ctypes.addressof(words))
            keep += [words, ptr]
            packed.append(ctypes.addressof(ptr))
        argv = (ctypes.c_void_p * len(packed))(*packed)
        lib._flops_packed_forward(argv)
        return 0 if compare(results, outputs) else 1
    print("unknown mode " + mode)
    return 2


if __name__ == "__main__":
    sys.exit(main())
