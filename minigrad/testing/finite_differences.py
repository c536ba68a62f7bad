"""``gradcheck`` and ``gradgradcheck``: autograd's gradients against central finite
differences, in float64."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import minigrad
from minigrad.testing.reports import GradcheckError, _locate, _relative_error

# --- preparing inputs and calling the function under test ------------------------------------


def _as_tuple(value) -> tuple:
    if isinstance(value, (tuple, list)):
        return tuple(value)
    return (value,)


def _is_floating_array(value) -> bool:
    return isinstance(value, np.ndarray) and value.dtype.kind == "f"


def _prepare_inputs(inputs: tuple) -> tuple[list, list[int]]:
    """float64 leaves for the inputs to differentiate, plus their positions.

    - a floating Tensor with ``requires_grad=True`` or a floating numpy array becomes a fresh
      float64 leaf that requires grad (it is differentiated);
    - any other floating Tensor becomes a float64 constant (so it mixes with the float64
      leaves), integer/bool Tensors and arrays are passed as constants;
    - everything else (ints, tuples, None, ...) is passed through unchanged.
    """
    prepared: list = []
    positions: list[int] = []
    for position, value in enumerate(inputs):
        if isinstance(value, minigrad.Tensor):
            if value.dtype.is_floating_point:
                array = np.array(value.detach().numpy(), dtype=np.float64)
                differentiate = bool(value.requires_grad)
                prepared.append(
                    minigrad.tensor(array, dtype=minigrad.float64, device=value.device,
                                    requires_grad=differentiate)
                )
                if differentiate:
                    positions.append(position)
            else:
                prepared.append(value)
        elif _is_floating_array(value):
            prepared.append(
                minigrad.tensor(np.array(value, dtype=np.float64), dtype=minigrad.float64,
                                requires_grad=True)
            )
            positions.append(position)
        elif isinstance(value, np.ndarray):
            prepared.append(minigrad.tensor(value))
        else:
            prepared.append(value)
    if not positions:
        raise ValueError(
            "gradcheck needs at least one input to differentiate: pass a floating Tensor "
            "with requires_grad=True or a floating numpy array"
        )
    return prepared, positions


def _call(fn: Callable, inputs: Sequence) -> tuple:
    """``fn(*inputs)`` as a tuple of floating Tensors."""
    outputs = _as_tuple(fn(*inputs))
    for number, output in enumerate(outputs):
        if not isinstance(output, minigrad.Tensor):
            raise TypeError(
                f"the checked function must return a Tensor or a tuple of Tensors; output "
                f"{number} is {type(output).__name__}"
            )
        if not output.dtype.is_floating_point:
            raise TypeError(
                f"output {number} has dtype {output.dtype}; only floating outputs have "
                "gradients to check"
            )
    return outputs


def _with_values(prepared: list, positions: list[int], arrays: list[np.ndarray]) -> list:
    """A copy of ``prepared`` whose differentiated inputs hold ``arrays`` (fresh leaves)."""
    values = list(prepared)
    for position, array in zip(positions, arrays, strict=True):
        values[position] = minigrad.tensor(array, dtype=minigrad.float64,
                                           device=prepared[position].device, requires_grad=True)
    return values


def _flat_outputs(fn: Callable, values: list) -> np.ndarray:
    outputs = _call(fn, values)
    if not outputs:
        return np.zeros(0)
    return np.concatenate([np.asarray(o.detach().numpy(), dtype=np.float64).ravel()
                           for o in outputs])


def _vector_jacobian_product(outputs: tuple, leaves: list, cotangents: list[np.ndarray]):
    """``v^T J`` for each leaf by running backward from every output with cotangent ``v``.

    Gradients of leaves the outputs do not reach come back as zeros. Each leaf's ``.grad`` is
    reset first, so earlier calls do not accumulate into this one.
    """
    for leaf in leaves:
        leaf.grad = None
    connected = [(o, v) for o, v in zip(outputs, cotangents, strict=True) if o.requires_grad]
    for output, cotangent in connected:
        gradient = minigrad.tensor(cotangent, dtype=minigrad.float64, device=output.device)
        # Retained: the full-Jacobian check runs one backward pass per output element.
        output.backward(gradient=gradient, retain_graph=True)
    products = []
    for leaf in leaves:
        if leaf.grad is None:
            products.append(np.zeros(leaf.shape))
        else:
            grad = np.asarray(leaf.grad.numpy(), dtype=np.float64)
            if grad.shape != tuple(leaf.shape):
                raise GradcheckError(
                    f"the gradient of an input of shape {tuple(leaf.shape)} has shape "
                    f"{grad.shape}; a gradient must have its input's shape"
                )
            products.append(grad)
        leaf.grad = None
    return products


# --- gradcheck -------------------------------------------------------------------------------


def gradcheck(
    fn: Callable,
    inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    *,
    mode: str = "auto",
    num_directions: int = 4,
    max_full_size: int = 256,
    seed: int = 0,
    raise_exception: bool = True,
) -> bool:
    r"""Check ``fn``'s autograd gradients against central finite differences, in float64.

    ``inputs`` is one input or a tuple of them. Floating Tensors with ``requires_grad=True``
    and floating numpy arrays are differentiated (as fresh float64 leaves); other Tensors are
    passed as constants (floating ones cast to float64), anything else unchanged.
    ``fn(*inputs)`` returns a floating Tensor or a tuple of them.

    The numerical derivative of the outputs with respect to input element :math:`x_i` is the
    central difference

    .. math:: \frac{\partial f}{\partial x_i} \approx
              \frac{f(x + \epsilon e_i) - f(x - \epsilon e_i)}{2 \epsilon},

    whose error is :math:`O(\epsilon^2)`. An analytic value ``a`` passes against the
    numerical ``n`` when :math:`|a - n| \le atol + rtol\,|n|`.

    ``mode="full"`` compares the whole Jacobian (one backward pass per output element and two
    forward passes per input element); ``mode="directional"`` draws ``num_directions``
    random input directions :math:`u` and output cotangents :math:`v` and compares the
    numerical derivative of :math:`t \mapsto v \cdot f(x + t u)` with :math:`(v^T J) \cdot u`
    from one backward pass. ``mode="auto"`` picks "full" when inputs and outputs each have
    at most ``max_full_size`` elements.

    Returns True, or raises :class:`GradcheckError` describing the worst element (returns
    False instead when ``raise_exception=False``).

    Example::

        >>> import minigrad
        >>> from minigrad.testing import gradcheck
        >>> x = minigrad.randn(3, 4, dtype=minigrad.float64, requires_grad=True)
        >>> gradcheck(lambda x: (x * x).sum(dim=1).sqrt(), x)
        True
    """
    if mode not in ("auto", "full", "directional"):
        raise ValueError(f"mode must be 'auto', 'full' or 'directional', got {mode!r}")
    prepared, positions = _prepare_inputs(_as_tuple(inputs))
    leaves = [prepared[p] for p in positions]
    base = [np.array(leaf.detach().numpy(), dtype=np.float64) for leaf in leaves]
    outputs = _call(fn, prepared)
    input_shapes = [tuple(leaf.shape) for leaf in leaves]
    output_shapes = [tuple(o.shape) for o in outputs]
    input_size = sum(a.size for a in base)
    output_size = sum(int(np.prod(s, dtype=np.int64)) for s in output_shapes)
    if mode == "auto":
        mode = "full" if max(input_size, output_size) <= max_full_size else "directional"
    if mode == "full":
        message = _check_full_jacobian(fn, prepared, positions, base, outputs, eps, atol, rtol,
                                       input_shapes, output_shapes)
    else:
        message = _check_directions(fn, prepared, positions, base, outputs, eps, atol, rtol,
                                    num_directions, seed)
    if message is None:
        return True
    if raise_exception:
        raise GradcheckError(message)
    return False


def _check_full_jacobian(fn, prepared, positions, base, outputs, eps, atol, rtol,
                         input_shapes, output_shapes) -> str | None:
    leaves = [prepared[p] for p in positions]
    output_size = sum(int(np.prod(s, dtype=np.int64)) for s in output_shapes)
    input_size = sum(a.size for a in base)
    numerical = np.zeros((output_size, input_size))
    column = 0
    for number, array in enumerate(base):
        for flat in range(array.size):
            plus = [a.copy() for a in base]
            minus = [a.copy() for a in base]
            plus[number].flat[flat] += eps
            minus[number].flat[flat] -= eps
            difference = (_flat_outputs(fn, _with_values(prepared, positions, plus))
                          - _flat_outputs(fn, _with_values(prepared, positions, minus)))
            numerical[:, column] = difference / (2 * eps)
            column += 1
    analytic = np.zeros_like(numerical)
    sizes = [int(np.prod(s, dtype=np.int64)) for s in output_shapes]
    for row in range(output_size):
        one_hot = np.zeros(output_size)
        one_hot[row] = 1.0
        cotangents = [part.reshape(shape) for part, shape in
                      zip(np.split(one_hot, np.cumsum(sizes)[:-1]), output_shapes, strict=True)]
        products = _vector_jacobian_product(outputs, leaves, cotangents)
        analytic[row] = np.concatenate([p.ravel() for p in products]) if products else []
    error = np.abs(analytic - numerical)
    allowed = atol + rtol * np.abs(numerical)
    bad = ~(error <= allowed)  # also true where either side is NaN
    if not bad.any():
        return None
    excess = np.where(np.isnan(error), np.inf, error - allowed)
    row, column = np.unravel_index(int(np.argmax(excess)), excess.shape)
    out_number, out_index = _locate(output_shapes, int(row))
    in_number, in_index = _locate(input_shapes, int(column))
    n, a = float(numerical[row, column]), float(analytic[row, column])
    report = [
        f"gradcheck failed: {int(bad.sum())} of {bad.size} Jacobian entries differ "
        f"(atol={atol}, rtol={rtol}, eps={eps}).",
        f"worst: d output {out_number} at {out_index} / d input {positions[in_number]} at "
        f"{in_index} "
        f"(input shape {input_shapes[in_number]}, output shape {output_shapes[out_number]})",
        f"  numerical (finite differences) = {n!r}",
        f"  analytic  (autograd)           = {a!r}",
        f"  abs error = {abs(a - n):.3e}, rel error = {_relative_error(abs(a - n), n):.3e}",
    ]
    if numerical.size <= 36:
        report.append(f"numerical Jacobian:\n{numerical}\nanalytic Jacobian:\n{analytic}")
    return "\n".join(report)


def _check_directions(fn, prepared, positions, base, outputs, eps, atol, rtol,
                      num_directions, seed) -> str | None:
    rng = np.random.default_rng(seed)
    leaves = [prepared[p] for p in positions]
    for direction in range(num_directions):
        tangents = [rng.standard_normal(a.shape) for a in base]
        cotangents = [rng.standard_normal(tuple(o.shape)) for o in outputs]
        flat_cotangent = (np.concatenate([c.ravel() for c in cotangents])
                          if cotangents else np.zeros(0))
        plus = [a + eps * u for a, u in zip(base, tangents, strict=True)]
        minus = [a - eps * u for a, u in zip(base, tangents, strict=True)]
        numerical = float(flat_cotangent @ (
            _flat_outputs(fn, _with_values(prepared, positions, plus))
            - _flat_outputs(fn, _with_values(prepared, positions, minus))) / (2 * eps))
        products = _vector_jacobian_product(outputs, leaves, cotangents)
        analytic = float(sum(np.sum(p * u) for p, u in zip(products, tangents, strict=True)))
        error = abs(analytic - numerical)
        if not error <= atol + rtol * abs(numerical):
            return "\n".join([
                f"gradcheck failed along random direction {direction} (seed {seed}): the "
                "directional derivative v.(J u) by finite differences differs from the "
                f"vector-Jacobian product (v^T J).u (atol={atol}, rtol={rtol}, eps={eps}).",
                f"  input shapes {[tuple(a.shape) for a in base]}, "
                f"output shapes {[tuple(o.shape) for o in outputs]}",
                f"  numerical (finite differences) = {numerical!r}",
                f"  analytic  (autograd)           = {analytic!r}",
                f"  abs error = {error:.3e}, rel error = {_relative_error(error, numerical):.3e}",
                "  (use mode='full' on a smaller input to see which element is wrong)",
            ])
    return None


def gradgradcheck(
    fn: Callable,
    inputs: Any,
    grad_outputs: Any = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    *,
    mode: str = "auto",
    num_directions: int = 4,
    max_full_size: int = 256,
    seed: int = 0,
    raise_exception: bool = True,
) -> bool:
    r"""Check second derivatives: :func:`gradcheck` applied to the gradient of ``fn``.

    The gradient is the vector-Jacobian product
    :math:`g(x, v) = v^T \partial f / \partial x`, computed by
    ``minigrad.grad(fn(*x), x, grad_outputs=v, create_graph=True)``, and it is checked as a
    function of both the inputs :math:`x` and the cotangents :math:`v` (random float64
    arrays shaped like the outputs, drawn with ``seed``, unless ``grad_outputs`` gives them).
    This only passes if every backward formula is itself differentiable, i.e. written in
    Tensor ops.

    Arguments and result as in :func:`gradcheck`.

    Example::

        >>> import minigrad
        >>> from minigrad.testing import gradgradcheck
        >>> x = minigrad.randn(5, dtype=minigrad.float64, requires_grad=True)
        >>> gradgradcheck(lambda x: x.tanh() * x, x)
        True
    """
    prepared, positions = _prepare_inputs(_as_tuple(inputs))
    outputs = [o for o in _call(fn, prepared) if o.requires_grad]
    if not outputs:
        raise ValueError("fn's outputs do not depend on its inputs; there is nothing to check")
    if grad_outputs is None:
        rng = np.random.default_rng(seed)
        cotangents = [rng.standard_normal(tuple(o.shape)) for o in outputs]
    else:
        cotangents = [np.array(g.numpy() if isinstance(g, minigrad.Tensor) else g,
                               dtype=np.float64) for g in _as_tuple(grad_outputs)]
        if [c.shape for c in cotangents] != [tuple(o.shape) for o in outputs]:
            raise ValueError(
                f"grad_outputs have shapes {[c.shape for c in cotangents]} but the outputs "
                f"that require grad have shapes {[tuple(o.shape) for o in outputs]}"
            )
    count = len(prepared)

    def first_derivative(*values):
        xs, vs = values[:count], values[count:]
        outs = [o for o in _as_tuple(fn(*xs)) if o.requires_grad]
        wrt = [xs[p] for p in positions]
        gradients = minigrad.grad(outs, wrt, grad_outputs=list(vs), create_graph=True,
                                  allow_unused=True)
        # An input the outputs do not use has derivative zero (a constant, not None).
        return tuple(minigrad.zeros_like(x) if g is None else g
                     for x, g in zip(wrt, gradients, strict=True))

    return gradcheck(first_derivative, (*prepared, *cotangents), eps=eps, atol=atol,
                     rtol=rtol, mode=mode, num_directions=num_directions,
                     max_full_size=max_full_size, seed=seed, raise_exception=raise_exception)
