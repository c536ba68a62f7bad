"""Checking gradients: finite differences and comparisons with PyTorch.

Three tools, for users writing their own ops as much as for minigrad's own tests:

- :func:`gradcheck` compares the gradients autograd computes with central finite
  differences, in float64. Small problems get the whole Jacobian checked element by element;
  large ones are checked along random directions (a numerical directional derivative against
  the vector-Jacobian product, as HIPS autograd's ``check_grads`` does).
- :func:`gradgradcheck` does the same for the gradient itself, built with
  ``minigrad.grad(..., create_graph=True)``: it checks second derivatives.
- :func:`compare_with_torch` runs the same inputs through a minigrad function and a PyTorch
  function and compares the outputs and every input gradient.

Failures raise :class:`GradcheckError` (an ``AssertionError``, so test runners show it as a
failed check) with a report naming the worst element: where it is, both values, and the
absolute and relative error. PyTorch is imported only inside :func:`compare_with_torch`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import minigrad
from minigrad.dtypes import as_dtype


class GradcheckError(AssertionError):
    """A gradient or output check failed; the message says where and by how much."""


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


# --- reports ---------------------------------------------------------------------------------


def _format_index(shape: tuple[int, ...], flat_index: int) -> str:
    if len(shape) == 0:
        return "()"
    return str(tuple(int(i) for i in np.unravel_index(flat_index, shape)))


def _relative_error(error: float, reference: float) -> float:
    return error / abs(reference) if reference != 0 else float("inf") if error else 0.0


def _locate(shapes: list[tuple[int, ...]], flat_index: int) -> tuple[int, str]:
    """(which tensor, index inside it) for an index into the concatenation of ``shapes``."""
    for number, shape in enumerate(shapes):
        size = int(np.prod(shape, dtype=np.int64))
        if flat_index < size:
            return number, _format_index(shape, flat_index)
        flat_index -= size
    raise IndexError(flat_index)


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


# --- comparing with PyTorch ------------------------------------------------------------------

#: Default (atol, rtol) per dtype for :func:`compare_with_torch`: float64 results should
#: agree to rounding; float32 ones to a few units in the last place of a sum of ~100 terms.
DEFAULT_TOLERANCES = {"float64": (1e-9, 1e-7), "float32": (1e-5, 1e-4)}


def _import_torch():
    try:
        import torch
    except ImportError:
        raise ImportError(
            "compare_with_torch needs PyTorch, which is not installed; install it with "
            "`pip install torch` (it comes with `pip install minigrad[dev]`)"
        ) from None
    return torch


def _mismatch_report(what: str, got: np.ndarray, expected: np.ndarray, atol: float,
                     rtol: float) -> str | None:
    """None if ``got`` matches ``expected`` (PyTorch's), else a report of the worst element."""
    if got.shape != expected.shape:
        return f"{what}: minigrad shape {got.shape}, PyTorch shape {expected.shape}"
    if expected.dtype.kind not in "fc":
        bad = got != expected
        if not bad.any():
            return None
        flat = int(np.flatnonzero(bad.ravel())[0])
        return (f"{what}: {int(bad.sum())} of {bad.size} elements differ; first at index "
                f"{_format_index(got.shape, flat)}: minigrad {got.flat[flat].item()!r}, "
                f"PyTorch {expected.flat[flat].item()!r}")
    got64, expected64 = got.astype(np.float64), expected.astype(np.float64)
    bad = ~np.isclose(got64, expected64, atol=atol, rtol=rtol, equal_nan=True)
    if not bad.any():
        return None
    error = np.abs(got64 - expected64)
    error = np.where(bad, np.where(np.isnan(error), np.inf, error), -1.0)
    flat = int(np.argmax(error))
    g, e = float(got64.flat[flat]), float(expected64.flat[flat])
    absolute = abs(g - e)
    return (f"{what}: {int(bad.sum())} of {bad.size} elements differ (atol={atol}, "
            f"rtol={rtol}); worst at index {_format_index(got.shape, flat)}: minigrad {g!r}, "
            f"PyTorch {e!r}, abs error {absolute:.3e}, "
            f"rel error {_relative_error(absolute, e):.3e}")


def compare_with_torch(
    fn: Callable,
    torch_fn: Callable,
    *arrays: Any,
    atol: float | None = None,
    rtol: float | None = None,
    grad_atol: float | None = None,
    grad_rtol: float | None = None,
    check_grad: bool = True,
    seed: int = 0,
) -> None:
    """Run the same inputs through ``fn`` (minigrad) and ``torch_fn`` (PyTorch) and compare.

    Each of ``arrays`` (numpy arrays or nested lists) becomes a minigrad tensor and a PyTorch
    tensor with the same values and dtype; floating ones require grad. The two functions get
    them in order and return a tensor or a tuple of tensors. The check compares, for every
    output, its shape, dtype, ``requires_grad`` and values; then it runs backward from every
    output that requires grad with the same random cotangent (drawn with ``seed``) on both
    sides and compares the gradient of every floating input (an input the output does not
    reach has gradient zero).

    Tolerances default per dtype (see :data:`DEFAULT_TOLERANCES`; the lowest precision among
    the outputs decides); ``grad_atol``/``grad_rtol`` default to ``atol``/``rtol``. A value
    ``m`` passes against PyTorch's ``t`` when ``|m - t| <= atol + rtol * |t|``.

    Raises :class:`GradcheckError` listing every mismatch, each with its worst element
    (index, both values, absolute and relative error). Raises ``ImportError`` with an install
    hint when PyTorch is missing.

    Example::

        >>> import numpy as np
        >>> from minigrad.testing import compare_with_torch
        >>> a = np.random.randn(2, 3)
        >>> b = np.random.randn(3)
        >>> compare_with_torch(lambda x, y: (x * y).tanh().sum(dim=0),
        ...                    lambda x, y: (x * y).tanh().sum(dim=0), a, b)
    """
    torch = _import_torch()
    arrays = [np.array(a) for a in arrays]
    mg_inputs, torch_inputs = [], []
    for array in arrays:
        floating = array.dtype.kind == "f"
        mg_inputs.append(minigrad.tensor(array.copy(), dtype=as_dtype(array.dtype),
                                        requires_grad=floating))
        torch_inputs.append(torch.tensor(array, requires_grad=floating))
    mg_outputs = _as_tuple(fn(*mg_inputs))
    torch_outputs = _as_tuple(torch_fn(*torch_inputs))
    if len(mg_outputs) != len(torch_outputs):
        raise GradcheckError(f"minigrad returned {len(mg_outputs)} outputs, PyTorch "
                             f"{len(torch_outputs)}")
    floating_names = [str(t.dtype).removeprefix("torch.") for t in torch_outputs
                      if t.dtype.is_floating_point]
    default = DEFAULT_TOLERANCES["float32" if "float32" in floating_names or not floating_names
                                 else "float64"]
    atol = default[0] if atol is None else atol
    rtol = default[1] if rtol is None else rtol
    grad_atol = atol if grad_atol is None else grad_atol
    grad_rtol = rtol if grad_rtol is None else grad_rtol

    problems = []
    for number, (mine, theirs) in enumerate(zip(mg_outputs, torch_outputs, strict=True)):
        if not isinstance(mine, minigrad.Tensor):
            raise GradcheckError(f"output {number}: minigrad returned {type(mine).__name__}, "
                                 "not a Tensor")
        torch_dtype = str(theirs.dtype).removeprefix("torch.")
        if mine.dtype.name != torch_dtype:
            problems.append(f"output {number}: minigrad dtype {mine.dtype.name}, PyTorch "
                            f"dtype {torch_dtype}")
        if bool(mine.requires_grad) != bool(theirs.requires_grad):
            problems.append(f"output {number}: minigrad requires_grad={mine.requires_grad}, "
                            f"PyTorch requires_grad={theirs.requires_grad}")
        report = _mismatch_report(f"output {number} values", np.asarray(mine.detach().numpy()),
                                  theirs.detach().numpy(), atol, rtol)
        if report:
            problems.append(report)
    if problems:
        raise GradcheckError("compare_with_torch failed:\n" + "\n".join(problems))
    if not check_grad:
        return

    rng = np.random.default_rng(seed)
    pairs = [(m, t) for m, t in zip(mg_outputs, torch_outputs, strict=True) if t.requires_grad]
    if not pairs:
        return
    cotangents = [rng.standard_normal(tuple(t.shape)).astype(t.detach().numpy().dtype)
                  for _, t in pairs]
    torch.autograd.backward([t for _, t in pairs],
                            [torch.from_numpy(c.copy()) for c in cotangents])
    for number, ((mine, _), cotangent) in enumerate(zip(pairs, cotangents, strict=True)):
        mine.backward(gradient=minigrad.tensor(cotangent.copy(), dtype=mine.dtype),
                      retain_graph=number < len(pairs) - 1)
    for number, (mine, theirs) in enumerate(zip(mg_inputs, torch_inputs, strict=True)):
        if not theirs.requires_grad:
            continue
        expected = (np.zeros(theirs.shape, dtype=arrays[number].dtype) if theirs.grad is None
                    else theirs.grad.numpy())
        got = (np.zeros(mine.shape, dtype=arrays[number].dtype) if mine.grad is None
               else np.asarray(mine.grad.numpy()))
        if mine.grad is not None and mine.grad.dtype != mine.dtype:
            problems.append(f"gradient of input {number}: dtype {mine.grad.dtype}, expected "
                            f"the input's dtype {mine.dtype}")
        report = _mismatch_report(f"gradient of input {number} (shape {arrays[number].shape})",
                                  got, expected, grad_atol, grad_rtol)
        if report:
            problems.append(report)
    if problems:
        raise GradcheckError("compare_with_torch failed:\n" + "\n".join(problems))


__all__ = ["GradcheckError", "gradcheck", "gradgradcheck", "compare_with_torch",
           "DEFAULT_TOLERANCES"]
