"""minigrad: a small, fast, honest autograd engine for teaching deep learning.

    >>> import minigrad
    >>> x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    tensor([2., 4.])
"""

import functools as _functools

from minigrad import accelerator, autograd, cuda, data, nn, optim, utils
from minigrad.autograd import (
    enable_grad,
    grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
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
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from minigrad.defaults import (
    get_default_device,
    get_default_dtype,
    set_default_device,
    set_default_dtype,
)
from minigrad.devices import device
from minigrad.dtypes import DType, bool_, float32, float64, int64
from minigrad.ops import arithmetic as _arithmetic
from minigrad.ops import cumulative as _cumulative
from minigrad.ops import diagonal as _diagonal
from minigrad.ops import elementwise_math as _elementwise_math
from minigrad.ops import linalg as _linalg
from minigrad.ops import reduction as _reduction
from minigrad.ops import sorting as _sorting
from minigrad.ops.einsum import einsum
from minigrad.ops.elementwise import where
from minigrad.ops.shape import cat, chunk, split, stack
from minigrad.random import Generator, manual_seed
from minigrad.scalar import Value
from minigrad.serialization import load, save
from minigrad.size import Size
from minigrad.tensor import Tensor, is_tensor
from minigrad.unsupported import TORCH as _UNSUPPORTED
from minigrad.unsupported import module_getattr

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
reshape, flatten, transpose, permute, squeeze, unsqueeze, t, numel = (
    _method(n) for n in ("reshape", "flatten", "transpose", "permute", "squeeze", "unsqueeze",
                         "t", "numel")
)
amax, amin, is_floating_point, clone, detach = (
    _method(n) for n in ("amax", "amin", "is_floating_point", "clone", "detach")
)


def softmax(input, dim, dtype=None):  # noqa: A002 - PyTorch's argument names
    """``torch.softmax``: the same function as ``nn.functional.softmax``."""
    if dtype is not None:
        input = input.to(dtype=dtype)
    return nn.functional.softmax(input, dim=dim)


def log_softmax(input, dim, dtype=None):  # noqa: A002
    """``torch.log_softmax``: the same function as ``nn.functional.log_softmax``."""
    if dtype is not None:
        input = input.to(dtype=dtype)
    return nn.functional.log_softmax(input, dim=dim)


# Functions PyTorch also has as Tensor methods (x.softmax(dim=1), x.split(2)); softmax lives
# in nn.functional, which tensor.py cannot import, so they are bound here.
Tensor.softmax, Tensor.log_softmax = softmax, log_softmax
Tensor.split, Tensor.chunk = split, chunk

# The op families' tables (see minigrad/ops): add, sub, ..., sin, cos, ..., mm, mv, norm, ...
globals().update(_arithmetic.FUNCTIONS)
globals().update(_elementwise_math.FUNCTIONS)
globals().update(_linalg.FUNCTIONS)
_ORDERING_TABLES = (_reduction.FUNCTIONS, _cumulative.FUNCTIONS, _sorting.FUNCTIONS,
                    _diagonal.FUNCTIONS)
for _table in _ORDERING_TABLES:  # prod, cumsum, sort, argsort, topk, unique, diag
    globals().update(_table)


def _accepting_out(function):
    """``function`` with PyTorch's ``out=`` keyword: ``minigrad.mul(a, b, out=c)`` writes
    the product into ``c`` and returns ``c`` (rules: ``minigrad.ops.linalg.write_out``)."""

    @_functools.wraps(function)
    def with_out(*args, out=None, **kwargs):
        return _linalg.write_out(function.__name__, function(*args, **kwargs), out)

    return with_out


# out= on the elementwise functions (the products, norm, tril and triu take it themselves)
_RETURN_PYTHON_VALUES = ("allclose", "equal")
for _name in [*_arithmetic.FUNCTIONS, *_elementwise_math.FUNCTIONS, "exp", "log", "sqrt",
              "abs", "sigmoid", "tanh", "where"]:
    if _name not in _RETURN_PYTHON_VALUES:
        globals()[_name] = _accepting_out(globals()[_name])

# PyTorch's dtype aliases; out-of-scope dtypes (half, int32, ...) raise via __getattr__
float, double, long, bool = float32, float64, int64, bool_  # noqa: A001
__getattr__ = module_getattr("minigrad", _UNSUPPORTED)

__all__ = [
    "Tensor", "Value", "DType", "accelerator", "autograd", "cuda", "data", "nn", "optim", "utils",
    "tensor",
    "from_numpy",
    "zeros", "ones",
    "empty", "full", "eye", "arange", "linspace", "rand", "randn", "randint", "zeros_like",
    "ones_like",
    "full_like", "rand_like", "randn_like", "float32", "float64", "int64", "bool_",
    "randperm", "Generator", "manual_seed", "no_grad", "enable_grad", "set_grad_enabled",
    "inference_mode",
    "is_grad_enabled", "is_inference_mode_enabled", "grad", "is_tensor", "cat",
    "stack", "where", "exp", "log", "sqrt", "abs",
    "relu", "sigmoid", "tanh", "sum", "mean", "var", "std", "max", "min", "argmax", "argmin",
    "reshape", "flatten", "transpose", "permute", "squeeze", "unsqueeze", "__version__",
    "device", "Size", "get_default_dtype", "set_default_dtype", "get_default_device",
    "set_default_device", "float", "double", "long", "bool", "t", "numel", "amax", "amin",
    "is_floating_point", "clone", "detach", "softmax", "log_softmax", "save", "load",
    "split", "chunk", "einsum",
    *[name for table in _ORDERING_TABLES for name in table],
    *_arithmetic.FUNCTIONS, *_elementwise_math.FUNCTIONS, *_linalg.FUNCTIONS,
]
