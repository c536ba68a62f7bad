"""The IDX reader checks the header's declared size against the data the file really holds
before holding the data in memory, for plain and gzip files, and refuses sizes that
overflow."""

import gzip
import struct
import tracemalloc

import numpy as np
import pytest

from minigrad.data import read_idx


def _header(shape, type_code=0x08):
    return struct.pack(">BBBB", 0, 0, type_code, len(shape)) + struct.pack(
        f">{len(shape)}I", *shape)


def _write(path, payload: bytes, compress: bool):
    if compress:
        path.write_bytes(gzip.compress(payload, compresslevel=1))
    else:
        path.write_bytes(payload)
    return path


def _peak_bytes(call) -> int:
    tracemalloc.start()
    try:
        call()
    except ValueError:
        pass
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def test_a_small_gzip_file_that_inflates_far_beyond_its_header_is_refused_early(tmp_path):
    # 10 declared bytes, then 40 MB of zeros: a 40 KB file on disk.
    payload = _header((10,)) + bytes(40 << 20)
    path = _write(tmp_path / "bomb.idx.gz", payload, compress=True)
    assert path.stat().st_size < 1 << 20
    with pytest.raises(ValueError, match=r"declares shape \(10,\) .* holds more"):
        read_idx(path)
    assert _peak_bytes(lambda: read_idx(path)) < 4 << 20


@pytest.mark.parametrize("compress", [False, True])
def test_a_header_declaring_a_gigabyte_in_a_tiny_file_is_refused_without_allocating(
        tmp_path, compress):
    path = _write(tmp_path / "short.idx", _header((1000, 1000, 1000)) + bytes(10), compress)
    with pytest.raises(ValueError, match=r"declares shape \(1000, 1000, 1000\) of uint8 "
                                         r"\(1000000000 bytes of data\) but the file holds"):
        read_idx(path)
    assert _peak_bytes(lambda: read_idx(path)) < 4 << 20


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("shape, type_code", [
    ((65536, 65536, 65536, 65536), 0x08),  # 2**64 elements: 0 in int64 arithmetic
    ((2**32 - 1, 2**32 - 1, 2**32 - 1), 0x0E),
])
def test_sizes_that_overflow_are_refused_clearly(tmp_path, compress, shape, type_code):
    path = _write(tmp_path / "huge.idx", _header(shape, type_code), compress)
    with pytest.raises(ValueError, match=r"more than an array can hold"):
        read_idx(path)


@pytest.mark.parametrize("compress", [False, True])
def test_data_larger_than_one_read_chunk_round_trips(tmp_path, compress):
    array = np.random.default_rng(0).integers(-2**31, 2**31, size=(3, 300, 1000),
                                              dtype=np.int64).astype(np.int32)
    path = _write(tmp_path / "big.idx", _header(array.shape, 0x0C) + array.astype(">i4")
                  .tobytes(), compress)
    result = read_idx(path)
    assert result.dtype == np.int32
    np.testing.assert_array_equal(result, array)


def test_a_truncated_gzip_stream_is_a_clear_error(tmp_path):
    compressed = gzip.compress(_header((100,)) + bytes(range(100)))
    path = tmp_path / "cut.idx.gz"
    path.write_bytes(compressed[:-12])
    with pytest.raises(ValueError, match="cannot be decompressed|holds only"):
        read_idx(path)
