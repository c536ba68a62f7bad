"""The learning rate: too low, good, too high, much too high.

Plain gradient descent (SGD on the full batch) fits an MLP 2 -> 32 -> 1 to the lectures'
sine surface four times, from the same starting weights, changing only the learning rate:

- too low: every step is safe but tiny, so after hundreds of steps the loss has barely moved;
- good: the loss falls steadily;
- too high: steps overshoot the valley floor, so the loss bounces and stalls;
- much too high: every step lands further up the other side, the loss explodes and training
  diverges (it is stopped once the loss is no longer a finite number below 1e6).

Each step is compiled with minigrad.compile; --eager runs it eagerly (the same numbers).

    python demos/learning_rates.py --out out
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import matplotlib.pyplot as plt

import minigrad
from minigrad import nn
from minigrad.data import sine
from minigrad.optim import SGD
from minigrad.utils import StepTimer

LEARNING_RATES = {"too low": 0.003, "good": 0.1, "too high": 0.3, "much too high": 1.0}


def make_train_step(model, loss_fn, optimizer):
    """One gradient-descent step; it returns the loss tensor (read with .item() outside the
    step: a compiled step cannot hand a value to Python while it runs)."""
    def train_step(X, y):
        optimizer.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        return loss
    return train_step


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="too low / good / too high learning rates",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("out"), help="folder for the plots")
    parser.add_argument("--quick", action="store_true", help="a few steps only (smoke test)")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--eager", action="store_true",
                        help="run the training step eagerly instead of minigrad.compile")
    args = parser.parse_args(argv)
    plt.switch_backend("Agg")
    args.out.mkdir(parents=True, exist_ok=True)
    steps = 20 if args.quick else 500

    X_numpy, y_numpy = sine(1000, seed=args.seed)
    # Centre and scale the inputs from [0, 10] to about [-1.7, 1.7], where tanh is not flat.
    X = minigrad.tensor((X_numpy - 5.0) / 3.0)
    y = minigrad.tensor(y_numpy)
    minigrad.manual_seed(args.seed)
    start = {name: value.numpy().copy()
             for name, value in nn.MLP(2, [32], 1, activation="tanh").state_dict().items()}
    loss_fn = nn.MSELoss()

    curves = {}
    timer = StepTimer(eager=args.eager)
    for name, lr in LEARNING_RATES.items():
        model = nn.MLP(2, [32], 1, activation="tanh")
        model.load_state_dict(start)
        step = timer.wrap(make_train_step(model, loss_fn, SGD(model.parameters(), lr=lr)))
        losses = []
        for _ in range(steps):
            losses.append(step(X, y).item())
            if not math.isfinite(losses[-1]) or losses[-1] > 1e6:
                break
        verdict = (f"diverged after {len(losses)} steps" if len(losses) < steps
                   else f"final mse {losses[-1]:.4f}")
        print(f"{name:14s} lr {lr:<6g} start mse {losses[0]:.4f}  {verdict}")
        curves[f"{name} (lr {lr:g})"] = losses
    print(timer.summary())

    figure, axis = plt.subplots(figsize=(7, 4.5))
    for name, losses in curves.items():
        axis.plot(range(1, len(losses) + 1), losses, label=name)
    axis.set(xlabel="step", ylabel="training MSE", yscale="log", ylim=(0.01, 1e3),
             title="Gradient descent with four learning rates")
    axis.legend()
    figure.savefig(args.out / "learning_rates_loss.png", dpi=100, bbox_inches="tight")
    plt.close(figure)
    print(f"plot written to {args.out}/learning_rates_loss.png")


if __name__ == "__main__":
    main()
