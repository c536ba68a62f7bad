"""Indexing and slicing. ``a[index]`` picks elements; its gradient puts the upstream
gradient back where they came from and adds it up where an element was picked twice (a
scatter-add), which is why the gradient of indexing is ``index_add``.

``a[index] = values`` (``SetItem``) is the other direction: the result is ``a`` with the
indexed elements replaced, so the gradient goes to ``values`` at ``index`` and to ``a``
everywhere else (the overwritten elements no longer affect anything)."""

from __future__ import annotations

import numbers

import numpy as np

from minigrad.autograd.function import Function


class GetItem(Function):
    """z = a[index];  dL/da = zeros with dL/dz added at ``index``."""

    _creates_view = True  # ints and slices give a view of ``a`` (index arrays copy)

    @staticmethod
    def forward(ctx, a, index, index_tensors=()):
        ctx.input_shape, ctx.index = a.shape, index
        # The index tensors are saved only so that backward notices if one was changed in
        # place since (``index`` holds their arrays).
        ctx.save_for_backward(*index_tensors)
        return a._from_array(a.backend.getitem(a._data, index), a.device)

    @staticmethod
    def backward(ctx, grad):
        ctx.saved_tensors  # noqa: B018 - checks the index tensors' versions
        return IndexAdd.apply(grad, ctx.input_shape, ctx.index), None, None


class IndexAdd(Function):
    """z = zeros(shape) with ``values`` added at ``index``;  dL/dvalues = (dL/dz)[index]."""

    @staticmethod
    def forward(ctx, values, shape: tuple, index):
        ctx.index = index
        array = values.backend.index_add(shape, index, values._data, values.dtype.numpy)
        return values._from_array(array, values.device)

    @staticmethod
    def backward(ctx, grad):
        return GetItem.apply(grad, ctx.index), None, None


class SetItem(Function):
    """z = a with z[index] = values;  dL/da = dL/dz with zeros at ``index``,
    dL/dvalues = (dL/dz)[index] summed back to the shape of ``values``."""

    @staticmethod
    def forward(ctx, a, values, index, index_tensors=()):
        ctx.index, ctx.values_shape = index, values.shape
        ctx.save_for_backward(*index_tensors)  # as in GetItem: for the version check
        array = a.backend.copy(a._data)
        a.backend.setitem(array, index, values._data)
        return a._from_array(array, a.device)

    @staticmethod
    def backward(ctx, grad):
        from minigrad.ops.common import sum_to_shape
        from minigrad.ops.elementwise import where

        ctx.saved_tensors  # noqa: B018 - checks the index tensors' versions
        grad_a = grad_values = None
        if ctx.needs_input_grad[0]:
            overwritten = grad.backend.zeros(grad.shape, np.bool_)
            grad.backend.setitem(overwritten, ctx.index, True)
            grad_a = where(grad._from_array(overwritten, grad.device), 0.0, grad)
        if ctx.needs_input_grad[1]:
            grad_values = sum_to_shape(GetItem.apply(grad, ctx.index), ctx.values_shape)
        return grad_a, grad_values, None, None


def _index_component(component, tensor, position: int):
    """One entry of an index as the backend understands it."""
    from minigrad.tensor import Tensor

    if component is None or component is Ellipsis or isinstance(component, slice):
        return component
    if isinstance(component, bool | np.bool_):
        return bool(component)
    if isinstance(component, numbers.Integral):
        return int(component)
    if isinstance(component, Tensor):
        if component.dtype.is_floating_point:
            raise IndexError(
                f"tensors used as indices must be int64 or bool, got {component.dtype.name} at "
                f"position {position}"
            )
        if component.device != tensor.device:
            raise RuntimeError(
                f"index tensor is on {component.device} but the indexed tensor is on "
                f"{tensor.device}"
            )
        return component._data
    if isinstance(component, list | tuple | np.ndarray):
        array = np.asarray(component)
        if array.dtype.kind not in "iub" and array.size:
            raise IndexError(f"index lists must hold ints or bools, got {array.dtype}")
        array = array.astype(np.bool_ if array.dtype.kind == "b" else np.int64)
        return tensor.backend.from_numpy(array)
    raise IndexError(
        f"unsupported index of type {type(component).__name__} at position {position}; use "
        "ints, slices, None, ..., lists or int64/bool tensors"
    )


