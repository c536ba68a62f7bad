"""Reductions over dimensions: sum, prod, mean, max, min, var, std, argmax, argmin, any,
all.

The gradient of a reduction spreads the upstream gradient back over the reduced
dimensions: ``sum`` copies it to every element, ``max`` sends it to the element that won.
"""

from __future__ import annotations

import builtins
from collections import namedtuple

import numpy as np

from minigrad.autograd.function import Function
from minigrad.ops.common import name_node, normalize_dim, normalize_dims
from minigrad.ops.elementwise import where

ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])


def _restore_reduced_dims(grad, input_shape: tuple, axes: tuple, keepdim: bool):
    """Reshape a reduced gradient so that it broadcasts against the input again."""
    if keepdim or not axes:
        return grad
    kept_shape = tuple(1 if i in axes else size for i, size in enumerate(input_shape))
    return grad.reshape(kept_shape)


class Sum(Function):
    """z = sum of a over axes;  dz/da_i = 1 for every element, so the gradient is the
    upstream gradient broadcast back to a's shape."""

    @staticmethod
    def forward(ctx, a, axes: tuple, keepdim: bool):
        ctx.input_shape, ctx.axes, ctx.keepdim = a.shape, axes, keepdim
        return a._from_array(a.backend.sum(a._data, axes, keepdim), a.device)

    @staticmethod
    def backward(ctx, grad):
        grad = _restore_reduced_dims(grad, ctx.input_shape, ctx.axes, ctx.keepdim)
        return grad.expand(ctx.input_shape), None, None


class Mean(Function):
    """z = (sum of a over axes) / n, n the number of elements summed;  dz/da_i = 1/n, so
    the gradient is the upstream gradient divided by n, broadcast back to a's shape. One
    node, as in PyTorch (``MeanBackward0``)."""

    @staticmethod
    def forward(ctx, a, axes: tuple, keepdim: bool):
        count = 1
        for axis in axes:
            count *= a.shape[axis]
        ctx.input_shape, ctx.axes, ctx.keepdim, ctx.count = a.shape, axes, keepdim, count
        total = a.backend.sum(a._data, axes, keepdim)
        # n = 0 gives 0/0 = nan, PyTorch's mean of nothing
        divisor = a.backend.full((), count, a.dtype.numpy)
        with np.errstate(invalid="ignore"):
            return a._from_array(a.backend.div(total, divisor), a.device)

    @staticmethod
    def backward(ctx, grad):
        grad = _restore_reduced_dims(grad, ctx.input_shape, ctx.axes, ctx.keepdim)
        return (grad / ctx.count).expand(ctx.input_shape), None, None


class Prod(Function):
    """z = product of a over axes;  dz/da_i = the product of the *other* elements.

    Without zeros that is z / a_i. With zeros it cannot be a division: a line with one zero
    has z = 0, yet moving the zero changes z by the product of the rest, so that element's
    derivative is the product of the non-zero elements and every other one's is 0; with two
    or more zeros every derivative is 0 (PyTorch's rule too).
    """

    @staticmethod
    def forward(ctx, a, axes: tuple, keepdim: bool):
        out = a._from_array(a.backend.prod(a._data, axes, keepdim), a.device)
        ctx.save_for_backward(a, out)
        ctx.axes, ctx.keepdim = axes, keepdim
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        out = _restore_reduced_dims(out, a.shape, ctx.axes, ctx.keepdim)
        grad = _restore_reduced_dims(grad, a.shape, ctx.axes, ctx.keepdim)
        return grad * _product_of_others(a, out, ctx.axes), None, None


def _product_of_others(a, out, axes: tuple):
    """For each element, the product of the other elements reduced with it over ``axes``."""
    from minigrad.autograd.grad_mode import is_grad_enabled

    is_zero = a == 0
    if not bool(is_zero.any()):
        return out / a  # differentiable again: d(z / a_i)/da_j = z / (a_i a_j) for j != i
    if is_grad_enabled():  # backward(create_graph=True): the zero rule has no derivative
        raise NotImplementedError(
            "prod: the second derivative of a product that contains zeros is not "
            "implemented; shift the input away from exact zeros"
        )
    zeros_per_line = is_zero.sum(dim=axes, keepdim=True)
    nonzero = where(is_zero, 1.0, a)
    nonzero_product = Prod.apply(nonzero, axes, True)
    return where(is_zero, where(zeros_per_line == 1, nonzero_product, 0.0),
                 where(zeros_per_line == 0, nonzero_product / nonzero, 0.0))


