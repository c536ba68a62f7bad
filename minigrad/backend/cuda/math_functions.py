"""Device functions of the elementwise math family (``sin``, ``log1p``, ``floor``, ...),
one element each; ``elementwise.py`` builds the map kernels from them.

The guards return the IEEE results (nan outside the domain, +-inf on overflow) that a GPU's
math library gives; in the CUDA simulator ``math`` runs as plain Python, which would raise
``ValueError``/``OverflowError`` there instead.
"""

from __future__ import annotations

import math

from numba import cuda

# exp(x) overflows a float64 above this; sinh, cosh and expm1 are +-inf beyond it.
_EXP_LIMIT = 709.0


@cuda.jit(device=True)
def _sin(x):
    if math.isinf(x):
        return math.nan
    return math.sin(x)


@cuda.jit(device=True)
def _cos(x):
    if math.isinf(x):
        return math.nan
    return math.cos(x)


@cuda.jit(device=True)
def _tan(x):
    if math.isinf(x):
        return math.nan
    return math.tan(x)


@cuda.jit(device=True)
def _asin(x):
    if -1 <= x <= 1:
        return math.asin(x)
    return math.nan


@cuda.jit(device=True)
def _acos(x):
    if -1 <= x <= 1:
        return math.acos(x)
    return math.nan


@cuda.jit(device=True)
def _atan(x):
    return math.atan(x)


@cuda.jit(device=True)
def _sinh(x):
    if x > _EXP_LIMIT:
        return math.inf
    if x < -_EXP_LIMIT:
        return -math.inf
    return math.sinh(x)


@cuda.jit(device=True)
def _cosh(x):
    if abs(x) > _EXP_LIMIT:
        return math.inf
    return math.cosh(x)


@cuda.jit(device=True)
def _asinh(x):
    return math.asinh(x)


@cuda.jit(device=True)
def _acosh(x):
    if x >= 1:
        return math.acosh(x)
    return math.nan


@cuda.jit(device=True)
def _atanh(x):
    if -1 < x < 1:
        return math.atanh(x)
    if x == 1:
        return math.inf
    if x == -1:
        return -math.inf
    return math.nan


@cuda.jit(device=True)
def _log2(x):
    if x > 0:
        return math.log2(x)
    if x == 0:
        return -math.inf
    return math.nan


@cuda.jit(device=True)
def _log10(x):
    if x > 0:
        return math.log10(x)
    if x == 0:
        return -math.inf
    return math.nan


@cuda.jit(device=True)
def _log1p(x):
    if x > -1:
        return math.log1p(x)
    if x == -1:
        return -math.inf
    return math.nan


@cuda.jit(device=True)
def _expm1(x):
    if x > _EXP_LIMIT:
        return math.inf
    return math.expm1(x)


@cuda.jit(device=True)
def _rsqrt(x):
    if x > 0:
        return 1 / math.sqrt(x)
    if x == 0:
        return math.inf
    return math.nan


@cuda.jit(device=True)
def _reciprocal(x):
    if x == 0:
        return math.copysign(math.inf, x)
    return 1 / x


@cuda.jit(device=True)
def _floor(x):
    if math.isinf(x) or math.isnan(x):
        return x
    return x - (x % 1)  # Python's % has the divisor's sign, so x % 1 is in [0, 1)


@cuda.jit(device=True)
def _ceil(x):
    if math.isinf(x) or math.isnan(x):
        return x
    return -_floor(-x)


@cuda.jit(device=True)
def _trunc(x):
    if x < 0:
        return _ceil(x)
    return _floor(x)


@cuda.jit(device=True)
def _round(x):
    # Halves go to the even neighbour (banker's rounding), as in PyTorch and numpy.
    if math.isinf(x) or math.isnan(x):
        return x
    below = _floor(x)
    fraction = x - below
    if fraction > 0.5 or (fraction == 0.5 and below % 2 != 0):
        return below + 1
    return below


@cuda.jit(device=True)
def _erf(x):
    return math.erf(x)


MATH_UNARY = {
    "sin": _sin, "cos": _cos, "tan": _tan, "asin": _asin, "acos": _acos, "atan": _atan,
    "sinh": _sinh, "cosh": _cosh, "asinh": _asinh, "acosh": _acosh, "atanh": _atanh,
    "log2": _log2, "log10": _log10, "log1p": _log1p, "expm1": _expm1,
    "rsqrt": _rsqrt, "reciprocal": _reciprocal,
    "floor": _floor, "ceil": _ceil, "round": _round, "trunc": _trunc, "erf": _erf,
}
