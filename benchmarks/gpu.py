"""GPU benchmark: minigrad's @cuda.jit kernels against PyTorch (cuBLAS/cuDNN) on one GPU.

    python benchmarks/gpu.py            # on a machine with an NVIDIA GPU
    python benchmarks/gpu.py --smoke    # tiny sizes in Numba's CUDA simulator (no GPU):
                                        # checks that every benchmark runs and is correct;
                                        # its timings mean nothing

Rows: fp32 matmul at 1024/2048/4096 (GFLOP/s; PyTorch with TF32 off, so both do true fp32),
conv2d forward + both backward passes for LeNet's two convolutions and a 64-channel 3x3
layer at batch 256, and one training step (forward, backward, SGD update) of an MLP and of
a small CNN, eager and through ``minigrad.compile`` (replayed, elementwise runs fused into
generated kernels). Each row reports the best of several synchronised runs and the ratio
minigrad / PyTorch measured in the same run. Every result is also checked against PyTorch.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true",
                        help="tiny sizes in the CUDA simulator (a correctness smoke check)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per row (best kept)")
    return parser.parse_args()


ARGS = parse_args()
if ARGS.smoke:
    # The simulator has to be chosen before Numba is imported.
    os.environ["NUMBA_ENABLE_CUDASIM"] = "1"

import timing  # noqa: E402 - benchmarks/timing.py
import torch  # noqa: E402

import minigrad  # noqa: E402
from minigrad.backend import get_backend  # noqa: E402

TORCH_DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False


def synchronize() -> None:
    minigrad.cuda.synchronize()
    if TORCH_DEVICE == "cuda":
        torch.cuda.synchronize()


def best_time(function, repeats: int) -> float:
    """Best wall time over ``repeats`` runs, waiting for both GPUs' queues each time."""
    return timing.best_time(function, repeats, synchronize)


def check(name, ours, reference, tolerance):
    ours, reference = np.asarray(ours, np.float64), np.asarray(reference, np.float64)
    error = np.max(np.abs(ours - reference)) / max(1.0, np.max(np.abs(reference)))
    if not error <= tolerance:
        raise AssertionError(f"{name}: minigrad differs from PyTorch (relative error {error:.2e})")


def bench_matmul(sizes, repeats):
    backend = get_backend("cuda")
    rows = []
    rng = np.random.default_rng(0)
    for n in sizes:
        a = rng.standard_normal((n, n)).astype(np.float32)
        b = rng.standard_normal((n, n)).astype(np.float32)
        da, db = backend.from_numpy(a), backend.from_numpy(b)
        ta, tb = torch.from_numpy(a).to(TORCH_DEVICE), torch.from_numpy(b).to(TORCH_DEVICE)
        check(f"matmul {n}", backend.to_numpy(backend.matmul(da, db)), (ta @ tb).cpu(), 1e-4)
        ours = best_time(lambda da=da, db=db: backend.matmul(da, db), repeats)
        theirs = best_time(lambda ta=ta, tb=tb: ta @ tb, repeats)
        flops = 2.0 * n ** 3
        rows.append((f"matmul fp32 {n}", f"{flops / ours / 1e9:.1f} GFLOP/s",
                     f"{flops / theirs / 1e9:.1f} GFLOP/s", theirs / ours))
    return rows


