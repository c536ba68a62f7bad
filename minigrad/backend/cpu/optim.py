"""Optimizer updates on the CPU: every parameter of a group in one backend call.

An optimizer step written with Tensor ops makes several passes over each parameter and a
temporary array per pass (for SGD with momentum: scale the velocity, add the gradient,
scale the result, subtract it from the weights). The kernel here reads each parameter,
gradient and velocity element once, applies the whole update rule to it in registers and
writes the results back: one pass, no temporaries. The arithmetic is PyTorch's, operation
by operation, in the parameter's dtype (the hyperparameters are converted to that dtype
first, as PyTorch does), so the results match ``torch.optim.SGD`` up to the rounding of a
fused multiply-add.

Each parameter is one kernel call on its flat (1-D) view; the Python loop over the
parameters is the only per-parameter cost. The loop inside the kernel is a ``prange``:
parameters of a million elements and more (``ELEMENTWISE_GRAIN``) are updated on all
threads.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from minigrad.backend.cpu.threads import ELEMENTWISE_GRAIN, serial_or_parallel


@serial_or_parallel(grain=ELEMENTWISE_GRAIN)
def _sgd_kernel(param, grad, velocity, new_velocity, lr, momentum, one_minus_dampening,
                weight_decay, nesterov, maximize):
    r"""One SGD step for the flat arrays ``param``, ``grad`` and ``velocity``:

    g = -grad if maximize else grad;  g += weight_decay * param;
    velocity = g on the first step, else momentum * velocity + (1 - dampening) * g;
    g = g + momentum * velocity if nesterov else velocity   (when momentum != 0);
    param -= lr * g.
    """
    use_momentum = momentum != 0
    for i in prange(param.size):
        g = -grad[i] if maximize else grad[i]
        if weight_decay != 0:
            g = g + weight_decay * param[i]
        if use_momentum:
            if new_velocity:
                v = g  # PyTorch starts the velocity at the first gradient itself
            else:
                v = velocity[i] * momentum + g * one_minus_dampening
            velocity[i] = v
            g = g + v * momentum if nesterov else v
        param[i] = param[i] - lr * g


def _flat(array: np.ndarray) -> np.ndarray:
    """A C-contiguous array's 1-D view (the kernel walks every array the same way)."""
    return array.reshape(-1)


def _check_pair(param: np.ndarray, grad: np.ndarray, index: int, what: str) -> None:
    if param.dtype not in (np.float32, np.float64) or grad.dtype != param.dtype:
        raise TypeError(f"{what}: parameter {index} and its gradient must both be float32 or "
                        f"both float64; got {param.dtype} and {grad.dtype}")
    if grad.shape != param.shape:
        raise ValueError(f"{what}: parameter {index} has shape {param.shape} but its gradient "
                         f"has shape {grad.shape}")


def sgd_update_(params, grads, velocities, new_velocities, lr, momentum, dampening,
                weight_decay, nesterov, maximize) -> None:
    """SGD step for every parameter in ``params`` (updated in place, as are the velocities).

    ``velocities`` holds one momentum buffer per parameter (ignored when ``momentum`` is 0);
    ``new_velocities[i]`` says that buffer ``i`` is new and starts at the gradient.
    """
    for index, (param, grad) in enumerate(zip(params, grads, strict=True)):
        _check_pair(param, grad, index, "sgd_update_")
        scalar = param.dtype.type
        if momentum != 0:
            velocity, new_velocity = velocities[index], bool(new_velocities[index])
            if velocity.shape != param.shape or velocity.dtype != param.dtype:
                raise ValueError(f"sgd_update_: momentum buffer {index} is {velocity.dtype} "
                                 f"{velocity.shape}; its parameter is {param.dtype} "
                                 f"{param.shape}")
        else:
            velocity, new_velocity = np.zeros(0, dtype=param.dtype), False
        # Parameters and buffers that are not one contiguous block (rare: a view made a
        # leaf) are updated in a contiguous copy, written back afterwards.
        param_block = np.ascontiguousarray(param)
        velocity_block = np.ascontiguousarray(velocity)
        _sgd_kernel(param.size, _flat(param_block), _flat(np.ascontiguousarray(grad)),
                    _flat(velocity_block), new_velocity, scalar(lr), scalar(momentum),
                    scalar(1 - dampening), scalar(weight_decay), bool(nesterov),
                    bool(maximize))
        if param_block is not param:
            np.copyto(param, param_block)
        if velocity_block is not velocity:
            np.copyto(velocity, velocity_block)
