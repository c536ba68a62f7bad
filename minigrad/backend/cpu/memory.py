"""Keep freed memory in the process, so that a training step does not page-fault every time.

An eager training step allocates its activations and gradients (numpy arrays) and frees
them all again, the same sizes every step: for LeNet-5 at batch 64, arrays of up to 1.2 MB,
several MB in all. glibc's ``malloc`` serves a block above its *mmap threshold* with a
fresh ``mmap`` and gives it back to the system on ``free``, and it also hands the free top
of its heap back once that exceeds the *trim threshold*. Memory given back costs a page
fault per 4 KiB page when it is touched again (the kernel maps and zeroes a new page), so
such a step takes about 1,700 page faults every time: on our 2-core machine that measured
4 ms of a 9 ms step (one thread, CPU time).

glibc raises both thresholds on its own after freeing a large mmapped block, so whether a
step faults depends on the largest block that happened to be freed before (an im2col
buffer of 3.8 MB used to do it). We set them once instead: blocks below ``MMAP_THRESHOLD``
come from the heap, and up to ``TRIM_THRESHOLD`` bytes of freed memory stay in the
process for the next step. The price is that memory freed at the peak of a step is not
returned to the system while the process runs (at most ``TRIM_THRESHOLD`` of it).

This is glibc's setting for the whole process (other libraries' arrays are served the same
way), and only for glibc: on other C libraries nothing is changed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import platform

#: Blocks smaller than this come from the heap, not from a fresh mmap (glibc's default is
#: 128 KiB, raised on its own up to 32 MiB).
MMAP_THRESHOLD = 16 << 20

#: Freed memory kept at the top of the heap, not handed back (glibc's default 128 KiB).
TRIM_THRESHOLD = 32 << 20

# mallopt's parameter numbers, from glibc's <malloc.h>
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3

_done = False


def keep_freed_memory() -> bool:
    """Set glibc's mmap and trim thresholds (once per process); returns whether it did.

    Returns False, changing nothing, when the C library is not glibc."""
    global _done
    if _done:
        return True
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    _done = bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
                 and libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return _done
