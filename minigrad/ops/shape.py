"""Shape ops: the values stay, their arrangement changes. The gradient of a rearrangement
is the inverse rearrangement of the upstream gradient."""

from __future__ import annotations

import math

from minigrad.autograd.function import Function
from minigrad.ops.common import normalize_dim, sum_to_shape


class Reshape(Function):
    """Same elements, new shape;  the gradient is reshaped back."""

    _creates_view = True

    @staticmethod
    def forward(ctx, a, shape: tuple):
        ctx.input_shape = a.shape
        return a._from_array(a.backend.reshape(a._data, shape), a.device)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.input_shape), None


class Permute(Function):
    """Axes reordered by ``dims``;  the gradient is permuted by the inverse order."""

    _creates_view = True

    @staticmethod
    def forward(ctx, a, dims: tuple):
        ctx.dims = dims
        return a._from_array(a.backend.permute(a._data, dims), a.device)

    @staticmethod
    def backward(ctx, grad):
        inverse = [0] * len(ctx.dims)
        for position, axis in enumerate(ctx.dims):
            inverse[axis] = position
        return grad.permute(*inverse), None


class Expand(Function):
    """Broadcast to a larger shape without copying;  the gradient sums over the copies."""

    _creates_view = True

    @staticmethod
    def forward(ctx, a, shape: tuple):
        ctx.input_shape = a.shape
        return a._from_array(a.backend.broadcast_to(a._data, shape), a.device)

    @staticmethod
    def backward(ctx, grad):
        return sum_to_shape(grad, ctx.input_shape), None


class Cat(Function):
    """Join tensors along ``dim``;  each input's gradient is its slice of the upstream
    gradient."""

    @staticmethod
    def forward(ctx, dim: int, *tensors):
        ctx.dim = dim
        ctx.sizes = [t.shape[dim] for t in tensors]
        first = tensors[0]
        array = first.backend.concatenate([t._data for t in tensors], dim)
        return first._from_array(array, first.device)

    @staticmethod
    def backward(ctx, grad):
        gradients = [None]
        start = 0
        for size in ctx.sizes:
            index = [slice(None)] * grad.ndim
            index[ctx.dim] = slice(start, start + size)
            gradients.append(grad[tuple(index)])
            start += size
        return tuple(gradients)


def _shape_argument(shape) -> tuple:
    """Accept ``reshape(2, 3)`` and ``reshape((2, 3))`` alike."""
    if len(shape) == 1 and isinstance(shape[0], tuple | list):
        shape = tuple(shape[0])
    return tuple(int(size) for size in shape)


