"""Elementwise kernels: map (one input), zip (two inputs) and where (three inputs).

Thread mapping: one thread per output element, in a grid-stride loop (thread ``t`` handles
elements ``t, t + T, t + 2T, ...`` where ``T`` is the number of threads in the grid), so any
array size works with a bounded grid. Each thread turns its flat output index into a
multi-index over the common shape (repeated ``divmod`` by the extents, last dimension
first) and from it the position of the element in every operand:
``offset + sum(index[d] * strides[d])``. Broadcast dimensions have stride 0, transposed or
sliced operands have their own strides (see ``layout.py``), so the same kernel serves
``a + b`` with broadcasting, copying a transpose into a new array, and writing into a slice.

The arithmetic itself is a small ``@cuda.jit(device=True)`` function per operation; a kernel
factory builds (once, then caches) one kernel per operation, because a CUDA kernel cannot
take a function as a runtime argument.
"""

from __future__ import annotations

import math

import numpy as np
from numba import cuda

from minigrad.backend.cuda.layout import (
    View,
    broadcast_shapes,
    broadcast_view,
    is_contiguous,
    kernel_shape,
    launch_1d,
    size_of,
    view_of,
)
from minigrad.backend.cuda.math_functions import MATH_UNARY
from minigrad.backend.cuda.strided import may_share_memory

# --- device functions: the arithmetic of one element ------------------------------------
# The guards in log/sqrt/exp give the IEEE results a GPU gives (-inf, nan, inf) also in
# the CUDA simulator, where `math` runs as plain Python and would raise instead.


@cuda.jit(device=True)
def _identity(x):
    return x


@cuda.jit(device=True)
def _nonzero(x):
    return x != 0


@cuda.jit(device=True)
def _neg(x):
    return -x


@cuda.jit(device=True)
def _exp(x):
    if x > 709.0:
        return math.inf
    return math.exp(x)


@cuda.jit(device=True)
def _log(x):
    if x > 0:
        return math.log(x)
    if x == 0:
        return -math.inf
    return math.nan


@cuda.jit(device=True)
def _sqrt(x):
    if x >= 0:
        return math.sqrt(x)
    return math.nan


@cuda.jit(device=True)
def _abs(x):
    return abs(x)


@cuda.jit(device=True)
def _sign(x):
    if x > 0:
        return 1
    if x < 0:
        return -1
    return x  # 0 stays 0 and nan stays nan, as in numpy


@cuda.jit(device=True)
def _tanh(x):
    return math.tanh(x)


@cuda.jit(device=True)
def _sigmoid(x):
    # With e = exp(-|x|) in (0, 1]: 1 / (1 + e) for x >= 0, e / (1 + e) for x < 0. Nothing
    # overflows and nothing cancels (the tanh form rounds to 0 below about -17 in float32).
    e = math.exp(-abs(x))
    if x >= 0:
        return 1 / (1 + e)
    return e / (1 + e)


@cuda.jit(device=True)
def _log_sigmoid(x):
    # log sigmoid(x) = min(x, 0) - log(1 + exp(-|x|)); log1p keeps log sigmoid(20) = -2e-9.
    smaller = x if x < 0 else x * 0  # x * 0 keeps nan as nan
    return smaller - math.log1p(math.exp(-abs(x)))


@cuda.jit(device=True)
def _relu(x):
    if x > 0:
        return x
    return x * 0  # 0 of x's type; nan * 0 is nan, so relu(nan) stays nan like numpy


@cuda.jit(device=True)
def _add(a, b):
    return a + b


@cuda.jit(device=True)
def _sub(a, b):
    return a - b


@cuda.jit(device=True)
def _mul(a, b):
    return a * b


@cuda.jit(device=True)
def _div(a, b):
    return a / b


@cuda.jit(device=True)
def _pow(a, b):
    return a ** b


@cuda.jit(device=True)
def _maximum(a, b):
    # numpy propagates nan: the result is nan if either side is.
    if a > b or a != a:
        return a
    return b


@cuda.jit(device=True)
def _minimum(a, b):
    if a < b or a != a:
        return a
    return b


@cuda.jit(device=True)
def _relu_backward(grad, a):
    # PyTorch's threshold_backward: 0 where a <= 0, the gradient elsewhere (where a is nan
    # too, since nan <= 0 is false). A selection, not grad * mask: an inf gradient in a
    # zeroed place gives 0, not nan. (The literal 0.0 is stored in the output's dtype.)
    if a <= 0:
        return 0.0
    return grad


