"""Scratch memory for the large temporaries that live only inside one CPU kernel call.

im2col's columns are the biggest arrays of a small CNN's step: 3.7 MiB for LeNet-5's conv2
at batch 64, made and dropped by its forward, by its weight gradient, and once more (the
columns of the input gradient) by its input gradient. Each thread keeps one buffer for
them (``scratch``) and reuses it from call to call.

Why not ``np.empty`` in every call: such blocks come from glibc's ``malloc``, and how much
a step then costs depends on glibc's two thresholds (mallopt(3)). A block bigger than the
*mmap threshold* gets fresh pages of its own, and the first touch of each 4 KiB page is a
page fault; and once more than the *trim threshold* is free at the top of the heap, glibc
gives that memory back to the system, so the next step faults it in again. Both
thresholds start low (128 KiB) and rise when a block that had pages of its own is freed:
the mmap threshold to its size, the trim threshold to twice that. In a fresh process the
first columns freed set them to 3.7 and 7.4 MiB, and a LeNet-5 step page-faulted 0 times.
But after PyTorch had trained in the same process, the heap's top held the step's
temporaries: each step grew the heap by 8 MB and gave it back (strace: five ``brk`` calls
up and one down per step), about 2,000 page faults per step, and the step took 1.3-1.7x
its time from before PyTorch ran (in about one process of three).

With the columns kept, the heap's top moves by less than 1 MB per step. The thresholds
must still be raised, or smaller temporaries (conv1's 1.2 MB feature maps) fault instead
(1,650 faults per step in a fresh process when the columns were kept but never freed): so
``scratch`` allocates a block of the buffer's size and frees it once, before it allocates
the buffer it keeps, which raises them as the freed columns did at every step before.

Measured on LeNet-5 (2 vCPUs, faults per step after warm-up), each process timing
minigrad, then PyTorch training, then minigrad again:

- without the buffer, 7 processes of 23 page-faulted 1,700-2,100 times per step after
  PyTorch ran (0 before); with it, none of 14 (at most 7 faults per step);
- in a process that first compiled the kernels (an empty Numba cache), 2 of 2 faulted
  about 2,000 times per step without the buffer, 1 of 5 with it. The raise only works when
  the freed block had pages of its own, which a heap left full of holes by the compiler
  may not give it; this case is not solved.

Alternatives not taken: ``mallopt`` would set glibc's thresholds for every library in the
process, PyTorch's included; a cache of arrays by shape would hold more memory for the same
gain.

A caller holds one scratch array at a time, and only until it returns: the next
``scratch`` call in the same thread hands out the same memory. Nothing a backend function
returns is a scratch array (``tests/backend/test_workspace.py`` checks the convolutions).
"""

from __future__ import annotations

import math
import threading

import numpy as np

#: The largest buffer kept between calls, in bytes. A bigger temporary is allocated for the
#: call alone: glibc gives blocks above 32 MiB pages of their own whatever its thresholds
#: (they stop rising there), and products of that size take far longer than the faults.
MAX_KEPT_BYTES = 32 * 2**20

_LOCAL = threading.local()  # .buffer: this thread's bytes (a 1-d uint8 array), once used


def scratch(shape: tuple[int, ...], dtype) -> np.ndarray:
    """An uninitialised C-contiguous array of ``shape`` and ``dtype`` for use until the
    calling function returns; the next call in this thread reuses its memory."""
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes > MAX_KEPT_BYTES:
        return np.empty(shape, dtype)
    buffer = getattr(_LOCAL, "buffer", None)
    if buffer is None or buffer.size < nbytes:
        _LOCAL.buffer = buffer = None  # the smaller buffer is freed first
        # Allocated and freed once, to raise glibc's thresholds to this size (see above);
        # the buffer that is kept then comes from the heap.
        np.empty(nbytes, np.uint8)
        buffer = _LOCAL.buffer = np.empty(nbytes, np.uint8)
    return buffer[:nbytes].view(dtype).reshape(shape)


def kept_buffer() -> np.ndarray | None:
    """This thread's buffer (None before its first use), for the tests."""
    return getattr(_LOCAL, "buffer", None)
