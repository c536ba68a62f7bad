"""Kernels only: array operations per device, chosen by a tensor's device.

``get_backend("cpu")`` returns the numpy + Numba backend; ``get_backend("cuda")`` the
``@cuda.jit`` one, which needs the optional ``numba-cuda`` package and a GPU (or the CUDA
simulator, ``NUMBA_ENABLE_CUDASIM=1``).
"""

from __future__ import annotations

from minigrad.backend.base import Backend
from minigrad.backend.cpu import CPUBackend

_BACKENDS: dict[str, Backend] = {"cpu": CPUBackend()}

DEVICES = ("cpu", "cuda")


def get_backend(device: str) -> Backend:
    """The backend for ``device`` (``"cpu"`` or ``"cuda"``), created on first use."""
    backend = _BACKENDS.get(device)
    if backend is not None:
        return backend
    if device == "cuda":
        from minigrad.backend.cuda import CUDABackend

        backend = _BACKENDS["cuda"] = CUDABackend()
        return backend
    raise ValueError(f"unknown device {device!r}; expected one of {', '.join(DEVICES)}")


__all__ = ["Backend", "CPUBackend", "get_backend", "DEVICES"]
