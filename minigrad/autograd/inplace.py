"""In-place ops (``add_``, ``x[i] = v``, ``+=``, ...) and their place in the graph.

An in-place op computes its result with the ordinary ops and writes it into the tensor's
storage. PyTorch's rules, all decided here:

- **Nothing to record** (grad mode off, or nothing involved requires grad): write, and add
  one to the storage's version counter, so that a backward that saved this tensor refuses
  to run on the changed values.
- **A leaf that requires grad** (a parameter) may only be updated under ``no_grad``: in grad
  mode the op raises, because the parameter's old value, which the graph depends on, would
  be lost. (This is what makes ``with no_grad(): p -= lr * p.grad`` the way to update.)
- **Anything else that requires grad** is recorded: the op is computed from a copy of the
  tensor's old value, which carries the old ``grad_fn``, and the tensor's ``grad_fn`` becomes
  the op's node. Backward then runs through the op and on into the old history (PyTorch calls
  this rebasing the history). Nodes made earlier keep pointing at the old history (their
  ``_routes`` were fixed when they were made).
- **A view** (``x[0].mul_(2)``, ``x.view(-1).add_(1)``) changes its base too, so the base's
  history is rebased: ``CopySlices`` makes the base's new value from its old value and the
  view's new value, and the view's ``grad_fn`` is made again from the base.
"""

from __future__ import annotations

import numpy as np

from minigrad.autograd.function import Function
from minigrad.autograd.grad_mode import _GradMode
from minigrad.autograd.version_counter import bump_version
from minigrad.autograd.views import refresh_view


class CopySlices(Function):
    """z = base with its view region replaced by ``values``;  dL/dbase = dL/dz with zeros in
    the region, dL/dvalues = the region of dL/dz."""

    @staticmethod
    def forward(ctx, base, values, view):
        ctx.view = view
        array = base.backend.copy(base._data)
        region = view.replay(base._from_array(array, base.device))  # a view into ``array``
        base.backend.assign(region._data, values._data)
        return base._from_array(array, base.device)

    @staticmethod
    def backward(ctx, grad):
        from minigrad.ops.elementwise import where

        view = ctx.view
        grad_base = grad_values = None
        if ctx.needs_input_grad[0]:
            overwritten = grad._from_array(grad.backend.zeros(grad.shape, np.bool_), grad.device)
            region = _replay_untracked(view, overwritten)
            grad.backend.assign(region._data, grad.backend.full(region.shape, True, np.bool_))
            grad_base = where(overwritten, 0.0, grad)
        if ctx.needs_input_grad[1]:
            grad_values = view.replay(grad)
        return grad_base, grad_values, None


def _replay_untracked(view, tensor):
    previous = _GradMode.state.enabled
    _GradMode.state.enabled = False
    try:
        return view.replay(tensor)
    finally:
        _GradMode.state.enabled = previous


def _requires_grad(value) -> bool:
    return getattr(value, "requires_grad", False) is True


def apply_inplace(tensor, name: str, compute, others: tuple = (), direct=None):
    """Write ``compute(tensor)`` into ``tensor`` under the rules above; return ``tensor``.

    ``compute`` maps a tensor holding the old value to the new value, with ordinary (recorded)
    ops. ``others`` are the op's other operands (their ``requires_grad`` decides whether the
    op is recorded). ``direct``, if given, writes the new value straight into
    ``tensor._data`` without temporaries; it is used when nothing is recorded.
    """
    recording = _GradMode.state.enabled and (
        tensor.requires_grad or any(_requires_grad(other) for other in others)
    )
    if not recording:
        _check_writable(tensor, name)
        if direct is not None:
            direct()
        else:
            _write(tensor, compute(tensor), name)
        bump_version(tensor)
        return tensor
    if tensor.grad_fn is None and tensor.requires_grad:
        raise RuntimeError(
            f"a leaf Variable that requires grad is being used in an in-place operation. "
            f"({name} on a leaf of shape {list(tensor.shape)}: update parameters inside "
            "`with minigrad.no_grad():`, or write into a clone())"
        )
    view = tensor._view
    if view is None:
        _record_on_tensor(tensor, compute, name)
    else:
        _record_on_view(tensor, view, compute, name)
    return tensor


