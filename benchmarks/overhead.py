"""Autograd overhead per op and `import minigrad` time, each next to PyTorch's.

The per-op number is what a Python-driven engine costs around each tiny array operation:
creating the output tensor, recording the graph node, and in backward, visiting the node and
accumulating its gradients. It is measured on a chain of small ops (16 elements, so the
arithmetic itself is negligible): forward only, and forward + backward, divided by the
number of ops. Each library runs in its own fresh process at its own defaults (nothing
here sets a thread count or an environment variable), in ``--rounds`` alternating rounds;
the table shows the median over the rounds. Import time is measured in fresh subprocesses
(best of several).

Run: ``python benchmarks/overhead.py`` (options: ``--ops``, ``--repeats``, ``--size``,
``--rounds``).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from timing import best_time, worker_report  # noqa: E402 - benchmarks/timing.py


def chain(x, constant, ops: int):
    """``ops`` small ops in a row, cycling through mul, add, tanh and sub."""
    y = x
    for _ in range(ops // 4):
        y = y * 1.01
        y = y + constant
        y = y.tanh()
        y = y - constant
    return y.sum()


def per_op_times(library: str, ops: int, repeats: int, size: int) -> tuple[float, float]:
    """(forward, forward + backward) seconds per op for ``library``."""
    values = np.random.default_rng(0).standard_normal(size).astype(np.float32)
    if library == "minigrad":
        import minigrad

        x = minigrad.tensor(values, requires_grad=True)
        constant = minigrad.tensor(values * 0.5)
        no_grad = minigrad.no_grad
    else:
        import torch

        x = torch.tensor(values, requires_grad=True)
        constant = torch.tensor(values * 0.5)
        no_grad = torch.no_grad

    def forward():
        chain(x, constant, ops)

    def forward_backward():
        x.grad = None
        chain(x, constant, ops).backward()

    def forward_no_grad():
        with no_grad():
            chain(x, constant, ops)

    return (best_time(forward, repeats) / ops, best_time(forward_backward, repeats) / ops,
            best_time(forward_no_grad, repeats) / ops)


def per_op_times_in_subprocess(library: str, args) -> tuple[float, float, float]:
    """``per_op_times`` run in a fresh interpreter that imports only ``library``."""
    return tuple(worker_report(__file__, [library, "--ops", str(args.ops), "--repeats",
                                          str(args.repeats), "--size", str(args.size)]))


def import_time(module: str, repeats: int) -> float:
    """Best wall time of ``import module`` in a fresh interpreter, in seconds."""
    code = (f"import time; start = time.perf_counter(); import {module}; "
            "print(time.perf_counter() - start)")
    times = []
    for _ in range(repeats):
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                check=True, cwd=ROOT)
        times.append(float(result.stdout.strip()))
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=1000, help="length of the op chain")
    parser.add_argument("--repeats", type=int, default=20, help="timed runs; the best counts")
    parser.add_argument("--size", type=int, default=16, help="elements per tensor")
    parser.add_argument("--import-repeats", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3,
                        help="fresh-process rounds per library, alternating which goes first")
    parser.add_argument("--worker", choices=["minigrad", "torch"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(per_op_times(args.worker, args.ops, args.repeats, args.size)))
        return

    runs = {"minigrad": [], "torch": []}
    for round_number in range(args.rounds):
        order = ("minigrad", "torch") if round_number % 2 == 0 else ("torch", "minigrad")
        for library in order:
            runs[library].append(per_op_times_in_subprocess(library, args))
    mine, theirs = ([statistics.median(column) for column in zip(*runs[library], strict=True)]
                    for library in ("minigrad", "torch"))
    import_mine = import_time("minigrad", args.import_repeats)
    import_theirs = import_time("torch", args.import_repeats)

    rows = [
        ("forward, per op (us)", mine[0] * 1e6, theirs[0] * 1e6),
        ("forward + backward, per op (us)", mine[1] * 1e6, theirs[1] * 1e6),
        ("forward under no_grad, per op (us)", mine[2] * 1e6, theirs[2] * 1e6),
        ("import time (s)", import_mine, import_theirs),
    ]
    print(f"numpy {np.__version__}, Python {platform.python_version()}, {platform.machine()}")
    print(f"chain of {args.ops} ops on {args.size}-element float32 tensors, best of "
          f"{args.repeats} per process, median of {args.rounds} fresh processes per library; "
          f"import best of {args.import_repeats} fresh processes\n")
    print(f"| {'measurement':<36} | {'minigrad':>10} | {'PyTorch':>10} | {'ratio':>6} |")
    print(f"|{'-' * 38}|{'-' * 11}:|{'-' * 11}:|{'-' * 7}:|")
    for name, a, b in rows:
        print(f"| {name:<36} | {a:>10.3f} | {b:>10.3f} | {a / b:>6.2f} |")
    print("\nratio = minigrad / PyTorch (below 1 means minigrad is faster). "
          "Goals: forward + backward per op <= PyTorch; import <= 0.35 s.")


if __name__ == "__main__":
    main()
