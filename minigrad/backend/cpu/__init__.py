"""The CPU backend: numpy for elementwise, reduction and shape work; Numba kernels for the
dense, convolution, pooling and fused loss operations, ReLU's backward and the optimizer
updates.

The kernel modules (``dense``, ``conv``, ``pool``, ``loss``, ``optim``, ``activation``)
import Numba, which takes a moment, so they are imported on first use: ``import minigrad``
stays fast and nothing is compiled until a kernel is actually called.
"""

from __future__ import annotations

import importlib

import numpy as np

from minigrad.backend.base import Backend
from minigrad.backend.cpu.math_functions import MATH_UNARY

_COMPARISONS = {
    "eq": np.equal,
    "ne": np.not_equal,
    "lt": np.less,
    "le": np.less_equal,
    "gt": np.greater,
    "ge": np.greater_equal,
}


def _sigmoid(a: np.ndarray) -> np.ndarray:
    # 1 / (1 + exp(-a)) has no cancellation anywhere (unlike the tanh form
    # (1 + tanh(a/2)) / 2, which rounds to exactly 0 below about -17 in float32, where the
    # true value is still 4e-8). For very negative a, exp(-a) overflows to inf and the
    # result is 1 / inf = 0, the correctly rounded answer (PyTorch's formula too).
    return 1 / (1 + np.exp(-a))


def _log_sigmoid(a: np.ndarray) -> np.ndarray:
    # log sigmoid(a) = min(a, 0) - log(1 + exp(-|a|)): exp never overflows, and log1p keeps
    # the tiny values for large a (log sigmoid(20) = -2.06e-9, not 0).
    return np.minimum(a, 0) - np.log1p(np.exp(-np.abs(a)))


def _relu(a: np.ndarray) -> np.ndarray:
    if a.dtype in (np.float32, np.float64):
        return _kernels("activation").relu(a)  # one vectorised pass (see activation.py)
    return np.maximum(a, 0)


_UNARY = {
    "neg": np.negative,
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
    "abs": np.abs,
    "sign": np.sign,
    "tanh": np.tanh,
    "sigmoid": _sigmoid,
    "log_sigmoid": _log_sigmoid,
    "relu": _relu,
    **MATH_UNARY,
}


# Only these can meet inf/nan edge cases (log 0, sqrt of a negative, exp overflow, also
# inside sigmoid); the others skip np.errstate, which costs more than the op itself on
# small arrays.
_MAY_WARN = frozenset({"exp", "log", "sqrt", "sigmoid", "sin", "cos", "tan", "asin", "acos",
                       "sinh", "cosh", "acosh", "atanh", "log2", "log10", "log1p", "expm1",
                       "rsqrt", "reciprocal"})


# ``out=...`` (numpy >= 2.3) makes a ufunc return an array also for 0-d operands, where it
# would otherwise return a numpy scalar (np.float32) that the tensor must wrap in an array
# again: for a number held in a tensor, that wrapping costs a tenth of the whole op. With
# an older numpy, ``out=None`` is the default and ``Tensor._wrap`` does the wrapping.
_ARRAY_RESULT = ... if np.lib.NumpyVersion(np.__version__) >= "2.3.0" else None


_KERNEL_MODULES: dict = {}


def _kernels(name: str):
    """Import ``minigrad.backend.cpu.<name>`` on first use (it compiles Numba kernels).

    Kept in a dict afterwards: ``importlib.import_module`` takes microseconds even for a
    module already imported, and a training step asks for kernels a dozen times."""
    module = _KERNEL_MODULES.get(name)
    if module is None:
        module = _KERNEL_MODULES[name] = importlib.import_module(f"minigrad.backend.cpu.{name}")
    return module


