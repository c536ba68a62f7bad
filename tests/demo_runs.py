"""Running a demo script as a class would, and reading what it printed.

A demo's training step is compiled with ``minigrad.compile`` unless ``--eager`` is given;
both runs must print the same numbers. Only the timings differ, so ``without_timings``
removes them: the ``training step ...`` summary line and every ``(1.23 s ...)`` note.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# The demos that train a Tensor model for many steps: their step is compiled by default.
COMPILED_DEMOS = ("adversarial", "digits_cnn", "digits_mlp", "initialization",
                  "learning_rates", "mnist_cnn", "optimizers", "sine_fit", "xor")


def run_demo(name: str, *arguments: str) -> subprocess.CompletedProcess:
    """``python demos/<name> ARGUMENTS`` with this checkout's minigrad, drawing to files."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    return subprocess.run(
        [sys.executable, str(ROOT / "demos" / name), *arguments],
        capture_output=True, text=True, env=environment, timeout=300,
    )


def without_timings(output: str) -> str:
    lines = [line for line in output.splitlines() if not line.startswith("training step ")]
    return re.sub(r"\s*\(\d+(\.\d+)? s\b[^)]*\)", "", "\n".join(lines))


def assert_same_numbers_eager_and_compiled(compiled: str, eager: str) -> None:
    assert "training step compiled with minigrad.compile:" in compiled, compiled
    assert "training step eager (--eager):" in eager, eager
    assert re.search(r"\d+ steps in [\d.]+ s, median [\d.]+ ms per step", compiled)
    assert without_timings(compiled) == without_timings(eager)
