"""Six optimizers race on the same problem from the same starting weights.

An MLP 2 -> 32 -> 32 -> 3 learns to separate three interleaved spirals. Every optimizer
starts from identical weights and sees identical mini-batches; only the update rule (and
a learning rate typical for it) differs. The loss curves end up in one plot. Each training
step is compiled with minigrad.compile; --eager runs it eagerly (the same numbers, slower).

    python demos/optimizers.py --out out
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib.pyplot as plt

import minigrad
from minigrad import nn
from minigrad.data import DataLoader, TensorDataset, spirals
from minigrad.optim import SGD, Adagrad, Adam, AdamW, RMSprop
from minigrad.training import accuracy
from minigrad.utils import StepTimer

OPTIMIZERS = {
    "SGD (lr 0.1)": lambda params: SGD(params, lr=0.1),
    "SGD + momentum 0.9 (lr 0.1)": lambda params: SGD(params, lr=0.1, momentum=0.9),
    "Adagrad (lr 0.1)": lambda params: Adagrad(params, lr=0.1),
    "RMSprop (lr 0.003)": lambda params: RMSprop(params, lr=0.003),
    "Adam (lr 0.01)": lambda params: Adam(params, lr=0.01),
    "AdamW (lr 0.01, wd 0.01)": lambda params: AdamW(params, lr=0.01, weight_decay=0.01),
}


def make_train_step(model, loss_fn, optimizer):
    """One mini-batch update; it returns the loss tensor (read with .item() outside the
    step: a compiled step cannot hand a value to Python while it runs)."""
    def train_step(xb, yb):
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        return loss
    return train_step


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="SGD, momentum, Adagrad, RMSprop, Adam, AdamW",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("out"), help="folder for the plots")
    parser.add_argument("--quick", action="store_true", help="two epochs only (smoke test)")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--eager", action="store_true",
                        help="run the training step eagerly instead of minigrad.compile")
    args = parser.parse_args(argv)
    plt.switch_backend("Agg")
    args.out.mkdir(parents=True, exist_ok=True)
    epochs = 2 if args.quick else 60

    X, y = spirals(600, n_classes=3, noise=0.2, seed=args.seed)
    minigrad.manual_seed(args.seed)
    start = {name: value.numpy().copy()
             for name, value in nn.MLP(2, [32, 32], 3).state_dict().items()}
    loss_fn = nn.CrossEntropyLoss()

    curves = {}
    timer = StepTimer(eager=args.eager)
    for name, make_optimizer in OPTIMIZERS.items():
        model = nn.MLP(2, [32, 32], 3)
        model.load_state_dict(start)
        optimizer = make_optimizer(model.parameters())
        step = timer.wrap(make_train_step(model, loss_fn, optimizer))
        # The same seed gives every optimizer the same sequence of mini-batches.
        loader = DataLoader(TensorDataset(X, y), batch_size=60, shuffle=True, seed=args.seed)
        losses = []  # mean training loss of each epoch
        for _ in range(epochs):
            total = 0.0
            for xb, yb in loader:
                total += step(xb, yb).item()
            losses.append(total / len(loader))
        with minigrad.no_grad():
            train_accuracy = accuracy(model(minigrad.tensor(X)), y)
        print(f"{name:28s} last epoch loss {losses[-1]:.4f}  accuracy {train_accuracy:.1%}")
        curves[name] = losses
    print(timer.summary())

    figure, axis = plt.subplots(figsize=(7, 4.5))
    for name, losses in curves.items():
        axis.plot(range(1, len(losses) + 1), losses, label=name)
    axis.set(xlabel="epoch (10 mini-batches of 60)", ylabel="mean cross-entropy", yscale="log",
             title="Same network, same start, same batches: six update rules")
    axis.legend(fontsize=8)
    figure.savefig(args.out / "optimizers_loss.png", dpi=100, bbox_inches="tight")
    plt.close(figure)
    print(f"plot written to {args.out}/optimizers_loss.png")


if __name__ == "__main__":
    main()
