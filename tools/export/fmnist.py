"""Fashion-MNIST reader (numpy only): gzipped IDX files -> float32 [N,1,28,28] in [0,1], int64 labels."""
import gzip
import os

import numpy as np

FMNIST_DIR = os.environ.get("KILN_FMNIST_DIR", "/usr/share/datasets/fashion-mnist")


def _read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[0:4], "big")
    dtype_code, ndim = (magic >> 8) & 0xFF, magic & 0xFF
    if dtype_code != 0x08:  # unsigned byte, the only type the Fashion-MNIST files use
        raise ValueError(f"{path}: unexpected IDX element type 0x{dtype_code:02x}")
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    offset = 4 + 4 * ndim
    arr = np.frombuffer(data, dtype=np.uint8, count=int(np.prod(dims)), offset=offset)
    return arr.reshape(dims)


def load(split):
    """split: 'train' or 't10k'. Returns (images float32 [N,1,28,28] in [0,1], labels int64 [N])."""
    images = _read_idx(os.path.join(FMNIST_DIR, f"{split}-images-idx3-ubyte.gz"))
    labels = _read_idx(os.path.join(FMNIST_DIR, f"{split}-labels-idx1-ubyte.gz"))
    x = (images.astype(np.float32) / np.float32(255.0)).reshape(-1, 1, 28, 28)
    return x, labels.astype(np.int64)
