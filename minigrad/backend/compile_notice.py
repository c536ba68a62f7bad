"""A one-line notice on stderr when minigrad's Numba kernels are compiled for the first time.

Every ``@njit(cache=True)`` kernel is compiled on its first call and the machine code is
written to Numba's cache, so later runs load it in milliseconds. The very first run of a
fresh install therefore spends several seconds compiling with nothing on screen, which in a
classroom looks like a hang. Numba broadcasts a ``"numba:compile"`` event only when it has
to compile (never when it loads from the cache), so listening to that event and printing one
line the first time a minigrad kernel is compiled tells the user what is happening exactly
when it happens.

Importing this module imports Numba, so it is installed by the modules that hold kernels
(``backend/cpu/threads.py``, which every CPU kernel module imports, and
``scalar/tape_kernels.py``), never by ``import minigrad``.
"""

from __future__ import annotations

import sys

from numba.core import event

NOTICE = ("minigrad: compiling Numba kernels on first use (a few seconds, once; "
          "they are cached for later runs)")


class FirstCompileNotice(event.Listener):
    """Prints :data:`NOTICE` once per process, when the first minigrad kernel compiles."""

    def __init__(self) -> None:
        self.shown = False

    def on_start(self, compile_event: event.Event) -> None:
        if self.shown:
            return
        dispatcher = compile_event.data["dispatcher"]
        module = getattr(getattr(dispatcher, "py_func", None), "__module__", "") or ""
        if module.startswith("minigrad."):
            self.shown = True
            print(NOTICE, file=sys.stderr, flush=True)

    def on_end(self, compile_event: event.Event) -> None:
        """Nothing to do when a compile finishes; the notice is about its start."""


_listener: FirstCompileNotice | None = None


def install() -> None:
    """Listen for Numba compiles (once per process; calling it again changes nothing)."""
    global _listener
    if _listener is None:
        _listener = FirstCompileNotice()
        event.register("numba:compile", _listener)
