"""The elementwise math family: trigonometric, hyperbolic, logarithms, rounding, ``erf``.

Each op is a ``Function`` whose forward runs one backend kernel and whose backward is the
upstream gradient times the local derivative, written in Tensor ops (so it can be
differentiated again). The derivative sits on the line below the kernel name::

    class Sin(ElementwiseMath):
        kernel = "sin"
        derivative = staticmethod(lambda a: a.cos())        # d sin(a)/da = cos(a)

``FUNCTIONS`` is the family's table: each entry becomes ``minigrad.<name>(input)`` and the
method ``Tensor.<name>()``; the compatibility table in the docs is generated from it.
"""

from __future__ import annotations

import math

from minigrad.autograd.function import Function

_LN2, _LN10 = math.log(2.0), math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


class ElementwiseMath(Function):
    """z = f(a) elementwise with the backend kernel ``kernel``;  dz/da = ``derivative(a)``."""

    kernel = ""

    @staticmethod
    def derivative(a):
        raise NotImplementedError

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a._from_array(a.backend.unary(ctx.kernel, a._data), a.device)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * ctx.derivative(a)


def _op(name: str, kernel: str, derivative, doc: str) -> type[ElementwiseMath]:
    """An ``ElementwiseMath`` subclass; its class name (``Sin``) gives PyTorch's node name
    (``SinBackward0``)."""
    return type(name, (ElementwiseMath,), {
        "kernel": kernel, "derivative": staticmethod(derivative), "__doc__": doc,
    })


def _zero(a):
    # Rounding is piecewise constant: derivative 0 almost everywhere (PyTorch's choice too).
    return a.zeros_like()


Sin = _op("Sin", "sin", lambda a: a.cos(), "z = sin a;  dz/da = cos a.")
Cos = _op("Cos", "cos", lambda a: -a.sin(), "z = cos a;  dz/da = -sin a.")
Tan = _op("Tan", "tan", lambda a: 1 + a.tan() ** 2, "z = tan a;  dz/da = 1 + tan^2 a.")
Asin = _op("Asin", "asin", lambda a: (1 - a * a).rsqrt(), "z = asin a;  dz/da = 1/sqrt(1-a^2).")
Acos = _op("Acos", "acos", lambda a: -(1 - a * a).rsqrt(),
           "z = acos a;  dz/da = -1/sqrt(1-a^2).")
Atan = _op("Atan", "atan", lambda a: (1 + a * a).reciprocal(), "z = atan a;  dz/da = 1/(1+a^2).")
Sinh = _op("Sinh", "sinh", lambda a: a.cosh(), "z = sinh a;  dz/da = cosh a.")
Cosh = _op("Cosh", "cosh", lambda a: a.sinh(), "z = cosh a;  dz/da = sinh a.")
Asinh = _op("Asinh", "asinh", lambda a: (a * a + 1).rsqrt(),
            "z = asinh a;  dz/da = 1/sqrt(a^2+1).")
Acosh = _op("Acosh", "acosh", lambda a: (a * a - 1).rsqrt(),
            "z = acosh a;  dz/da = 1/sqrt(a^2-1).")
Atanh = _op("Atanh", "atanh", lambda a: (1 - a * a).reciprocal(),
            "z = atanh a;  dz/da = 1/(1-a^2).")
Log2 = _op("Log2", "log2", lambda a: (a * _LN2).reciprocal(), "z = log2 a;  dz/da = 1/(a ln 2).")
Log10 = _op("Log10", "log10", lambda a: (a * _LN10).reciprocal(),
            "z = log10 a;  dz/da = 1/(a ln 10).")
Log1P = _op("Log1P", "log1p", lambda a: (1 + a).reciprocal(), "z = ln(1+a);  dz/da = 1/(1+a).")
Expm1 = _op("Expm1", "expm1", lambda a: a.exp(), "z = e^a - 1;  dz/da = e^a.")
Rsqrt = _op("Rsqrt", "rsqrt", lambda a: -0.5 * a.rsqrt() ** 3,
            "z = a^(-1/2);  dz/da = -a^(-3/2) / 2.")
