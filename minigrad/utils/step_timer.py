"""``StepTimer``: run training steps compiled or eagerly, and say how long they took.

A demo that trains for many steps makes its step with ``minigrad.compile`` and takes an
``--eager`` switch, so that a class can compare the two. Both runs print the same losses
(a compiled step replays the eager one exactly); only the time differs::

    timer = StepTimer(eager=args.eager)
    step = timer.wrap(train_step)          # minigrad.compile(train_step), timed
    for xb, yb in loader:
        loss = step(xb, yb)
    print(timer.summary())
    # training step compiled with minigrad.compile: 600 steps in 1.10 s, median 1.52 ms per step

The median is the time of a typical step: the first calls of a compiled step run eagerly
while they are traced, and the total time includes them.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import minigrad


class StepTimer:
    """Times every call of the steps it wraps; ``eager=True`` leaves them uncompiled.

    One timer can wrap several steps (one per model a demo trains): ``summary()`` covers
    all their calls.
    """

    def __init__(self, eager: bool = False) -> None:
        self.eager = eager
        self.seconds: list[float] = []  # the wall time of each call, in call order

    @property
    def mode(self) -> str:
        """How the steps run, as the summary says it."""
        return "eager (--eager)" if self.eager else "compiled with minigrad.compile"

    def wrap(self, step: Callable) -> Callable:
        """``step`` compiled (unless eager), as a function that records how long each call
        takes."""
        run = step if self.eager else minigrad.compile(step)

        def timed_step(*args, **kwargs):
            start = time.perf_counter()
            result = run(*args, **kwargs)
            self.seconds.append(time.perf_counter() - start)
            return result

        timed_step.__name__ = getattr(step, "__name__", "step")
        return timed_step

    def summary(self) -> str:
        """One line: the mode, the number of steps, their total time and the median step."""
        if not self.seconds:
            return f"training step {self.mode}: no steps ran"
        median_ms = 1000 * statistics.median(self.seconds)
        return (f"training step {self.mode}: {len(self.seconds)} steps in "
                f"{sum(self.seconds):.2f} s, median {median_ms:.2f} ms per step")
