"""How long a short training script takes from a fresh process, minigrad against PyTorch.

A student's script runs once and ends: the time to import the library and to get the
first step done counts as much as the time per step. Each round starts one fresh Python
process per library (alternating which goes first), and each process runs the same lines
for both libraries: import, build a 2-16-2 tanh MLP with cross-entropy and SGD, then
``--steps`` one-sample steps (online SGD, as in a first lecture). The process reports its
import time, its first step (for minigrad this includes loading its compiled Numba
kernels from the cache, which happens on first use), and the mean of the other steps; the
script also times the whole process from outside, interpreter start and exit included.

``--cold`` adds a third process per round: minigrad with an empty Numba cache (a fresh
``NUMBA_CACHE_DIR``), which is what the first run after ``pip install`` pays, since the
kernels are compiled on first use and cached for later runs. Nothing else is set: each
library runs at its own defaults.

Run: ``python benchmarks/startup.py`` (options: ``--rounds``, ``--steps``, ``--cold``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]  # run from a checkout, uninstalled
from timing import worker_report  # noqa: E402 - benchmarks/timing.py

LIBRARIES = ("minigrad", "torch")


def worker(library_name: str, steps: int) -> dict:
    """Runs in a fresh child process: import, build, train; the times of each part."""
    start = time.perf_counter()
    from workloads import load  # benchmarks/workloads.py: imports numpy only

    library = load(library_name)
    imported = time.perf_counter()

    import numpy as np

    rng = np.random.default_rng(0)
    inputs = rng.standard_normal((steps, 2)).astype(np.float32)
    targets = (inputs[:, 0] * inputs[:, 1] > 0).astype(np.int64)
    library.manual_seed(0)
    model = library.nn.Sequential(library.nn.Linear(2, 16), library.nn.Tanh(),
                                  library.nn.Linear(16, 2))
    optimizer = library.optim.SGD(model.parameters(), lr=0.05)
    loss_fn = library.nn.CrossEntropyLoss()
    built = time.perf_counter()
    step_ends = []
    for index in range(steps):
        x = library.tensor(inputs[index:index + 1])
        y = library.tensor(targets[index:index + 1])
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        loss.item()
        step_ends.append(time.perf_counter())
    return {"import_s": imported - start, "first_step_s": step_ends[0] - built,
            "later_step_s": (step_ends[-1] - step_ends[0]) / max(1, steps - 1),
            "script_s": step_ends[-1] - start}


def run_worker(library_name: str, steps: int, cache_dir: str | None = None) -> dict:
    environment = None if cache_dir is None else {**os.environ, "NUMBA_CACHE_DIR": cache_dir}
    start = time.perf_counter()
    report = worker_report(__file__, [library_name, "--steps", str(steps)], environment)
    report["process_s"] = time.perf_counter() - start
    return report


ROWS = (("import", "import_s", 1e3, "ms"),
        ("first step (minigrad: loads its cached kernels)", "first_step_s", 1e3, "ms"),
        ("each later step (mean)", "later_step_s", 1e6, "us"),
        ("import + all steps, timed inside", "script_s", 1.0, "s"),
        ("whole process, timed from outside", "process_s", 1.0, "s"))


def number(value: float) -> str:
    """Three significant digits, without an exponent for numbers up to 10^6."""
    return f"{value:.0f}" if value >= 100 else f"{value:.3g}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--cold", action="store_true",
                        help="also time minigrad with an empty Numba cache")
    parser.add_argument("--worker", choices=LIBRARIES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.steps)))
        return

    reports = {name: [] for name in LIBRARIES}
    cold = []
    for round_number in range(args.rounds):
        order = LIBRARIES if round_number % 2 == 0 else LIBRARIES[::-1]
        for name in order:
            reports[name].append(run_worker(name, args.steps))
        if args.cold:
            with tempfile.TemporaryDirectory() as cache_dir:
                cold.append(run_worker("minigrad", args.steps, cache_dir))
        print(f"round {round_number + 1}/{args.rounds} done", file=sys.stderr)

    print(f"{args.rounds} rounds of fresh processes, alternating which library goes first; "
          f"{args.steps} one-sample SGD steps of a 2-16-2 tanh MLP; medians (range)")
    columns = ["minigrad", "PyTorch", "ratio"] + (["minigrad, empty cache"] if cold else [])
    print("| part | " + " | ".join(columns) + " |")
    print("|---|" + "---:|" * len(columns))
    for label, key, scale, unit in ROWS:
        cells = []
        for runs in (reports["minigrad"], reports["torch"]):
            values = [scale * run[key] for run in runs]
            cells.append(f"{number(statistics.median(values))} {unit} "
                         f"({number(min(values))}-{number(max(values))})")
        ratios = [mine[key] / theirs[key]
                  for mine, theirs in zip(reports["minigrad"], reports["torch"], strict=True)]
        cells.append(f"{statistics.median(ratios):.2f}")
        if cold:
            values = [scale * run[key] for run in cold]
            cells.append(f"{number(statistics.median(values))} {unit}")
        print(f"| {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
