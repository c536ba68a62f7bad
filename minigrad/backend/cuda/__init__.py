"""The CUDA backend: ``@cuda.jit`` kernels (numba-cuda) on Numba device arrays.

Read it side by side with ``minigrad/backend/cpu``: the methods are the same, in the same
order. Where the CPU backend calls numpy, this one launches a kernel; the kernels live in
one module per family:

- ``elementwise``: map/zip/where kernels over strided views (broadcasting, transposes,
  slices and copies all go through them);
- ``reduction``: sum/prod/max/min/argmax/argmin with a shared-memory tree per row;
- ``along_axis``: cumsum and argsort, one thread walking each line along the axis;
- ``dense``: the shared-memory tiled gemm behind matmul and linear (fused bias + ReLU);
- ``conv``: im2col/col2im around the same gemm for conv2d and both backward passes;
- ``pool``: max and average pooling; ``loss``: fused softmax-cross-entropy;
- ``indexing``: getitem/index_add/concatenate (advanced indices round-trip via the host).

Views are real views, as numpy's are on the CPU: ``reshape``, ``permute``, ``broadcast_to``
and basic indexing return device arrays that share their input's memory (``strided.py``), so
an in-place write through ``x[0]`` or ``x.t()`` changes ``x``. Every other array this backend
makes is C-contiguous. The elementwise kernels read any array as a flat buffer plus (offset,
strides) - see ``layout.py``; the dense, convolution, pooling, loss and reduction kernels get
a contiguous copy of a view that is not contiguous. All arrays stay on the device: the only
host transfers are ``from_numpy``/``to_numpy`` and advanced indexing.

The kernel modules import Numba's CUDA support, so they are imported on first use, like the
CPU backend's Numba kernels; creating the backend checks that CUDA is usable and raises one
clear RuntimeError otherwise.
"""

from __future__ import annotations

import importlib

import numpy as np

from minigrad.backend.base import Backend


def _kernels(name: str):
    """Import ``minigrad.backend.cuda.<name>`` on first use (it imports numba.cuda)."""
    return importlib.import_module(f"minigrad.backend.cuda.{name}")


def _view_array(view):
    return _kernels("strided").as_array(view)


def _contiguous(array):
    return _kernels("elementwise").contiguous(array)


def _contiguous_or_none(array):
    return None if array is None else _contiguous(array)


