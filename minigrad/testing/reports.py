"""What both kinds of check share: the error they raise and how they point at the worst
element."""

from __future__ import annotations

import numpy as np


class GradcheckError(AssertionError):
    """A gradient or output check failed; the message says where and by how much."""


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
