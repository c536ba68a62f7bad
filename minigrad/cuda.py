"""``minigrad.cuda``: is a CUDA device usable, and how many.

numba-cuda is an optional dependency (``pip install minigrad[cuda]``). Nothing here
imports it until a function is called, so ``import minigrad`` never loads Numba's CUDA
support. Without numba-cuda, a driver or a GPU, ``is_available()`` is simply False.

Numba's CUDA *simulator* (environment variable ``NUMBA_ENABLE_CUDASIM=1``, set before
Numba is imported) runs the kernels as plain Python threads on the CPU: slow, but every
kernel can be tested and stepped through in a debugger without a GPU. Under the simulator
``is_available()`` is True and ``is_simulator()`` tells the two apart.
"""

from __future__ import annotations


def _numba_cuda():
    """The ``numba.cuda`` module, or None when numba-cuda cannot be imported."""
    try:
        from numba import cuda
    except Exception:  # any import failure means "no CUDA"
        return None
    return cuda


def is_available() -> bool:
    """True when CUDA tensors can be used: numba-cuda is installed and finds a driver and a
    GPU, or the CUDA simulator is enabled. Never raises."""
    cuda = _numba_cuda()
    if cuda is None:
        return False
    try:
        return bool(cuda.is_available())
    except Exception:  # a broken driver also means "not available"
        return False


def is_simulator() -> bool:
    """True when Numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``) is in use."""
    try:
        from numba.core import config
    except Exception:
        return False
    return bool(config.ENABLE_CUDASIM)


def device_count() -> int:
    """Number of usable CUDA devices (0 when CUDA is not available)."""
    if not is_available():
        return 0
    try:
        return len(_numba_cuda().gpus)
    except Exception:
        return 0


def get_device_name() -> str:
    """The current device's name (``"CUDA simulator"`` under the simulator)."""
    require_cuda()
    if is_simulator():
        return "CUDA simulator"
    name = _numba_cuda().get_current_device().name
    return name.decode() if isinstance(name, bytes) else str(name)


def synchronize() -> None:
    """Wait until every kernel launched so far has finished (kernel launches return
    before the GPU is done; time a kernel only after synchronizing)."""
    require_cuda()
    _numba_cuda().synchronize()


def require_cuda() -> None:
    """Raise one clear RuntimeError when CUDA was asked for but cannot be used."""
    if _numba_cuda() is None:
        raise RuntimeError(
            "device 'cuda' was requested but numba-cuda is not installed; install it with "
            "`pip install minigrad[cuda]` (or set NUMBA_ENABLE_CUDASIM=1 to use the CPU "
            "simulator)"
        )
    if not is_available():
        raise RuntimeError(
            "device 'cuda' was requested but no CUDA GPU/driver is available "
            "(minigrad.cuda.is_available() is False); use device='cpu', or set "
            "NUMBA_ENABLE_CUDASIM=1 before starting Python to run the kernels in Numba's "
            "CUDA simulator"
        )


__all__ = ["is_available", "is_simulator", "device_count", "get_device_name", "synchronize",
           "require_cuda"]
