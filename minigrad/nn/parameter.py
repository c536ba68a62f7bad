"""``Parameter``: a tensor that a ``Module`` trains."""

from __future__ import annotations

import minigrad
from minigrad.dtypes import DType
from minigrad.tensor import Tensor


class Parameter(Tensor):
    """A tensor that is a trainable parameter of a ``Module`` (``requires_grad=True``).

    ``Parameter(data)`` shares ``data``'s storage, like ``torch.nn.Parameter``; ops on a
    parameter return plain tensors.
    """

    __slots__ = ()

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True) -> Parameter:
        if data is None:
            data = minigrad.empty((0,))
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter expects a minigrad.Tensor, got {type(data).__name__}")
        if requires_grad and not data.dtype.is_floating_point:
            raise TypeError(
                f"only floating point tensors can require gradients; got dtype {data.dtype}"
            )
        parameter = Tensor._from_array(data._data, data.device, requires_grad=requires_grad)
        parameter.__class__ = cls
        return parameter

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        # Everything happened in __new__; Tensor.__init__ must not run on the result again.
        pass

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


def empty_parameter(shape: tuple[int, ...], dtype: DType | None, device: str | None) -> Parameter:
    """An uninitialised parameter of ``shape``; layers fill it in ``reset_parameters``."""
    return Parameter(
        minigrad.empty(shape, dtype=dtype or minigrad.float32, device=device or "cpu")
    )