class CUDABackend(Backend):
    name = "cuda"

    def __init__(self) -> None:
        from minigrad.cuda import require_cuda

        require_cuda()

    # --- moving data -------------------------------------------------------------------
    def from_numpy(self, array):
        from numba import cuda

        # np.asarray(order="C"), not np.ascontiguousarray: the latter turns 0-d into 1-d.
        return cuda.to_device(np.asarray(array, order="C"))

    def to_numpy(self, array):
        return _kernels("elementwise").contiguous(array).copy_to_host()

    def zeros(self, shape, dtype):
        return _kernels("elementwise").full(tuple(shape), 0, dtype)

    def full(self, shape, value, dtype):
        return _kernels("elementwise").full(tuple(shape), value, dtype)

    def astype(self, array, dtype):
        return _kernels("elementwise").astype(array, dtype)

    def copy(self, array):
        elementwise = _kernels("elementwise")
        return elementwise.materialize(_kernels("layout").view_of(array), array.dtype)

    def assign(self, dst, src):
        layout = _kernels("layout")
        if not hasattr(src, "copy_to_host"):  # a Python or numpy scalar
            src = self.full((), src, dst.dtype)
        _kernels("elementwise").copy_into(layout.view_of(dst), layout.view_of(src))

    def shares_memory(self, a, b) -> bool:
        return _kernels("strided").may_share_memory(a, b)

    # --- elementwise ---------------------------------------------------------------------
    # Division by zero, log(0) and overflow follow IEEE rules (inf/nan), as on the CPU.
    def add(self, a, b):
        return _kernels("elementwise").binary("add", a, b)

    def sub(self, a, b):
        return _kernels("elementwise").binary("sub", a, b)

    def mul(self, a, b):
        return _kernels("elementwise").binary("mul", a, b)

    def div(self, a, b):
        return _kernels("elementwise").binary("div", a, b)

    def pow(self, a, b):
        return _kernels("elementwise").binary("pow", a, b)

    def maximum(self, a, b):
        return _kernels("elementwise").binary("maximum", a, b)

    def minimum(self, a, b):
        return _kernels("elementwise").binary("minimum", a, b)

    def compare(self, op, a, b):
        return _kernels("elementwise").compare(op, a, b)

    def where(self, condition, a, b):
        return _kernels("elementwise").where(condition, a, b)

    def unary(self, op, a):
        return _kernels("elementwise").unary(op, a)

    def relu_backward(self, grad, a):
        return _kernels("elementwise").relu_backward(grad, a)

    # --- reductions ----------------------------------------------------------------------
    def sum(self, a, axes, keepdims):
        return _kernels("reduction").reduce("sum", _contiguous(a), tuple(axes), keepdims)

    def max(self, a, axes, keepdims):
        return _kernels("reduction").reduce("max", _contiguous(a), tuple(axes), keepdims)

    def min(self, a, axes, keepdims):
        return _kernels("reduction").reduce("min", _contiguous(a), tuple(axes), keepdims)

    def prod(self, a, axes, keepdims):
        return _kernels("reduction").reduce("prod", a, tuple(axes), keepdims)

    def argmax(self, a, axis, keepdims):
        return _kernels("reduction").arg_reduce("argmax", _contiguous(a), axis, keepdims)

    def argmin(self, a, axis, keepdims):
        return _kernels("reduction").arg_reduce("argmin", _contiguous(a), axis, keepdims)

    # --- along one axis -----------------------------------------------------------------
    def cumsum(self, a, axis):
        return _kernels("along_axis").cumsum(a, axis)

    def argsort(self, a, axis, descending):
        return _kernels("along_axis").argsort(a, axis, descending)

    # --- shape ---------------------------------------------------------------------------
    # Views of ``a``: the same buffer with a new (offset, shape, strides), no kernel launch.
    def reshape(self, a, shape):
        if getattr(a, "storage_view", None) is None:  # a contiguous array of its own
            return a.reshape(tuple(shape))
        layout = _kernels("layout")
        view = layout.view_of(a)
        strides = layout.reshaped_strides(view.shape, view.strides, tuple(shape))
        if strides is None:  # as numpy: a copy when no strides can show the new shape
            return _kernels("elementwise").contiguous(a).reshape(tuple(shape))
        return _view_array(layout.View(view.buffer, view.offset, tuple(shape), strides))

    def permute(self, a, axes):
        layout = _kernels("layout")
        return _view_array(layout.permuted_view(layout.view_of(a), tuple(axes)))

    def broadcast_to(self, a, shape):
        layout = _kernels("layout")
        return _view_array(layout.broadcast_view(layout.view_of(a), tuple(shape)))

    def concatenate(self, arrays, axis):
        return _kernels("indexing").concatenate(list(arrays), axis)

    def getitem(self, a, index):
        return _kernels("indexing").getitem(a, index)

    def setitem(self, dst, index, values):
        _kernels("indexing").setitem(dst, index, values)

    def index_add(self, shape, index, values, dtype):
        return _kernels("indexing").index_add(shape, index, values, dtype)

    # --- dense and convolution kernels ---------------------------------------------------
    def matmul(self, a, b):
        return _kernels("dense").matmul(_contiguous(a), _contiguous(b))

    def linear(self, x, weight, bias, activation):
        return _kernels("dense").linear(_contiguous(x), _contiguous(weight),
                                        _contiguous_or_none(bias), activation)

    def linear_backward(self, grad, x, weight, needs_input_grad):
        return _kernels("dense").linear_backward(_contiguous(grad), _contiguous_or_none(x),
                                                 _contiguous_or_none(weight), needs_input_grad)

    def conv2d(self, x, weight, bias, stride, padding, dilation, groups):
        return _kernels("conv").conv2d(_contiguous(x), _contiguous(weight),
                                       _contiguous_or_none(bias), stride, padding, dilation,
                                       groups)

    def conv2d_backward_input(self, grad_out, weight, input_shape, stride, padding, dilation,
                              groups):
        return _kernels("conv").conv2d_backward_input(
            _contiguous(grad_out), _contiguous(weight), input_shape, stride, padding, dilation,
            groups
        )

    def conv2d_backward_weight(self, grad_out, x, weight_shape, stride, padding, dilation,
                               groups):
        return _kernels("conv").conv2d_backward_weight(
            _contiguous(grad_out), _contiguous(x), weight_shape, stride, padding, dilation, groups
        )

    def max_pool2d(self, x, kernel_size, stride, padding):
        return _kernels("pool").max_pool2d(_contiguous(x), kernel_size, stride, padding)

    def max_pool2d_backward(self, grad_out, argmax, input_shape):
        return _kernels("pool").max_pool2d_backward(_contiguous(grad_out), _contiguous(argmax),
                                                    input_shape)

    def avg_pool2d(self, x, kernel_size, stride, padding, count_include_pad):
        return _kernels("pool").avg_pool2d(_contiguous(x), kernel_size, stride, padding,
                                           count_include_pad)

    def avg_pool2d_backward(self, grad_out, input_shape, kernel_size, stride, padding,
                            count_include_pad):
        return _kernels("pool").avg_pool2d_backward(
            _contiguous(grad_out), input_shape, kernel_size, stride, padding, count_include_pad
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
        loss, probabilities = _kernels("loss").softmax_cross_entropy(_contiguous(logits),
                                                                     _contiguous(target))
        if reduction != "none":
            loss = self.sum(loss, (0,), False)
            if reduction == "mean":  # 0 samples give 0/0 = nan, PyTorch's mean of nothing
                loss = self.div(loss, self.full((), len(probabilities), probabilities.dtype))
        return loss, probabilities

    def softmax_cross_entropy_backward(self, probabilities, target, grad_loss, reduction="none"):
        if reduction != "none":  # the same dL/dloss_n for every sample: g, or g / N for a mean
            samples = len(probabilities)
            if reduction == "mean":
                grad_loss = self.div(grad_loss, self.full((), samples, probabilities.dtype))
            grad_loss = self.broadcast_to(grad_loss, (samples,))
        return _kernels("loss").softmax_cross_entropy_backward(
            _contiguous(probabilities), _contiguous(target), _contiguous(grad_loss)
        )
