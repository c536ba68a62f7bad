"""XOR: a single-layer perceptron cannot learn it, a small MLP can.

No straight line puts (0,1) and (1,0) on one side and (0,0) and (1,1) on the other, so a
linear model - one nn.Linear followed by a threshold - gets at best 3 of the 4 corners
right. One hidden layer of a few tanh units bends the boundary and solves the problem.
The training step is compiled with minigrad.compile; --eager runs it eagerly (the same
numbers, slower).

    python demos/xor.py --out out
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib.pyplot as plt

import minigrad
from minigrad import nn
from minigrad.data import xor
from minigrad.optim import Adam
from minigrad.training import accuracy
from minigrad.utils import StepTimer
from minigrad.viz import plot_decision_boundary


def train(model, X, y, steps: int, lr: float, timer: StepTimer) -> list[float]:
    """Full-batch training with binary cross-entropy on the logits; returns the losses."""
    loss_fn = nn.BCEWithLogitsLoss()
    optimizer = Adam(model.parameters(), lr=lr)

    def train_step(X, y):
        optimizer.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        return loss  # read with .item() outside: a compiled step cannot hand Python a value

    step = timer.wrap(train_step)
    losses = []
    for number in range(steps):
        losses.append(step(X, y).item())
        if number % max(1, steps // 5) == 0 or number == steps - 1:
            print(f"  step {number:4d}  loss {losses[-1]:.4f}")
    return losses


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="XOR: perceptron vs MLP",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("out"), help="folder for the plots")
    parser.add_argument("--quick", action="store_true", help="a few steps only (smoke test)")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--eager", action="store_true",
                        help="run the training step eagerly instead of minigrad.compile")
    args = parser.parse_args(argv)
    plt.switch_backend("Agg")  # draw to files only, no window
    args.out.mkdir(parents=True, exist_ok=True)
    steps = 60 if args.quick else 600
    minigrad.manual_seed(args.seed)

    X_numpy, labels = xor(200, noise=0.15, seed=args.seed)
    X = minigrad.tensor(X_numpy)
    # BCEWithLogitsLoss wants float targets with the output's shape (N, 1).
    y = minigrad.tensor(labels.astype("float32")[:, None])

    models = {
        "perceptron": nn.Linear(2, 1),
        "mlp": nn.MLP(2, [8], 1, activation="tanh"),
    }
    histories = {}
    timer = StepTimer(eager=args.eager)
    for name, model in models.items():
        print(f"training the {name}: {model}")
        histories[name] = train(model, X, y, steps, lr=0.05, timer=timer)
        with minigrad.no_grad():
            acc = accuracy(model(X), labels)
        print(f"{name}: final loss {histories[name][-1]:.4f}, accuracy {acc:.1%}")
        plot_decision_boundary(model, X_numpy, labels, title=f"XOR - {name} ({acc:.0%})",
                               path=args.out / f"xor_{name}.png")
    print(timer.summary())
    figure, axis = plt.subplots(figsize=(6, 4))
    for name, losses in histories.items():
        axis.plot(losses, label=name)
    axis.set(xlabel="step", ylabel="binary cross-entropy", title="XOR training loss")
    axis.legend()
    figure.savefig(args.out / "xor_loss.png", dpi=100, bbox_inches="tight")
    plt.close(figure)
    print(f"plots written to {args.out}/xor_*.png")


if __name__ == "__main__":
    main()
