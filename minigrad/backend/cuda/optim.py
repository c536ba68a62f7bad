"""Optimizer updates on the GPU: every parameter of a group in one backend call.

The same one-pass update as ``minigrad/backend/cpu/optim.py`` (read there for the why):
each thread takes elements of the flat parameter, gradient and velocity in a grid-stride
loop, applies the whole SGD rule in registers and writes the results back. One launch per
parameter; the hyperparameters are converted to the parameter's dtype first, as PyTorch
does.
"""

from __future__ import annotations

import numpy as np
from numba import cuda

from minigrad.backend.cuda.elementwise import contiguous, copy_into, empty
from minigrad.backend.cuda.layout import flat, launch_1d, view_of


@cuda.jit
def _sgd_kernel(param, grad, velocity, new_velocity, lr, momentum, one_minus_dampening,
                weight_decay, nesterov, maximize):
    use_momentum = momentum != 0
    for i in range(cuda.grid(1), param.size, cuda.gridsize(1)):
        g = -grad[i] if maximize else grad[i]
        if weight_decay != 0:
            g = g + weight_decay * param[i]
        if use_momentum:
            if new_velocity:
                v = g
            else:
                v = velocity[i] * momentum + g * one_minus_dampening
            velocity[i] = v
            g = g + v * momentum if nesterov else v
        param[i] = param[i] - lr * g


def sgd_update_(params, grads, velocities, new_velocities, lr, momentum, dampening,
                weight_decay, nesterov, maximize) -> None:
    """SGD step for every parameter (and its velocity) in place; see the CPU version."""
    for index, (param, grad) in enumerate(zip(params, grads, strict=True)):
        if grad.dtype != param.dtype or tuple(grad.shape) != tuple(param.shape):
            raise ValueError(f"sgd_update_: parameter {index} is {param.dtype} "
                             f"{tuple(param.shape)} but its gradient is {grad.dtype} "
                             f"{tuple(grad.shape)}")
        if param.size == 0:
            continue
        scalar = np.dtype(param.dtype).type
        if momentum != 0:
            velocity, new_velocity = velocities[index], bool(new_velocities[index])
        else:
            velocity, new_velocity = empty((1,), param.dtype), False
        # A parameter or buffer that is a strided view is updated in a contiguous copy,
        # written back afterwards.
        param_block, velocity_block = contiguous(param), contiguous(velocity)
        blocks, threads = launch_1d(param.size)
        _sgd_kernel[blocks, threads](
            flat(param_block), flat(contiguous(grad)), flat(velocity_block), new_velocity,
            scalar(lr), scalar(momentum), scalar(1 - dampening), scalar(weight_decay),
            bool(nesterov), bool(maximize))
        if param_block is not param:
            copy_into(view_of(param), view_of(param_block))
        if velocity_block is not velocity:
            copy_into(view_of(velocity), view_of(velocity_block))
