"""Benchmark the CPU dense and convolution kernels against numpy BLAS and PyTorch.

Run:  python benchmarks/kernels.py [--quick] [--threads N]

Everything runs with 2 threads (Numba, OpenBLAS and PyTorch; ``--threads`` changes that),
side by side in one process, and each time is the best of several repetitions (the minimum
is the least disturbed by other work on the machine; the load average is printed, because
on a busy machine multi-threaded timings suffer most). Printed:

1. fp32 matmul / linear GFLOP/s at 256, 512, 1024 and 64x784 @ 784x128 for the Numba
   kernel, the shipped dense path, numpy BLAS and PyTorch;
2. conv2d forward and forward+backward of LeNet-5's two convolutions at batch 64;
3. one LeNet-5 training step (forward, loss, backward, SGD update) at batch 64, with
   ``minigrad.nn`` and ``torch.nn`` models holding the same weights.

``OMP_WAIT_POLICY=PASSIVE`` is set for the whole process (both libraries) before anything
loads. ``OPENBLAS_CORETYPE`` / ``OPENBLAS_L2_SIZE`` may be set on a machine to force a generic
OpenBLAS kernel, which slows numpy down; they are removed for this process only, before
numpy loads, and the BLAS kernel actually in use is printed (via threadpoolctl).
"""

from __future__ import annotations

import argparse
import os

PARSER = argparse.ArgumentParser(description=__doc__.splitlines()[0])
PARSER.add_argument("--quick", action="store_true", help="fewer repetitions")
PARSER.add_argument("--threads", type=int, default=2, help="threads for every library")
ARGS = PARSER.parse_args()

for _variable in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    os.environ.pop(_variable, None)
for _variable in ("NUMBA_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ[_variable] = str(ARGS.threads)
# minigrad sets this default itself (see minigrad/backend/cpu/threads.py), but PyTorch loads
# OpenMP first here, so it is set before any import; it applies to PyTorch's pool as well.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import platform  # noqa: E402 - the environment above must be set before numpy loads

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as TF  # noqa: E402
from threadpoolctl import threadpool_info  # noqa: E402
from timing import best_time  # noqa: E402 - benchmarks/timing.py

import minigrad  # noqa: E402
import minigrad.nn  # noqa: E402
from minigrad.backend.cpu import dense  # noqa: E402
from minigrad.ops.conv import conv2d  # noqa: E402

torch.set_num_threads(ARGS.threads)


def describe_machine() -> None:
    blas = [f"{i['internal_api']} {i.get('version')} kernel={i.get('architecture')} "
            f"threads={i['num_threads']}" for i in threadpool_info() if i["user_api"] == "blas"]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, python "
          f"{platform.python_version()}, numpy {np.__version__}, torch {torch.__version__}")
    print(f"numpy BLAS: {'; '.join(blas) or 'none found'}")
    print(f"shipped dense kernel: {dense.DEFAULT_KERNEL!r}; OMP_WAIT_POLICY="
          f"{os.environ['OMP_WAIT_POLICY']}; {ARGS.threads} threads for Numba, OpenBLAS and "
          f"PyTorch; load average {os.getloadavg()[0]:.2f}\n")


def bench_dense(repeats: int) -> None:
    print("fp32 dense GFLOP/s (higher is better); ratios are to numpy BLAS")
    header = (f"{'product':<27}{'numba':>9}{'shipped':>9}{'BLAS':>9}{'torch':>9}"
              f"{'numba/BLAS':>12}{'shipped/BLAS':>14}")
    print(header)
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
            ta, tb = torch.from_numpy(a), torch.from_numpy(b)
            runs["torch"] = lambda ta=ta, tb=tb: torch.matmul(ta, tb)
        else:  # x (N, in) @ W (out, in).T + bias
            w = rng.standard_normal((cols, depth), dtype=np.float32)
            bias = rng.standard_normal(cols, dtype=np.float32)
            runs = {
                "numba": lambda a=a, w=w, bias=bias: dense.linear(a, w, bias, None, "numba"),
                "shipped": lambda a=a, w=w, bias=bias: dense.linear(a, w, bias, None),
                "BLAS": lambda a=a, w=w, bias=bias: a @ w.T + bias,
            }
            ta, tw, tbias = (torch.from_numpy(v) for v in (a, w, bias))
            runs["torch"] = lambda ta=ta, tw=tw, tbias=tbias: TF.linear(ta, tw, tbias)
        flops = 2.0 * rows * depth * cols
        rate = {name: flops / best_time(run, repeats) / 1e9 for name, run in runs.items()}
        label = f"{kind} {rows}x{depth}.{depth}x{cols}"
        print(f"{label:<27}{rate['numba']:>9.1f}{rate['shipped']:>9.1f}{rate['BLAS']:>9.1f}"
              f"{rate['torch']:>9.1f}{rate['numba'] / rate['BLAS']:>12.2f}"
              f"{rate['shipped'] / rate['BLAS']:>14.2f}")
    print()


