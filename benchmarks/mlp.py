"""One training step of an MLP 784 -> 128 -> 64 -> 10 (ReLU, cross-entropy, SGD), float32.

minigrad against PyTorch in the same run, at batch 64 and 256, mainly for memory; the
alternating-rounds time comparison is ``versus_torch.py``. Each framework runs in its own
subprocess at its own defaults (nothing here sets threads or environment variables), so its
memory numbers are its own:

- time: median over blocks of 50 steps of the time per step (zero_grad, forward, loss,
  backward, optimizer step), after 50 warm-up steps;
- memory: resident set size (RSS) after warm-up and after 1,000 steps - the growth shows
  whether each step's graph and saved buffers are freed - and the process's peak RSS
  (which includes the interpreter and the imported libraries).

    python benchmarks/mlp.py            # full run
    python benchmarks/mlp.py --steps 200  # quicker
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

WARMUP = 50
BLOCK = 50


def resident_mb() -> float:
    """Current resident set size of this process, in MB (from /proc/self/statm)."""
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def make_batch(batch: int):
    rng = np.random.default_rng(0)
    return (rng.standard_normal((batch, 784)).astype(np.float32),
            rng.integers(0, 10, batch).astype(np.int64))


def minigrad_step_function(batch: int):
    import minigrad
    from minigrad import nn
    from minigrad.optim import SGD

    minigrad.manual_seed(0)
    model = nn.MLP(784, [128, 64], 10)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = SGD(model.parameters(), lr=0.01)
    x_numpy, y_numpy = make_batch(batch)
    x, y = minigrad.tensor(x_numpy), minigrad.tensor(y_numpy)

    def step() -> float:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    return step


def torch_step_function(batch: int):
    import torch

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(),
                                torch.nn.Linear(128, 64), torch.nn.ReLU(),
                                torch.nn.Linear(64, 10))
    loss_fn = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    x_numpy, y_numpy = make_batch(batch)
    x, y = torch.from_numpy(x_numpy), torch.from_numpy(y_numpy)

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    return step


def worker(framework: str, batch: int, steps: int) -> dict:
    """Runs in a subprocess: time ``steps`` training steps and watch the memory."""
    make = minigrad_step_function if framework == "minigrad" else torch_step_function
    step = make(batch)
    for _ in range(WARMUP):
        step()
    rss_after_warmup = resident_mb()
    block_times = []
    for _ in range(steps // BLOCK):
        start = time.perf_counter()
        for _ in range(BLOCK):
            loss = step()
        block_times.append((time.perf_counter() - start) / BLOCK)
    loss_value = float(loss.item())
    return {
        "ms_per_step": 1e3 * statistics.median(block_times),
        "rss_after_warmup_mb": rss_after_warmup,
        "rss_growth_mb": resident_mb() - rss_after_warmup,
        "peak_rss_mb": peak_mb(),
        "final_loss": loss_value,
    }


def run_worker(framework: str, batch: int, steps: int) -> dict:
    environment = dict(os.environ)
    root = str(Path(__file__).resolve().parents[1])
    environment["PYTHONPATH"] = root + os.pathsep + environment.get("PYTHONPATH", "")
    output = subprocess.run(
        [sys.executable, __file__, "--worker", framework, "--batch", str(batch),
         "--steps", str(steps)],
        capture_output=True, text=True, env=environment, check=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000, help="timed steps per run")
    parser.add_argument("--batch", type=int, nargs="*", default=[64, 256])
    parser.add_argument("--worker", choices=["minigrad", "torch"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.batch[0], args.steps)))
        return

    print(f"MLP 784-128-64-10, ReLU, cross-entropy, SGD, float32; {args.steps} steps after "
          f"{WARMUP} warm-up; each library at its own defaults")
    header = (f"{'batch':>5}  {'framework':>9}  {'ms/step':>8}  {'vs torch':>8}  "
              f"{'RSS growth MB':>13}  {'peak RSS MB':>11}")
    print(header)
    print("-" * len(header))
    for batch in args.batch:
        results = {name: run_worker(name, batch, args.steps) for name in ("torch", "minigrad")}
        reference = results["torch"]["ms_per_step"]
        for name, result in results.items():
            print(f"{batch:>5}  {name:>9}  {result['ms_per_step']:8.3f}  "
                  f"{result['ms_per_step'] / reference:7.2f}x  "
                  f"{result['rss_growth_mb']:13.2f}  {result['peak_rss_mb']:11.1f}")


if __name__ == "__main__":
    main()
