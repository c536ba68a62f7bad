"""``helper_test_op``: one line runs an op on minigrad and PyTorch and checks everything.

Modelled on tinygrad's test helper. The same random inputs go through a minigrad lambda and
a PyTorch lambda (the same lambda when the APIs agree); the output's shape, dtype and values
and the gradient of every input are compared, first in float64 with a tight tolerance, then
in float32 with the tolerance the test states.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from minigrad.testing import DEFAULT_TOLERANCES, GradcheckError, compare_with_torch

FLOAT32_ATOL, FLOAT32_RTOL = DEFAULT_TOLERANCES["float32"]


def make_inputs(shapes: Sequence[tuple[int, ...]], dtype: str, low: float, high: float,
                seed: int = 0) -> list[np.ndarray]:
    """Uniform random arrays in [low, high) of the given shapes and numpy dtype."""
    rng = np.random.default_rng(seed)
    return [rng.uniform(low, high, size=shape).astype(dtype) for shape in shapes]


def helper_test_op(
    shapes: Sequence[tuple[int, ...]] | None,
    minigrad_fn: Callable,
    torch_fn: Callable | None = None,
    *,
    vals: Sequence | None = None,
    dtype: str | None = None,
    atol: float = FLOAT32_ATOL,
    rtol: float = FLOAT32_RTOL,
    grad_atol: float | None = None,
    grad_rtol: float | None = None,
    low: float = -2.0,
    high: float = 2.0,
    forward_only: bool = False,
    seed: int = 0,
) -> None:
    """Check ``minigrad_fn`` against ``torch_fn`` on random inputs of ``shapes``.

    ``vals`` gives explicit inputs instead (floating ones are cast to each tested dtype,
    integer ones kept). ``dtype`` is ``"float64"``, ``"float32"`` or None for both; float64
    uses :data:`minigrad.testing.DEFAULT_TOLERANCES`, float32 ``atol``/``rtol`` (and
    ``grad_atol``/``grad_rtol`` for gradients, defaulting to them). ``forward_only`` skips
    the gradient comparison.
    """
    torch_fn = minigrad_fn if torch_fn is None else torch_fn
    for name in ("float64", "float32") if dtype is None else (dtype,):
        if vals is None:
            arrays = make_inputs(shapes, name, low, high, seed)
        else:
            arrays = [np.asarray(v) for v in vals]
            arrays = [a.astype(name) if a.dtype.kind == "f" else a for a in arrays]
        if name == "float64":
            tolerances = {}
        else:
            tolerances = {"atol": atol, "rtol": rtol, "grad_atol": grad_atol,
                          "grad_rtol": grad_rtol}
        try:
            compare_with_torch(minigrad_fn, torch_fn, *arrays, check_grad=not forward_only,
                               seed=seed, **tolerances)
        except GradcheckError as error:
            shapes_seen = [a.shape for a in arrays]
            raise GradcheckError(f"[{name}, input shapes {shapes_seen}] {error}") from None
