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

# PyTorch's other names for the same dtypes: minigrad.float is float32, minigrad.long int64
ALIASES = {"float": float32, "double": float64, "long": int64, "bool": bool_}

# Element types PyTorch has and minigrad leaves out, and why. Asking for one raises
# NotImplementedError with this reason (never a silent conversion to another width).
UNSUPPORTED = {
    name: "minigrad computes in float32/float64 and indexes with int64; use minigrad.float32 "
          "or minigrad.float64 (for half precision, PyTorch itself)"
    for name in ("half", "float16", "bfloat16")
} | {
    name: "integer tensors in minigrad are int64 (minigrad.long); convert with .long()"
    for name in ("int", "int32", "int16", "short", "int8", "uint8")
} | {
    name: "complex numbers are outside minigrad's scope (real-valued deep learning)"
    for name in ("complex64", "complex128", "cfloat", "cdouble")
}
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


class UnsupportedDtypeError(NotImplementedError, TypeError):
    """A dtype PyTorch has and minigrad leaves out: out of scope (NotImplementedError) and a
    wrong argument type for minigrad (TypeError), so either ``except`` catches it."""


def unsupported(name: str) -> UnsupportedDtypeError:
    return UnsupportedDtypeError(f"dtype {name}: {UNSUPPORTED[name]}")


def as_dtype(dtype) -> DType:
    """Accept a DType, a name such as ``"float64"``, or a numpy dtype. Asking for a dtype
    minigrad does not have (``"int32"``, ``np.float16``) raises NotImplementedError."""
    if isinstance(dtype, DType):
        return dtype
    if dtype is float:  # Python's float is double precision: PyTorch maps it to float64
        return float64
    if dtype is int:
        return int64
    if isinstance(dtype, str) and dtype in _BY_NAME:
        return _BY_NAME[dtype]
    if isinstance(dtype, str) and dtype in ALIASES:
        return ALIASES[dtype]
    name = dtype if isinstance(dtype, str) else _numpy_name(dtype)
    if name in UNSUPPORTED:
        raise unsupported(name)
    try:
        return from_numpy_dtype(dtype)
    except TypeError:
        raise TypeError(
            f"unknown dtype {dtype!r}; expected one of minigrad.float32, minigrad.float64, "
            "minigrad.int64, minigrad.bool_"
        ) from None


def _numpy_name(value) -> str | None:
    """``"int32"`` for ``np.int32`` and the like; None for what is not a numpy dtype."""
    try:
        return np.dtype(value).name
    except TypeError:
        return None