Reciprocal = _op("Reciprocal", "reciprocal", lambda a: -(a.reciprocal() ** 2),
                 "z = 1/a;  dz/da = -1/a^2.")
Erf = _op("Erf", "erf", lambda a: _TWO_OVER_SQRT_PI * (-(a * a)).exp(),
          "z = erf a;  dz/da = 2/sqrt(pi) e^(-a^2).")
Floor = _op("Floor", "floor", _zero, "z = floor a;  dz/da = 0.")
Ceil = _op("Ceil", "ceil", _zero, "z = ceil a;  dz/da = 0.")
Round = _op("Round", "round", _zero, "z = round a (halves to even);  dz/da = 0.")
Trunc = _op("Trunc", "trunc", _zero, "z = trunc a (towards zero);  dz/da = 0.")

_FLOAT_OPS = (Sin, Cos, Tan, Asin, Acos, Atan, Sinh, Cosh, Asinh, Acosh, Atanh, Log2, Log10,
              Log1P, Expm1, Rsqrt, Reciprocal, Erf)
_ROUNDING_OPS = (Floor, Ceil, Round, Trunc)


def _float_function(op: type[ElementwiseMath]):
    def function(input):  # noqa: A002 - PyTorch's argument name
        # integer tensors give float32 results, as in PyTorch
        return op.apply(input if input.dtype.is_floating_point else input.float())

    function.__name__ = function.__qualname__ = op.kernel
    function.__doc__ = f"Elementwise ``{op.kernel}``: {op.__doc__}"
    return function


def _rounding_function(op: type[ElementwiseMath]):
    def function(input):  # noqa: A002 - PyTorch's argument name
        # integers are already whole numbers: PyTorch returns them unchanged (a copy)
        return op.apply(input) if input.dtype.is_floating_point else input.clone()

    function.__name__ = function.__qualname__ = op.kernel
    function.__doc__ = f"Elementwise ``{op.kernel}``: {op.__doc__}"
    return function


def square(input):  # noqa: A002
    """a^2 (PyTorch records it as a power too: ``PowBackward0``)."""
    return input ** 2


def frac(input):  # noqa: A002
    """The fractional part a - trunc(a), with a's sign;  dz/da = 1."""
    return input - trunc(input).detach()


class Softplus(Function):
    """z = ln(1 + e^(beta a)) / beta, and z = a where beta a > threshold (PyTorch's switch
    to the identity, where the two agree to float precision);  dz/da = sigmoid(beta a)
    (1 above the threshold)."""

    @staticmethod
    def forward(ctx, a, beta, threshold):
        ctx.save_for_backward(a)
        ctx.beta, ctx.threshold = beta, threshold
        scaled = a * beta
        # ln(1 + e^z) = max(z, 0) + ln(1 + e^-|z|): no overflow for any z
        smooth = (scaled.relu() + (-scaled.abs()).exp().log1p()) / beta
        return _where(scaled > threshold, a, smooth)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        scaled = a * ctx.beta
        return _where(scaled > ctx.threshold, grad, grad * scaled.sigmoid()), None, None


def _where(condition, a, b):
    from minigrad.ops.elementwise import where

    return where(condition, a, b)


def softplus(input, beta: float = 1.0, threshold: float = 20.0):  # noqa: A002
    """``torch.nn.functional.softplus``: a smooth ReLU, ln(1 + e^(beta x)) / beta."""
    return Softplus.apply(input, beta, threshold)


FUNCTIONS = {
    **{op.kernel: _float_function(op) for op in _FLOAT_OPS},
    **{op.kernel: _rounding_function(op) for op in _ROUNDING_OPS},
    "square": square,
    "frac": frac,
}
# PyTorch's second names for the same functions
ALIASES = {"arcsin": "asin", "arccos": "acos", "arctan": "atan", "arcsinh": "asinh",
           "arccosh": "acosh", "arctanh": "atanh", "fix": "trunc"}
FUNCTIONS.update({alias: FUNCTIONS[name] for alias, name in ALIASES.items()})
trunc = FUNCTIONS["trunc"]
