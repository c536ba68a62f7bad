"""Timing shared by the benchmark scripts (each imports it from this folder)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path


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


def worker_report(script: str, arguments: Sequence[str],
                  environment: dict[str, str] | None = None):
    """Run ``script --worker *arguments`` in a fresh Python process, from the repository
    root, and return the JSON on the last line it printed (its report). ``environment``
    replaces the inherited one when given."""
    command = [sys.executable, script, "--worker", *arguments]
    output = subprocess.run(command, capture_output=True, text=True, check=True,
                            cwd=Path(script).resolve().parents[1], env=environment).stdout
    return json.loads(output.strip().splitlines()[-1])


def median_interval(values: Sequence[float],
                    confidence: float = 0.95) -> tuple[float, float, float] | None:
    """A distribution-free confidence interval for the median of whatever ``values`` (at
    least 6 independent draws, e.g. the per-round ratios of a benchmark) were drawn from.

    Of n independent draws, the number below the true median is Binomial(n, 1/2), so the
    interval from the k-th smallest to the k-th largest value misses the median with
    probability 2 P(Binomial(n, 1/2) <= k - 1). The narrowest such interval whose miss
    probability is at most ``1 - confidence`` is returned as (low, high, its coverage), or
    None when even the whole range (k = 1) misses too often: at 95%, for fewer than 6
    values. With 7 values it is the whole range (98.4%); with 25, the 8th smallest to the
    8th largest (95.7%).
    """
    ordered = sorted(values)
    count = len(ordered)
    interval = None
    at_most_k_minus_1 = 0.0  # P(Binomial(count, 1/2) <= k - 1), one term added per k
    for k in range(1, count // 2 + 1):
        at_most_k_minus_1 += math.comb(count, k - 1) / 2**count
        miss = 2 * at_most_k_minus_1
        if miss > 1 - confidence:
            break
        interval = (ordered[k - 1], ordered[count - k], 1 - miss)
    return interval
