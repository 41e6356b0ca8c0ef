"""Fashion-MNIST from Debian's dataset-fashion-mnist (IDX files, plain or
.gz) as numpy arrays: images float32 in [0, 1] (N, 1, 28, 28), labels
int64."""

import gzip
import os

import numpy as np

DATA_DIR = os.environ.get("FLOPS_FASHION_MNIST",
                          "/usr/share/datasets/fashion-mnist")


def _read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big")
            for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8,
                         offset=4 + 4 * ndim).reshape(dims)


def _find(stem):
    for name in (stem, stem + ".gz"):
        p = os.path.join(DATA_DIR, name)
        if os.path.exists(p):
            return p
    raise FileNotFoundError("no %s(.gz) in %s (set FLOPS_FASHION_MNIST)"
                            % (stem, DATA_DIR))


def load(split):
    """split: "train" or "test"."""
    prefix = "train" if split == "train" else "t10k"
    x = _read_idx(_find(prefix + "-images-idx3-ubyte"))
    y = _read_idx(_find(prefix + "-labels-idx1-ubyte"))
    x = (x.astype(np.float32) / np.float32(255)).reshape(-1, 1, 28, 28)
    return np.ascontiguousarray(x), y.astype(np.int64)
