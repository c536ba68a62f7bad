"""Elementwise ops. Each forward computes on the backend's arrays; each backward is the
local derivative times the upstream gradient, written with Tensor ops so that it can be
differentiated again (``create_graph=True``).

Binary ops broadcast like numpy. Their backward formulas return gradients of the broadcast
shape: the engine sums each back to its input's shape (``autograd/engine.py``), as
PyTorch's engine does.
"""

from __future__ import annotations

from minigrad.autograd.function import Function, apply_binary, apply_unary
from minigrad.ops.common import as_operand, broadcast_shape, promote_pair


class Add(Function):
    """z = a + b;  dz/da = 1, dz/db = 1."""

    @staticmethod
    def forward(ctx, a, b):
        return a._wrap(a.backend.add(a._data, b._data))

    @staticmethod
    def backward(ctx, grad):
        return grad, grad  # the engine sends each only where a gradient is wanted


class Sub(Function):
    """z = a - b;  dz/da = 1, dz/db = -1."""

    @staticmethod
    def forward(ctx, a, b):
        return a._wrap(a.backend.sub(a._data, b._data))

    @staticmethod
    def backward(ctx, grad):
        return grad, (-grad if ctx.needs_input_grad[1] else None)


class Mul(Function):
    """z = a * b;  dz/da = b, dz/db = a."""

    @staticmethod
    def forward(ctx, a, b):
        if ctx.needs_input_grad:  # recorded (empty in no_grad and in backward formulas)
            # Each gradient reads the other operand: save only what a wanted gradient reads
            # (then an operand whose gradient is not needed may change in place, as in
            # PyTorch).
            needs_a, needs_b = ctx.needs_input_grad
            ctx.save_for_backward(a if needs_b else None, b if needs_a else None)
        return a._wrap(a.backend.mul(a._data, b._data))

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        needs_a, needs_b = ctx.needs_input_grad
        return (grad * b if needs_a else None), (grad * a if needs_b else None)


class Div(Function):
    """z = a / b;  dz/da = 1 / b, dz/db = -a / b^2."""

    @staticmethod
    def forward(ctx, a, b):
        if ctx.needs_input_grad:  # recorded
            ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b)  # only dz/db reads a
        return a._wrap(a.backend.div(a._data, b._data))

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        needs_a, needs_b = ctx.needs_input_grad
        return (grad / b if needs_a else None), (-grad * a / (b * b) if needs_b else None)


class Pow(Function):
    """z = a ** b;  dz/da = b * a^(b-1), dz/db = a^b * log(a)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a._wrap(a.backend.pow(a._data, b._data))

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_a = grad * b * a ** (b - 1)
        if ctx.needs_input_grad[1]:
            # d(a^b)/db = a^b log a; where a == 0 the limit of a^b log a is 0 (for b > 0).
            log_a = where(a > 0, a, a.ones_like()).log()
            grad_b = grad * a**b * log_a
        return grad_a, grad_b


class PowScalar(Function):
    """z = a ** n for a constant number n;  dz/da = n * a^(n-1)."""

    @staticmethod
    def forward(ctx, a, exponent: float):
        ctx.save_for_backward(a)
        ctx.exponent = exponent
        exponent_array = a.backend.from_numpy(a.dtype.numpy.type(exponent))
        return a._wrap(a.backend.pow(a._data, exponent_array))

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        n = ctx.exponent
        if n == 0:
            return grad * 0, None
        return grad * n * pow_scalar(a, n - 1), None


class Neg(Function):
    """z = -a;  dz/da = -1."""

    @staticmethod
    def forward(ctx, a):
        return a._wrap(a.backend.unary("neg", a._data))

    @staticmethod
    def backward(ctx, grad):
        return -grad


class Exp(Function):
    """z = e^a;  dz/da = e^a = z."""

    @staticmethod
    def forward(ctx, a):
        z = a._wrap(a.backend.unary("exp", a._data))
        ctx.save_for_backward(z)  # the derivative is the result: saved, not computed again
        return z

    @staticmethod
    def backward(ctx, grad):
        (z,) = ctx.saved_tensors
        return grad * z


class Log(Function):
    """z = ln a;  dz/da = 1 / a."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a._wrap(a.backend.unary("log", a._data))

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad / a


class Sqrt(Function):
    """z = sqrt(a);  dz/da = 1 / (2 sqrt(a))."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a._wrap(a.backend.unary("sqrt", a._data))

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad / (2 * a.sqrt())


class Abs(Function):
    """z = |a|;  dz/da = sign(a) (0 at a = 0, as in PyTorch)."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a._wrap(a.backend.unary("abs", a._data))

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * a.sign()


