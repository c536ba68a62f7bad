"""PyTorch's legacy loss arguments ``size_average=`` and ``reduce=``.

Before ``reduction=`` existed, losses took two booleans; old tutorials still pass them.
PyTorch maps them to a reduction and warns that they are deprecated; so does minigrad:

    reduce=False                          -> "none"  (per-element losses)
    reduce=True (or None), size_average=False -> "sum"
    otherwise                             -> "mean"
"""

from __future__ import annotations

import warnings


def legacy_reduction(size_average: bool | None, reduce: bool | None, reduction: str) -> str:
    """The reduction to use: ``reduction`` unless a legacy argument was given."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        result = "none"
    else:
        result = "mean" if size_average else "sum"
    warnings.warn(
        f"size_average and reduce args will be deprecated, please use reduction='{result}' "
        "instead.", UserWarning, stacklevel=3,
    )
    return result
