"""The elementwise math family on the CPU (``sin``, ``log1p``, ``floor``, ``erf``, ...):
numpy ufuncs, which already follow IEEE rules (``asin(2)`` is nan, ``log1p(-1)`` is -inf).

``erf`` has no numpy ufunc; it is a Numba ``@vectorize`` over ``math.erf``, compiled on
first use."""

from __future__ import annotations

import math

import numpy as np


def _rsqrt(a: np.ndarray) -> np.ndarray:
    return 1.0 / np.sqrt(a)


def _reciprocal(a: np.ndarray) -> np.ndarray:
    return 1.0 / a


def _erf_of_one(x):
    return math.erf(x)


_ERF = None


def _erf(a: np.ndarray) -> np.ndarray:
    global _ERF
    if _ERF is None:
        from numba import vectorize

        _ERF = vectorize(["float32(float32)", "float64(float64)"], cache=True)(_erf_of_one)
    return _ERF(a)


MATH_UNARY = {
    "sin": np.sin, "cos": np.cos, "tan": np.tan,
    "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan,
    "sinh": np.sinh, "cosh": np.cosh,
    "asinh": np.arcsinh, "acosh": np.arccosh, "atanh": np.arctanh,
    "log2": np.log2, "log10": np.log10, "log1p": np.log1p, "expm1": np.expm1,
    "rsqrt": _rsqrt, "reciprocal": _reciprocal,
    "floor": np.floor, "ceil": np.ceil, "round": np.round, "trunc": np.trunc,
    "erf": _erf,
}
