"""Activations and losses with derivatives by backward(); finite differences vs autodiff.

Every derivative below is computed by minigrad's backward(), not by a formula.

1. Activations. Each of sigmoid, tanh, ReLU, leaky ReLU and ELU is applied to a tensor x of
   400 points that requires grad; ``f(x).sum().backward()`` leaves f'(x_i) in ``x.grad[i]``
   (every output depends on its own input only). Softmax maps a vector to probabilities:
   we vary the first of three logits, (z, 0, 0), and plot the three probabilities and the
   derivatives dp_k/dz - positive for p_0, negative for the others, as the probabilities
   always sum to 1.
2. Losses as functions of the prediction, and their gradients, again by backward():
   regression losses against the error (MSE grows quadratically and its gradient without
   bound; MAE has a constant gradient; Huber is MSE near 0 and MAE far away), classification
   losses against the score of the right class (binary cross-entropy on logits, cross-entropy
   of three classes, the hinge loss that is exactly 0 past a margin of 1), and binary
   cross-entropy against a predicted probability (its gradient -1/p explodes as p -> 0).
3. Finite differences vs autodiff. ``minigrad.testing.gradcheck`` compares backward() with
   central differences on a small MLP. Then a table: the error of forward differences
   (f(x+h) - f(x)) / h and central differences (f(x+h) - f(x-h)) / 2h against the exact
   gradient, for h from 1e-1 to 1e-13. Large h: truncation error, O(h) and O(h^2) from the
   Taylor series. Small h: round-off error, about machine epsilon * |f| / h, because two
   nearly equal numbers are subtracted. The best h sits between - about 1e-8 and 1e-5 in
   float64 - and float32 (epsilon 1e-7) is far worse. Autodiff has neither error.

    python demos/activations_losses.py --out out
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import minigrad
from minigrad import nn
from minigrad.nn import functional as F
from minigrad.testing import gradcheck

ACTIVATIONS = {
    "sigmoid": F.sigmoid,
    "tanh": F.tanh,
    "ReLU": F.relu,
    "leaky ReLU (0.1)": lambda x: F.leaky_relu(x, negative_slope=0.1),
    "ELU": F.elu,
}


def value_and_derivative(function, points: np.ndarray):
    """f(x) and f'(x) at each point, f' read from x.grad after one backward pass."""
    x = minigrad.tensor(points, dtype=minigrad.float64, requires_grad=True)
    y = function(x)
    y.sum().backward()
    return y.numpy(), x.grad.numpy()


def mlp(x, w1, b1, w2, b2):
    """A 3 -> 4 -> 2 tanh MLP written out, for gradcheck (every argument is differentiated)."""
    return (x @ w1 + b1).tanh() @ w2 + b2


def finite_difference_table(quick: bool, seed: int) -> list[tuple[float, float, float, float]]:
    """(h, forward error, central error, central error in float32) for dL/dw1[0, 0]."""
    rng = np.random.default_rng(seed)
    arrays = [rng.normal(size=shape) for shape in ((5, 3), (3, 4), (4,), (4, 2), (2,))]

    def loss(w1: np.ndarray, dtype) -> float:
        tensors = [minigrad.tensor(a, dtype=dtype) for a in arrays]
        tensors[1] = minigrad.tensor(w1, dtype=dtype)
        return float((mlp(*tensors) ** 2).sum().item())

    w1 = minigrad.tensor(arrays[1], dtype=minigrad.float64, requires_grad=True)
    tensors = [minigrad.tensor(a, dtype=minigrad.float64) for a in arrays]
    tensors[1] = w1
    (mlp(*tensors) ** 2).sum().backward()
    exact = float(w1.grad.numpy()[0, 0])  # autodiff: exact up to rounding

    rows = []
    for exponent in range(1, 14, 3 if quick else 1):
        h = 10.0 ** -exponent
        step = np.zeros_like(arrays[1])
        step[0, 0] = h
        up, down = arrays[1] + step, arrays[1] - step
        forward = (loss(up, minigrad.float64) - loss(arrays[1], minigrad.float64)) / h
        central = (loss(up, minigrad.float64) - loss(down, minigrad.float64)) / (2 * h)
        # float32 cannot even represent w + h for small h: the step itself is rounded.
        central32 = (loss(up, minigrad.float32) - loss(down, minigrad.float32)) / (2 * h)
        rows.append((h, abs(forward - exact), abs(central - exact), abs(central32 - exact)))
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="activations, losses, finite differences",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("out"), help="folder for the plots")
    parser.add_argument("--quick", action="store_true", help="fewer points (smoke test)")
    parser.add_argument("--seed", type=int, default=0,
                        help="random seed of the MLP checked by finite differences")
    args = parser.parse_args(argv)
    plt.switch_backend("Agg")
    args.out.mkdir(parents=True, exist_ok=True)
    points = np.linspace(-4, 4, 81 if args.quick else 401)

    # 1. Activations and their derivatives.
    figure, axes = plt.subplots(2, 3, figsize=(11, 6.2))
    axes = axes.ravel()
    for axis, (name, function) in zip(axes, ACTIVATIONS.items(), strict=False):
        values, derivatives = value_and_derivative(function, points)
        print(f"{name:17s} f' from backward: min {derivatives.min():7.3f}  "
              f"max {derivatives.max():7.3f}")
        axis.plot(points, values, label="f(x)")
        axis.plot(points, derivatives, "--", label="f'(x) by backward()")
        axis.set(title=name, xlabel="x", ylabel="f(x) and f'(x)")
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    # Logits (z, 1, 0): the two fixed logits differ, so the three curves stay apart.
    logits = np.zeros((len(points), 3))
    logits[:, 0] = points
    logits[:, 1] = 1.0
    axis = axes[-1]
    for k in range(3):
        z = minigrad.tensor(logits, dtype=minigrad.float64, requires_grad=True)
        probabilities = F.softmax(z, dim=1)
        probabilities[:, k].sum().backward()  # rows are independent: row i gives dp_k/dz_i
        axis.plot(points, probabilities.numpy()[:, k], color=f"C{k}", label=f"p_{k}")
        axis.plot(points, z.grad.numpy()[:, 0], "--", color=f"C{k}", label=f"dp_{k}/dz")
    axis.set(title="softmax of (z, 1, 0)", xlabel="z", ylabel="p_k and dp_k/dz")
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8, ncol=2)
    figure.tight_layout()
    figure.savefig(args.out / "activations.png", dpi=90, bbox_inches="tight")
    plt.close(figure)

    # 2. Losses against the prediction, and their gradients.
    zeros = minigrad.tensor(np.zeros_like(points), dtype=minigrad.float64)
    ones = minigrad.tensor(np.ones_like(points), dtype=minigrad.float64)
    class_zero = minigrad.tensor(np.zeros(len(points), dtype=np.int64))
    probabilities = np.linspace(0.02, 0.98, len(points))
    panels = {
        "regression, target 0: loss vs prediction": ("prediction x", points, {
            "MSE (x - y)^2": lambda x: F.mse_loss(x, zeros, reduction="none"),
            "MAE |x - y|": lambda x: F.l1_loss(x, zeros, reduction="none"),
            "Huber (delta 1)": lambda x: F.huber_loss(x, zeros, reduction="none"),
        }),
        "classification: loss vs score of the true class": ("score s", points, {
            "BCE with logits, y = 1": lambda s: F.binary_cross_entropy_with_logits(
                s, ones, reduction="none"),
            "cross-entropy, logits (s, 0, 0)": lambda s: F.cross_entropy(
                minigrad.stack([s, zeros, zeros], dim=1), class_zero, reduction="none"),
            "hinge max(0, 1 - y s), y = +1": lambda s: nn.HingeLoss(reduction="none")(s, ones),
        }),
        "binary cross-entropy vs predicted probability": ("probability p", probabilities, {
            "BCE, y = 1: -log p": lambda p: F.binary_cross_entropy(p, ones, reduction="none"),
            "BCE, y = 0: -log(1 - p)": lambda p: F.binary_cross_entropy(p, zeros,
                                                                        reduction="none"),
        }),
    }
    figure, axes = plt.subplots(2, len(panels), figsize=(15, 7))
    for column, (title, (x_label, xs, losses)) in enumerate(panels.items()):
        for name, function in losses.items():
            values, gradients = value_and_derivative(function, xs)
            axes[0, column].plot(xs, values, label=name)
            axes[1, column].plot(xs, gradients, label=name)
            print(f"{name:32s} loss at the ends {values[0]:8.3f} {values[-1]:8.3f}   "
                  f"gradient at the ends {gradients[0]:8.3f} {gradients[-1]:8.3f}")
        axes[0, column].set(title=title, xlabel=x_label, ylabel="loss")
        axes[1, column].set(title="its gradient, by backward()", xlabel=x_label,
                            ylabel="d loss / d input")
        for axis in axes[:, column]:
            axis.grid(alpha=0.3)
            axis.legend(fontsize=7)
    axes[1, 2].set_ylim(-20, 20)
    figure.tight_layout()
    figure.savefig(args.out / "losses.png", dpi=90, bbox_inches="tight")
    plt.close(figure)

    # 3. Finite differences vs autodiff.
    rng = np.random.default_rng(args.seed)
    inputs = tuple(rng.normal(size=shape) for shape in ((5, 3), (3, 4), (4,), (4, 2), (2,)))
    print(f"\ngradcheck on a 3 -> 4 -> 2 tanh MLP (every input and parameter): "
          f"{gradcheck(mlp, inputs)}")
    rows = finite_difference_table(args.quick, args.seed)
    print(f"\n{'h':>8s} {'forward error':>14s} {'central error':>14s} {'central, float32':>17s}")
    for h, forward, central, central32 in rows:
        print(f"{h:8.0e} {forward:14.2e} {central:14.2e} {central32:17.2e}")
    best = min(rows, key=lambda row: row[2])
    print(f"smallest central-difference error {best[2]:.1e} at h = {best[0]:.0e}")

    figure, axis = plt.subplots(figsize=(6.5, 4.2))
    hs = [row[0] for row in rows]
    for index, label in enumerate(("forward (float64)", "central (float64)",
                                   "central (float32)"), start=1):
        # An error of exactly 0 (h so small that f(x+h) == f(x)) cannot go on a log axis.
        axis.loglog(hs, [max(row[index], 1e-17) for row in rows], marker="o", label=label)
    # h grows to the right: round-off error (about eps |f| / h) dominates on the left,
    # truncation error (O(h) forward, O(h^2) central) on the right.
    axis.set(xlabel="step h", ylabel="|finite difference - autodiff|",
             title="Round-off error (left) vs truncation error (right)")
    axis.grid(alpha=0.3, which="both")
    axis.legend()
    figure.savefig(args.out / "finite_differences.png", dpi=100, bbox_inches="tight")
    plt.close(figure)
    print(f"plots written to {args.out}/activations.png, losses.png, finite_differences.png")


if __name__ == "__main__":
    main()