def reshape(a, *shape):
    """New shape with the same number of elements; one size may be -1 (inferred)."""
    shape = _shape_argument(shape)
    known = math.prod(size for size in shape if size != -1)
    if shape.count(-1) > 1:
        raise ValueError(f"reshape: only one dimension can be -1, got {shape}")
    if -1 in shape:
        if known == 0 or a.numel() % known:
            raise ValueError(f"reshape: cannot reshape tensor of shape {a.shape} into {shape}")
        shape = tuple(a.numel() // known if size == -1 else size for size in shape)
    if math.prod(shape) != a.numel() or any(size < 0 for size in shape):
        raise ValueError(
            f"reshape: cannot reshape tensor of shape {a.shape} ({a.numel()} elements) into "
            f"{shape}"
        )
    if shape == a.shape:
        return a
    return Reshape.apply(a, shape)


def permute(a, *dims):
    dims = _shape_argument(dims)
    normalized = tuple(normalize_dim(d, a.ndim) for d in dims)
    if sorted(normalized) != list(range(a.ndim)):
        raise ValueError(
            f"permute: dims {dims} must be a permutation of the {a.ndim} dimensions of a tensor "
            f"of shape {a.shape}"
        )
    return Permute.apply(a, normalized)


def transpose(a, dim0: int, dim1: int):
    # dims are checked first: transpose(0, 1) of a 0-d tensor is an IndexError, as in PyTorch
    i, j = normalize_dim(dim0, a.ndim), normalize_dim(dim1, a.ndim)
    if a.ndim < 2:
        return a
    dims = list(range(a.ndim))
    dims[i], dims[j] = dims[j], dims[i]
    return Permute.apply(a, tuple(dims))


def expand(a, *shape):
    """Broadcast size-1 dimensions to ``shape`` (-1 keeps a size), as in PyTorch."""
    shape = _shape_argument(shape)
    if len(shape) < a.ndim:
        raise ValueError(
            f"expand: the target shape {shape} has fewer dimensions than the tensor's {a.shape}"
        )
    leading = len(shape) - a.ndim
    target = list(shape)
    for i, size in enumerate(a.shape):
        wanted = shape[leading + i]
        if wanted == -1:
            target[leading + i] = size
        elif size != 1 and size != wanted:
            raise ValueError(
                f"expand: cannot expand shape {a.shape} to {shape}: dimension {i} has size "
                f"{size}, which is neither 1 nor {wanted}"
            )
    target = tuple(target)
    if target == a.shape:
        return a
    return Expand.apply(a, target)


def squeeze(a, dim=None):
    if dim is None:
        shape = tuple(size for size in a.shape if size != 1)
    else:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        axes = {normalize_dim(d, a.ndim) for d in dims}
        shape = tuple(size for i, size in enumerate(a.shape) if not (i in axes and size == 1))
    return reshape(a, shape)


def unsqueeze(a, dim: int):
    axis = normalize_dim(dim, a.ndim + 1)
    shape = a.shape[:axis] + (1,) + a.shape[axis:]
    return reshape(a, shape)


def flatten(a, start_dim: int = 0, end_dim: int = -1):
    if a.ndim == 0:
        return reshape(a, (1,))
    start, end = normalize_dim(start_dim, a.ndim), normalize_dim(end_dim, a.ndim)
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    shape = a.shape[:start] + (math.prod(a.shape[start:end + 1]),) + a.shape[end + 1:]
    return reshape(a, shape)


def cat(tensors, dim: int = 0):
    """Concatenate tensors along an existing dimension."""
    from minigrad.ops.common import promote_pair

    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat: expected a non-empty list of tensors")
    first = tensors[0]
    if first.ndim == 0:
        raise ValueError("cat: zero-dimensional tensors cannot be concatenated; use stack")
    axis = normalize_dim(dim, first.ndim)
    for i, t in enumerate(tensors[1:], start=1):
        if t.device != first.device:
            raise RuntimeError(
                f"cat: expected all tensors on the same device, got {first.device} (tensor 0) "
                f"and {t.device} (tensor {i})"
            )
        if t.ndim != first.ndim or any(
            t.shape[d] != first.shape[d] for d in range(first.ndim) if d != axis
        ):
            raise ValueError(
                f"cat: tensor {i} has shape {t.shape} but tensor 0 has shape {first.shape}; "
                f"sizes must match except in dimension {axis}"
            )
    common = first
    for t in tensors[1:]:
        common, _ = promote_pair(common, t, "cat")
    tensors = [t if t.dtype is common.dtype else t.to(dtype=common.dtype) for t in tensors]
    return Cat.apply(axis, *tensors)


def stack(tensors, dim: int = 0):
    """Join same-shaped tensors along a new dimension."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack: expected a non-empty list of tensors")
    shape = tensors[0].shape
    for i, t in enumerate(tensors):
        if t.shape != shape:
            raise ValueError(
                f"stack: all tensors must have the same shape; tensor 0 has {shape}, tensor {i} "
                f"has {t.shape}"
            )
    axis = normalize_dim(dim, len(shape) + 1)
    return cat([unsqueeze(t, axis) for t in tensors], axis)


def split(tensor, split_size_or_sections, dim: int = 0):
    """Pieces of ``tensor`` along ``dim``: of ``split_size_or_sections`` each (the last one
    smaller if needed), or of the listed sizes. Each piece is a slice, so gradients flow."""
    axis = normalize_dim(dim, tensor.ndim)
    length = tensor.shape[axis]
    if isinstance(split_size_or_sections, int):
        if split_size_or_sections <= 0:
            raise ValueError(f"split: split_size must be positive, got {split_size_or_sections}")
        sizes = [min(split_size_or_sections, length - start)
                 for start in range(0, length, split_size_or_sections)]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != length:
            raise ValueError(f"split: sizes {sizes} do not add up to {length}, the size of "
                             f"dimension {dim} of a tensor of shape {tensor.shape}")
    pieces, start = [], 0
    for size in sizes:
        index = (slice(None),) * axis + (slice(start, start + size),)
        pieces.append(tensor[index])
        start += size
    return tuple(pieces)


def chunk(input, chunks: int, dim: int = 0):  # noqa: A002 - PyTorch's argument name
    """``chunks`` nearly equal pieces along ``dim`` (each ceil(n / chunks) long, as in
    PyTorch, so there may be fewer pieces)."""
    if chunks <= 0:
        raise ValueError(f"chunk: chunks must be positive, got {chunks}")
    length = input.shape[normalize_dim(dim, input.ndim)]
    return split(input, max(1, -(-length // chunks)), dim)
