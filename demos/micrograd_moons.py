"""micrograd's classic demo: a scalar MLP learns the two-moons data set, trained through a Tape.

MLP(2, [16, 16, 1]) on 100 points, SVM max-margin loss ``mean(relu(1 - y * score))`` plus
1e-4 L2 regularization, gradient descent with learning rate ``1.0 - 0.9 * k / 100`` for 100
steps, exactly as in micrograd's demo.ipynb. The network is built from Values once; its
graph is compiled into a Tape and every step runs as one Numba call over the whole batch.

Run:  python demos/micrograd_moons.py [--out DIR] [--steps N] [--quick] [--seed 1337]
Saves DIR/micrograd_moons.png (default DIR: ./out) with the learned decision boundary.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from minigrad.scalar import MLP

ALPHA = 1e-4


def make_moons(n_samples: int = 100, noise: float = 0.1, seed: int = 0):
    """Two interleaving half circles (like sklearn.datasets.make_moons), labels -1 / +1."""
    rng = np.random.default_rng(seed)
    n_outer = n_samples // 2
    n_inner = n_samples - n_outer
    outer = np.linspace(0, np.pi, n_outer)
    inner = np.linspace(0, np.pi, n_inner)
    X = np.concatenate([np.stack([np.cos(outer), np.sin(outer)], axis=1),
                        np.stack([1 - np.cos(inner), 0.5 - np.sin(inner)], axis=1)])
    X += rng.normal(scale=noise, size=X.shape)
    y = np.concatenate([-np.ones(n_outer), np.ones(n_inner)])
    return X, y


def svm_loss(score, target):
    """Max-margin loss of one sample: zero once the score has the right sign with margin 1."""
    return (1 + -target * score).relu()


def l2_penalty(params):
    return ALPHA * sum(p * p for p in params)


def plot_decision_boundary(compiled, X, y, path: Path) -> None:
    """Colour the plane by the sign of the network's score (one batched tape call)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    h = 0.02
    xx, yy = np.meshgrid(np.arange(X[:, 0].min() - 1, X[:, 0].max() + 1, h),
                         np.arange(X[:, 1].min() - 1, X[:, 1].max() + 1, h))
    scores = compiled.predict(np.column_stack([xx.ravel(), yy.ravel()]))
    fig, ax = plt.subplots(figsize=(6, 5))
    ax.contourf(xx, yy, (scores > 0).reshape(xx.shape), cmap=plt.cm.Spectral, alpha=0.8)
    ax.scatter(X[:, 0], X[:, 1], c=y, s=40, cmap=plt.cm.Spectral, edgecolors="k")
    ax.set(title="MLP(2, [16, 16, 1]) decision boundary, trained through a Tape",
           xlabel="$x_0$", ylabel="$x_1$")
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(
        description="micrograd's moons demo on minigrad's Tape",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("out"), help="folder for the plot")
    parser.add_argument("--steps", type=int, default=100, help="training steps")
    parser.add_argument("--quick", action="store_true", help="smoke run: 10 steps")
    parser.add_argument("--seed", type=int, default=1337,
                        help="seed for the initial weights (micrograd's demo uses 1337)")
    args = parser.parse_args(argv)
    steps = 10 if args.quick else args.steps

    X, y = make_moons(100, noise=0.1, seed=0)
    model = MLP(2, [16, 16, 1], seed=args.seed)
    print(f"MLP 2 -> 16 -> 16 -> 1 of Values: {len(model.parameters())} parameters")
    start = time.perf_counter()
    compiled = model.compile(svm_loss, regularization=l2_penalty)
    compiled.loss_and_grad(X, y)  # first runs load (or compile) the Numba kernels
    compiled.predict(X)
    print(f"tape: {len(compiled.loss_tape)} operations per sample "
          f"(compiled in {time.perf_counter() - start:.2f} s, kernels included)")

    start = time.perf_counter()
    progress = tqdm(range(steps), desc="training", unit="step")
    for k in progress:
        accuracy = np.mean((compiled.predict(X) > 0) == (y > 0))
        loss, grads = compiled.loss_and_grad(X, y)
        learning_rate = 1.0 - 0.9 * k / 100
        compiled.params -= learning_rate * grads
        # refresh=False: the bar redraws at its own pace, not once per (very fast) step.
        progress.set_postfix(loss=f"{loss:.4f}", accuracy=f"{accuracy:.0%}", refresh=False)
    train_seconds = time.perf_counter() - start

    accuracy = float(np.mean((compiled.predict(X) > 0) == (y > 0)))
    compiled.write_to_model()  # the Value objects now hold the trained weights
    print(f"final training accuracy {accuracy * 100:.0f}% after {steps} steps "
          f"({train_seconds * 1e3:.1f} ms of training)")
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "micrograd_moons.png"
    plot_decision_boundary(compiled, X, y, path)
    print(f"decision boundary saved to {path}")
    return accuracy


if __name__ == "__main__":
    main()
