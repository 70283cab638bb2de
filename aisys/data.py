"""Data sets as torch DataLoaders: digits and mnist1d offline, MNIST downloaded, verified and cached."""

import gzip
import hashlib
import os
import struct
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

DATASETS = Path(__file__).resolve().parent.parent / "datasets"

MNIST_MIRRORS = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
]
MNIST_FILES = {  # file name -> MD5 of the gzipped file, as published with the data set
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
OFFLINE_ALTERNATIVES = ("offline alternatives: aisys.data.digits() (8x8 digits shipped with scikit-learn) "
                        "or aisys.data.mnist1d() (generated locally)")


class DatasetUnavailable(RuntimeError):
    """A data set could not be had (offline, bad checksum, corrupt file); the message says what to do."""


def loaders(x_train, y_train, x_test, y_test, batch_size=64, seed=0):
    """Shuffled train and ordered test DataLoaders over tensors; shuffling repeats with the seed."""
    gen = torch.Generator().manual_seed(seed)
    train = DataLoader(TensorDataset(x_train, y_train), batch_size=batch_size, shuffle=True, generator=gen)
    test = DataLoader(TensorDataset(x_test, y_test), batch_size=max(batch_size, 256))
    return train, test


def split(x, y, test_fraction, seed):
    """A seeded random train/test split of two tensors."""
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    n_test = int(round(len(x) * test_fraction))
    te, tr = perm[:n_test], perm[n_test:]
    return x[tr], y[tr], x[te], y[te]


def digits_tensors(test_fraction=0.2, seed=0):
    """scikit-learn's 1797 8x8 digits as (N, 1, 8, 8) floats in [0, 1]: x_train, y_train, x_test, y_test."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = torch.tensor(d.images / 16.0, dtype=torch.float32).unsqueeze(1)
    y = torch.tensor(d.target, dtype=torch.long)
    return split(x, y, test_fraction, seed)


def digits(batch_size=64, test_fraction=0.2, seed=0):
    """scikit-learn's digits (see digits_tensors): train and test loaders."""
    return loaders(*digits_tensors(test_fraction, seed), batch_size=batch_size, seed=seed)


def mnist1d(batch_size=64, num_samples=5000, seed=0):
    """The mnist1d data set (1D signals of 40 points, 10 classes), generated offline: train and test loaders."""
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    args.num_samples, args.seed = num_samples, seed
    d = make_dataset(args)
    t = lambda a, dt: torch.tensor(np.asarray(a), dtype=dt)
    return loaders(t(d["x"], torch.float32).unsqueeze(1), t(d["y"], torch.long),
                   t(d["x_test"], torch.float32).unsqueeze(1), t(d["y_test"], torch.long),
                   batch_size=batch_size, seed=seed)


IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path):
    """Parse an IDX file (MNIST's format, gzipped or not) into a NumPy array."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in IDX_TYPES:
        raise ValueError(f"{path.name} is not an IDX file: its first bytes are {raw[:4].hex()}, expected 0000 + type + ndim")
    dtype, ndim = np.dtype(IDX_TYPES[raw[2]]), raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path.name} is truncated: its header needs {header} bytes, the file has {len(raw)}")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    need = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header != need:
        raise ValueError(f"{path.name} is truncated or padded: shape {shape} needs {need} data bytes, found {len(raw) - header}")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def md5sum(path):
    """The MD5 of a file, in hex."""
    h = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fetch(name, md5, root, mirrors, timeout=30):
    """Return root/name, downloading it from the first mirror that answers; verified, written atomically."""
    root = Path(root)
    dest = root / name
    if dest.exists():
        if md5sum(dest) == md5:
            return dest
        raise DatasetUnavailable(f"{dest} is corrupt (MD5 {md5sum(dest)}, expected {md5}): delete it and run again")
    root.mkdir(parents=True, exist_ok=True)
    errors = []
    for mirror in mirrors:
        url = mirror + name
        try:
            with urllib.request.urlopen(url, timeout=timeout) as r, \
                    tempfile.NamedTemporaryFile(dir=root, prefix=f".{name}.", delete=False) as tmp:
                tmp.write(r.read())
        except (urllib.error.URLError, OSError) as e:
            errors.append(f"{url}: {getattr(e, 'reason', e)}")
            continue
        if md5sum(tmp.name) != md5:
            os.unlink(tmp.name)
            errors.append(f"{url}: MD5 mismatch (a damaged download or a changed mirror)")
            continue
        os.replace(tmp.name, dest)
        return dest
    raise DatasetUnavailable(f"could not download {name} (are you offline?). Tried: " + "; ".join(errors)
                             + f". Either copy {name} into {root}/ by hand, or use the {OFFLINE_ALTERNATIVES}.")


def mnist_arrays(root=None, mirrors=None, files=None):
    """MNIST as NumPy arrays (x_train, y_train, x_test, y_test), downloaded once into datasets/mnist."""
    root = Path(root or DATASETS / "mnist")
    files = files or MNIST_FILES
    paths = [fetch(name, md5, root, mirrors or MNIST_MIRRORS) for name, md5 in files.items()]
    return tuple(read_idx(p) for p in paths)


def mnist(batch_size=64, seed=0, root=None, mirrors=None, files=None):
    """MNIST (28x28 digits, 60k train, 10k test) as (N, 1, 28, 28) floats in [0, 1]: train and test loaders."""
    xtr, ytr, xte, yte = mnist_arrays(root, mirrors, files)
    img = lambda a: torch.tensor(a, dtype=torch.float32).unsqueeze(1) / 255.0
    lab = lambda a: torch.tensor(a, dtype=torch.long)
    return loaders(img(xtr), lab(ytr), img(xte), lab(yte), batch_size=batch_size, seed=seed)
