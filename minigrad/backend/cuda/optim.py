"""Optimizer updates on the GPU: every parameter of a group in one backend call.

The same one-pass update as ``minigrad/backend/cpu/optim.py`` (read there for the why):
each thread takes elements of the flat parameter, gradient and state buffers in a
grid-stride loop, applies the whole SGD, Adam, RMSprop or Adagrad rule in registers and
writes the results back. One launch per parameter; the hyperparameters are converted to
the parameter's dtype first, as PyTorch does.
"""

from __future__ import annotations

import math

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
        _check_gradient("sgd_update_", index, param, grad)
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
        _write_back((param_block, velocity_block), (param, velocity))


@cuda.jit
def _adam_kernel(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, lerp_weight,
                 one_minus_lerp_weight, beta2, one_minus_beta2, eps, weight_decay,
                 decay_factor, step_size, bias_correction2_sqrt, amsgrad, maximize,
                 decoupled_weight_decay):
    for i in range(cuda.grid(1), param.size, cuda.gridsize(1)):
        g = -grad[i] if maximize else grad[i]
        p = param[i]
        if weight_decay != 0:
            if decoupled_weight_decay:
                p = p * decay_factor
            else:
                g = g + weight_decay * p
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
        denominator = math.sqrt(v) / bias_correction2_sqrt + eps
        param[i] = p + (-step_size * m) / denominator  # torch.addcdiv_: (value * m) / d


def adam_update_(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, lr, beta1,
                 beta2, eps, weight_decay, amsgrad, maximize, decoupled_weight_decay) -> None:
    """Adam (AdamW) step for every parameter and its moment buffers in place; see the CPU
    version for the arithmetic."""
    for index, (param, grad) in enumerate(zip(params, grads, strict=True)):
        _check_gradient("adam_update_", index, param, grad)
        if param.size == 0:
            continue
        buffers = [exp_avgs[index], exp_avg_sqs[index]]
        buffers.append(max_exp_avg_sqs[index] if amsgrad else empty((1,), param.dtype))
        scalar = np.dtype(param.dtype).type
        step = steps[index]
        bias_correction1 = 1 - beta1**step
        bias_correction2_sqrt = (1 - beta2**step) ** 0.5
        lerp_weight = scalar(1 - beta1)
        blocks = [contiguous(array) for array in (param, *buffers)]
        blocks_count, threads = launch_1d(param.size)
        _adam_kernel[blocks_count, threads](
            flat(blocks[0]), flat(contiguous(grad)), *(flat(block) for block in blocks[1:]),
            lerp_weight, scalar(1) - lerp_weight, scalar(beta2), scalar(1 - beta2),
            scalar(eps), scalar(weight_decay), scalar(1 - lr * weight_decay),
            scalar(lr / bias_correction1), scalar(bias_correction2_sqrt), bool(amsgrad),
            bool(maximize), bool(decoupled_weight_decay))
        _write_back(blocks, (param, *buffers))


@cuda.jit
def _rmsprop_kernel(param, grad, square_avg, grad_avg, buffer, alpha, one_minus_alpha, eps,
                    weight_decay, momentum, minus_lr, centered, maximize):
    use_momentum = momentum > 0
    for i in range(cuda.grid(1), param.size, cuda.gridsize(1)):
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
        denominator = math.sqrt(v) + eps
        if use_momentum:
            b = buffer[i] * momentum + g / denominator
            buffer[i] = b
            param[i] = param[i] + b * minus_lr
        else:
            param[i] = param[i] + minus_lr * g / denominator


def rmsprop_update_(params, grads, square_avgs, grad_avgs, momentum_buffers, lr, alpha, eps,
                    weight_decay, momentum, centered, maximize) -> None:
    """RMSprop step for every parameter and its buffers in place; see the CPU version."""
    for index, (param, grad) in enumerate(zip(params, grads, strict=True)):
        _check_gradient("rmsprop_update_", index, param, grad)
        if param.size == 0:
            continue
        spare = empty((1,), param.dtype)
        buffers = [square_avgs[index], grad_avgs[index] if centered else spare,
                   momentum_buffers[index] if momentum > 0 else spare]
        scalar = np.dtype(param.dtype).type
        blocks = [contiguous(array) for array in (param, *buffers)]
        blocks_count, threads = launch_1d(param.size)
        _rmsprop_kernel[blocks_count, threads](
            flat(blocks[0]), flat(contiguous(grad)), *(flat(block) for block in blocks[1:]),
            scalar(alpha), scalar(1 - alpha), scalar(eps), scalar(weight_decay),
            scalar(momentum), scalar(-lr), bool(centered), bool(maximize))
        _write_back(blocks, (param, *buffers))


@cuda.jit
def _adagrad_kernel(param, grad, total, minus_decayed_lr, eps, weight_decay, maximize):
    for i in range(cuda.grid(1), param.size, cuda.gridsize(1)):
        g = -grad[i] if maximize else grad[i]
        if weight_decay != 0:
            g = g + param[i] * weight_decay
        s = total[i] + g * g
        total[i] = s
        param[i] = param[i] + minus_decayed_lr * g / (math.sqrt(s) + eps)


def adagrad_update_(params, grads, sums, steps, lr, lr_decay, eps, weight_decay,
                    maximize) -> None:
    """Adagrad step for every parameter and its sum in place; see the CPU version."""
    for index, (param, grad) in enumerate(zip(params, grads, strict=True)):
        _check_gradient("adagrad_update_", index, param, grad)
        if param.size == 0:
            continue
        scalar = np.dtype(param.dtype).type
        minus_decayed_lr = scalar(-(lr / (1 + (steps[index] - 1) * lr_decay)))
        blocks = [contiguous(param), contiguous(sums[index])]
        blocks_count, threads = launch_1d(param.size)
        _adagrad_kernel[blocks_count, threads](
            flat(blocks[0]), flat(contiguous(grad)), flat(blocks[1]), minus_decayed_lr,
            scalar(eps), scalar(weight_decay), bool(maximize))
        _write_back(blocks, (param, sums[index]))


def _check_gradient(what: str, index: int, param, grad) -> None:
    if grad.dtype != param.dtype or tuple(grad.shape) != tuple(param.shape):
        raise ValueError(f"{what}: parameter {index} is {param.dtype} {tuple(param.shape)} "
                         f"but its gradient is {grad.dtype} {tuple(grad.shape)}")


def _write_back(blocks, arrays) -> None:
    """Copy each contiguous copy a kernel updated back into its strided original."""
    for block, array in zip(blocks, arrays, strict=True):
        if block is not array:
            copy_into(view_of(array), view_of(block))