LENET_CONVS = [  # name, input shape, weight shape, padding
    ("conv1 1->6 5x5 pad 2", (64, 1, 28, 28), (6, 1, 5, 5), 2),
    ("conv2 6->16 5x5", (64, 6, 14, 14), (16, 6, 5, 5), 0),
]


def conv_runs(x, w, b, padding, tx, tw, tb):
    """(forward, forward+backward) callables for minigrad and torch on one layer."""

    def ours_forward():
        with minigrad.no_grad():
            conv2d(x, w, b, padding=padding)

    def theirs_forward():
        with torch.no_grad():
            TF.conv2d(tx, tw, tb, padding=padding)

    def ours_both():
        conv2d(x, w, b, padding=padding).sum().backward()

    def theirs_both():
        TF.conv2d(tx, tw, tb, padding=padding).sum().backward()

    return (("fwd", ours_forward, theirs_forward), ("fwd+bwd", ours_both, theirs_both))


def bench_conv(repeats: int) -> None:
    print("conv2d at batch 64, fp32, milliseconds (lower is better)")
    print(f"{'layer':<24}{'pass':<10}{'minigrad':>10}{'torch':>10}{'ratio':>8}")
    rng = np.random.default_rng(0)
    for name, x_shape, w_shape, padding in LENET_CONVS:
        x_np = rng.standard_normal(x_shape, dtype=np.float32)
        w_np = rng.standard_normal(w_shape, dtype=np.float32)
        b_np = rng.standard_normal(w_shape[0], dtype=np.float32)
        # conv1 sees the images, which need no gradient; conv2 sees activations, which do
        input_grad = name.startswith("conv2")
        ours = [minigrad.tensor(a, requires_grad=g)
                for a, g in ((x_np, input_grad), (w_np, True), (b_np, True))]
        theirs = [torch.tensor(a, requires_grad=g)
                  for a, g in ((x_np, input_grad), (w_np, True), (b_np, True))]
        for label, mine_run, their_run in conv_runs(*ours, padding, *theirs):
            mine, reference = best_time(mine_run, repeats), best_time(their_run, repeats)
            print(f"{name:<24}{label:<10}{mine * 1e3:>10.3f}{reference * 1e3:>10.3f}"
                  f"{mine / reference:>8.2f}")
    print()


def lenet(nn):
    """LeNet-5 for 28x28 images, built from ``nn`` (``minigrad.nn`` or ``torch.nn``)."""
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )


def sgd_step(model, loss_fn, no_grad, x, target, learning_rate=0.01):
    """One training step written identically for both libraries."""
    for parameter in model.parameters():
        parameter.grad = None
    loss_fn(model(x), target).backward()
    with no_grad():
        for parameter in model.parameters():
            parameter.sub_(parameter.grad * learning_rate)


def bench_lenet(repeats: int) -> None:
    print("LeNet-5 training step at batch 64 (forward, cross-entropy, backward, SGD), ms")
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((64, 1, 28, 28), dtype=np.float32)
    target_np = rng.integers(0, 10, size=64)
    ours, theirs = lenet(minigrad.nn), lenet(torch.nn)
    with torch.no_grad():  # same starting weights in both
        for mine, reference in zip(ours.parameters(), theirs.parameters(), strict=True):
            mine.data = minigrad.tensor(reference.detach().numpy())
    x, target = minigrad.tensor(x_np), minigrad.tensor(target_np)
    tx, ttarget = torch.tensor(x_np), torch.tensor(target_np)
    ours_loss, theirs_loss = minigrad.nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()

    mine = best_time(lambda: sgd_step(ours, ours_loss, minigrad.no_grad, x, target), repeats)
    reference = best_time(lambda: sgd_step(theirs, theirs_loss, torch.no_grad, tx, ttarget),
                          repeats)
    print(f"{'minigrad':>10}{'torch':>10}{'ratio':>8}")
    print(f"{mine * 1e3:>10.3f}{reference * 1e3:>10.3f}{mine / reference:>8.2f}\n")


def main() -> None:
    repeats = 3 if ARGS.quick else 20
    describe_machine()
    bench_dense(repeats)
    bench_conv(repeats)
    bench_lenet(repeats)


if __name__ == "__main__":
    main()
