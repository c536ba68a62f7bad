"""Time one training step of micrograd's moons demo four ways, in the same run.

The step: MLP(2, [16, 16, 1]) on the full batch of 100 moons points, SVM max-margin loss
``mean(relu(1 - y * score)) + 1e-4 * sum(p^2)``, backward, SGD update. Measured with

(a) minigrad's Python Value engine (a graph of Value objects per step),
(b) minigrad's Tape (the graph compiled once, each step one Numba kernel call),
(c) micrograd itself (``micrograd.engine`` / ``micrograd.nn``), when installed,
(d) the same MLP in PyTorch (float32, its default; forward, backward and SGD update).

Usage: ``python benchmarks/scalar.py [--repeats N]``. Prints a table with each time and its
ratio to micrograd and to PyTorch. PyTorch runs in a fresh process of its own, at its
defaults, so neither minigrad's Numba threads nor anything else here can touch it.
"""

from __future__ import annotations

import argparse
import platform
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "demos")]  # run from a checkout, uninstalled
from micrograd_moons import make_moons  # noqa: E402
from timing import best_time  # noqa: E402 - benchmarks/timing.py

from minigrad.scalar import MLP, Value  # noqa: E402

ALPHA = 1e-4
LEARNING_RATE = 0.5


def value_step_factory(value_class, model, X, y):
    """The demo's step written against micrograd's API (works for minigrad and micrograd)."""
    rows = X.tolist()
    labels = y.tolist()

    def step():
        inputs = [list(map(value_class, row)) for row in rows]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * score).relu() for yi, score in zip(labels, scores, strict=True)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = ALPHA * sum(p * p for p in model.parameters())
        total = data_loss + reg_loss
        model.zero_grad()
        total.backward()
        for p in model.parameters():
            p.data -= LEARNING_RATE * p.grad
        return total.data

    return step


def tape_step_factory(X, y):
    model = MLP(2, [16, 16, 1], seed=1337)
    compiled = model.compile(lambda score, target: (1 + -target * score).relu(),
                             regularization=lambda ps: ALPHA * sum(p * p for p in ps))
    return lambda: compiled.sgd_step(X, y, LEARNING_RATE)


def torch_step_factory(X, y):
    import torch

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(),
                                torch.nn.Linear(16, 16), torch.nn.ReLU(),
                                torch.nn.Linear(16, 1))
    inputs = torch.tensor(X, dtype=torch.float32)
    labels = torch.tensor(y, dtype=torch.float32)
    params = list(model.parameters())

    def step():
        scores = model(inputs).squeeze(1)
        data_loss = torch.relu(1 - labels * scores).mean()
        reg_loss = ALPHA * sum((p * p).sum() for p in params)
        total = data_loss + reg_loss
        for p in params:
            p.grad = None
        total.backward()
        with torch.no_grad():
            for p in params:
                p -= LEARNING_RATE * p.grad
        return total.item()

    return step


def torch_time_in_subprocess(repeats: int) -> float:
    """Best PyTorch step time from a fresh interpreter that imports only PyTorch."""
    command = [sys.executable, __file__, "--torch-worker", "--repeats", str(repeats)]
    return float(subprocess.run(command, capture_output=True, text=True, check=True,
                                cwd=ROOT).stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5,
                        help="timed steps for the Python engines (x200 for tape and PyTorch)")
    parser.add_argument("--torch-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    X, y = make_moons()
    if args.torch_worker:
        print(best_time(torch_step_factory(X, y), 200 * args.repeats))
        return

    results: dict[str, float] = {}
    random.seed(1337)
    results["minigrad Value (Python)"] = best_time(
        value_step_factory(Value, MLP(2, [16, 16, 1]), X, y), args.repeats)
    results["minigrad Tape (Numba)"] = best_time(tape_step_factory(X, y), 200 * args.repeats)
    try:
        from micrograd.engine import Value as MicrogradValue
        from micrograd.nn import MLP as MicrogradMLP

        random.seed(1337)
        results["micrograd"] = best_time(
            value_step_factory(MicrogradValue, MicrogradMLP(2, [16, 16, 1]), X, y), args.repeats)
    except ImportError:
        print("micrograd is not installed: skipping it (pip install micrograd)")
    results["PyTorch (float32)"] = torch_time_in_subprocess(args.repeats)

    micrograd_ms = results.get("micrograd")
    torch_ms = results["PyTorch (float32)"]
    print(f"moons step, MLP(2, [16, 16, 1]), batch 100 - {platform.machine()}, "
          f"{time.strftime('%Y-%m-%d')}")
    print("| engine | ms / step | vs micrograd | vs PyTorch |")
    print("|---|---:|---:|---:|")
    for name, seconds in results.items():
        vs_micrograd = f"{micrograd_ms / seconds:.0f}x faster" if micrograd_ms else "-"
        ratio = seconds / torch_ms
        vs_torch = f"{ratio:.2f}x the time"
        print(f"| {name} | {seconds * 1e3:.3f} | {vs_micrograd} | {vs_torch} |")


if __name__ == "__main__":
    main()
