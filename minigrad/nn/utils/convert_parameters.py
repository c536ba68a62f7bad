"""Flatten a model's parameters into one vector and back (for line searches, parameter
averaging, or printing how far training moved the weights)."""

from __future__ import annotations

from collections.abc import Iterable

import minigrad
from minigrad.tensor import Tensor


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """One 1-D tensor holding every parameter's elements, in order (a differentiable copy)."""
    parameters = list(parameters)
    if not parameters:
        raise ValueError("parameters_to_vector: got no parameters")
    devices = {str(parameter.device) for parameter in parameters}
    if len(devices) > 1:
        raise ValueError(f"parameters_to_vector: parameters are on several devices "
                         f"({', '.join(sorted(devices))}); move them to one first")
    return minigrad.cat([parameter.reshape(-1) for parameter in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of the 1-D tensor ``vec`` into ``parameters`` (the inverse of
    ``parameters_to_vector``). The copy is not recorded for autograd."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: expected vec to be a Tensor, "
                        f"got {type(vec).__name__}")
    if vec.dim() != 1:
        raise ValueError(f"vector_to_parameters: vec must be 1-D, got shape {vec.shape}")
    parameters = list(parameters)
    needed = sum(parameter.numel() for parameter in parameters)
    if vec.numel() != needed:
        raise ValueError(f"vector_to_parameters: vec has {vec.numel()} elements but the "
                         f"parameters hold {needed}")
    start = 0
    with minigrad.no_grad():
        for parameter in parameters:
            count = parameter.numel()
            parameter.copy_(vec[start:start + count].reshape(parameter.shape))
            start += count
