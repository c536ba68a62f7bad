"""Benchmark the CPU dense kernels against numpy's BLAS, in one process at the defaults.

Run:  python benchmarks/kernels.py [--repeats N]

Printed: fp32 matmul / linear GFLOP/s at 256, 512, 1024, 64x784 @ 784x128 and a 512 linear
layer for the Numba kernel (``kernel="numba"``), the shipped dense path (``DEFAULT_KERNEL``)
and numpy's BLAS called directly. All three are minigrad's own code or the numpy it runs
on, so they share one process; nothing sets a thread count or any environment variable
(the BLAS library, its kernel and its thread count are printed, found via threadpoolctl).
Each rate comes from the best of ``--repeats`` calls after one warm-up call.

The comparisons with PyTorch (convolutions, training steps) are in ``versus_torch.py``,
which runs each library in its own process.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]  # run from a checkout, uninstalled
from timing import best_time  # noqa: E402 - benchmarks/timing.py

import minigrad  # noqa: E402, F401 - chooses Numba's threading layer before any kernel runs
from minigrad.backend.cpu import dense  # noqa: E402


def describe_machine() -> None:
    blas = [f"{i['internal_api']} {i.get('version')} kernel={i.get('architecture')} "
            f"threads={i['num_threads']}" for i in threadpool_info() if i["user_api"] == "blas"]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, python "
          f"{platform.python_version()}, numpy {np.__version__}")
    print(f"numpy BLAS: {'; '.join(blas) or 'none found'}")
    print(f"shipped dense kernel: {dense.DEFAULT_KERNEL!r}; load average "
          f"{os.getloadavg()[0]:.2f}\n")


def bench_dense(repeats: int) -> None:
    print("fp32 dense GFLOP/s (higher is better); ratios are to numpy BLAS")
    print(f"{'product':<27}{'numba':>9}{'shipped':>9}{'BLAS':>9}{'numba/BLAS':>12}"
          f"{'shipped/BLAS':>14}")
    rng = np.random.default_rng(0)
    cases = [("matmul", n, n, n) for n in (256, 512, 1024)]
    cases += [("matmul", 64, 784, 128), ("linear", 64, 784, 128), ("linear", 512, 512, 512)]
    for kind, rows, depth, cols in cases:
        a = rng.standard_normal((rows, depth), dtype=np.float32)
        if kind == "matmul":
            b = rng.standard_normal((depth, cols), dtype=np.float32)
            runs = {
                "numba": lambda a=a, b=b: dense.matmul(a, b, kernel="numba"),
                "shipped": lambda a=a, b=b: dense.matmul(a, b),
                "BLAS": lambda a=a, b=b: np.matmul(a, b),
            }
        else:  # x (N, in) @ W (out, in).T + bias
            w = rng.standard_normal((cols, depth), dtype=np.float32)
            bias = rng.standard_normal(cols, dtype=np.float32)
            runs = {
                "numba": lambda a=a, w=w, bias=bias: dense.linear(a, w, bias, None, "numba"),
                "shipped": lambda a=a, w=w, bias=bias: dense.linear(a, w, bias, None),
                "BLAS": lambda a=a, w=w, bias=bias: a @ w.T + bias,
            }
        flops = 2.0 * rows * depth * cols
        rate = {name: flops / best_time(run, repeats) / 1e9 for name, run in runs.items()}
        label = f"{kind} {rows}x{depth}.{depth}x{cols}"
        print(f"{label:<27}{rate['numba']:>9.1f}{rate['shipped']:>9.1f}{rate['BLAS']:>9.1f}"
              f"{rate['numba'] / rate['BLAS']:>12.2f}{rate['shipped'] / rate['BLAS']:>14.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20, help="timed calls; the best counts")
    args = parser.parse_args()
    describe_machine()
    bench_dense(args.repeats)


if __name__ == "__main__":
    main()