class Relu(Function):
    """z = max(a, 0);  dz/da = 1 where a > 0, else 0."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a._wrap(a.backend.unary("relu", a._data))

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return ReluBackward.apply(grad, a)


class ReluBackward(Function):
    """g_a = g where a > 0, else 0: ReLU's backward as one kernel (PyTorch's
    ``threshold_backward``; where a is nan the gradient passes).

    Written as ``g * (a > 0)`` it would be three array operations (compare, convert,
    multiply) with two temporaries per layer. As its own Function it is one backend call,
    and it can still be differentiated (``create_graph=True``): it is linear in g, so its
    gradient with respect to g is the same mask applied to the incoming gradient, and with
    respect to a it is 0 (the mask is a step function of a)."""

    @staticmethod
    def forward(ctx, grad, a):
        ctx.save_for_backward(a)  # for a double backward (kept only when recorded)
        return grad._wrap(grad.backend.relu_backward(grad._data, a._data))

    @staticmethod
    def backward(ctx, grad_grad):
        (a,) = ctx.saved_tensors
        needs_grad, needs_a = ctx.needs_input_grad
        return (ReluBackward.apply(grad_grad, a) if needs_grad else None,
                a.zeros_like() if needs_a else None)


class Sigmoid(Function):
    """z = 1 / (1 + e^-a);  dz/da = z (1 - z)."""

    @staticmethod
    def forward(ctx, a):
        z = a._wrap(a.backend.unary("sigmoid", a._data))
        ctx.save_for_backward(z)  # the derivative reads only the result
        return z

    @staticmethod
    def backward(ctx, grad):
        (z,) = ctx.saved_tensors
        return grad * z * (1 - z)


class LogSigmoid(Function):
    """z = log sigmoid(a) = -log(1 + e^-a);  dz/da = 1 - sigmoid(a) = sigmoid(-a).

    Its own op rather than ``a.sigmoid().log()``: sigmoid(a) rounds to 0 for a below about
    -104 in float32 (-745 in float64), and log 0 = -inf, while log sigmoid(a) is just about
    a there. The gradient sigmoid(-a) is finite everywhere too."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a._wrap(a.backend.unary("log_sigmoid", a._data))

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * (-a).sigmoid()


class Tanh(Function):
    """z = tanh(a);  dz/da = 1 - z^2."""

    @staticmethod
    def forward(ctx, a):
        z = a._wrap(a.backend.unary("tanh", a._data))
        ctx.save_for_backward(z)  # the derivative reads only the result
        return z

    @staticmethod
    def backward(ctx, grad):
        (z,) = ctx.saved_tensors
        return grad * (1 - z * z)


class Where(Function):
    """z = a where condition else b;  the gradient goes to whichever operand was picked."""

    @staticmethod
    def forward(ctx, condition, a, b):
        ctx.save_for_backward(condition)
        return a._wrap(a.backend.where(condition._data, a._data, b._data))

    @staticmethod
    def backward(ctx, grad):
        (condition,) = ctx.saved_tensors
        needs_a, needs_b = ctx.needs_input_grad[1:]
        zero = grad.zeros_like()
        # where() broadcasts the condition: both gradients have the output's shape
        grad_a = where(condition, grad, zero) if needs_a else None
        grad_b = where(condition, zero, grad) if needs_b else None
        return None, grad_a, grad_b


# --- the functions the Tensor methods and operators call ---------------------------------


def _operands(a, b, op_name: str):
    """The two operands of a binary op: ``b`` as a tensor on ``a``'s device, one dtype for
    both, and shapes that broadcast (each checked only when it can fail)."""
    if b.__class__ is not a.__class__ or b.device != a.device:
        b = as_operand(b, a, op_name)  # a number, a Tensor subclass, or the wrong device
    if a.dtype is not b.dtype:
        a, b = promote_pair(a, b, op_name)
    shape_a, shape_b = a._data.shape, b._data.shape
    if shape_a != shape_b and shape_a and shape_b:
        broadcast_shape(shape_a, shape_b, op_name)
    return a, b


def _binary(function, op_name: str):
    """The function ``op_name(a, b)`` that prepares two operands, when they need it, and
    applies ``function`` to them. The operators (``x * y`` is ``mul(x, y)``) call it
    directly: it runs for every op, also inside backward formulas."""

    def binary_op(a, b):
        # Two tensors of one class, device, dtype and shape (most calls) need no preparation.
        if (b.__class__ is not a.__class__ or b.device is not a.device or b.dtype is not a.dtype
                or b._data.shape != a._data.shape):
            a, b = _operands(a, b, op_name)
        return apply_binary(function, a, b)

    binary_op.__name__ = binary_op.__qualname__ = op_name
    binary_op.__doc__ = f"``{op_name}`` of two tensors (or a tensor and a number), broadcast."
    return binary_op


add = _binary(Add, "add")
sub = _binary(Sub, "sub")
mul = _binary(Mul, "mul")
_divide = _binary(Div, "div")
_power = _binary(Pow, "pow")


