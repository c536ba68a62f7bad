"""The IDX reader on small files written by the tests."""

import gzip
import struct

import numpy as np
import pytest

from minigrad.data import load_mnist, read_idx


def write_idx(path, array, type_code=0x08, compress=False):
    header = struct.pack(">BBBB", 0, 0, type_code, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    big_endian = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4",
                  0x0E: ">f8"}[type_code]
    payload = header + array.astype(big_endian).tobytes()
    opener = gzip.open if compress else open
    with opener(path, "wb") as handle:
        handle.write(payload)


@pytest.mark.parametrize("type_code, dtype", [(0x08, np.uint8), (0x09, np.int8),
                                              (0x0B, np.int16), (0x0C, np.int32),
                                              (0x0D, np.float32), (0x0E, np.float64)])
@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_round_trip(tmp_path, type_code, dtype, compress):
    array = (np.arange(24).reshape(2, 3, 4) * 3 - 10).astype(dtype)
    if dtype == np.uint8:
        array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4) * 10
    path = tmp_path / "data.idx"
    write_idx(path, array, type_code, compress)
    result = read_idx(path)
    assert result.dtype == np.dtype(dtype) and result.shape == (2, 3, 4)
    np.testing.assert_array_equal(result, array)


def test_read_idx_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.idx"):
        read_idx(tmp_path / "missing.idx")
    bad_magic = tmp_path / "bad_magic"
    bad_magic.write_bytes(b"\x01\x02\x08\x01\x00\x00\x00\x01\x05")
    with pytest.raises(ValueError, match="bad_magic.*two zero bytes"):
        read_idx(bad_magic)
    bad_type = tmp_path / "bad_type"
    bad_type.write_bytes(b"\x00\x00\x07\x01\x00\x00\x00\x01\x05")
    with pytest.raises(ValueError, match="element type 0x07"):
        read_idx(bad_type)
    truncated = tmp_path / "truncated"
    write_idx(truncated, np.zeros((4, 5), np.uint8))
    truncated.write_bytes(truncated.read_bytes()[:-3])
    with pytest.raises(ValueError, match=r"truncated.*\(4, 5\).*20 bytes.*17 bytes"):
        read_idx(truncated)
    short = tmp_path / "short"
    short.write_bytes(b"\x00\x00")
    with pytest.raises(ValueError, match="too short"):
        read_idx(short)
    cut_header = tmp_path / "cut_header"
    cut_header.write_bytes(b"\x00\x00\x08\x03\x00\x00\x00\x01")
    with pytest.raises(ValueError, match="3 dimensions"):
        read_idx(cut_header)


def make_mnist_folder(folder, compress):
    rng = np.random.default_rng(0)
    suffix = ".gz" if compress else ""
    for split, count in (("train", 6), ("t10k", 3)):
        write_idx(folder / f"{split}-images-idx3-ubyte{suffix}",
                  rng.integers(0, 256, (count, 28, 28)).astype(np.uint8), compress=compress)
        write_idx(folder / f"{split}-labels-idx1-ubyte{suffix}",
                  rng.integers(0, 10, count).astype(np.uint8), compress=compress)


@pytest.mark.parametrize("compress", [False, True])
def test_load_mnist(tmp_path, compress):
    make_mnist_folder(tmp_path, compress)
    (x_train, y_train), (x_test, y_test) = load_mnist(tmp_path)
    assert x_train.shape == (6, 28, 28) and x_train.dtype == np.float32
    assert 0.0 <= x_train.min() and x_train.max() <= 1.0
    assert y_train.shape == (6,) and y_train.dtype == np.int64
    assert x_test.shape == (3, 28, 28) and y_test.shape == (3,)
    (raw, _), _ = load_mnist(tmp_path, normalize=False, flatten=True)
    assert raw.shape == (6, 784) and raw.dtype == np.uint8
    np.testing.assert_allclose(x_train.reshape(6, -1), raw / 255.0, rtol=1e-6)


def test_load_mnist_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a folder"):
        load_mnist(tmp_path / "nowhere")
    make_mnist_folder(tmp_path, compress=False)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte not found"):
        load_mnist(tmp_path)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.zeros(5, np.uint8))
    with pytest.raises(ValueError, match="expected 3 labels"):
        load_mnist(tmp_path)
