import gzip
import hashlib
import socket
import struct

import numpy as np
import pytest

from aisys import data


def write_idx(path, array, code):
    """Write an IDX file the way MNIST's are laid out (big-endian header and data)."""
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(payload)
    return path


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_read_idx_round_trip(tmp_path, suffix):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    floats = np.linspace(-1, 1, 6, dtype=np.float32).reshape(3, 2)
    assert np.array_equal(data.read_idx(write_idx(tmp_path / f"i{suffix}", images, 0x08)), images)
    got = data.read_idx(write_idx(tmp_path / f"f{suffix}", floats, 0x0D))
    assert got.dtype == np.float32 and np.array_equal(got, floats)


def test_read_idx_refuses_a_file_that_is_not_idx(tmp_path):
    p = tmp_path / "bad"
    p.write_bytes(b"PK\x03\x04 a zip file")
    with pytest.raises(ValueError, match="not an IDX file"):
        data.read_idx(p)


def test_read_idx_refuses_a_truncated_file(tmp_path):
    p = write_idx(tmp_path / "t", np.zeros((4, 5), np.uint8), 0x08)
    p.write_bytes(p.read_bytes()[:-3])
    with pytest.raises(ValueError, match="truncated"):
        data.read_idx(p)


def fake_mirror(tmp_path, n=5):
    """A local 'mirror' (file:// URL) with tiny MNIST-shaped files, and their MD5s."""
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte.gz": (rng.integers(0, 256, (n, 28, 28)).astype(np.uint8), 0x08),
        "train-labels-idx1-ubyte.gz": (rng.integers(0, 10, n).astype(np.uint8), 0x08),
        "t10k-images-idx3-ubyte.gz": (rng.integers(0, 256, (3, 28, 28)).astype(np.uint8), 0x08),
        "t10k-labels-idx1-ubyte.gz": (rng.integers(0, 10, 3).astype(np.uint8), 0x08),
    }
    files = {}
    for name, (arr, code) in arrays.items():
        write_idx(mirror / name, arr, code)
        files[name] = hashlib.md5((mirror / name).read_bytes()).hexdigest()
    return mirror.as_uri() + "/", files, arrays


def test_mnist_downloads_verifies_and_caches(tmp_path):
    url, files, arrays = fake_mirror(tmp_path)
    root = tmp_path / "cache"
    train, test = data.mnist(batch_size=2, root=root, mirrors=[url], files=files)
    x, y = next(iter(train))
    assert x.shape == (2, 1, 28, 28) and float(x.max()) <= 1.0 and y.dtype.is_floating_point is False
    assert len(test.dataset) == 3
    assert sorted(p.name for p in root.iterdir()) == sorted(files)
    # Cached: a second call needs no mirror at all.
    xs = data.mnist_arrays(root=root, mirrors=["http://127.0.0.1:9/"], files=files)
    assert np.array_equal(xs[0], arrays["train-images-idx3-ubyte.gz"][0])


def test_mnist_checksum_mismatch_keeps_nothing(tmp_path):
    url, files, _ = fake_mirror(tmp_path)
    files["train-images-idx3-ubyte.gz"] = "0" * 32
    root = tmp_path / "cache"
    with pytest.raises(data.DatasetUnavailable, match="MD5 mismatch"):
        data.mnist_arrays(root=root, mirrors=[url], files=files)
    assert list(root.iterdir()) == []


def test_mnist_corrupt_cache_says_delete_it(tmp_path):
    url, files, _ = fake_mirror(tmp_path)
    root = tmp_path / "cache"
    data.mnist_arrays(root=root, mirrors=[url], files=files)
    (root / "t10k-labels-idx1-ubyte.gz").write_bytes(b"garbage")
    with pytest.raises(data.DatasetUnavailable, match="corrupt.*delete it"):
        data.mnist_arrays(root=root, mirrors=[url], files=files)


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_mnist_offline_names_the_offline_alternatives(tmp_path):
    offline = f"http://127.0.0.1:{closed_port()}/"
    with pytest.raises(data.DatasetUnavailable) as err:
        data.mnist(root=tmp_path / "cache", mirrors=[offline])
    msg = str(err.value)
    assert "offline" in msg and "aisys.data.digits()" in msg and "aisys.data.mnist1d()" in msg
    assert not any((tmp_path / "cache").iterdir())


def test_digits_loaders():
    train, test = data.digits(batch_size=32)
    x, y = next(iter(train))
    assert x.shape == (32, 1, 8, 8) and 0.0 <= float(x.min()) and float(x.max()) <= 1.0
    assert len(train.dataset) + len(test.dataset) == 1797
    assert set(y.tolist()) <= set(range(10))


def test_digits_split_and_shuffle_repeat_with_the_seed():
    a = next(iter(data.digits(seed=1)[0]))[1]
    b = next(iter(data.digits(seed=1)[0]))[1]
    c = next(iter(data.digits(seed=2)[0]))[1]
    assert a.tolist() == b.tolist() and a.tolist() != c.tolist()


def test_mnist1d_loaders():
    train, test = data.mnist1d(batch_size=16, num_samples=200)
    x, y = next(iter(train))
    assert x.shape == (16, 1, 40) and len(train.dataset) == 160 and len(test.dataset) == 40


def test_digits_tensors_split_all_samples_once():
    x_tr, y_tr, x_te, y_te = data.digits_tensors(test_fraction=0.25, seed=3)
    assert len(x_tr) + len(x_te) == 1797 and abs(len(x_te) - 449) <= 1
    assert x_tr.shape[1:] == (1, 8, 8) and float(x_tr.max()) <= 1.0 and set(y_te.tolist()) <= set(range(10))
