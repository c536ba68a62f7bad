"""Kernels only: array operations per device, chosen by a tensor's device.

``get_backend("cpu")`` returns the numpy + Numba backend; ``get_backend("cuda")`` the
``@cuda.jit`` one, which needs the optional ``numba-cuda`` package and a GPU (or the CUDA
simulator, ``NUMBA_ENABLE_CUDASIM=1``).
"""

from __future__ import annotations

import os
import sys

from minigrad.backend.base import Backend
from minigrad.backend.cpu import CPUBackend


def _choose_numba_threading_layer() -> None:
    """Run Numba's parallel kernels on its ``workqueue`` threads unless the user chose a layer.

    Numba's default layer on most machines is OpenMP. PyTorch brings its own OpenMP runtime,
    and when both are in one process (a test comparing gradients with PyTorch, a notebook
    using both) their thread pools fight over the cores: idle OpenMP workers keep spinning
    for a while after each parallel loop, taking the core the other pool's workers need. We
    measured minigrad's LeNet-5 step 5-10x slower after PyTorch had run in the same process
    (docs/performance.md). The workqueue layer is Numba's own small pool whose idle threads
    sleep at once, it loads no OpenMP runtime, and it needs no environment setting that
    another library would read: PyTorch keeps its defaults. Its limit - no nested parallel
    kernels and no parallel kernels launched from two Python threads at once - does not
    matter here, as minigrad launches every kernel from the thread that runs the op.

    Numba reads ``NUMBA_THREADING_LAYER`` when it is imported; if it already was, the
    setting goes to its config directly (either way before its threads start, at the first
    parallel kernel call)."""
    if "NUMBA_THREADING_LAYER" in os.environ:
        return
    os.environ["NUMBA_THREADING_LAYER"] = "workqueue"
    numba_config = sys.modules.get("numba.core.config")
    if numba_config is not None:
        numba_config.THREADING_LAYER = "workqueue"


_choose_numba_threading_layer()

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
