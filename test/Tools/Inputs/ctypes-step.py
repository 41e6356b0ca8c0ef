"""Loads the .so of `flops-compile --emit=shared` (mlp-small, batch 32) with
ctypes, without LLVM, and calls _mlir_ciface_eval_step on zero parameters:
the loss sum is 32 ln 10 whatever the inputs. Used by flops-compile-c.mlir."""
import ctypes
import math
import sys

import numpy as np


def memref(a):
    """A memref descriptor (allocated, aligned, offset, sizes, strides) of a
    C-contiguous numpy array."""
    rank = a.ndim

    class Desc(ctypes.Structure):
        _fields_ = [("allocated", ctypes.c_void_p), ("aligned", ctypes.c_void_p),
                    ("offset", ctypes.c_int64),
                    ("sizes", ctypes.c_int64 * rank),
                    ("strides", ctypes.c_int64 * rank)]

    d = Desc()
    d.allocated = d.aligned = a.ctypes.data
    d.offset = 0
    for i in range(rank):
        d.sizes[i] = a.shape[i]
        d.strides[i] = a.strides[i] // a.itemsize
    return d


lib = ctypes.CDLL(sys.argv[1])
manifest = ctypes.c_char.in_dll(lib, "_flops_manifest")
print("manifest:", ctypes.string_at(ctypes.addressof(manifest)).decode().splitlines()[0])
arrays = [np.zeros((784, 32), np.float32), np.zeros(32, np.float32),
          np.zeros((32, 10), np.float32), np.zeros(10, np.float32),
          np.random.default_rng(0).random((32, 784), dtype=np.float32),
          (np.arange(32) % 10).astype(np.int32)]
out = np.zeros(2, np.float32)
descs = [memref(a) for a in arrays]
res = memref(out)
args = [ctypes.byref(d) for d in descs] + [ctypes.c_int64(32), ctypes.byref(res)]
lib._mlir_ciface_eval_step(*args)
print("eval_step loss_sum %.4f, 32 ln 10 %.4f" % (out[0], 32 * math.log(10)))
