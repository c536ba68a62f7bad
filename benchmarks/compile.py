"""How much does ``minigrad.compile`` save on a training step? Compared with PyTorch eager.

    python benchmarks/compile.py [--rounds 7] [--steps 50]

(from a checkout without ``pip install -e .``: ``PYTHONPATH=. python benchmarks/compile.py``)

For each model, one training step (zero_grad, forward, cross-entropy, backward, SGD with
momentum) is timed three ways: minigrad eager, minigrad compiled, and PyTorch eager. PyTorch
runs in its own process at its own defaults (threads included; nothing is changed), so that
neither library's thread pools or allocator disturb the other. Rounds alternate between the
two processes; each round times ``--steps`` consecutive steps, and the table shows the median
over rounds of the per-step time and of the ratio to PyTorch measured in the same round.
The trace time (first calls until the program is planned, Numba compilation included) is
reported too.
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
def torch_worker() -> None:
    """Reads ``{"case": i, "steps": n}`` lines, answers with the seconds per step."""
    import torch

    steps_by_case = {}
    for line in sys.stdin:
        request = json.loads(line)
        index = request["case"]
        if index not in steps_by_case:
            steps_by_case[index] = torch_step(torch, CASES[index])
            time_steps(steps_by_case[index], 5)  # warm up
        print(json.dumps(time_steps(steps_by_case[index], request["steps"])), flush=True)


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--torch-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.torch_worker:
        torch_worker()
        return
    worker = subprocess.Popen([sys.executable, __file__, "--torch-worker"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def torch_time(index: int) -> float:
        worker.stdin.write(json.dumps({"case": index, "steps": args.steps}) + "\n")
        worker.stdin.flush()
        return json.loads(worker.stdout.readline())

    print(f"minigrad.compile vs PyTorch eager: {platform.processor() or platform.machine()}, "
          f"{time.strftime('%Y-%m-%d')}, {args.rounds} rounds x {args.steps} steps, medians")
    print(f"{'model':<32} {'torch ms':>9} {'eager ms':>9} {'compiled ms':>12} "
          f"{'eager/torch':>12} {'compiled/torch':>15} {'trace s':>8}")
    for index, case in enumerate(CASES):
        eager, compiled, trace_seconds = minigrad_steps(case)
        time_steps(eager, 5)
        time_steps(compiled, 5)
        rows = []
        for _ in range(args.rounds):  # alternate: PyTorch, minigrad eager, minigrad compiled
            theirs = torch_time(index)
            ours_eager = time_steps(eager, args.steps)
            ours_compiled = time_steps(compiled, args.steps)
            rows.append((theirs, ours_eager, ours_compiled,
                         ours_eager / theirs, ours_compiled / theirs))
        medians = [statistics.median(column) for column in zip(*rows, strict=True)]
        print(f"{case[0]:<32} {medians[0] * 1e3:>9.3f} {medians[1] * 1e3:>9.3f} "
              f"{medians[2] * 1e3:>12.3f} {medians[3]:>11.2f}x {medians[4]:>14.2f}x "
              f"{trace_seconds:>8.2f}")
    worker.stdin.close()
    worker.wait()


if __name__ == "__main__":
    main()
