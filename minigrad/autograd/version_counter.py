"""Version counters: how backward notices that a tensor it needs was changed in place.

Every storage has one counter, shared by the tensors that look at it (views, ``detach()``).
Each in-place write (``add_``, ``x[i] = v``, ``+=``, an optimizer step) adds one to it. When
an op saves a tensor for its backward pass it also writes down the counter's value; before
backward reads the tensor it compares. A different number means the values backward would
use are not the ones forward saw, and the gradient would be silently wrong, so it raises.

The counter is created on the first write or view (``_version_counter`` is None until then,
meaning version 0), so that making a tensor, which every op does, costs nothing extra.
"""

from __future__ import annotations


class VersionCounter:
    """How many in-place writes a storage has had."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0


def version_of(tensor) -> int:
    """The tensor's current version (0 for one never written in place)."""
    counter = tensor._version_counter
    return 0 if counter is None else counter.value


def shared_counter(tensor) -> VersionCounter:
    """The tensor's counter, created now if it had none, to be shared with a view."""
    counter = tensor._version_counter
    if counter is None:
        counter = tensor._version_counter = VersionCounter()
    return counter


def bump_version(tensor) -> None:
    """Record one in-place write to the tensor's storage."""
    shared_counter(tensor).value += 1


_TENSOR_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor",
                      "int64": "LongTensor", "bool": "BoolTensor"}


def check_saved_version(tensor, saved_version: int) -> None:
    """Raise PyTorch's error if ``tensor`` was written in place since it was saved."""
    current = version_of(tensor)
    if current == saved_version:
        return
    type_name = _TENSOR_TYPE_NAMES.get(tensor.dtype.name, tensor.dtype.name)
    description = f"[minigrad.{type_name} [{', '.join(str(s) for s in tensor.shape)}]]"
    if tensor.grad_fn is not None:
        description += f", which is output 0 of {tensor.grad_fn.name},"
    raise RuntimeError(
        "one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: {description} is at version {current}; expected version "
        f"{saved_version} instead. Hint: the in-place write happened between the forward "
        "pass that saved this tensor and this backward pass; write into a clone() instead, "
        "or do the update after backward."
    )