@cuda.jit(device=True)
def _eq(a, b):
    return a == b


@cuda.jit(device=True)
def _ne(a, b):
    return a != b


@cuda.jit(device=True)
def _lt(a, b):
    return a < b


@cuda.jit(device=True)
def _le(a, b):
    return a <= b


@cuda.jit(device=True)
def _gt(a, b):
    return a > b


@cuda.jit(device=True)
def _ge(a, b):
    return a >= b


UNARY = {
    "neg": _neg, "exp": _exp, "log": _log, "sqrt": _sqrt, "abs": _abs, "sign": _sign,
    "tanh": _tanh, "sigmoid": _sigmoid, "log_sigmoid": _log_sigmoid,
    "relu": _relu,
    **MATH_UNARY,
}
BINARY = {
    "add": _add, "sub": _sub, "mul": _mul, "div": _div, "pow": _pow,
    "maximum": _maximum, "minimum": _minimum,
    "relu_backward": _relu_backward,  # (grad, a): see relu_backward below
}
COMPARISONS = {"eq": _eq, "ne": _ne, "lt": _lt, "le": _le, "gt": _gt, "ge": _ge}


# --- kernel factories --------------------------------------------------------------------
_MAP_KERNELS: dict = {}
_ZIP_KERNELS: dict = {}


def _map_kernel(function):
    """``out[i] = function(a[i])`` over strided views."""
    kernel = _MAP_KERNELS.get(function)
    if kernel is None:

        @cuda.jit
        def map_kernel(out, out_offset, out_strides, a, a_offset, a_strides, shape, size):
            for i in range(cuda.grid(1), size, cuda.gridsize(1)):
                rest = i
                out_position = out_offset
                a_position = a_offset
                for d in range(len(shape) - 1, -1, -1):
                    index = rest % shape[d]
                    rest //= shape[d]
                    out_position += index * out_strides[d]
                    a_position += index * a_strides[d]
                out[out_position] = function(a[a_position])

        kernel = _MAP_KERNELS[function] = map_kernel
    return kernel


def _zip_kernel(function):
    """``out[i] = function(a[i], b[i])`` over strided views."""
    kernel = _ZIP_KERNELS.get(function)
    if kernel is None:

        @cuda.jit
        def zip_kernel(out, out_offset, out_strides, a, a_offset, a_strides,
                       b, b_offset, b_strides, shape, size):
            for i in range(cuda.grid(1), size, cuda.gridsize(1)):
                rest = i
                out_position = out_offset
                a_position = a_offset
                b_position = b_offset
                for d in range(len(shape) - 1, -1, -1):
                    index = rest % shape[d]
                    rest //= shape[d]
                    out_position += index * out_strides[d]
                    a_position += index * a_strides[d]
                    b_position += index * b_strides[d]
                out[out_position] = function(a[a_position], b[b_position])

        kernel = _ZIP_KERNELS[function] = zip_kernel
    return kernel


@cuda.jit
def _where_kernel(out, condition, c_offset, c_strides, a, a_offset, a_strides,
                  b, b_offset, b_strides, shape, size):
    """``out[i] = a[i] if condition[i] else b[i]``; ``out`` is contiguous."""
    for i in range(cuda.grid(1), size, cuda.gridsize(1)):
        rest = i
        c_position = c_offset
        a_position = a_offset
        b_position = b_offset
        for d in range(len(shape) - 1, -1, -1):
            index = rest % shape[d]
            rest //= shape[d]
            c_position += index * c_strides[d]
            a_position += index * a_strides[d]
            b_position += index * b_strides[d]
        if condition[c_position]:
            out[i] = a[a_position]
        else:
            out[i] = b[b_position]


@cuda.jit
def _fill_kernel(out, value, size):
    for i in range(cuda.grid(1), size, cuda.gridsize(1)):
        out[i] = value


# --- host functions ----------------------------------------------------------------------
def empty(shape: tuple[int, ...], dtype):
    """An uninitialised contiguous device array."""
    return cuda.device_array(tuple(shape), dtype=np.dtype(dtype))


def full(shape: tuple[int, ...], value, dtype):
    out = empty(shape, dtype)
    size = size_of(tuple(shape))
    if size:
        blocks, threads = launch_1d(size)
        _fill_kernel[blocks, threads](view_of(out).buffer, np.dtype(dtype).type(value), size)
    return out