class Amax(Function):
    """z = max of a over axes;  the gradient is shared equally by the elements equal to
    the maximum (PyTorch's rule for ``max()`` without ``dim`` and for ``amax``)."""

    @staticmethod
    def forward(ctx, a, axes: tuple, keepdim: bool, largest: bool):
        reduce = a.backend.max if largest else a.backend.min
        out = a._from_array(reduce(a._data, axes, keepdim), a.device)
        ctx.save_for_backward(a, out)
        ctx.axes, ctx.keepdim = axes, keepdim
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        out = _restore_reduced_dims(out, a.shape, ctx.axes, ctx.keepdim)
        grad = _restore_reduced_dims(grad, a.shape, ctx.axes, ctx.keepdim)
        winners = (a == out).to(dtype=grad.dtype)
        count = winners.sum(dim=ctx.axes, keepdim=True)
        return grad * winners / count, None, None, None


class Amin(Amax):
    """z = min of a over axes;  the same rule as ``Amax``, with its own name in drawings."""


def _reduce_extreme(a, dim, keepdim: bool, largest: bool):
    """max/min: a tensor without ``dim``; (values, indices) along one ``dim``, as in
    PyTorch."""
    name = "max" if largest else "min"
    if a.numel() == 0:
        raise RuntimeError(f"{name}(): cannot reduce an empty tensor of shape {a.shape}")
    if dim is None:
        extreme = Amax if largest else Amin
        return extreme.apply(a, normalize_dims(None, a.ndim), False, largest)
    axis = normalize_dim(dim, a.ndim)
    indices = argmax(a, axis, keepdim=True) if largest else argmin(a, axis, keepdim=True)
    values = a.gather(axis, indices) if a.ndim > 0 else a
    if not keepdim and a.ndim > 0:
        values = values.squeeze(axis)
        indices = indices.squeeze(axis)
    return ValuesIndices(values, indices)


def sum(a, dim=None, keepdim: bool = False):  # noqa: A001 - PyTorch's name
    if not a.dtype.is_floating_point and a.dtype.name == "bool":
        a = a.long()
    # PyTorch names the node of a sum over chosen dims SumBackward1
    result = Sum.apply(a, normalize_dims(dim, a.ndim), keepdim)
    return result if dim is None else name_node(result, "SumBackward1")


def prod(input, dim=None, keepdim: bool = False, *, dtype=None):  # noqa: A002 - PyTorch's name
    """The product of all elements, or over one ``dim`` (PyTorch takes a single int).
    Integer and bool tensors multiply as int64, as in PyTorch."""
    if dtype is not None:
        input = input.to(dtype=dtype)
    if dim is not None and not isinstance(dim, int):
        raise TypeError(f"prod(): dim must be an int or None, got {type(dim).__name__} "
                        f"({dim!r}); PyTorch's prod reduces one dimension at a time")
    result = Prod.apply(input, normalize_dims(dim, input.ndim), keepdim)
    return result if dim is None else name_node(result, "ProdBackward1")


def mean(a, dim=None, keepdim: bool = False):
    if not a.dtype.is_floating_point:
        raise TypeError(
            f"mean(): expected a floating point tensor, got {a.dtype.name}; use .float() first"
        )
    result = Mean.apply(a, normalize_dims(dim, a.ndim), keepdim)
    return result if dim is None else name_node(result, "MeanBackward1")


