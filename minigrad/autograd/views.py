"""Views: tensors that look at (part of) another tensor's storage.

``x[0]``, ``x.reshape(...)``, ``x.permute(...)`` and ``x.expand(...)`` return views, on the
CPU and on CUDA devices alike: writing into them writes into ``x``. Autograd has to know
that, for two reasons:

- they share ``x``'s version counter, so an in-place write through a view is noticed by
  every backward that saved ``x`` (see ``version_counter``);
- an in-place op on a view changes ``x`` too, so ``x``'s graph must change with it. For that
  a view remembers its *base* (the tensor that owns the storage) and the view ops that lead
  from the base to it, so that it can be made again from the base's new value
  (``replay``). ``inplace.py`` uses this; PyTorch calls the node it creates CopySlices.
"""

from __future__ import annotations

from minigrad.autograd.grad_mode import _GradMode
from minigrad.autograd.version_counter import shared_counter


class ViewInfo:
    """Where a view comes from: ``base`` and the ops (Function class, extra arguments) that
    turn ``base`` into the view, and the base's ``grad_fn`` when the view's own ``grad_fn``
    was last set (a different one means the base was changed in place since)."""

    __slots__ = ("base", "ops", "base_grad_fn")

    def __init__(self, base, ops: tuple, base_grad_fn) -> None:
        self.base, self.ops, self.base_grad_fn = base, ops, base_grad_fn

    def replay(self, tensor):
        """The same view, taken of ``tensor`` (the base or a tensor of the base's shape)."""
        for function, arguments in self.ops:
            tensor = function.apply(tensor, *arguments)
        return tensor


def link_view(output, source, function, arguments: tuple) -> None:
    """Make ``output`` (made by the view op ``function`` from ``source``) a view of
    ``source``'s base, when its array really shares ``source``'s memory (a backend may
    copy instead, e.g. reshaping a non-contiguous array)."""
    if output is source or not source.backend.shares_memory(output._data, source._data):
        return
    output._version_counter = shared_counter(source)
    step = ((function, arguments),)
    source_view = source._view
    if source_view is None:
        output._view = ViewInfo(source, step, source.grad_fn)
    else:
        output._view = ViewInfo(source_view.base, source_view.ops + step, source_view.base.grad_fn)


def refresh_if_stale(tensor) -> None:
    """Bring ``tensor``'s ``grad_fn`` up to date if it is a view whose base was changed in
    place since (``Function.apply`` does this for every input; ``backward`` for its roots)."""
    view = tensor._view
    if view is not None and view.base.grad_fn is not view.base_grad_fn:
        refresh_view(tensor)


def refresh_view(view_tensor) -> None:
    """Bring a view's ``grad_fn`` up to date after its base was changed in place."""
    view = view_tensor._view
    base = view.base
    previous, _GradMode.state.enabled = _GradMode.state.enabled, True  # the history is wanted here
    try:
        regenerated = view.replay(base)
    finally:
        _GradMode.state.enabled = previous
    view_tensor.grad_fn = regenerated.grad_fn
    view_tensor.requires_grad = regenerated.requires_grad
    view.base_grad_fn = base.grad_fn
