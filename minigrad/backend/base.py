"""The backend interface: every array operation a tensor needs, on one device.

A backend knows nothing about tensors, graphs or gradients. It takes arrays and returns
arrays: numpy arrays for ``"cpu"``, Numba device arrays for ``"cuda"``. The differentiable
ops in ``minigrad/ops`` call these methods through ``tensor.backend`` and never branch on
the device, so adding a device means writing one class like this.

Conventions every implementation follows:

- ``dtype`` arguments are numpy dtypes (``np.float32``, ``np.float64``, ``np.int64``,
  ``np.bool_``).
- Binary elementwise methods broadcast like numpy. Their operands always have the same
  dtype (the op layer promotes before calling).
- ``axes`` is a tuple of non-negative ints, already normalised by the op layer.
- Results are new arrays unless the method says it is a view or writes ``out``/``dst``.
- 2-D window arguments (``stride``, ``padding``, ``dilation``, ``kernel_size``) are tuples
  of two ints, already validated by the op layer.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np


class Backend(ABC):
    """Array operations for one device. See the module docstring for the conventions."""

    name: str

    # --- moving data -------------------------------------------------------------------
    @abstractmethod
    def from_numpy(self, array: np.ndarray):
        """A device array holding a copy of (or, on the CPU, possibly sharing) ``array``."""

    @abstractmethod
    def to_numpy(self, array) -> np.ndarray:
        """A host numpy array with the values of ``array`` (copied for device memory)."""

    @abstractmethod
    def zeros(self, shape: tuple[int, ...], dtype): ...

    @abstractmethod
    def full(self, shape: tuple[int, ...], value: float, dtype): ...

    @abstractmethod
    def astype(self, array, dtype):
        """``array`` converted to ``dtype`` (a copy)."""

    @abstractmethod
    def copy(self, array):
        """A contiguous copy of ``array``."""

    @abstractmethod
    def assign(self, dst, src) -> None:
        """Write ``src`` (broadcast to ``dst.shape``) into ``dst`` in place."""

    @abstractmethod
    def setitem(self, dst, index: tuple, values) -> None:
        """``dst[index] = values`` in place (numpy's indexing rules; ``values`` is an array
        broadcast to the indexed region, or a Python number)."""

    def shares_memory(self, a, b) -> bool:
        """Whether ``a`` and ``b`` may address common memory (one is then a view of the other:
        a write through either shows in both)."""
        return bool(np.may_share_memory(a, b))

    def add_scaled_(self, dst, src, alpha: float) -> None:
        """``dst += alpha * src`` in place (``src`` broadcast to ``dst``): the update step of
        every optimizer. This composite version works on any backend; a backend may override
        it with a faster in-place kernel."""
        scale = self.from_numpy(np.asarray(alpha, dtype=dst.dtype))
        self.assign(dst, self.add(dst, self.mul(src, scale)))

    # --- elementwise ---------------------------------------------------------------------
    @abstractmethod
    def add(self, a, b): ...

    @abstractmethod
    def sub(self, a, b): ...

    @abstractmethod
    def mul(self, a, b): ...

    @abstractmethod
    def div(self, a, b): ...

    @abstractmethod
    def pow(self, a, b): ...

    @abstractmethod
    def maximum(self, a, b): ...

    @abstractmethod
    def minimum(self, a, b): ...

    @abstractmethod
    def compare(self, op: str, a, b):
        """Elementwise comparison returning a bool array; ``op`` is one of
        ``"eq" "ne" "lt" "le" "gt" "ge"``."""

    @abstractmethod
    def where(self, condition, a, b):
        """``a`` where ``condition`` (bool array) is true, else ``b``; all three broadcast."""

    @abstractmethod
    def unary(self, op: str, a):
        """Elementwise function ``op`` of ``a``: one of ``"neg" "exp" "log" "sqrt" "abs"
        "sign" "tanh" "sigmoid" "log_sigmoid" "relu"``. ``sigmoid`` and ``log_sigmoid`` must
        neither overflow nor lose the tiny values far out in the tails (sigmoid(-20) is
        2.06e-9 in float32, not 0)."""

    @abstractmethod
    def relu_backward(self, grad, a):
        """The gradient of ``unary("relu", a)`` for the upstream ``grad`` (same shape and
        dtype as ``a``): ``grad`` where ``a > 0``, 0 where ``a <= 0``. Where ``a`` is NaN the
        gradient passes, and a zeroed position is 0 even if ``grad`` is inf or NaN there
        (PyTorch's ``threshold_backward``: a selection, not a product with a mask)."""

    # --- reductions ----------------------------------------------------------------------
    @abstractmethod
    def sum(self, a, axes: tuple[int, ...], keepdims: bool): ...

    @abstractmethod
    def max(self, a, axes: tuple[int, ...], keepdims: bool): ...

    @abstractmethod
    def min(self, a, axes: tuple[int, ...], keepdims: bool): ...

    @abstractmethod
    def prod(self, a, axes: tuple[int, ...], keepdims: bool):
        """Product over ``axes`` (1 for an empty product); bool is counted as int64."""

    @abstractmethod
    def argmax(self, a, axis: int | None, keepdims: bool):
        """int64 indices of the first maximum along ``axis`` (of the flattened array when
        ``axis`` is None)."""

    @abstractmethod
    def argmin(self, a, axis: int | None, keepdims: bool): ...

    # --- along one axis -----------------------------------------------------------------
    @abstractmethod
    def cumsum(self, a, axis: int):
        """Running sum along ``axis`` (same shape; bool and int64 give int64)."""

    @abstractmethod
    def argsort(self, a, axis: int, descending: bool):
        """int64 indices that sort ``a`` along ``axis``, stably (equal elements keep their
        order); nan counts as the largest value, as in PyTorch."""

    # --- shape ---------------------------------------------------------------------------
    @abstractmethod
    def reshape(self, a, shape: tuple[int, ...]):
        """``a`` with a new shape of the same size (a view when possible)."""

    @abstractmethod
    def permute(self, a, axes: tuple[int, ...]):
        """``a`` with its axes reordered (a view sharing ``a``'s memory)."""

    @abstractmethod
    def broadcast_to(self, a, shape: tuple[int, ...]): ...

    @abstractmethod
    def concatenate(self, arrays: list, axis: int): ...

    @abstractmethod
    def getitem(self, a, index):
        """``a[index]`` with numpy semantics; ``index`` holds ints, slices, None,
        Ellipsis and int64/bool arrays of this backend."""

    @abstractmethod
    def index_add(self, shape: tuple[int, ...], index, values, dtype):
        """Zeros of ``shape`` with ``values`` added at ``index`` (repeated indices add up):
        the gradient of ``getitem``."""

    # --- dense and convolution kernels ---------------------------------------------------
    @abstractmethod
    def matmul(self, a, b):
        """``a @ b`` with numpy semantics (1-D promotion, broadcast batch dimensions)."""

    @abstractmethod
    def linear(self, x, weight, bias, activation: str | None):
        """``x @ weight.T + bias`` for 2-D ``x`` (N, in) and ``weight`` (out, in); ``bias`` is
        (out,) or None; ``activation`` None or ``"relu"`` is applied in the same pass."""

    @abstractmethod
    def linear_backward(self, grad, x, weight, needs_input_grad: tuple[bool, bool, bool]):
        """The gradients of ``linear`` (without activation) for the upstream ``grad``
        (N, out): of ``grad @ weight``, ``grad.T @ x`` and ``grad.sum(0)`` (for x, weight
        and bias) the ones whose flag in ``needs_input_grad`` is True, as a tuple in that
        order. ``x`` may be None when the weight's gradient is not needed, ``weight`` when
        the input's is not."""

    @abstractmethod
    def conv2d(self, x, weight, bias, stride, padding, dilation, groups: int):
        """Cross-correlation of ``x`` (N, C, H, W) with ``weight`` (O, C/groups, KH, KW),
        zero padding, plus ``bias`` (O,) or None. Returns (N, O, OH, OW)."""

    @abstractmethod
    def conv2d_backward_input(self, grad_out, weight, input_shape, stride, padding, dilation,
                              groups: int):
        """Gradient of conv2d's output with respect to its input: shape ``input_shape``."""

    @abstractmethod
    def conv2d_backward_weight(self, grad_out, x, weight_shape, stride, padding, dilation,
                               groups: int):
        """Gradient of conv2d's output with respect to its weight: shape ``weight_shape``."""

    @abstractmethod
    def max_pool2d(self, x, kernel_size, stride, padding):
        """Max over windows of ``x`` (N, C, H, W) padded with -inf. Returns ``(out,
        argmax)`` where ``argmax`` (int64, same shape as ``out``) is the flat index into
        each (H, W) plane of the chosen element."""

    @abstractmethod
    def max_pool2d_backward(self, grad_out, argmax, input_shape):
        """Routes each output gradient to the input element that won its window."""

    @abstractmethod
    def avg_pool2d(self, x, kernel_size, stride, padding, count_include_pad: bool): ...

    @abstractmethod
    def avg_pool2d_backward(self, grad_out, input_shape, kernel_size, stride, padding,
                            count_include_pad: bool): ...

    @abstractmethod
    def softmax_cross_entropy(self, logits, target, reduction: str = "none"):
        """Fused, numerically stable softmax + negative log-likelihood for ``logits`` (N, C)
        and int64 ``target`` (N,). Returns ``(loss, probabilities)``: the softmax (N, C),
        kept for the backward pass, and the loss: per sample (N,) for ``reduction="none"``,
        their sum or mean (0-d) for "sum" or "mean"."""

    @abstractmethod
    def softmax_cross_entropy_backward(self, probabilities, target, grad_loss,
                                       reduction: str = "none"):
        """``(probabilities - one_hot(target)) * dL/dloss_n``: the gradient with respect to
        the logits, for ``grad_loss`` of the loss's shape under the same ``reduction``
        ((N,) for "none", else 0-d: dL/dloss_n is grad_loss, or grad_loss / N for "mean")."""

    # --- optimizer updates ---------------------------------------------------------------
    @abstractmethod
    def sgd_update_(self, params, grads, velocities, new_velocities, lr: float,
                    momentum: float, dampening: float, weight_decay: float, nesterov: bool,
                    maximize: bool) -> None:
        """``torch.optim.SGD``'s update of every array in ``params`` (lists of same-dtype
        parameter and gradient arrays), in place, one pass per parameter. ``velocities``
        are the momentum buffers (written in place; unused when ``momentum`` is 0) and
        ``new_velocities[i]`` is True when buffer ``i`` starts at this step's gradient."""

    @abstractmethod
    def adam_update_(self, params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps,
                     lr: float, beta1: float, beta2: float, eps: float, weight_decay: float,
                     amsgrad: bool, maximize: bool, decoupled_weight_decay: bool) -> None:
        """``torch.optim.Adam``'s update (``AdamW``'s with ``decoupled_weight_decay``) of
        every array in ``params``, in place, one pass per parameter. The moment buffers
        (``max_exp_avg_sqs`` only with ``amsgrad``, else empty) are updated in place;
        ``steps[i]`` is parameter i's step number, this step included."""

    @abstractmethod
    def rmsprop_update_(self, params, grads, square_avgs, grad_avgs, momentum_buffers,
                        lr: float, alpha: float, eps: float, weight_decay: float,
                        momentum: float, centered: bool, maximize: bool) -> None:
        """``torch.optim.RMSprop``'s update of every array in ``params``, in place, one pass
        per parameter. ``square_avgs`` are updated in place, and so are ``grad_avgs`` with
        ``centered`` and ``momentum_buffers`` with ``momentum > 0`` (else they are empty)."""

    @abstractmethod
    def adagrad_update_(self, params, grads, sums, steps, lr: float, lr_decay: float,
                        eps: float, weight_decay: float, maximize: bool) -> None:
        """``torch.optim.Adagrad``'s update of every array in ``params`` and its sum of
        squared gradients, in place; ``steps[i]`` is parameter i's step number, this step
        included (the decayed learning rate depends on it)."""
