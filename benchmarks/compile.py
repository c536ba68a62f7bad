"""How much does ``minigrad.compile`` save on a training step? Compared with PyTorch eager.

    python benchmarks/compile.py [--rounds 5] [--steps 50] [--models moons "batch 256"]

(from a checkout without ``pip install -e .``: ``PYTHONPATH=. python benchmarks/compile.py``)

For each model, one training step (zero_grad, forward, cross-entropy, backward, SGD with
momentum) is timed three ways: minigrad eager, minigrad compiled, and PyTorch eager.

- **Each library at its own defaults, in its own fresh process.** Every round starts one
  process that imports only minigrad and one that imports only PyTorch, one after the
  other (never both alive: an idle process's thread pools can still spin on the cores the
  other one needs). Nothing sets a thread count or any other setting.
- **Alternating rounds**: odd rounds run minigrad's process first, even rounds PyTorch's.
- **Inside a process**, per model: 5 warm-up steps, then 5 blocks of ``--steps`` steps; the
  process reports the median block (minigrad alternates its eager and compiled blocks).
- The table shows the median over rounds of the time per step and of the per-round ratios
  to PyTorch, with the range of the compiled ratio. The trace time (first calls until the
  program is planned, Numba loading or compiling included) is the median over rounds.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

WARMUP_STEPS = 5
BLOCKS = 5

# (name, layer sizes or "lenet5", batch, input shape without batch, classes)
CASES = [
    ("MLP 784-128-64-10, batch 64", [784, 128, 64, 10], 64, (784,), 10),
    ("MLP 784-128-64-10, batch 256", [784, 128, 64, 10], 256, (784,), 10),
    ("LeNet-5, batch 64", "lenet5", 64, (1, 28, 28), 10),
    ("moons MLP 2-16-16-1, batch 64", [2, 16, 16, 1], 64, (2,), 1),
]


def case_data(case, seed: int = 0):
    _, _, batch, shape, classes = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, *shape)).astype(np.float32)
    if classes == 1:
        y = rng.integers(0, 2, (batch, 1)).astype(np.float32)
    else:
        y = rng.integers(0, classes, batch).astype(np.int64)
    return x, y


def time_steps(step, steps: int) -> float:
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - start) / steps


def median_block(steps_by_name: dict, steps: int) -> dict:
    """Median seconds per step of each named step over BLOCKS blocks, the steps taking
    turns block by block."""
    for step in steps_by_name.values():
        time_steps(step, WARMUP_STEPS)
    blocks = {name: [] for name in steps_by_name}
    for _ in range(BLOCKS):
        for name, step in steps_by_name.items():
            blocks[name].append(time_steps(step, steps))
    return {name: statistics.median(times) for name, times in blocks.items()}


# --- the model, written once: minigrad and PyTorch share these names ---------------------
def build_model(nn, layers):
    """LeNet-5 for ``layers == "lenet5"``, else an MLP with ReLU between the given widths."""
    if layers == "lenet5":
        return nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    parts = []
    for fan_in, fan_out in zip(layers[:-1], layers[1:], strict=True):
        parts += [nn.Linear(fan_in, fan_out), nn.ReLU()]
    return nn.Sequential(*parts[:-1])


# --- minigrad (this process) ---------------------------------------------------------------
def minigrad_steps(case):
    import minigrad
    import minigrad.nn.functional as F
    from minigrad import nn

    _, layers, _, _, classes = case
    minigrad.manual_seed(0)
    model = build_model(nn, layers)
    optimizer = minigrad.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = F.binary_cross_entropy_with_logits if classes == 1 else F.cross_entropy

    def train_step(x, y):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    x, y = case_data(case)
    x, y = minigrad.from_numpy(x), minigrad.from_numpy(y)
    compiled = minigrad.compile(train_step)
    start = time.perf_counter()
    while compiled.program is None:
        compiled(x, y)
        if compiled.eager_reason is not None:
            raise RuntimeError(f"{case[0]}: not compiled: {compiled.eager_reason}")
    trace_seconds = time.perf_counter() - start
    return (lambda: train_step(x, y)), (lambda: compiled(x, y)), trace_seconds


# --- PyTorch (its own process) -------------------------------------------------------------
def torch_step(torch, case):
    nn = torch.nn
    _, layers, _, _, classes = case
    torch.manual_seed(0)
    model = build_model(nn, layers)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = (nn.functional.binary_cross_entropy_with_logits if classes == 1
               else nn.functional.cross_entropy)
    x, y = (torch.from_numpy(array) for array in case_data(case))

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    return step


# --- one process per library per round ---------------------------------------------------
def selected_cases(models: list[str] | None) -> list:
    """The cases whose name contains one of ``models`` (case-insensitive); all for None."""
    if not models:
        return CASES
    cases = [case for case in CASES if any(m.lower() in case[0].lower() for m in models)]
    if not cases:
        raise SystemExit(f"--models {models} matches none of: {[case[0] for case in CASES]}")
    return cases


def worker(library: str, steps: int, models: list[str] | None) -> None:
    """Time the selected cases with one library (the only one this process imports); print
    JSON."""
    results = []
    for case in selected_cases(models):
        if library == "torch":
            import torch

            results.append(median_block({"torch": torch_step(torch, case)}, steps))
        else:
            eager, compiled, trace_seconds = minigrad_steps(case)
            result = median_block({"eager": eager, "compiled": compiled}, steps)
            results.append({**result, "trace": trace_seconds})
    print(json.dumps(results))


def run_worker(library: str, steps: int, models: list[str] | None) -> list:
    output = subprocess.run([sys.executable, __file__, "--worker", library, "--steps",
                             str(steps), *(["--models", *models] if models else [])],
                            capture_output=True, text=True, check=True)
    return json.loads(output.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--models", nargs="+", metavar="NAME",
                        help="only the models whose name contains one of these words")
    parser.add_argument("--worker", choices=("minigrad", "torch"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.steps, args.models)
        return
    cases = selected_cases(args.models)

    print(f"minigrad.compile vs PyTorch eager: {platform.processor() or platform.machine()}, "
          f"{time.strftime('%Y-%m-%d %H:%M')}, {args.rounds} rounds, each library in its own "
          f"process per round, blocks of {args.steps} steps, medians")
    rounds = []
    for round_index in range(args.rounds):
        order = ("minigrad", "torch") if round_index % 2 == 0 else ("torch", "minigrad")
        results = {library: run_worker(library, args.steps, args.models) for library in order}
        rounds.append(results)
    print(f"{'model':<32} {'torch ms':>9} {'eager ms':>9} {'compiled ms':>12} "
          f"{'eager/torch':>12} {'compiled/torch':>15} {'range':>11} {'trace s':>8}")
    for index, case in enumerate(cases):
        torch_times = [r["torch"][index]["torch"] for r in rounds]
        eager = [r["minigrad"][index]["eager"] for r in rounds]
        compiled = [r["minigrad"][index]["compiled"] for r in rounds]
        trace = [r["minigrad"][index]["trace"] for r in rounds]
        eager_ratios = [e / t for e, t in zip(eager, torch_times, strict=True)]
        compiled_ratios = [c / t for c, t in zip(compiled, torch_times, strict=True)]
        median = statistics.median
        print(f"{case[0]:<32} {median(torch_times) * 1e3:>9.3f} {median(eager) * 1e3:>9.3f} "
              f"{median(compiled) * 1e3:>12.3f} {median(eager_ratios):>11.2f}x "
              f"{median(compiled_ratios):>14.2f}x "
              f"{min(compiled_ratios):>5.2f}-{max(compiled_ratios):.2f} "
              f"{median(trace):>8.2f}")


if __name__ == "__main__":
    main()
