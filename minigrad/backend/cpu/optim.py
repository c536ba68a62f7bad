"""Optimizer updates on the CPU: every parameter of a group in one backend call.

An optimizer step written with Tensor ops makes several passes over each parameter and a
temporary array per pass (for SGD with momentum: scale the velocity, add the gradient,
scale the result, subtract it from the weights). The kernel here reads each parameter,
gradient and velocity element once, applies the whole update rule to it in registers and
writes the results back: one pass, no temporaries. The arithmetic is PyTorch's, operation
by operation, in the parameter's dtype (the hyperparameters are converted to that dtype
first, as PyTorch does), so the results match ``torch.optim.SGD`` up to the rounding of a
fused multiply-add. ``adam_update_`` does the same for Adam and AdamW.

SGD updates all parameters of a dtype in one kernel call, on a tuple of their flat (1-D)
views: for the small parameters of an MLP the Python cost of a call (argument checks,
Numba's dispatch) is most of the update, so it is paid once per step. Adam makes one kernel
call per parameter. The loop over a parameter's elements is a ``prange``: groups of
four million elements and more (``ELEMENTWISE_GRAIN``) are updated on all threads.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from minigrad.backend.cpu.threads import ELEMENTWISE_GRAIN, serial_or_parallel


@serial_or_parallel(grain=ELEMENTWISE_GRAIN)
def _sgd_kernel(params, grads, velocities, new_velocities, lr, momentum, one_minus_dampening,
                weight_decay, nesterov, maximize):
    r"""One SGD step for every parameter of a group: ``params``, ``grads`` and ``velocities``
    are equally long tuples of flat arrays, ``new_velocities`` a tuple of flags. For each
    element of each parameter:

    g = -grad if maximize else grad;  g += weight_decay * param;
    velocity = g on the first step, else momentum * velocity + (1 - dampening) * g;
    g = g + momentum * velocity if nesterov else velocity   (when momentum != 0);
    param -= lr * g.

    The whole group is one call: Numba compiles the kernel once per number of parameters
    (a tuple's length is part of its type), and the Python cost of a call, which is what a
    small parameter's update mostly is, is paid once per step instead of once per tensor.
    """
    use_momentum = momentum != 0
    for index in range(len(params)):
        param, grad, velocity = params[index], grads[index], velocities[index]
        new_velocity = new_velocities[index]
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
    Parameters of one dtype are updated by one kernel call (a group of float32 and float64
    parameters takes one call per dtype).
    """
    params, grads = list(params), list(grads)
    if len(params) != len(grads):
        raise ValueError(f"sgd_update_: {len(params)} parameters but {len(grads)} gradients")
    for index, (param, grad) in enumerate(zip(params, grads, strict=True)):
        _check_pair(param, grad, index, "sgd_update_")
        if momentum != 0:
            velocity = velocities[index]
            if velocity.shape != param.shape or velocity.dtype != param.dtype:
                raise ValueError(f"sgd_update_: momentum buffer {index} is {velocity.dtype} "
                                 f"{velocity.shape}; its parameter is {param.dtype} "
                                 f"{param.shape}")
    for dtype in {param.dtype for param in params}:
        indices = [index for index, param in enumerate(params) if param.dtype == dtype]
        _sgd_update_one_dtype(params, grads, velocities, new_velocities, indices, dtype, lr,
                              momentum, dampening, weight_decay, nesterov, maximize)


def _sgd_update_one_dtype(params, grads, velocities, new_velocities, indices, dtype, lr,
                          momentum, dampening, weight_decay, nesterov, maximize) -> None:
    """The kernel call for the parameters at ``indices``, which all have ``dtype``."""
    scalar = dtype.type
    # Parameters and buffers that are not one contiguous block (rare: a view made a leaf)
    # are updated in a contiguous copy, written back afterwards.
    param_blocks = [np.ascontiguousarray(params[index]) for index in indices]
    if momentum != 0:
        velocity_blocks = [np.ascontiguousarray(velocities[index]) for index in indices]
        new_velocity_flags = tuple(bool(new_velocities[index]) for index in indices)
    else:
        # never read without momentum; one empty array keeps the tuple's type uniform
        velocity_blocks = [np.zeros(0, dtype=dtype)] * len(indices)
        new_velocity_flags = (False,) * len(indices)
    _sgd_kernel(sum(block.size for block in param_blocks),
                tuple(_flat(block) for block in param_blocks),
                tuple(_flat(np.ascontiguousarray(grads[index])) for index in indices),
                tuple(_flat(block) for block in velocity_blocks), new_velocity_flags,
                scalar(lr), scalar(momentum), scalar(1 - dampening), scalar(weight_decay),
                bool(nesterov), bool(maximize))
    for position, index in enumerate(indices):
        if param_blocks[position] is not params[index]:
            np.copyto(params[index], param_blocks[position])
        if momentum != 0 and velocity_blocks[position] is not velocities[index]:
            np.copyto(velocities[index], velocity_blocks[position])


@serial_or_parallel(grain=ELEMENTWISE_GRAIN)
def _adam_kernel(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, lerp_weight,
                 one_minus_lerp_weight, beta2, one_minus_beta2, eps, weight_decay,
                 decay_factor, step_size, bias_correction2_sqrt, amsgrad, maximize,
                 decoupled_weight_decay):
    r"""One Adam (or AdamW) step for flat arrays, in PyTorch's order of operations:

    g = -grad if maximize else grad
    AdamW: param *= 1 - lr * weight_decay;   Adam: g += weight_decay * param
    m = lerp(m, g, 1 - beta1);   v = beta2 * v + (1 - beta2) * g * g;   amsgrad: v_max = max
    param += -step_size * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    Every scalar comes already rounded to the arrays' dtype (``1 - beta1`` too: written
    here, ``1 - x`` would be computed in float64), so the arithmetic stays in that dtype.
    """
    for i in prange(param.size):
        g = -grad[i] if maximize else grad[i]
        p = param[i]
        if weight_decay != 0:
            if decoupled_weight_decay:
                p = p * decay_factor
            else:
                g = g + weight_decay * p
        # torch.lerp, with its two formulas: exact at both ends of the weight's range
        m = exp_avg[i]
        if lerp_weight < 0.5:
            m = m + lerp_weight * (g - m)
        else:
            m = g - (g - m) * one_minus_lerp_weight
        exp_avg[i] = m
        v = exp_avg_sq[i] * beta2 + one_minus_beta2 * g * g
        exp_avg_sq[i] = v
        if amsgrad:
            v = max(max_exp_avg_sq[i], v)
            max_exp_avg_sq[i] = v
        denominator = np.sqrt(v) / bias_correction2_sqrt + eps
        param[i] = p + (-step_size * m) / denominator  # torch.addcdiv_: (value * m) / d


def adam_update_(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, lr, beta1,
                 beta2, eps, weight_decay, amsgrad, maximize, decoupled_weight_decay) -> None:
    """Adam (AdamW when ``decoupled_weight_decay``) step for every parameter in place.

    ``exp_avgs``/``exp_avg_sqs`` (and ``max_exp_avg_sqs`` with ``amsgrad``) are the moment
    buffers, updated in place; ``steps[i]`` is parameter i's step number, this step
    included (the bias corrections depend on it).
    """
    for index, (param, grad) in enumerate(zip(params, grads, strict=True)):
        _check_pair(param, grad, index, "adam_update_")
        buffers = [exp_avgs[index], exp_avg_sqs[index]]
        buffers.append(max_exp_avg_sqs[index] if amsgrad else np.zeros(0, param.dtype))
        for buffer in buffers[:2 + amsgrad]:
            if buffer.shape != param.shape or buffer.dtype != param.dtype:
                raise ValueError(f"adam_update_: a state buffer of parameter {index} is "
                                 f"{buffer.dtype} {buffer.shape}; the parameter is "
                                 f"{param.dtype} {param.shape}")
        scalar = param.dtype.type
        step = steps[index]
        # computed in Python floats and rounded once to the dtype, as PyTorch does
        bias_correction1 = 1 - beta1**step
        bias_correction2_sqrt = (1 - beta2**step) ** 0.5
        blocks = [np.ascontiguousarray(array) for array in (param, *buffers)]
        lerp_weight = scalar(1 - beta1)  # PyTorch's exp_avg.lerp_(grad, 1 - beta1)
        _adam_kernel(param.size, _flat(blocks[0]), _flat(np.ascontiguousarray(grad)),
                     *(_flat(block) for block in blocks[1:]), lerp_weight,
                     scalar(1) - lerp_weight, scalar(beta2), scalar(1 - beta2), scalar(eps),
                     scalar(weight_decay), scalar(1 - lr * weight_decay),
                     scalar(lr / bias_correction1), scalar(bias_correction2_sqrt),
                     bool(amsgrad), bool(maximize), bool(decoupled_weight_decay))
        for block, array in zip(blocks, (param, *buffers), strict=True):
            if block is not array:
                np.copyto(array, block)
