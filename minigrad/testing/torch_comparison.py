"""``compare_with_torch``: the same inputs through minigrad and PyTorch, outputs and
gradients compared element by element."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import minigrad
from minigrad.dtypes import as_dtype
from minigrad.testing.finite_differences import _as_tuple
from minigrad.testing.reports import GradcheckError, _format_index, _relative_error

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