def map_into(function, out: View, a: View) -> None:
    """Apply the device function ``function`` to view ``a`` (already broadcast to
    ``out.shape``) and store into view ``out``."""
    size = size_of(out.shape)
    if size == 0:
        return
    shape, out_strides = kernel_shape(out)
    _, a_strides = kernel_shape(a)
    blocks, threads = launch_1d(size)
    _map_kernel(function)[blocks, threads](
        out.buffer, out.offset, out_strides, a.buffer, a.offset, a_strides, shape, size
    )


def copy_into(out: View, src: View) -> None:
    """Write ``src`` (broadcast to ``out.shape``) into the view ``out``.

    When both lie in one storage (``x[1:] = x[:-1]``, ``x.copy_(x.t())``) ``src`` is copied
    first: the threads run in no fixed order, so some would read elements that others have
    already overwritten. numpy does the same on the CPU."""
    if may_share_memory(out.buffer, src.buffer):
        src = view_of(materialize(src, out.buffer.dtype))
    map_into(_identity, out, broadcast_view(src, out.shape))


def materialize(src: View, dtype):
    """A new contiguous array holding the values of a strided view."""
    out = empty(src.shape, dtype)
    map_into(_identity, view_of(out), broadcast_view(src, out.shape))
    return out


def contiguous(array):
    """``array`` itself when the kernels can read it as one flat buffer, else a contiguous
    copy (the dense, convolution, pooling, loss and reduction kernels need one)."""
    if is_contiguous(array):
        return array
    return materialize(view_of(array), array.dtype)


def astype(a, dtype):
    """``a`` converted to ``dtype``; to bool means "is nonzero", as in numpy."""
    out = empty(a.shape, dtype)
    function = _nonzero if np.dtype(dtype) == np.bool_ else _identity
    map_into(function, view_of(out), view_of(a))
    return out


def unary(op: str, a):
    """Elementwise ``op`` (a key of UNARY) of ``a``, same dtype."""
    out = empty(a.shape, a.dtype)
    map_into(UNARY[op], view_of(out), view_of(a))
    return out


def _zip(function, a, b, out_dtype):
    shape = broadcast_shapes(tuple(a.shape), tuple(b.shape))
    out = empty(shape, out_dtype)
    size = size_of(shape)
    if size == 0:
        return out
    out_view = view_of(out)
    a_view = broadcast_view(view_of(a), shape)
    b_view = broadcast_view(view_of(b), shape)
    kernel_extents, out_strides = kernel_shape(out_view)
    blocks, threads = launch_1d(size)
    _zip_kernel(function)[blocks, threads](
        out_view.buffer, 0, out_strides,
        a_view.buffer, a_view.offset, kernel_shape(a_view)[1],
        b_view.buffer, b_view.offset, kernel_shape(b_view)[1],
        kernel_extents, size,
    )
    return out


def binary(op: str, a, b):
    """Elementwise ``op`` (a key of BINARY) with numpy broadcasting; result has a's dtype."""
    return _zip(BINARY[op], a, b, a.dtype)


def relu_backward(grad, a):
    """The gradient of relu at ``a`` for the upstream ``grad``: ``grad`` where ``a > 0`` (or
    ``a`` is nan), else 0; one launch, no mask array."""
    if tuple(grad.shape) != tuple(a.shape):
        raise ValueError(f"relu_backward needs grad and input of one shape; got grad "
                         f"{tuple(grad.shape)} and input {tuple(a.shape)}")
    if grad.dtype != a.dtype or grad.dtype not in (np.float32, np.float64):
        raise TypeError(f"relu_backward needs grad and input both float32 or both float64; "
                        f"got {grad.dtype} and {a.dtype}")
    return _zip(_relu_backward, grad, a, grad.dtype)


def compare(op: str, a, b):
    """Elementwise comparison (a key of COMPARISONS) with broadcasting; a bool array."""
    return _zip(COMPARISONS[op], a, b, np.bool_)


def where(condition, a, b):
    """``a`` where ``condition`` else ``b``, all three broadcast together."""
    shape = broadcast_shapes(tuple(condition.shape), tuple(a.shape), tuple(b.shape))
    out = empty(shape, a.dtype)
    size = size_of(shape)
    if size == 0:
        return out
    views = [broadcast_view(view_of(x), shape) for x in (condition, a, b)]
    extents, _ = kernel_shape(views[0])
    arguments = []
    for view in views:
        arguments += [view.buffer, view.offset, kernel_shape(view)[1]]
    blocks, threads = launch_1d(size)
    _where_kernel[blocks, threads](view_of(out).buffer, *arguments, extents, size)
    return out
