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
Numba's dispatch) is most of the update, so it is paid once per step; Adam and AdamW do
the same. The loop over a parameter's elements is a ``prange``: groups of
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


@serial_or_parallel(grain=ELEMENTWISE_GRAIN, error_model="numpy")
def _adam_kernel(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, step_sizes,
                 bias_corrections2_sqrt, lerp_weight, one_minus_lerp_weight, beta2,
                 one_minus_beta2, eps, weight_decay, decay_factor, amsgrad, maximize,
                 decoupled_weight_decay):
    r"""One Adam (or AdamW) step for every parameter of a group, in PyTorch's order of
    operations. ``params``, ``grads`` and the moment buffers are equally long tuples of flat
    arrays (``max_exp_avg_sqs`` holds empty arrays without amsgrad); ``step_sizes`` and
    ``bias_corrections2_sqrt`` hold each parameter's numbers for its step count. For each
    element of each parameter:

    g = -grad if maximize else grad
    AdamW: param *= 1 - lr * weight_decay;   Adam: g += weight_decay * param
    m = lerp(m, g, 1 - beta1);   v = beta2 * v + (1 - beta2) * g * g;   amsgrad: v_max = max
    param += -step_size * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    Every scalar comes already rounded to the arrays' dtype (``1 - beta1`` too: written
    here, ``1 - x`` would be computed in float64), so the arithmetic stays in that dtype.
    One call for the group, as for SGD (see ``_sgd_kernel``).

    ``error_model="numpy"``: a division by zero (``eps=0`` and a zero second moment) gives
    inf or NaN, as in PyTorch, instead of raising ZeroDivisionError; without that test in
    front of every division the loop vectorises. For the 784-128-64-10 MLP's parameters
    (109,386 float32 values) a step took 144-180 us instead of 560-700 us (one call, CPU
    time, while a test suite shared the machine).
    """
    for index in range(len(params)):
        param, grad = params[index], grads[index]
        exp_avg, exp_avg_sq = exp_avgs[index], exp_avg_sqs[index]
        max_exp_avg_sq = max_exp_avg_sqs[index]
        step_size, bias_correction2_sqrt = step_sizes[index], bias_corrections2_sqrt[index]
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
    included (the bias corrections depend on it). Parameters of one dtype are updated by
    one kernel call.
    """
    buffer_lists = [exp_avgs, exp_avg_sqs] + ([max_exp_avg_sqs] if amsgrad else [])
    _check_group("adam_update_", params, grads, buffer_lists)
    for dtype, indices, blocks, flat_grads in _dtype_groups(params, grads, buffer_lists):
        scalar = dtype.type
        # per parameter, from its step count: computed in Python floats and rounded once to
        # the dtype, as PyTorch does
        step_sizes = tuple(scalar(lr / (1 - beta1 ** steps[index])) for index in indices)
        corrections = tuple(scalar((1 - beta2 ** steps[index]) ** 0.5) for index in indices)
        maxima = blocks[3] if amsgrad else tuple(np.zeros(0, dtype) for _ in indices)
        lerp_weight = scalar(1 - beta1)  # PyTorch's exp_avg.lerp_(grad, 1 - beta1)
        _adam_kernel(sum(block.size for block in blocks[0]), blocks[0], flat_grads, blocks[1],
                     blocks[2], maxima, step_sizes, corrections, lerp_weight,
                     scalar(1) - lerp_weight, scalar(beta2), scalar(1 - beta2), scalar(eps),
                     scalar(weight_decay), scalar(1 - lr * weight_decay), bool(amsgrad),
                     bool(maximize), bool(decoupled_weight_decay))
        _write_back(indices, [params, *buffer_lists], blocks)

@serial_or_parallel(grain=ELEMENTWISE_GRAIN, error_model="numpy")
def _rmsprop_kernel(params, grads, square_avgs, grad_avgs, momentum_buffers, alpha,
                    one_minus_alpha, eps, weight_decay, momentum, minus_lr, centered, maximize):
    r"""One RMSprop step for every parameter of a group (tuples of flat arrays; the
    ``grad_avgs`` only when ``centered``, the ``momentum_buffers`` only with momentum, else
    empty arrays), the operations of ``RMSprop._update`` in their order:

    g = -grad if maximize else grad;  g = g + param * weight_decay
    v = v * alpha + (1 - alpha) * g * g
    centered: m = m + (g - m) * (1 - alpha);  d = sqrt(v - m * m) + eps;  else d = sqrt(v) + eps
    momentum: b = b * momentum + g / d;  param += b * -lr;   else param += -lr * g / d
    """
    use_momentum = momentum > 0
    for index in range(len(params)):
        param, grad, square_avg = params[index], grads[index], square_avgs[index]
        grad_avg, buffer = grad_avgs[index], momentum_buffers[index]
        for i in prange(param.size):
            g = -grad[i] if maximize else grad[i]
            if weight_decay != 0:
                g = g + param[i] * weight_decay
            v = square_avg[i] * alpha
            v = v + one_minus_alpha * g * g
            square_avg[i] = v
            if centered:
                m = grad_avg[i] + (g - grad_avg[i]) * one_minus_alpha
                grad_avg[i] = m
                v = v - m * m
            denominator = np.sqrt(v) + eps
            if use_momentum:
                b = buffer[i] * momentum + g / denominator
                buffer[i] = b
                param[i] = param[i] + b * minus_lr
            else:
                param[i] = param[i] + minus_lr * g / denominator


def rmsprop_update_(params, grads, square_avgs, grad_avgs, momentum_buffers, lr, alpha, eps,
                    weight_decay, momentum, centered, maximize) -> None:
    """RMSprop step for every parameter in place; ``square_avgs`` (and ``grad_avgs`` when
    ``centered``, ``momentum_buffers`` when ``momentum > 0``) are updated in place.
    Parameters of one dtype are updated by one kernel call."""
    buffer_lists = [square_avgs] + ([grad_avgs] if centered else []) + (
        [momentum_buffers] if momentum > 0 else [])
    _check_group("rmsprop_update_", params, grads, buffer_lists)
    for dtype, indices, blocks, flat_grads in _dtype_groups(params, grads, buffer_lists):
        scalar = dtype.type
        empties = tuple(np.zeros(0, dtype) for _ in indices)
        found = iter(blocks[1:])
        square_avg_blocks = next(found)
        grad_avg_blocks = next(found) if centered else empties
        buffer_blocks = next(found) if momentum > 0 else empties
        _rmsprop_kernel(sum(block.size for block in blocks[0]), blocks[0], flat_grads,
                        square_avg_blocks, grad_avg_blocks, buffer_blocks, scalar(alpha),
                        scalar(1 - alpha), scalar(eps), scalar(weight_decay),
                        scalar(momentum), scalar(-lr), bool(centered), bool(maximize))
        _write_back(indices, [params, *buffer_lists], blocks)


@serial_or_parallel(grain=ELEMENTWISE_GRAIN, error_model="numpy")
def _adagrad_kernel(params, grads, sums, minus_decayed_lrs, eps, weight_decay, maximize):
    r"""One Adagrad step for every parameter of a group (tuples of flat arrays), the
    operations of ``Adagrad._update`` in their order:

    g = -grad if maximize else grad;  g = g + param * weight_decay
    s = s + g * g;   param += -decayed_lr * g / (sqrt(s) + eps)

    ``minus_decayed_lrs[i]`` is parameter i's -lr / (1 + (step - 1) * lr_decay).
    """
    for index in range(len(params)):
        param, grad, total = params[index], grads[index], sums[index]
        minus_decayed_lr = minus_decayed_lrs[index]
        for i in prange(param.size):
            g = -grad[i] if maximize else grad[i]
            if weight_decay != 0:
                g = g + param[i] * weight_decay
            s = total[i] + g * g
            total[i] = s
            param[i] = param[i] + minus_decayed_lr * g / (np.sqrt(s) + eps)


def adagrad_update_(params, grads, sums, steps, lr, lr_decay, eps, weight_decay,
                    maximize) -> None:
    """Adagrad step for every parameter in place (``sums`` too); ``steps[i]`` is parameter
    i's step number, this step included. Parameters of one dtype take one kernel call."""
    _check_group("adagrad_update_", params, grads, [sums])
    for dtype, indices, blocks, flat_grads in _dtype_groups(params, grads, [sums]):
        scalar = dtype.type
        # computed in Python floats and rounded once to the dtype, as the Tensor ops do
        minus_decayed_lrs = tuple(scalar(-(lr / (1 + (steps[index] - 1) * lr_decay)))
                                  for index in indices)
        _adagrad_kernel(sum(block.size for block in blocks[0]), blocks[0], flat_grads,
                        blocks[1], minus_decayed_lrs, scalar(eps), scalar(weight_decay),
                        bool(maximize))
        _write_back(indices, [params, sums], blocks)


