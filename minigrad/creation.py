"""Making tensors: from data, filled with a value, ranges, and random draws."""

from __future__ import annotations

import numbers

import numpy as np

from minigrad import dtypes, random
from minigrad.backend import get_backend
from minigrad.defaults import _Defaults
from minigrad.tensor import Tensor, _host_array, normalize_device


def _shape(size, function: str = "zeros") -> tuple[int, ...]:
    """Accept ``zeros(2, 3)`` and ``zeros((2, 3))`` alike; sizes must be ints (``zeros(2.5)``
    is a TypeError, as in PyTorch, rather than a silently truncated size)."""
    if len(size) == 1 and isinstance(size[0], tuple | list):
        size = size[0]
    for position, s in enumerate(size):
        if isinstance(s, bool) or not isinstance(s, numbers.Integral):
            raise TypeError(
                f"{function}(): argument 'size' must be a tuple of ints, but found element of "
                f"type {type(s).__name__} at position {position}"
            )
    shape = tuple(int(s) for s in size)
    if any(s < 0 for s in shape):
        raise ValueError(f"sizes must be non-negative, got {shape}")
    return shape


def _make(array: np.ndarray, device, requires_grad: bool) -> Tensor:
    device = normalize_device(device)
    tensor = Tensor._from_array(get_backend(device).from_numpy(array), device)
    if requires_grad:
        tensor.requires_grad_(True)
    return tensor


def _float_dtype(dtype) -> dtypes.DType:
    return _Defaults.dtype if dtype is None else dtypes.as_dtype(dtype)


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor holding a copy of ``data`` (numbers, nested lists, numpy arrays or a
    Tensor). Python floats become float32, ints int64, as in PyTorch; numpy data keeps its
    dtype. (``minigrad.Tensor(data)``, PyTorch's legacy constructor, is always float32.)"""
    if dtype is None:
        _check_numpy_dtype_is_kept(data)
    dtype = None if dtype is None else dtypes.as_dtype(dtype)
    return _make(_host_array(data, dtype), device, requires_grad)


def _check_numpy_dtype_is_kept(data) -> None:
    """PyTorch keeps a numpy array's dtype (int32 stays int32). minigrad has no int32,
    float16, ... tensors, and widening them without being asked would silently change the
    dtype, so it asks for an explicit ``dtype=`` instead."""
    if not isinstance(data, np.ndarray | np.generic):
        return
    kept = dtypes.from_numpy_dtype(data.dtype) if data.dtype.kind in "biuf" else None
    if kept is None or kept.numpy != data.dtype:
        raise dtypes.UnsupportedDtypeError(
            f"tensor(): numpy data of dtype {data.dtype} has no minigrad dtype of the same "
            "width (minigrad has float32, float64, int64 and bool); pass dtype= to convert, "
            "e.g. minigrad.tensor(array, dtype=minigrad.long) or dtype=minigrad.float32"
        )


def from_numpy(array: np.ndarray) -> Tensor:
    """A CPU tensor sharing memory with ``array`` (float16 and other widths are converted)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(array).__name__}")
    dtype = dtypes.from_numpy_dtype(array.dtype)
    if array.dtype != dtype.numpy:
        array = array.astype(dtype.numpy)
    return Tensor._from_array(array, "cpu")


def zeros(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _make(np.zeros(_shape(size, "zeros"), _float_dtype(dtype).numpy), device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _make(np.ones(_shape(size, "ones"), _float_dtype(dtype).numpy), device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Uninitialised in PyTorch; here zero-filled, so results never depend on old memory."""
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    if dtype is None:
        dtype = dtypes.int64 if isinstance(fill_value, int) and not isinstance(
            fill_value, bool) else _Defaults.dtype
    dtype = dtypes.as_dtype(dtype)
    return _make(np.full(_shape((size,), "full"), fill_value, dtype.numpy), device, requires_grad)


def eye(n: int, m: int | None = None, dtype=None, device=None,
        requires_grad: bool = False) -> Tensor:
    return _make(np.eye(n, m, dtype=_float_dtype(dtype).numpy), device, requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None,
           requires_grad: bool = False) -> Tensor:
    """``arange(5)`` is 0..4 (int64); any float argument gives float32, as in PyTorch."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be non-zero")
    if dtype is None:
        integral = all(isinstance(v, int) for v in (start, end, step))
        dtype = dtypes.int64 if integral else _Defaults.dtype
    dtype = dtypes.as_dtype(dtype)
    return _make(np.arange(start, end, step).astype(dtype.numpy), device, requires_grad)


def linspace(start: float, end: float, steps: int, dtype=None, device=None,
             requires_grad: bool = False) -> Tensor:
    array = np.linspace(start, end, steps).astype(_float_dtype(dtype).numpy)
    return _make(array, device, requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Uniform on [0, 1), drawn from minigrad's seeded generator (or ``generator``'s)."""
    source = random.numpy_generator(generator, "rand")
    array = source.random(_shape(size, "rand")).astype(_float_dtype(dtype).numpy)
    return _make(array, device, requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Standard normal, drawn from minigrad's seeded generator (or ``generator``'s)."""
    shape = _shape(size, "randn")
    source = random.numpy_generator(generator, "randn")
    array = source.standard_normal(shape).astype(_float_dtype(dtype).numpy)
    return _make(array, device, requires_grad)


def randint(low: int, high=None, size=None, *, generator=None, dtype=None, device=None,
            requires_grad: bool = False) -> Tensor:
    """Integers drawn uniformly from [low, high): ``randint(low, high, size)`` or, as in
    PyTorch, ``randint(high, size)`` with low = 0. int64 unless ``dtype`` says otherwise."""
    if size is None:
        if high is None:
            raise TypeError("randint() needs a size: randint(high, size) or "
                            "randint(low, high, size)")
        low, high, size = 0, low, high
    if high is None:
        raise TypeError("randint() needs high: randint(high, size) or randint(low, high, size)")
    if low >= high:
        raise ValueError(f"randint(): low must be less than high, got low={low}, high={high}")
    source = random.numpy_generator(generator, "randint")
    array = source.integers(low, high, _shape((size,), "randint"), dtype=np.int64)
    dtype = dtypes.int64 if dtype is None else dtypes.as_dtype(dtype)
    return _make(array.astype(dtype.numpy), device, requires_grad)


def randperm(n: int, *, generator=None, dtype=None, device=None,
             requires_grad: bool = False) -> Tensor:
    """The numbers 0 .. n-1 in a random order (int64 unless ``dtype`` says otherwise)."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
        raise ValueError(f"randperm(): n must be a non-negative int, got {n!r}")
    array = random.numpy_generator(generator, "randperm").permutation(int(n))
    dtype = dtypes.int64 if dtype is None else dtypes.as_dtype(dtype)
    return _make(array.astype(dtype.numpy), device, requires_grad)


def zeros_like(other: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    return zeros(other.shape, dtype=dtype or other.dtype, device=other.device,
                 requires_grad=requires_grad)


def ones_like(other: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    return ones(other.shape, dtype=dtype or other.dtype, device=other.device,
                requires_grad=requires_grad)


def full_like(other: Tensor, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    return full(other.shape, fill_value, dtype=dtype or other.dtype, device=other.device,
                requires_grad=requires_grad)


def rand_like(other: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    return rand(other.shape, dtype=dtype or other.dtype, device=other.device,
                requires_grad=requires_grad)


def randn_like(other: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    return randn(other.shape, dtype=dtype or other.dtype, device=other.device,
                 requires_grad=requires_grad)
