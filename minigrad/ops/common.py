"""Argument handling shared by the op modules: operands, dtypes, devices, dims, and the
gradient of broadcasting."""

from __future__ import annotations

import numbers

import numpy as np

from minigrad import dtypes


def as_operand(value, like, op_name: str):
    """``value`` as a Tensor usable next to the tensor ``like`` in a binary op.

    Python and numpy numbers become constant tensors of ``like``'s dtype (a float with an
    integer tensor gives float32, as in PyTorch). Tensors must be on ``like``'s device.
    """
    value_type = type(value)
    if value_type is float or value_type is int:  # the common case, checked first
        return _constant_like(value, like, is_fraction=value_type is float)
    from minigrad.tensor import Tensor

    if isinstance(value, Tensor):
        if value.device != like.device:
            raise RuntimeError(
                f"{op_name}: expected all tensors on the same device, got {like.device} "
                f"(shape {like.shape}) and {value.device} (shape {value.shape}); move one "
                "with .to(device)"
            )
        return value
    if isinstance(value, bool | numbers.Number) or (
        isinstance(value, np.ndarray) and value.ndim == 0
    ):
        is_fraction = isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral)
        return _constant_like(value, like, is_fraction)
    raise TypeError(
        f"{op_name}: unsupported operand of type {type(value).__name__}; expected a Tensor "
        "or a Python number"
    )


def _constant_like(value, like, is_fraction: bool):
    """A 0-d constant of ``like``'s dtype; a fraction next to an integer tensor is float32."""
    dtype = like.dtype
    if is_fraction and not dtype.is_floating_point:
        dtype = dtypes.float32
    array = np.asarray(value, dtype=dtype.numpy)
    if like.device != "cpu":
        array = like.backend.from_numpy(array)
    return like._wrap(array)


def promote_pair(a, b, op_name: str, mix_floats: bool = True):
    """Give two tensors one dtype, by PyTorch's promotion rules.

    Integer and bool tensors take the other's float dtype. float32 with float64 gives
    float64, except that a 0-d tensor (a number held in a tensor) never widens a tensor with
    dimensions: ``x32 * minigrad.tensor(2.0, dtype=minigrad.float64)`` stays float32.
    ``mix_floats=False`` (matmul, as in PyTorch) raises instead of promoting.
    """
    if a.dtype is b.dtype:
        return a, b
    a_float, b_float = a.dtype.is_floating_point, b.dtype.is_floating_point
    if a_float and b_float:
        if not mix_floats:
            raise TypeError(
                f"{op_name}: expected both operands to have the same dtype, got {a.dtype.name} "
                f"(shape {a.shape}) and {b.dtype.name} (shape {b.shape}); convert one with "
                ".float() or .double()"
            )
        if (a.ndim == 0) != (b.ndim == 0):
            target = b.dtype if a.ndim == 0 else a.dtype
        else:
            target = dtypes.float64
        return a.to(dtype=target), b.to(dtype=target)
    if a_float:
        return a, b.to(dtype=a.dtype)
    if b_float:
        return a.to(dtype=b.dtype), b
    target = dtypes.int64
    return a.to(dtype=target), b.to(dtype=target)


def broadcast_shape(shape_a: tuple, shape_b: tuple, op_name: str) -> tuple:
    """The shape two operands broadcast to, or a ValueError naming both shapes."""
    try:
        return np.broadcast_shapes(shape_a, shape_b)
    except ValueError:
        raise ValueError(
            f"{op_name}: shapes {shape_a} and {shape_b} cannot be broadcast together "
            "(trailing dimensions must be equal or 1)"
        ) from None


def normalize_dim(dim: int, ndim: int) -> int:
    """A dim in ``[-ndim, ndim)`` as a non-negative index (0-d tensors accept 0 and -1)."""
    size = max(ndim, 1)
    # an int is checked first: isinstance against the numbers ABCs is slow, and dims are
    # normalized on every reduction and permute
    if dim.__class__ is not int and not isinstance(dim, numbers.Integral):
        raise TypeError(f"dim must be an int, got {type(dim).__name__}")
    if not -size <= dim < size:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-size}, {size - 1}], "
            f"but got {dim})"
        )
    return dim % size if ndim > 0 else 0


def normalize_dims(dim, ndim: int) -> tuple[int, ...]:
    """``dim`` (None, an int or a sequence of ints) as a sorted tuple of axes."""
    if dim is None:
        return tuple(range(ndim))
    if dim.__class__ is int or isinstance(dim, numbers.Integral):
        dims = (dim,)
    else:
        dims = tuple(dim)
    axes = tuple(sorted({normalize_dim(d, ndim) for d in dims}))
    if len(axes) != len(dims):
        raise ValueError(f"dim {dim} names the same dimension twice")
    return axes if ndim > 0 else ()


def sum_to_shape(gradient, shape: tuple):
    """Reduce a broadcast gradient back to ``shape``.

    If ``a`` of shape (3, 1) was broadcast to (2, 3, 4), each element of ``a`` was used
    2 * 4 times, so its gradient is the sum over the new leading axis and over the axis
    where it had size 1. Written with Tensor ops, so it is itself differentiable.
    """
    grad_shape = gradient._data.shape
    if grad_shape == shape:  # no broadcasting happened: the common case
        return gradient
    leading = len(grad_shape) - len(shape)
    axes = tuple(range(leading)) + tuple(
        leading + i for i, size in enumerate(shape) if size == 1 and grad_shape[leading + i] != 1
    )
    if axes:
        gradient = gradient.sum(dim=axes, keepdim=True)
    return gradient.reshape(shape)


def name_node(result, pytorch_name: str):
    """Give ``result``'s graph node PyTorch's name for the whole function that made it
    (``mean`` is a sum and a division here, one ``MeanBackward0`` node in PyTorch), so
    ``grad_fn`` reads as in PyTorch. Returns ``result``."""
    if result.grad_fn is not None:
        result.grad_fn._pytorch_name = pytorch_name
    return result
