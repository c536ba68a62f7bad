"""The default dtype (for Python floats and the float creation functions) and default
device (for creation functions given no ``device=``), as in PyTorch."""

from __future__ import annotations

from minigrad import dtypes


class _Defaults:
    dtype = dtypes.float32
    device = "cpu"


def get_default_dtype() -> dtypes.DType:
    return _Defaults.dtype


def set_default_dtype(dtype) -> None:
    """Make ``dtype`` (float32 or float64) the dtype of new floating point tensors."""
    dtype = dtypes.as_dtype(dtype)
    if not dtype.is_floating_point:
        raise TypeError(f"set_default_dtype: only floating point dtypes can be the default, got "
                        f"{dtype.name}")
    _Defaults.dtype = dtype


def get_default_device():
    from minigrad.devices import BY_NAME

    return BY_NAME[_Defaults.device]


def set_default_device(device) -> None:
    """Create new tensors on ``device`` ("cpu" or "cuda") unless told otherwise; ``None``
    goes back to the CPU."""
    from minigrad.tensor import normalize_device

    _Defaults.device = "cpu" if device is None else normalize_device(device)
