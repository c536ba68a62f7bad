"""minigrad: a small, fast, honest autograd engine for teaching deep learning.

    >>> import minigrad
    >>> x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    tensor([2., 4.])
"""

from minigrad import autograd, cuda, data, nn, optim
from minigrad.autograd import enable_grad, grad, is_grad_enabled, no_grad
from minigrad.compile import compile as compile  # PyTorch's name (shadows the builtin here)
from minigrad.creation import (
    arange,
    empty,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    tensor,
    zeros,
    zeros_like,
)
from minigrad.dtypes import DType, bool_, float32, float64, int64
from minigrad.ops.elementwise import clamp, maximum, minimum, where
from minigrad.ops.linalg import matmul
from minigrad.ops.shape import cat, stack
from minigrad.random import manual_seed
from minigrad.scalar import Value
from minigrad.tensor import Tensor, is_tensor

__version__ = "0.1.0"


def _method(name):
    def function(input, *args, **kwargs):  # noqa: A002 - PyTorch's argument name
        return getattr(input, name)(*args, **kwargs)

    function.__name__ = name
    function.__doc__ = f"``minigrad.{name}(x, ...)`` is ``x.{name}(...)``."
    return function


exp, log, sqrt, abs, relu, sigmoid, tanh = (  # noqa: A001 - PyTorch's names
    _method(n) for n in ("exp", "log", "sqrt", "abs", "relu", "sigmoid", "tanh")
)
sum, mean, var, std, max, min, argmax, argmin = (  # noqa: A001
    _method(n) for n in ("sum", "mean", "var", "std", "max", "min", "argmax", "argmin")
)
reshape, flatten, transpose, permute, squeeze, unsqueeze = (
    _method(n) for n in ("reshape", "flatten", "transpose", "permute", "squeeze", "unsqueeze")
)

__all__ = [
    "Tensor", "Value", "DType", "autograd", "cuda", "data", "nn", "optim", "tensor", "from_numpy",
    "zeros", "ones",
    "empty", "full", "eye", "arange", "linspace", "rand", "randn", "randint", "zeros_like",
    "ones_like",
    "full_like", "rand_like", "randn_like", "float32", "float64", "int64", "bool_",
    "manual_seed", "no_grad", "enable_grad", "is_grad_enabled", "grad", "is_tensor", "cat",
    "stack", "where", "clamp", "maximum", "minimum", "matmul", "exp", "log", "sqrt", "abs",
    "relu", "sigmoid", "tanh", "sum", "mean", "var", "std", "max", "min", "argmax", "argmin",
    "reshape", "flatten", "transpose", "permute", "squeeze", "unsqueeze", "__version__",
]
