"""The element types a tensor can hold.

Differentiable tensors are ``float32`` (the default, as in PyTorch) or ``float64`` (used by
gradient checks). ``int64`` and ``bool`` exist for indices, labels and comparison results;
they never carry gradients.
"""

from __future__ import annotations

import numpy as np


class DType:
    """A tensor element type: a name plus the numpy dtype that stores it."""

    __slots__ = ("name", "numpy", "is_floating_point")

    def __init__(self, name: str, numpy_dtype: np.dtype, is_floating_point: bool) -> None:
        self.name = name
        self.numpy = np.dtype(numpy_dtype)
        self.is_floating_point = is_floating_point

    def __repr__(self) -> str:
        return f"minigrad.{self.name}"

    def __reduce__(self):
        return (from_numpy_dtype, (self.numpy,))


float32 = DType("float32", np.float32, True)
float64 = DType("float64", np.float64, True)
int64 = DType("int64", np.int64, False)
bool_ = DType("bool", np.bool_, False)

ALL_DTYPES = (float32, float64, int64, bool_)
_BY_NUMPY = {dtype.numpy: dtype for dtype in ALL_DTYPES}
_BY_NAME = {dtype.name: dtype for dtype in ALL_DTYPES}


def from_numpy_dtype(numpy_dtype) -> DType:
    """The minigrad dtype for a numpy dtype; other integer and float widths are widened."""
    numpy_dtype = np.dtype(numpy_dtype)
    if numpy_dtype in _BY_NUMPY:
        return _BY_NUMPY[numpy_dtype]
    if numpy_dtype.kind == "f":
        return float64 if numpy_dtype.itemsize > 4 else float32
    if numpy_dtype.kind in "iu":
        return int64
    raise TypeError(
        f"minigrad tensors hold float32, float64, int64 or bool; got numpy dtype {numpy_dtype}"
    )


def as_dtype(dtype) -> DType:
    """Accept a DType, a name such as ``"float64"``, or a numpy dtype."""
    if isinstance(dtype, DType):
        return dtype
    if isinstance(dtype, str) and dtype in _BY_NAME:
        return _BY_NAME[dtype]
    try:
        return from_numpy_dtype(dtype)
    except TypeError:
        raise TypeError(
            f"unknown dtype {dtype!r}; expected one of minigrad.float32, minigrad.float64, "
            "minigrad.int64, minigrad.bool_"
        ) from None