class CPUBackend(Backend):
    name = "cpu"

    # --- moving data -------------------------------------------------------------------
    def from_numpy(self, array):
        return np.asarray(array)

    def to_numpy(self, array):
        return array

    def zeros(self, shape, dtype):
        return np.zeros(shape, dtype=dtype)

    def full(self, shape, value, dtype):
        return np.full(shape, value, dtype=dtype)

    def astype(self, array, dtype):
        return array.astype(dtype)

    def copy(self, array):
        return np.array(array, copy=True, order="C")

    def assign(self, dst, src):
        np.copyto(dst, src)

    def setitem(self, dst, index, values):
        dst[index] = values

    def add_scaled_(self, dst, src, alpha):
        # In place with ufunc `out=`: no new array for the sum, one pass over dst.
        if alpha != 1:
            src = np.multiply(src, dst.dtype.type(alpha))
        np.add(dst, src, out=dst)

    # --- elementwise ---------------------------------------------------------------------
    # ``out=_ARRAY_RESULT``: see its definition above.
    # errstate: inf and nan follow IEEE rules (as in PyTorch) without numpy warnings.
    def add(self, a, b):
        return np.add(a, b, out=_ARRAY_RESULT)

    def sub(self, a, b):
        return np.subtract(a, b, out=_ARRAY_RESULT)

    def mul(self, a, b):
        return np.multiply(a, b, out=_ARRAY_RESULT)

    def div(self, a, b):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.divide(a, b, out=_ARRAY_RESULT)

    def pow(self, a, b):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return np.power(a, b, out=_ARRAY_RESULT)

    def maximum(self, a, b):
        return np.maximum(a, b, out=_ARRAY_RESULT)

    def minimum(self, a, b):
        return np.minimum(a, b, out=_ARRAY_RESULT)

    def compare(self, op, a, b):
        return _COMPARISONS[op](a, b)

    def where(self, condition, a, b):
        return np.where(condition, a, b)

    def unary(self, op, a):
        if op in _MAY_WARN:
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                result = _UNARY[op](a)
        else:
            result = _UNARY[op](a)
        # numpy keeps 0-d results as scalars; a backend always hands back arrays.
        return np.asarray(result, dtype=a.dtype)

    def relu_backward(self, grad, a):
        return _kernels("activation").relu_backward(grad, a)

    # --- reductions ----------------------------------------------------------------------
    def sum(self, a, axes, keepdims):
        return np.asarray(np.sum(a, axis=axes, keepdims=keepdims))

    def max(self, a, axes, keepdims):
        return np.asarray(np.max(a, axis=axes, keepdims=keepdims))

    def min(self, a, axes, keepdims):
        return np.asarray(np.min(a, axis=axes, keepdims=keepdims))

    def prod(self, a, axes, keepdims):
        if a.dtype == np.bool_:
            a = a.astype(np.int64)
        return np.asarray(np.prod(a, axis=axes, keepdims=keepdims))

    def argmax(self, a, axis, keepdims):
        return np.asarray(np.argmax(a, axis=axis, keepdims=keepdims), dtype=np.int64)

    def argmin(self, a, axis, keepdims):
        return np.asarray(np.argmin(a, axis=axis, keepdims=keepdims), dtype=np.int64)

    # --- along one axis -----------------------------------------------------------------
    def cumsum(self, a, axis):
        return np.cumsum(a, axis=axis, dtype=a.dtype if a.dtype.kind == "f" else np.int64)

    def argsort(self, a, axis, descending):
        if not descending:
            return np.argsort(a, axis=axis, kind="stable").astype(np.int64, copy=False)
        # Descending and stable: sort the reversed line ascending, then reverse the order
        # back. Equal elements keep their original order, and nan (last when ascending)
        # comes first, as in PyTorch.
        length = a.shape[axis]
        reversed_order = np.argsort(np.flip(a, axis), axis=axis, kind="stable")
        return (length - 1 - np.flip(reversed_order, axis)).astype(np.int64, copy=False)

    # --- shape ---------------------------------------------------------------------------
    def reshape(self, a, shape):
        return np.reshape(a, shape)

    def permute(self, a, axes):
        return np.transpose(a, axes)

    def broadcast_to(self, a, shape):
        return np.broadcast_to(a, shape)

    def concatenate(self, arrays, axis):
        return np.concatenate(arrays, axis=axis)

    def getitem(self, a, index):
        return np.asarray(a[index])

    def index_add(self, shape, index, values, dtype):
        out = np.zeros(shape, dtype=dtype)
        np.add.at(out, index, values)
        return out

    # --- dense and convolution kernels ---------------------------------------------------
    def matmul(self, a, b):
        return _kernels("dense").matmul(a, b)

    def linear(self, x, weight, bias, activation):
        return _kernels("dense").linear(x, weight, bias, activation)

    def linear_backward(self, grad, x, weight, needs_input_grad):
        return _kernels("dense").linear_backward(grad, x, weight, needs_input_grad)

    def conv2d(self, x, weight, bias, stride, padding, dilation, groups):
        return _kernels("conv").conv2d(x, weight, bias, stride, padding, dilation, groups)

    def conv2d_backward_input(self, grad_out, weight, input_shape, stride, padding, dilation,
                              groups):
        return _kernels("conv").conv2d_backward_input(
            grad_out, weight, input_shape, stride, padding, dilation, groups
        )

    def conv2d_backward_weight(self, grad_out, x, weight_shape, stride, padding, dilation,
                               groups):
        return _kernels("conv").conv2d_backward_weight(
            grad_out, x, weight_shape, stride, padding, dilation, groups
        )

    def max_pool2d(self, x, kernel_size, stride, padding):
        return _kernels("pool").max_pool2d(x, kernel_size, stride, padding)

    def max_pool2d_backward(self, grad_out, argmax, input_shape):
        return _kernels("pool").max_pool2d_backward(grad_out, argmax, input_shape)

    def avg_pool2d(self, x, kernel_size, stride, padding, count_include_pad):
        return _kernels("pool").avg_pool2d(x, kernel_size, stride, padding, count_include_pad)

    def avg_pool2d_backward(self, grad_out, input_shape, kernel_size, stride, padding,
                            count_include_pad):
        return _kernels("pool").avg_pool2d_backward(
            grad_out, input_shape, kernel_size, stride, padding, count_include_pad
        )

    def sgd_update_(self, params, grads, velocities, new_velocities, lr, momentum, dampening,
                    weight_decay, nesterov, maximize):
        _kernels("optim").sgd_update_(params, grads, velocities, new_velocities, lr, momentum,
                                      dampening, weight_decay, nesterov, maximize)

    def adam_update_(self, params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, lr,
                     beta1, beta2, eps, weight_decay, amsgrad, maximize,
                     decoupled_weight_decay):
        _kernels("optim").adam_update_(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs,
                                       steps, lr, beta1, beta2, eps, weight_decay, amsgrad,
                                       maximize, decoupled_weight_decay)

    def rmsprop_update_(self, params, grads, square_avgs, grad_avgs, momentum_buffers, lr,
                        alpha, eps, weight_decay, momentum, centered, maximize):
        _kernels("optim").rmsprop_update_(params, grads, square_avgs, grad_avgs,
                                          momentum_buffers, lr, alpha, eps, weight_decay,
                                          momentum, centered, maximize)

    def adagrad_update_(self, params, grads, sums, steps, lr, lr_decay, eps, weight_decay,
                        maximize):
        _kernels("optim").adagrad_update_(params, grads, sums, steps, lr, lr_decay, eps,
                                          weight_decay, maximize)

    def softmax_cross_entropy(self, logits, target, reduction="none"):
        return _kernels("loss").softmax_cross_entropy(logits, target, reduction)

    def softmax_cross_entropy_backward(self, probabilities, target, grad_loss, reduction="none"):
        return _kernels("loss").softmax_cross_entropy_backward(probabilities, target, grad_loss,
                                                               reduction)
