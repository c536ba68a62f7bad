"""``minigrad.accelerator``: PyTorch's device-neutral questions about the GPU (``torch
.accelerator``, which PyTorch's tutorials use to pick a device)::

    device = (minigrad.accelerator.current_accelerator().type
              if minigrad.accelerator.is_available() else "cpu")

minigrad's only accelerator is one CUDA GPU (or Numba's CUDA simulator).
"""

from __future__ import annotations

from minigrad import cuda
from minigrad.devices import CUDA, device


def is_available() -> bool:
    """True when a CUDA GPU (or the CUDA simulator) can run tensors."""
    return cuda.is_available()


def current_accelerator(check_available: bool = False) -> device | None:
    """``minigrad.device("cuda")`` when minigrad can use CUDA, else None. (PyTorch returns
    the build's accelerator even when no GPU is present unless ``check_available=True``;
    minigrad has no CUDA build to report, so it answers as if that flag were set.)"""
    return CUDA if is_available() else None


def device_count() -> int:
    """The number of usable GPUs (0 or 1: minigrad uses one)."""
    return min(cuda.device_count(), 1)
