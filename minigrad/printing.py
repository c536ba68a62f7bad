"""Tensor printing in PyTorch's format, so output matches what tutorials show.

``tensor([4.5000, 1.0000])``: floats get 4 decimals, all in one column width; a float tensor
of whole numbers prints as ``tensor([1., 2.])``; values spanning more than three orders of
magnitude (or tiny/huge ones) switch the whole tensor to scientific notation. Rows wrap at
80 characters, and tensors of more than 1000 elements show their first and last 3 entries
per dimension with ``...`` between.
"""

from __future__ import annotations

import math

import numpy as np

PRECISION = 4
LINE_WIDTH = 80
THRESHOLD = 1000
EDGE_ITEMS = 3


class _Formatter:
    """How every element of one tensor is written: the mode and the common width."""

    def __init__(self, values: np.ndarray) -> None:
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        if not self.floating:
            strings = [str(v) for v in values.ravel().tolist()]
            self.width = max((len(s) for s in strings), default=1)
            return
        # As in PyTorch, only the nonzero finite values choose the mode and the width: zeros,
        # nan and inf are written to fit around them.
        nonzero = values[np.isfinite(values) & (values != 0)].astype(np.float64)
        self.width = 1
        if nonzero.size == 0:
            return
        self.int_mode = bool(np.all(nonzero == np.ceil(nonzero)))
        smallest, largest = np.abs(nonzero).min(), np.abs(nonzero).max()
        self.sci_mode = largest / smallest > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4
        self.width = max(len(self._plain(v)) for v in nonzero.tolist())

    def _plain(self, value) -> str:
        if not self.floating:
            return str(value)
        if self.sci_mode:
            return f"{value:.{PRECISION}e}"
        if self.int_mode:
            text = f"{value:.0f}"
            return text if math.isinf(value) or math.isnan(value) else text + "."
        return f"{value:.{PRECISION}f}"

    def format(self, value) -> str:
        return self._plain(value).rjust(self.width)


def _summarized(values: np.ndarray) -> np.ndarray:
    """The edge items of every long dimension, for choosing the format of a long tensor."""
    for axis, size in enumerate(values.shape):
        if size > 2 * EDGE_ITEMS:
            keep = list(range(EDGE_ITEMS)) + list(range(size - EDGE_ITEMS, size))
            values = np.take(values, keep, axis=axis)
    return values


def _vector(values: np.ndarray, indent: int, summarize: bool, formatter: _Formatter) -> str:
    element_width = formatter.width + 2
    per_line = max(1, (LINE_WIDTH - indent) // element_width)
    items = values.tolist()
    if summarize and len(items) > 2 * EDGE_ITEMS:
        words = ([formatter.format(v) for v in items[:EDGE_ITEMS]] + [" ..."]
                 + [formatter.format(v) for v in items[-EDGE_ITEMS:]])
    else:
        words = [formatter.format(v) for v in items]
    lines = [", ".join(words[i:i + per_line]) for i in range(0, len(words), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(values: np.ndarray, indent: int, summarize: bool, formatter: _Formatter) -> str:
    if values.ndim == 0:
        return formatter.format(values.item())
    if values.ndim == 1:
        return _vector(values, indent, summarize, formatter)
    rows = range(values.shape[0])
    if summarize and values.shape[0] > 2 * EDGE_ITEMS:
        head = [_nested(values[i], indent + 1, summarize, formatter) for i in rows[:EDGE_ITEMS]]
        tail = [_nested(values[i], indent + 1, summarize, formatter)
                for i in rows[-EDGE_ITEMS:]]
        parts = [*head, "...", *tail]
    else:
        parts = [_nested(values[i], indent + 1, summarize, formatter) for i in rows]
    separator = "," + "\n" * (values.ndim - 1) + " " * (indent + 1)
    return "[" + separator.join(parts) + "]"


def _with_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    """Append ``, dtype=...`` and friends, moving one to a new line if it would pass 80."""
    parts = [text]
    last_line = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line + len(suffix) + 2 > LINE_WIDTH:
            parts.append(",\n" + " " * indent + suffix)
            last_line = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def tensor_repr(tensor) -> str:
    """``repr(tensor)``: the values as PyTorch prints them, then device, dtype and autograd
    information where they differ from the defaults."""
    from minigrad import dtypes
    from minigrad.defaults import get_default_dtype

    prefix = "tensor("
    values = tensor.numpy()
    suffixes = []
    if tensor.device != "cpu":
        suffixes.append(f"device='{tensor.device}:0'")
    hidden_dtypes = (get_default_dtype(), dtypes.int64, dtypes.bool_)
    if values.size == 0:
        body = "[]"
        if values.shape != (0,):
            suffixes.append(f"size={tuple(values.shape)}")
        if tensor.dtype is not get_default_dtype():
            suffixes.append(f"dtype={tensor.dtype!r}")
    else:
        summarize = values.size > THRESHOLD
        formatter = _Formatter(_summarized(values) if summarize else values)
        body = _nested(values, len(prefix), summarize, formatter)
        if tensor.dtype not in hidden_dtypes:
            suffixes.append(f"dtype={tensor.dtype!r}")
    if tensor.grad_fn is not None:
        suffixes.append(f"grad_fn=<{tensor.grad_fn.pytorch_name}>")
    elif tensor.requires_grad:
        suffixes.append("requires_grad=True")
    return _with_suffixes(prefix + body, suffixes, len(prefix))
