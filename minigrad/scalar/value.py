"""`Value`: one scalar number in a computation graph (micrograd's engine, made sturdier).

Every operation builds a new `Value` that remembers

* its children, in argument order, in ``_prev`` (a tuple),
* the name of the operation in ``_op`` (``"+"``, ``"*"``, ``"**2"``, ``"tanh"``, ...),
* the *local derivatives* ``d out / d child`` in ``_local_grads``, one per child.

The forward formula and its local derivative are written side by side in each method, so the
chain rule is visible: during ``backward()`` every node passes ``local * out.grad`` to each
child. Subtraction, negation and division are one-liners built from ``+``, ``*`` and ``**``.

Gradient rule (the same as PyTorch's): ``backward()`` recomputes the gradient of every
*intermediate* node (a node made by an operation) from scratch, and *accumulates* into every
*leaf* (a Value you created yourself: an input, a weight, a constant). So calling
``backward()`` twice leaves intermediate gradients unchanged and doubles leaf gradients;
set leaf gradients to zero between training steps (``zero_grad()``), exactly as in PyTorch.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from numbers import Real

__all__ = ["Value", "topological_order"]


class Value:
    """A scalar with a gradient, the node of a micrograd-style computation graph.

    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> c = a * b + 1
    >>> c.backward()
    >>> a.grad, b.grad
    (-3.0, 2.0)
    """

    # ``_display`` (set only by - and /) tells drawings how the user wrote the operation; the
    # graph itself keeps micrograd's structure. Read it with getattr(value, "_display", None).
    __slots__ = ("data", "grad", "label", "_prev", "_op", "_local_grads", "_display",
                 "__weakref__")

    def __init__(self, data: float, label: str = "", _prev: tuple = (), _op: str = "",
                 _local_grads: tuple = ()) -> None:
        if type(data) is not float:
            if isinstance(data, bool) or not isinstance(data, Real):
                raise TypeError(f"Value needs a real number, got {type(data).__name__}: {data!r}")
            data = float(data)
        self.data = data
        self.grad = 0.0
        self.label = label
        self._prev = _prev
        self._op = _op
        self._local_grads = _local_grads

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    # ---- primitive operations: forward value and local derivatives side by side ----------

    def __add__(self, other: Value | float) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        # d(a + b)/da = 1,  d(a + b)/db = 1
        return _node(self.data + other.data, (self, other), "+", (1.0, 1.0))

    def __mul__(self, other: Value | float) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        # d(a * b)/da = b,  d(a * b)/db = a
        return _node(self.data * other.data, (self, other), "*", (other.data, self.data))

    def __pow__(self, exponent: float) -> Value:
        if isinstance(exponent, bool) or not isinstance(exponent, Real):
            raise TypeError(f"Value ** exponent needs a number exponent (int or float), "
                            f"got {type(exponent).__name__}")
        x, n = self.data, exponent
        _check_power_domain(x, n, self.label)
        # d(x ** n)/dx = n * x ** (n - 1)
        # the op name is micrograd's: f"**{n}", so 2 gives "**2" and 2.0 gives "**2.0"
        return _node(_power(x, n), (self,), f"**{n}", (n * _power(x, n - 1),))

    def relu(self) -> Value:
        # relu(x) = max(0, x);  d relu/dx = 1 where x > 0, else 0
        out = self.data if self.data > 0 else 0.0
        # "ReLU" is micrograd's name for this op (its drawings label the node with it)
        return _node(out, (self,), "ReLU", (1.0 if self.data > 0 else 0.0,))

    def tanh(self) -> Value:
        t = math.tanh(self.data)  # math.tanh saturates to +-1 and never overflows
        # d tanh(x)/dx = 1 - tanh(x)^2
        return _node(t, (self,), "tanh", (1.0 - t * t,))

    def sigmoid(self) -> Value:
        s = _sigmoid(self.data)
        # d sigmoid(x)/dx = sigmoid(x) * (1 - sigmoid(x))
        return _node(s, (self,), "sigmoid", (s * (1.0 - s),))

    def exp(self) -> Value:
        e = _exp(self.data)
        # d exp(x)/dx = exp(x)
        return _node(e, (self,), "exp", (e,))

    def log(self) -> Value:
        x = self.data
        if not x > 0.0:
            if math.isnan(x):
                return _node(math.nan, (self,), "log", (math.nan,))
            raise ValueError(f"log of a non-positive number: log({x!r}) is undefined"
                             f"{_label_note(self.label)}")
        # d log(x)/dx = 1 / x
        return _node(math.log(x), (self,), "log", (1.0 / x,))

    # ---- derived operations, built from the primitives above -----------------------------

    def __neg__(self) -> Value:  # -a
        return self * -1

    def __radd__(self, other: float) -> Value:  # number + a
        return self + other

    # a - b and a / b keep micrograd's graphs exactly: with a Value b they are a + (b * -1) and
    # a * b**-1, and the result carries a drawing hint (``_display``) so that drawings show
    # the "-" or "/" the user wrote; with a number b they are a + (-b) and a * (1/b), one
    # node on a constant, drawn as such.

    def __sub__(self, other: Value | float) -> Value:  # a - b
        out = self + (-other)
        if isinstance(other, Value):
            out._display = ("-", self, other)
        return out

    def __rsub__(self, other: float) -> Value:  # number - a
        return other + (-self)

    def __rmul__(self, other: float) -> Value:  # number * a
        return self * other

    def __truediv__(self, other: Value | float) -> Value:  # a / b
        out = self * other**-1
        if isinstance(other, Value):
            out._display = ("/", self, other)
        return out

    def __rtruediv__(self, other: float) -> Value:  # number / a
        return other * self**-1

    # ---- backpropagation ------------------------------------------------------------------

    def _backward(self) -> None:
        """One local chain-rule step, as micrograd's ``_backward``: add
        ``d self / d child * self.grad`` into each child's ``.grad``.

        Calling it node by node, from the output back to the inputs, is the backward pass
        written out by hand (as in micrograd's lecture). A leaf has no children, so this
        does nothing for it.
        """
        for child, local in zip(self._prev, self._local_grads, strict=True):
            child.grad += local * self.grad

    def backward(self, gradient: float = 1.0) -> None:
        """Fill ``.grad`` of every node in this graph with ``d self / d node``.

        Walks the nodes in reverse topological order (children after every node that uses
        them), so a node's gradient is complete before it is passed on:
        ``child.grad += local_derivative * node.grad`` (the chain rule, summed over uses).

        Intermediate gradients are reset to zero first and leaf gradients accumulate (see the
        module docstring). ``gradient`` seeds ``d self / d self`` (1 by default). Works for
        graphs of any depth: the topological sort uses an explicit stack, not recursion.
        """
        order = topological_order(self)
        for node in order:
            if node._prev:
                node.grad = 0.0
        self.grad += float(gradient)
        for node in reversed(order):
            out_grad = node.grad
            for child, local in zip(node._prev, node._local_grads, strict=True):
                child.grad += local * out_grad


def topological_order(roots: Value | Iterable[Value]) -> list[Value]:
    """Every node reachable from ``roots``, each after all of its children.

    A depth-first search with an explicit stack (so 100,000-deep graphs are fine), visiting
    children in argument order: the same order micrograd's recursive ``build_topo`` gives.
    """
    roots = [roots] if isinstance(roots, Value) else list(roots)
    order: list[Value] = []
    visited: set[Value] = set()  # Values hash by identity
    # Each stack entry is (node, children_done). A node is emitted on its second visit,
    # after everything pushed above it (its children) has been emitted.
    stack = [(root, False) for root in reversed(roots)]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append((node, True))
        for child in reversed(node._prev):
            if child not in visited:
                stack.append((child, False))
    return order


# ---- helpers -------------------------------------------------------------------------------

_new_value = object.__new__


def _node(data: float, children: tuple, op: str, local_grads: tuple) -> Value:
    """Make the Value produced by an operation (skips __init__'s input checks: data is a float)."""
    out = _new_value(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._prev = children
    out._op = op
    out._local_grads = local_grads
    return out


def _label_note(label: str) -> str:
    return f" (Value {label!r})" if label else ""


def _check_power_domain(x: float, n: float, label: str) -> None:
    """Reject powers with no real answer, instead of returning a complex number or NaN."""
    if x == 0.0 and n < 0:
        raise ZeroDivisionError(f"0.0 ** {n!r} is a division by zero{_label_note(label)}")
    if x < 0.0 and not float(n).is_integer():
        raise ValueError(f"{x!r} ** {n!r}: a negative number to a non-integer power is not "
                         f"a real number{_label_note(label)}")


def _power(x: float, n: float) -> float:
    """x ** n following IEEE: overflow gives +-inf (Python raises OverflowError instead)."""
    try:
        return x ** n
    except OverflowError:
        odd_integer = float(n).is_integer() and int(n) % 2 == 1
        return -math.inf if (x < 0 and odd_integer) else math.inf
    except ZeroDivisionError:  # 0.0 ** negative inside a derivative, e.g. d sqrt(x)/dx at 0
        return math.inf


def _exp(x: float) -> float:
    """exp(x), or inf when it does not fit in a float (x > 709.78): never NaN, never raises."""
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _sigmoid(x: float) -> float:
    """1 / (1 + exp(-x)) computed so that exp never overflows.

    For x >= 0 exp(-x) <= 1; for x < 0 use the equal form exp(x) / (1 + exp(x)), where
    exp(x) < 1. So sigmoid(-1000) = 0.0 and sigmoid(1000) = 1.0 exactly, with no overflow.
    """
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)