def var(a, dim=None, keepdim: bool = False, correction: int = 1, unbiased: bool | None = None):
    """Variance: mean of squared deviations, divided by (n - correction); correction=1
    (the default, Bessel's correction) gives the unbiased estimate as in PyTorch."""
    if unbiased is not None:
        correction = 1 if unbiased else 0
    axes = normalize_dims(dim, a.ndim)
    count = 1
    for axis in axes:
        count *= a.shape[axis]
    deviation = a - mean(a, axes, keepdim=True)
    squared = (deviation * deviation).sum(dim=axes, keepdim=keepdim)
    return squared / builtins.max(count - correction, 0)


class SqrtOfVariance(Function):
    """z = sqrt(v) for a variance v;  dz/dv = 1 / (2 z), taken as 0 where z = 0.

    A constant input has v = 0 and dv/dx = 2 (x - mean) / (n - correction) = 0, so its
    standard deviation has gradient 0 (PyTorch's answer). Chained through the plain square
    root the product is inf * 0 = NaN instead; this op masks the infinite factor, as
    PyTorch's std backward does.
    """

    @staticmethod
    def forward(ctx, variance):
        out = variance._from_array(variance.backend.unary("sqrt", variance._data),
                                   variance.device)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        zero = out == 0
        return where(zero, 0.0, grad / where(zero, 1.0, out * 2))


def std(a, dim=None, keepdim: bool = False, correction: int = 1, unbiased: bool | None = None):
    """Standard deviation sqrt(var); its gradient is 0 (not NaN) where it is 0."""
    return SqrtOfVariance.apply(var(a, dim, keepdim, correction, unbiased))


def max(a, dim=None, keepdim: bool = False):  # noqa: A001 - PyTorch's name
    return _reduce_extreme(a, dim, keepdim, largest=True)


def min(a, dim=None, keepdim: bool = False):  # noqa: A001 - PyTorch's name
    return _reduce_extreme(a, dim, keepdim, largest=False)


def amax(a, dim=None, keepdim: bool = False):
    return Amax.apply(a, normalize_dims(dim, a.ndim), keepdim, True)


def amin(a, dim=None, keepdim: bool = False):
    return Amin.apply(a, normalize_dims(dim, a.ndim), keepdim, False)


def _arg_reduce_axis(a, dim, name: str):
    """The axis argmax/argmin reduce (None: the flattened tensor); an empty reduction has no
    answer, so it raises PyTorch's IndexError (not the backend's own message)."""
    axis = None if dim is None else normalize_dim(dim, a.ndim)
    if a.ndim == 0:
        axis = None
    if axis is None and a.numel() == 0:
        raise IndexError(f"{name}(): cannot reduce the empty tensor of shape {a.shape}; "
                         "specify a non-empty dim to reduce over")
    if axis is not None and a.shape[axis] == 0:
        raise IndexError(f"{name}(): dim {dim} of the tensor of shape {a.shape} is empty; "
                         "there is no element to pick")
    return axis


def argmax(a, dim=None, keepdim: bool = False):
    """Index of the first maximum (of the flattened tensor when ``dim`` is None)."""
    axis = _arg_reduce_axis(a, dim, "argmax")
    return a._from_array(a.backend.argmax(a._data, axis, keepdim and axis is not None), a.device)


def argmin(a, dim=None, keepdim: bool = False):
    """Index of the first minimum (of the flattened tensor when ``dim`` is None)."""
    axis = _arg_reduce_axis(a, dim, "argmin")
    return a._from_array(a.backend.argmin(a._data, axis, keepdim and axis is not None), a.device)


def any(input, dim=None, keepdim: bool = False):  # noqa: A001, A002 - PyTorch's names
    """Whether some element (over ``dim``) is non-zero: a bool tensor, as in PyTorch
    (``if x.any():`` still works through ``bool()``)."""
    return sum(input != 0, dim, keepdim) > 0


def all(input, dim=None, keepdim: bool = False):  # noqa: A001, A002 - PyTorch's names
    """Whether every element (over ``dim``) is non-zero: a bool tensor, as in PyTorch."""
    return sum(input == 0, dim, keepdim) == 0


# Bound as ``minigrad.<name>`` and ``Tensor.<name>`` (the other reductions have their own
# methods in tensor.py).
FUNCTIONS = {"prod": prod, "any": any, "all": all}
