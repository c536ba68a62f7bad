"""PyTorch's function forms of the arithmetic operators, with its argument names
(``minigrad.add(input, other, alpha=1)``, ``x.div(y, rounding_mode="floor")``).

``FUNCTIONS`` becomes both ``minigrad.<name>`` and ``Tensor.<name>``; the operators
(``+``, ``-``, ...) and these functions run the same ops from ``elementwise.py``.
"""

from __future__ import annotations

from minigrad.ops import elementwise


def add(input, other, *, alpha=1):  # noqa: A002 - PyTorch's argument names
    """input + alpha * other."""
    return elementwise.add(input, other if alpha == 1 else other * alpha)


def sub(input, other, *, alpha=1):  # noqa: A002
    """input - alpha * other."""
    return elementwise.sub(input, other if alpha == 1 else other * alpha)


def mul(input, other):  # noqa: A002
    return elementwise.mul(input, other)


def div(input, other, *, rounding_mode=None):  # noqa: A002
    """input / other; ``rounding_mode="trunc"`` or ``"floor"`` rounds the quotient (which
    then has gradient 0, as in PyTorch)."""
    quotient = elementwise.div(input, other)
    if rounding_mode is None:
        return quotient
    if rounding_mode not in ("trunc", "floor"):
        raise ValueError(f"div: rounding_mode must be None, 'trunc' or 'floor', got "
                         f"{rounding_mode!r}")
    rounded = quotient.trunc() if rounding_mode == "trunc" else quotient.floor()
    both_integers = not input.dtype.is_floating_point and not getattr(
        other, "dtype", input.dtype).is_floating_point and not isinstance(other, float)
    return rounded.long() if both_integers else rounded


def pow(input, exponent):  # noqa: A001, A002
    return elementwise.pow(input, exponent)


def neg(input):  # noqa: A002
    return -input


def _comparison(op: str):
    def compare(input, other):  # noqa: A002
        return elementwise.compare(op, input, other)

    compare.__name__ = op
    compare.__doc__ = f"Elementwise ``{op}`` (a bool tensor, no gradient)."
    return compare


def maximum(input, other):  # noqa: A002
    return elementwise.maximum(input, other)


def minimum(input, other):  # noqa: A002
    return elementwise.minimum(input, other)


def clamp(input, min=None, max=None):  # noqa: A002
    return elementwise.clamp(input, min, max)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:  # noqa: A002
    """True if |input - other| <= atol + rtol |other| everywhere (shapes broadcast)."""
    import numpy as np

    return bool(np.allclose(input.numpy(), other.numpy(), rtol=rtol, atol=atol,
                            equal_nan=equal_nan))


def equal(input, other) -> bool:  # noqa: A002
    """True if both tensors have the same shape and the same values."""
    return input.shape == other.shape and bool((input == other).all())


FUNCTIONS = {
    "add": add, "sub": sub, "subtract": sub, "mul": mul, "multiply": mul, "div": div,
    "divide": div, "true_divide": div, "pow": pow, "neg": neg, "negative": neg,
    **{op: _comparison(op) for op in ("eq", "ne", "lt", "le", "gt", "ge")},
    "greater": _comparison("gt"), "less": _comparison("lt"), "greater_equal": _comparison("ge"),
    "less_equal": _comparison("le"), "not_equal": _comparison("ne"),
    "maximum": maximum, "minimum": minimum, "clamp": clamp, "clip": clamp,
    "allclose": allclose, "equal": equal,
}