# --- shared by the Adam, RMSprop and Adagrad wrappers ----------------------------------------
def _check_group(what: str, params, grads, buffer_lists) -> None:
    """Every parameter has a gradient and buffers of its own dtype and shape."""
    if len(params) != len(grads):
        raise ValueError(f"{what}: {len(params)} parameters but {len(grads)} gradients")
    for index, (param, grad) in enumerate(zip(params, grads, strict=True)):
        _check_pair(param, grad, index, what)
        for buffers in buffer_lists:
            buffer = buffers[index]
            if buffer.shape != param.shape or buffer.dtype != param.dtype:
                raise ValueError(f"{what}: a state buffer of parameter {index} is "
                                 f"{buffer.dtype} {buffer.shape}; the parameter is "
                                 f"{param.dtype} {param.shape}")


def _dtype_groups(params, grads, buffer_lists):
    """Per dtype: ``(dtype, indices, blocks, flat gradients)``, where ``blocks[k]`` holds the
    flat contiguous arrays of ``[params, *buffer_lists][k]`` at those indices (a strided
    array is updated in a contiguous copy, see ``_write_back``)."""
    for dtype in {param.dtype for param in params}:
        indices = [index for index, param in enumerate(params) if param.dtype == dtype]
        blocks = [tuple(_flat(np.ascontiguousarray(arrays[index])) for index in indices)
                  for arrays in (params, *buffer_lists)]
        flat_grads = tuple(_flat(np.ascontiguousarray(grads[index])) for index in indices)
        yield dtype, indices, blocks, flat_grads


def _write_back(indices, array_lists, blocks) -> None:
    """Copy each contiguous copy the kernel updated back into its strided original."""
    for arrays, group_blocks in zip(array_lists, blocks, strict=True):
        for index, block in zip(indices, group_blocks, strict=True):
            if not np.may_share_memory(block, arrays[index]):
                np.copyto(arrays[index], block.reshape(arrays[index].shape))
