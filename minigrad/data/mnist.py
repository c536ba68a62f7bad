"""Read MNIST (and any other IDX file) that you already have on disk.

minigrad never downloads anything. Get the four MNIST files once (for example from a
mirror of Yann LeCun's page, or from torchvision's cache), put them in one folder, and call
``load_mnist(folder)``.

The IDX format (http://yann.lecun.com/exdb/mnist/) is: two zero bytes, one byte naming the
element type, one byte with the number of dimensions ``d``, then ``d`` big-endian uint32
sizes, then the values in row-major order, big-endian. Files may be gzip-compressed.
"""

from __future__ import annotations

import gzip
import math
import os
import zlib
from pathlib import Path

import numpy as np

# The element-type byte of the IDX header and the (big-endian) numpy type it stands for.
IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


# Decompressed data is read in pieces of this size, so that a file is never held whole in
# memory before its size has been checked against its header.
_CHUNK_BYTES = 1 << 20


def _read_exactly(stream, size: int, path: Path, what: str) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise ValueError(f"{path}: {what} (the file ends after {len(data)} of {size} bytes)")
    return data


def _read_header(stream, path: Path) -> tuple[np.dtype, tuple[int, ...]]:
    magic = stream.read(4)
    if len(magic) < 4:
        raise ValueError(f"{path}: too short for an IDX header ({len(magic)} bytes; expected "
                         "at least 4: two zero bytes, a type byte and a dimension count)")
    if magic[0] != 0 or magic[1] != 0:
        raise ValueError(f"{path}: not an IDX file: it should start with two zero bytes, "
                         f"starts with {magic[:2].hex()}")
    type_code, ndim = magic[2], magic[3]
    if type_code not in IDX_DTYPES:
        known = ", ".join(f"0x{code:02X}" for code in IDX_DTYPES)
        raise ValueError(f"{path}: unknown IDX element type 0x{type_code:02X}; expected one "
                         f"of {known}")
    sizes = _read_exactly(stream, 4 * ndim, path,
                          f"header declares {ndim} dimensions but is cut short")
    shape = tuple(int(size) for size in np.frombuffer(sizes, dtype=">u4"))
    return IDX_DTYPES[type_code], shape


def _data_size(shape: tuple[int, ...], dtype: np.dtype, path: Path) -> int:
    """Bytes of data the header declares, in Python integers (no int64 overflow); refused
    when no array that large could exist on this machine."""
    elements = math.prod(shape)
    size = elements * dtype.itemsize
    if size > np.iinfo(np.intp).max:
        raise ValueError(f"{path}: header declares shape {shape} of {dtype.name}, "
                         f"{elements} elements ({size} bytes), more than an array can hold")
    return size


def _read_data(stream, size: int, compressed: bool, path: Path, describe: str) -> bytearray:
    """Exactly ``size`` bytes of data, read in chunks; ValueError when the file holds fewer
    or more. Memory never exceeds what the file really holds (nor the declared size plus one
    chunk), however large the header claims the data is."""
    if not compressed:
        actual = os.fstat(stream.fileno()).st_size - stream.tell()
        if actual != size:
            raise ValueError(f"{path}: header declares {describe} but the file holds "
                             f"{actual} bytes")
    data = bytearray()
    while len(data) < size:
        chunk = stream.read(min(_CHUNK_BYTES, size - len(data)))
        if not chunk:
            raise ValueError(f"{path}: header declares {describe} but the file holds only "
                             f"{len(data)} bytes")
        data += chunk
    if stream.read(1):
        raise ValueError(f"{path}: header declares {describe} but the file holds more")
    return data


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """The array stored in the IDX file ``path`` (gzip-compressed or not).

    The result has the shape and element type the header declares, in native byte order
    (MNIST images: uint8 of shape (N, 28, 28); labels: uint8 of shape (N,)). Raises
    FileNotFoundError for a missing file and ValueError, naming the file and what was
    expected, for a malformed one: a bad header, or data of another size than the header
    declares. The header is checked first and the data streamed (a compressed file is
    decompressed piece by piece), so a file whose contents do not match its header is
    refused without ever being held whole in memory.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"IDX file not found: {path}")
    with open(path, "rb") as handle:
        # gzip files start with the magic bytes 1f 8b; decide by content, not by file name.
        compressed = handle.read(2) == b"\x1f\x8b"
        handle.seek(0)
        stream = gzip.GzipFile(fileobj=handle, mode="rb") if compressed else handle
        try:
            dtype, shape = _read_header(stream, path)
            size = _data_size(shape, dtype, path)
            describe = f"shape {shape} of {dtype.name} ({size} bytes of data)"
            data = _read_data(stream, size, compressed, path, describe)
        except (OSError, EOFError, zlib.error) as error:
            if not compressed:
                raise
            raise ValueError(f"{path}: looks gzip-compressed but cannot be decompressed "
                             f"({error})") from None
    array = np.frombuffer(data, dtype=dtype).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=False)


def _find_mnist_file(folder: Path, stem: str) -> Path:
    # Mirrors name the files with a dash or a dot before "idx", compressed or not.
    dotted = stem.replace("-idx", ".idx")
    candidates = [folder / (name + suffix) for name in (stem, dotted) for suffix in ("", ".gz")]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"MNIST file {stem} not found in {folder}; looked for "
        + ", ".join(candidate.name for candidate in candidates)
    )


def load_mnist(path: str | os.PathLike, normalize: bool = True, flatten: bool = False):
    """MNIST from the folder ``path`` holding the four standard IDX files.

    The files are ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
    ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte`` (also accepted: ``.gz``
    versions and ``.idx`` instead of ``-idx`` in the name).

    Returns ``((x_train, y_train), (x_test, y_test))``. Images are float32 in [0, 1] when
    ``normalize`` (else uint8 0..255), of shape (N, 28, 28), or (N, 784) when ``flatten``;
    labels are int64.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise FileNotFoundError(f"load_mnist expects a folder holding the four MNIST IDX "
                                f"files; {folder} is not a folder")
    arrays = {key: read_idx(_find_mnist_file(folder, stem)) for key, stem in MNIST_FILES.items()}
    splits = []
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        image_file = MNIST_FILES[f"{split}_images"]
        if images.ndim != 3:
            raise ValueError(f"{image_file} in {folder}: expected images of shape (N, rows, "
                             f"cols), got shape {images.shape}")
        if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
            raise ValueError(f"{MNIST_FILES[f'{split}_labels']} in {folder}: expected "
                             f"{images.shape[0]} labels of shape ({images.shape[0]},) to "
                             f"match the images, got shape {labels.shape}")
        if flatten:
            images = images.reshape(images.shape[0], -1)
        if normalize:
            images = images.astype(np.float32) / 255.0
        splits.append((images, labels.astype(np.int64)))
    return tuple(splits)
