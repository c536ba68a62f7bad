"""``Variable``: PyTorch's name, from before 0.4, for a tensor that records its graph.

Since PyTorch 0.4 every tensor does that, and ``Variable(t, requires_grad=True)`` simply
returns a tensor; old tutorials still write it, so minigrad accepts it the same way.
"""

from __future__ import annotations


def Variable(data, requires_grad: bool = False, volatile: bool = False):  # noqa: N802 - PyTorch's name
    """``data`` itself (a Tensor), set to require grad if asked; ``volatile`` is ignored, as
    in PyTorch (use ``minigrad.no_grad()``)."""
    from minigrad.tensor import Tensor

    if not isinstance(data, Tensor):
        raise TypeError(f"Variable(): data must be a Tensor, got {type(data).__name__}")
    if requires_grad:
        data.requires_grad_(True)
    return data