def _record_on_tensor(tensor, compute, name: str) -> None:
    _check_writable(tensor, name)
    result = _as_dtype_of(tensor, compute(_old_value(tensor)), name)
    _write(tensor, result, name)
    bump_version(tensor)
    tensor.grad_fn = result.grad_fn
    tensor.requires_grad = result.requires_grad


def _record_on_view(tensor, view, compute, name: str) -> None:
    base = view.base
    if base.grad_fn is None and base.requires_grad:
        raise RuntimeError(
            "a view of a leaf Variable that requires grad is being used in an in-place "
            f"operation. ({name} on a view of shape {list(tensor.shape)} of a leaf of shape "
            f"{list(base.shape)}: update it inside `with minigrad.no_grad():`)"
        )
    _check_writable(tensor, name)
    base_before = _old_value(base)
    result = _as_dtype_of(tensor, compute(view.replay(base_before)), name)
    if result.shape != tensor.shape:
        _raise_shape_mismatch(tensor, result, name)
    new_base = CopySlices.apply(base_before, result, view)
    base.backend.assign(base._data, new_base._data)  # also writes the view's region
    bump_version(base)  # the view shares this counter
    base.grad_fn = new_base.grad_fn
    base.requires_grad = True
    refresh_view(tensor)


def _old_value(tensor):
    """A copy of ``tensor``'s current value that carries its history: the in-place op's
    node reads this, not the storage about to be overwritten."""
    copy = tensor._from_array(tensor.backend.copy(tensor._data), tensor.device)
    copy.grad_fn = tensor.grad_fn
    copy.requires_grad = tensor.requires_grad
    return copy


def check_result_dtype(tensor, result, name: str) -> None:
    """A float result cannot be written into an integer tensor (PyTorch refuses too)."""
    if result.dtype.is_floating_point and not tensor.dtype.is_floating_point:
        raise RuntimeError(
            f"{name}: result type {result.dtype.name} can't be cast to the desired output type "
            f"{tensor.dtype.name} of the tensor written in place (shape {tensor.shape})"
        )


def _as_dtype_of(tensor, result, name: str):
    if result.dtype is tensor.dtype:
        return result
    check_result_dtype(tensor, result, name)
    return result.to(dtype=tensor.dtype)


def _write(tensor, result, name: str) -> None:
    result = _as_dtype_of(tensor, result, name)
    if result.shape != tensor.shape:
        _raise_shape_mismatch(tensor, result, name)
    tensor.backend.assign(tensor._data, result._data)


def _raise_shape_mismatch(tensor, result, name: str):
    raise RuntimeError(
        f"{name}: output with shape {list(tensor.shape)} doesn't match the broadcast shape "
        f"{list(result.shape)}; an in-place op cannot make a tensor larger"
    )


def _check_writable(tensor, name: str) -> None:
    # An expanded tensor has stride 0 along each expanded dimension: several of its elements
    # are one memory location, so an elementwise write would be ill-defined. PyTorch refuses
    # by this rule, and the strides are the same on every device.
    array = tensor._data
    repeated = [dim for dim, (extent, stride) in enumerate(zip(array.shape, array.strides,
                                                                strict=True))
                if stride == 0 and extent > 1]
    if repeated:
        raise RuntimeError(
            "unsupported operation: more than one element of the written-to tensor refers to "
            "a single memory location. Please clone() the tensor before performing the "
            f"operation. ({name} on a tensor of shape {list(tensor.shape)} made by expand(): "
            f"dimension(s) {repeated} repeat one element)"
        )
    # numpy also keeps every view of an expanded array read-only, even one without repeats
    # (``x.expand(2, 3)[0]``, which PyTorch and the CUDA backend let you write through).
    if isinstance(array, np.ndarray) and not array.flags.writeable:
        raise RuntimeError(
            f"unsupported operation: {name} writes into a tensor of shape "
            f"{list(tensor.shape)} whose memory is read-only on the CPU (a view of an "
            "expanded tensor). Please clone() the tensor before performing the operation."
        )
