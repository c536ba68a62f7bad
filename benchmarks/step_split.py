"""Where one MLP training step spends its time, phase by phase, in minigrad and PyTorch.

    python benchmarks/step_split.py                    # batch 64, 3 rounds
    python benchmarks/step_split.py --batch 1 --rounds 5

The step of ``versus_torch.py``'s MLP workload (784 -> 128 -> 64 -> 10 with ReLU, float32,
cross-entropy, SGD), written out layer by layer so that a clock reading falls between any
two phases: ``zero_grad``, each layer's forward, the loss, ``backward()`` and
``optimizer.step()``. The clock readings themselves cost about 0.1 us each, so the phases
add up to a little more than an undivided step.

As in ``versus_torch.py``: each library runs at its own defaults (nothing here sets a
thread count or an environment variable), in its own fresh process, and the rounds
alternate which library goes first. A process warms up for 300 steps and then reports,
per phase, the median over the next ``--steps`` steps; the table shows the median of those
over the rounds. Timing a phase on its own, outside a step, gives other numbers: inside a
step each phase starts with the caches as the phase before left them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]  # run from a checkout, uninstalled
from timing import worker_report  # noqa: E402 - benchmarks/timing.py
from workloads import load  # noqa: E402 - benchmarks/workloads.py

LIBRARIES = ("minigrad", "torch")
PHASES = ("zero_grad", "linear 784-128", "relu (128)", "linear 128-64", "relu (64)",
          "linear 64-10", "cross_entropy", "backward", "optimizer step")
WARMUP_STEPS = 300


def time_phases(library_name: str, batch: int, steps: int) -> dict[str, float]:
    """Median seconds of each phase of a step, over ``steps`` steps after the warm-up."""
    library = load(library_name)
    nn, functional = library.nn, library.nn.functional
    library.manual_seed(0)
    layers = [nn.Linear(784, 128), nn.Linear(128, 64), nn.Linear(64, 10)]
    parameters = [parameter for layer in layers for parameter in layer.parameters()]
    optimizer = library.optim.SGD(parameters, lr=0.01)
    rng = np.random.default_rng(0)
    inputs = library.tensor(rng.standard_normal((batch, 784), dtype=np.float32))
    targets = library.tensor(rng.integers(0, 10, batch))
    clock = time.perf_counter
    samples: list[list[float]] = [[] for _ in PHASES]
    for step in range(WARMUP_STEPS + steps):
        readings = [clock()]
        optimizer.zero_grad()
        readings.append(clock())
        hidden = layers[0](inputs)
        readings.append(clock())
        hidden = functional.relu(hidden)
        readings.append(clock())
        hidden = layers[1](hidden)
        readings.append(clock())
        hidden = functional.relu(hidden)
        readings.append(clock())
        logits = layers[2](hidden)
        readings.append(clock())
        loss = functional.cross_entropy(logits, targets)
        readings.append(clock())
        loss.backward()
        readings.append(clock())
        optimizer.step()
        readings.append(clock())
        if step >= WARMUP_STEPS:
            for phase, (start, end) in enumerate(zip(readings, readings[1:], strict=False)):
                samples[phase].append(end - start)
    return {phase: statistics.median(times) for phase, times in zip(PHASES, samples,
                                                                     strict=True)}


def run_worker(library_name: str, batch: int, steps: int) -> dict[str, float]:
    return worker_report(__file__, [library_name, "--batch", str(batch), "--steps", str(steps)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=1000, help="timed steps per process")
    parser.add_argument("--worker", choices=LIBRARIES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(time_phases(args.worker, args.batch, args.steps)))
        return

    results: dict[str, list[dict[str, float]]] = {name: [] for name in LIBRARIES}
    for round_number in range(args.rounds):
        order = LIBRARIES if round_number % 2 == 0 else LIBRARIES[::-1]
        for name in order:
            results[name].append(run_worker(name, args.batch, args.steps))
        print(f"round {round_number + 1}/{args.rounds} done", file=sys.stderr)

    print(f"MLP 784-128-64-10 step at batch {args.batch}, phase by phase: median over "
          f"{args.rounds} rounds of each process's median (us)")
    print("| phase | minigrad us | PyTorch us | ratio |")
    print("|---|---:|---:|---:|")
    totals = {name: 0.0 for name in LIBRARIES}
    for phase in PHASES:
        medians = {name: statistics.median(run[phase] for run in results[name]) * 1e6
                   for name in LIBRARIES}
        for name in LIBRARIES:
            totals[name] += medians[name]
        print(f"| {phase} | {medians['minigrad']:.1f} | {medians['torch']:.1f} | "
              f"{medians['minigrad'] / medians['torch']:.2f} |")
    print(f"| sum of the phases | {totals['minigrad']:.1f} | {totals['torch']:.1f} | "
          f"{totals['minigrad'] / totals['torch']:.2f} |")


if __name__ == "__main__":
    main()