def bench_conv(cases, repeats):
    """conv2d forward + input and weight gradients, through the backend."""
    backend = get_backend("cuda")
    one = (1, 1)  # stride and dilation
    rows = []
    rng = np.random.default_rng(0)
    for name, input_shape, weight_shape, padding in cases:
        x = rng.standard_normal(input_shape).astype(np.float32)
        weight = (rng.standard_normal(weight_shape) * 0.1).astype(np.float32)
        dx, dw = backend.from_numpy(x), backend.from_numpy(weight)
        pad = (padding, padding)

        def ours_step(dx=dx, dw=dw, input_shape=input_shape, weight_shape=weight_shape,
                      pad=pad):
            out = backend.conv2d(dx, dw, None, one, pad, one, 1)
            backend.conv2d_backward_input(out, dw, input_shape, one, pad, one, 1)
            return out, backend.conv2d_backward_weight(out, dx, weight_shape, one, pad, one, 1)

        tx = torch.from_numpy(x).to(TORCH_DEVICE).requires_grad_()
        tw = torch.from_numpy(weight).to(TORCH_DEVICE).requires_grad_()

        def torch_step(tx=tx, tw=tw, padding=padding):
            out = torch.nn.functional.conv2d(tx, tw, padding=padding)
            return torch.autograd.grad(out, (tx, tw), out.detach())

        out, grad_weight = ours_step()
        check(f"{name} forward", backend.to_numpy(out),
              torch.nn.functional.conv2d(tx, tw, padding=padding).detach().cpu(), 1e-4)
        check(f"{name} weight gradient", backend.to_numpy(grad_weight),
              torch_step()[1].cpu(), 1e-3)
        ours = best_time(ours_step, repeats)
        theirs = best_time(torch_step, repeats)
        rows.append((f"conv2d fwd+bwd {name}", f"{ours * 1e3:.2f} ms", f"{theirs * 1e3:.2f} ms",
                     theirs / ours))
    return rows


def _softmax_cross_entropy(logits, target_one_hot):
    shifted = logits - logits.max(dim=1, keepdim=True).values.detach()
    log_probabilities = shifted - shifted.exp().sum(dim=1, keepdim=True).log()
    return -(log_probabilities * target_one_hot).sum() / logits.shape[0]


def _training_step(params, forward, x, target, lr=0.01):
    loss = _softmax_cross_entropy(forward(params, x), target)
    for p in params:
        p.grad = None
    loss.backward()
    with minigrad.no_grad():
        for p in params:
            p.sub_(p.grad * lr)
    return loss


