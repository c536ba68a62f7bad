"""``minigrad.cuda``: is a CUDA device usable?"""

from __future__ import annotations

import os


def is_available() -> bool:
    """True when numba-cuda is installed and a GPU (or the simulator) can be used."""
    try:
        from numba import cuda
    except ImportError:
        return False
    if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
        return True
    try:
        return bool(cuda.is_available())
    except Exception:
        return False