def _check_bounds(tensor, index: tuple) -> None:
    """Plain int and slice indices get PyTorch's messages, not numpy's. (Indices with
    ``...`` or arrays are checked by the backend, whose error is reworded in ``getitem``.)"""
    if not all(c is None or isinstance(c, slice) or type(c) is int for c in index):
        return
    dim = 0
    for component in index:
        if component is None:
            continue
        if dim >= tensor.ndim:
            raise IndexError(
                f"too many indices for tensor of shape {tensor.shape}: {tensor.ndim} "
                f"dimension(s) but {sum(c is not None for c in index)} indexed"
            )
        size = tensor.shape[dim]
        if type(component) is int and not -size <= component < size:
            raise IndexError(
                f"index {component} is out of bounds for dimension {dim} with size {size}"
            )
        dim += 1


def normalize_index(tensor, index) -> tuple[tuple, tuple]:
    """``index`` as a tuple of components the backend understands, bounds checked, and the
    index tensors in it."""
    from minigrad.tensor import Tensor

    if not isinstance(index, tuple):
        index = (index,)
    index_tensors = tuple(c for c in index if isinstance(c, Tensor))
    index = tuple(_index_component(c, tensor, i) for i, c in enumerate(index))
    _check_bounds(tensor, index)
    return index, index_tensors


def getitem(tensor, index):
    index, index_tensors = normalize_index(tensor, index)
    if all(c is None or isinstance(c, slice) or type(c) is int for c in index):
        # A trailing ``...`` makes numpy return a view also when every dimension gets an
        # int (``a[0]`` of a vector), so that writing into the result writes into ``a``,
        # as in PyTorch.
        index = (*index, Ellipsis)
    try:
        return GetItem.apply(tensor, index, index_tensors)
    except IndexError as error:
        raise IndexError(f"cannot index tensor of shape {tensor.shape}: {error}") from None


def setitem(tensor, index, values) -> None:
    """``tensor[index] = values`` (a number or a tensor broadcast to the indexed region),
    in place; recorded in the graph like any in-place op."""
    from minigrad.autograd.inplace import apply_inplace
    from minigrad.ops.common import as_operand
    from minigrad.tensor import Tensor

    index, index_tensors = normalize_index(tensor, index)
    if isinstance(values, list | tuple | np.ndarray):
        values = Tensor(values, dtype=tensor.dtype, device=tensor.device)
    values = as_operand(values, tensor, "setitem")
    if values.dtype is not tensor.dtype:
        values = values.to(dtype=tensor.dtype)  # assignment converts, as in PyTorch
    try:
        apply_inplace(
            tensor, "setitem", lambda before: SetItem.apply(before, values, index, index_tensors),
            (values,),
            direct=lambda: tensor.backend.setitem(tensor._data, index, values._data),
        )
    except (IndexError, ValueError) as error:
        raise IndexError(
            f"cannot assign values of shape {values.shape} to tensor of shape {tensor.shape} "
            f"at this index: {error}"
        ) from None


def gather(a, dim: int, index):
    """``out[i][j] = a[i][index[i][j]]`` along ``dim`` (PyTorch's gather), built on
    advanced indexing so that its gradient is the same scatter-add."""
    from minigrad.ops.common import normalize_dim

    axis = normalize_dim(dim, a.ndim)
    if index.ndim != a.ndim:
        raise ValueError(
            f"gather: index must have as many dimensions as the input ({a.ndim}), got shape "
            f"{index.shape}"
        )
    components = []
    for d in range(a.ndim):
        if d == axis:
            components.append(index._data)
            continue
        shape = [1] * a.ndim
        shape[d] = index.shape[d]
        positions = np.arange(index.shape[d], dtype=np.int64).reshape(shape)
        components.append(a.backend.from_numpy(positions))
    return GetItem.apply(a, tuple(components), (index,))