def bench_training(batch, features, hidden, classes, image, repeats):
    """One SGD step of an MLP and (when the conv op is available) of a small CNN."""
    rng = np.random.default_rng(0)
    rows = []
    labels = rng.integers(0, classes, batch)
    one_hot = np.eye(classes, dtype=np.float32)[labels]

    def mlp(params, x):
        w1, b1, w2, b2 = params
        return ((x @ w1 + b1).relu()) @ w2 + b2

    def torch_mlp(params, x):
        w1, b1, w2, b2 = params
        return torch.relu(x @ w1 + b1) @ w2 + b2

    shapes = [(features, hidden), (hidden,), (hidden, classes), (classes,)]
    arrays = [(rng.standard_normal(s) * 0.1).astype(np.float32) for s in shapes]
    x = rng.standard_normal((batch, features)).astype(np.float32)
    rows += _compare_step("MLP train step", mlp, torch_mlp, arrays, x, one_hot, labels,
                          repeats)
    try:
        from minigrad.ops.conv import conv2d
        from minigrad.ops.pooling import max_pool2d
    except ImportError:
        print("(CNN training step skipped: minigrad.ops.conv is not in this build)")
        return rows

    def cnn(params, x):
        w1, w2, w3 = params
        h = max_pool2d(conv2d(x, w1, padding=1).relu(), 2)
        h = max_pool2d(conv2d(h, w2, padding=1).relu(), 2)
        return h.flatten(1) @ w3

    def torch_cnn(params, x):
        w1, w2, w3 = params
        F = torch.nn.functional
        h = F.max_pool2d(torch.relu(F.conv2d(x, w1, padding=1)), 2)
        h = F.max_pool2d(torch.relu(F.conv2d(h, w2, padding=1)), 2)
        return h.flatten(1) @ w3

    shapes = [(8, 1, 3, 3), (16, 8, 3, 3), (16 * (image // 4) ** 2, classes)]
    arrays = [(rng.standard_normal(s) * 0.1).astype(np.float32) for s in shapes]
    x = rng.standard_normal((batch, 1, image, image)).astype(np.float32)
    # In the simulator the compiled CNN step alone takes minutes (tests/cuda covers it).
    rows += _compare_step("CNN train step", cnn, torch_cnn, arrays, x, one_hot, labels,
                          repeats, compiled=not ARGS.smoke)
    return rows


def _compare_step(name, forward, torch_forward, arrays, x, one_hot, labels, repeats,
                  compiled=True):
    params = [minigrad.tensor(a, device="cuda", requires_grad=True) for a in arrays]
    inputs = minigrad.tensor(x, device="cuda")
    target = minigrad.tensor(one_hot, device="cuda")
    torch_params = [torch.tensor(a, device=TORCH_DEVICE, requires_grad=True) for a in arrays]
    torch_inputs = torch.from_numpy(x).to(TORCH_DEVICE)
    torch_labels = torch.from_numpy(labels).to(TORCH_DEVICE)
    optimizer = torch.optim.SGD(torch_params, lr=0.01)

    def torch_step():
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(torch_forward(torch_params, torch_inputs),
                                                 torch_labels)
        loss.backward()
        optimizer.step()
        return loss

    check(f"{name} loss", _training_step(params, forward, inputs, target).item(),
          torch_step().item(), 1e-4)
    ours = best_time(lambda: _training_step(params, forward, inputs, target), repeats)
    theirs = best_time(torch_step, repeats)
    rows = [(name, f"{ours * 1e3:.2f} ms", f"{theirs * 1e3:.2f} ms", theirs / ours)]
    if compiled:
        ours = _compiled_time(forward, arrays, inputs, target, repeats)
        rows.append((f"{name} (compiled)", f"{ours * 1e3:.2f} ms", f"{theirs * 1e3:.2f} ms",
                     theirs / ours))
    return rows


def _compiled_time(forward, arrays, inputs, target, repeats):
    """The same step through minigrad.compile (fused @cuda.jit kernels): three calls (two
    traces, one replay) must give the parameters three eager steps give; then it is timed."""
    step = minigrad.compile(_training_step)
    trained = []
    for run in (_training_step, step):
        params = [minigrad.tensor(a, device="cuda", requires_grad=True) for a in arrays]
        for _ in range(3):
            run(params, forward, inputs, target)
        trained.append(params)
    for number, (ours, reference) in enumerate(zip(*trained, strict=True)):
        check(f"compiled step parameter {number}", ours.numpy(), reference.numpy(), 1e-6)
    params = trained[1]
    return best_time(lambda: step(params, forward, inputs, target), repeats)


def main() -> None:
    if not minigrad.cuda.is_available():
        sys.exit("no CUDA GPU available: run with --smoke to check the benchmark in the "
                 "CUDA simulator")
    repeats = 1 if ARGS.smoke else ARGS.repeats
    if ARGS.smoke:
        matmul_sizes = [24]
        conv_cases = [("LeNet conv1 (tiny)", (2, 1, 8, 8), (3, 1, 5, 5), 2),
                      ("64ch 3x3 (tiny)", (1, 4, 5, 5), (4, 4, 3, 3), 1)]
        training = dict(batch=4, features=6, hidden=8, classes=3, image=4)
    else:
        matmul_sizes = [1024, 2048, 4096]
        conv_cases = [("LeNet conv1 b256", (256, 1, 28, 28), (6, 1, 5, 5), 2),
                      ("LeNet conv2 b256", (256, 6, 14, 14), (16, 6, 5, 5), 0),
                      ("64ch 3x3 32x32 b256", (256, 64, 32, 32), (64, 64, 3, 3), 1)]
        training = dict(batch=256, features=784, hidden=256, classes=10, image=28)
    device = minigrad.cuda.get_device_name()
    print(f"minigrad on {device} vs PyTorch {torch.__version__} on {TORCH_DEVICE} "
          f"(TF32 off){' -- SIMULATOR: timings are meaningless' if ARGS.smoke else ''}")
    rows = bench_matmul(matmul_sizes, repeats)
    rows += bench_conv(conv_cases, repeats)
    rows += bench_training(repeats=repeats, **training)
    print(f"{'benchmark':34} {'minigrad':>18} {'PyTorch':>18} {'ratio':>7}")
    for name, ours, theirs, ratio in rows:
        print(f"{name:34} {ours:>18} {theirs:>18} {ratio:7.2f}")
    print("ratio = minigrad speed / PyTorch speed (higher is better; 1.0 = as fast)")


if __name__ == "__main__":
    main()