def div(a, b):
    b = as_operand(b, a, "div")
    if not a.dtype.is_floating_point and not b.dtype.is_floating_point:
        # true division of integers gives floats, as in PyTorch
        a = a.float()
    return _divide(a, b)


def pow(a, exponent):
    """``a ** exponent`` for a number (the usual case) or a Tensor exponent."""
    from minigrad.tensor import Tensor

    if isinstance(exponent, Tensor):
        return _power(a, exponent)
    return pow_scalar(a, exponent)


def pow_scalar(a, exponent):
    if not isinstance(exponent, int | float):
        raise TypeError(
            f"pow: exponent must be a number or a Tensor, got {type(exponent).__name__}"
        )
    if not a.dtype.is_floating_point and (isinstance(exponent, float) or exponent < 0):
        a = a.float()
    return PowScalar.apply(a, exponent)


class Maximum(Function):
    """z = max(a, b) elementwise (min(a, b) with ``largest=False``); NaN if either is NaN.

    dz/da = 1 where a wins, 0 where it loses, 1/2 on a tie (a == b), as in PyTorch; where
    either side is NaN neither loses (no comparison with NaN is true), so both get the
    gradient, again as in PyTorch.
    """

    @staticmethod
    def forward(ctx, a, b, largest: bool):
        ctx.save_for_backward(a, b)
        ctx.largest = largest
        extreme = a.backend.maximum if largest else a.backend.minimum
        return a._wrap(extreme(a._data, b._data))

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        a_loses, b_loses = (a < b, a > b) if ctx.largest else (a > b, a < b)
        shared = where(a == b, grad * 0.5, grad)
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_a = where(a_loses, 0.0, shared)
        if ctx.needs_input_grad[1]:
            grad_b = where(b_loses, 0.0, shared)
        return grad_a, grad_b, None


class Minimum(Maximum):
    """z = min(a, b): the rule of ``Maximum``, with its own name in drawings."""


def maximum(a, b):
    """Elementwise max; NaN propagates; on a tie the gradient is shared equally, as in
    PyTorch."""
    a, b = _operands(a, b, "maximum")
    return Maximum.apply(a, b, True)


def minimum(a, b):
    """Elementwise min; NaN propagates; on a tie the gradient is shared equally, as in
    PyTorch."""
    a, b = _operands(a, b, "minimum")
    return Minimum.apply(a, b, False)


def where(condition, a, b):
    """Elementwise choice: ``a`` where ``condition`` is true, else ``b`` (both broadcast)."""
    from minigrad.tensor import Tensor

    if not isinstance(condition, Tensor):
        raise TypeError(f"where: condition must be a bool Tensor, got {type(condition).__name__}")
    if condition.dtype.name != "bool":
        raise TypeError(f"where: condition must be a bool Tensor, got dtype {condition.dtype.name}")
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise TypeError("where: at least one of a and b must be a Tensor")
    # A number on either side becomes a constant of the tensor operand's dtype and device.
    a = as_operand(a, b, "where") if isinstance(b, Tensor) else a
    b = as_operand(b, a, "where")
    a, b = promote_pair(a, b, "where")
    as_operand(condition, a, "where")  # checks that the condition is on the same device
    shape = broadcast_shape(a.shape, b.shape, "where")
    broadcast_shape(condition.shape, shape, "where")
    return Where.apply(condition, a, b)


def clamp(a, min=None, max=None):  # noqa: A002 - PyTorch's argument names
    """Limit values to [min, max]; the gradient passes where the value was not clipped."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    result = a
    if min is not None:
        result = where(result < min, as_operand(min, a, "clamp"), result)
    if max is not None:
        result = where(result > max, as_operand(max, a, "clamp"), result)
    return result


def compare(op: str, a, b):
    """A comparison: a bool tensor, outside the graph (comparisons have no gradient)."""
    b = as_operand(b, a, op)
    if a.dtype.is_floating_point or b.dtype.is_floating_point:
        a, b = promote_pair(a, b, op)
    broadcast_shape(a.shape, b.shape, op)
    return a._from_array(a.backend.compare(op, a._data, b._data), a.device)


def unary(function, a):
    """``function`` (one of the elementwise functions without parameters, such as ``Tanh``)
    applied to ``a``; an integer tensor is converted to float first, as in PyTorch.

    Only for Functions whose ``forward`` calls nothing but the backend: ``apply_unary``
    records the node without switching recording off around ``forward``."""
    if not a.dtype.is_floating_point:
        a = a.float()
    return apply_unary(function, a)


def sign(a):
    """-1, 0 or 1 elementwise; treated as a constant (its derivative is 0 almost
    everywhere)."""
    return a._from_array(a.backend.unary("sign", a._data), a.device)


def log_sigmoid(a):
    """log(sigmoid(a)), finite for every finite ``a`` (see ``LogSigmoid``)."""
    return unary(LogSigmoid, a)
