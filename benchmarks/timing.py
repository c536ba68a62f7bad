"""Timing shared by the benchmark scripts (each imports it from this folder)."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_time(function: Callable[[], object], repeats: int,
              synchronize: Callable[[], None] | None = None) -> float:
    """The fastest of ``repeats`` calls of ``function``, in seconds, after one warm-up call
    (which also compiles kernels and fills caches). The fastest run is the one least
    disturbed by other work on the machine. ``synchronize`` waits for asynchronous work
    (GPU kernels) before each clock reading."""
    wait = synchronize or (lambda: None)
    function()
    wait()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        wait()
        best = min(best, time.perf_counter() - start)
    return best
