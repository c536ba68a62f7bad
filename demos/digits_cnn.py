"""Classify the 8x8 digits with a small CNN (conv -> ReLU -> pool, twice, then an MLP head).

The same 1,797 scikit-learn digits as digits_mlp.py, now seen as 1x8x8 images. Two
convolution blocks learn local stroke detectors, pooling halves the resolution after each
(max pooling keeps the strongest response in each 2x2 window, average pooling their mean:
compare them with --pool), and a two-layer MLP reads the resulting 32 feature maps of 2x2.
Every conv, pool, linear and the cross-entropy run on minigrad's Numba CPU kernels, and the
training step is compiled with minigrad.compile (--eager runs it eagerly: the same numbers,
only slower).

    python demos/digits_cnn.py --out out          (15 epochs in a few seconds, ~97% test accuracy)
    python demos/digits_cnn.py --pool avg         (average pooling instead of max pooling)
    python demos/digits_cnn.py --eager            (the step without minigrad.compile)
    python demos/digits_cnn.py --quick --out out  (one epoch, a smoke test)
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import matplotlib.pyplot as plt

import minigrad
from minigrad import nn
from minigrad.data import DataLoader, TensorDataset, load_digits, train_test_split
from minigrad.optim import Adam
from minigrad.training import accuracy
from minigrad.utils import StepTimer


def small_cnn(pool: str = "max") -> nn.Module:
    """(N, 1, 8, 8) -> (N, 10) class scores; ``pool`` is "max" or "avg"."""
    Pool = nn.MaxPool2d if pool == "max" else nn.AvgPool2d  # noqa: N806 - a layer class
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), Pool(2),   # 16 x 4 x 4
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), Pool(2),  # 32 x 2 x 2
        nn.Flatten(),
        nn.Linear(32 * 2 * 2, 64), nn.ReLU(),
        nn.Linear(64, 10),
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="small CNN on the 8x8 digits",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("out"), help="folder for the plot")
    parser.add_argument("--quick", action="store_true", help="one epoch only (smoke test)")
    parser.add_argument("--epochs", type=int, default=15, help="training epochs")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--pool", choices=["max", "avg"], default="max",
                        help="max pooling or average pooling after each convolution")
    parser.add_argument("--eager", action="store_true",
                        help="run the training step eagerly instead of minigrad.compile")
    args = parser.parse_args(argv)
    plt.switch_backend("Agg")
    args.out.mkdir(parents=True, exist_ok=True)
    epochs = 1 if args.quick else args.epochs
    minigrad.manual_seed(args.seed)

    X, y = load_digits()
    images = X.reshape(-1, 1, 8, 8)  # (N, channels, height, width), as convolutions expect
    x_train, x_test, y_train, y_test = train_test_split(images, y, test_size=0.2, stratify=y,
                                                        seed=args.seed)
    print(f"{len(x_train)} training and {len(x_test)} test images of 1x8x8")
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=64, shuffle=True,
                        seed=args.seed)
    test_images = minigrad.tensor(x_test)

    model = small_cnn(args.pool)
    print(f"{args.pool} pooling")
    loss_fn = nn.CrossEntropyLoss()
    optimizer = Adam(model.parameters(), lr=3e-3)
    history = {"loss": [], "test_accuracy": []}

    def train_step(xb, yb):
        loss = loss_fn(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss  # read with .item() outside: a compiled step cannot hand Python a value

    timer = StepTimer(eager=args.eager)
    step = timer.wrap(train_step)
    for epoch in range(epochs):
        start, total, batches = time.perf_counter(), 0.0, 0
        model.train()
        for xb, yb in loader:
            loss = step(xb, yb)
            total, batches = total + loss.item(), batches + 1
        model.eval()
        with minigrad.no_grad():
            test_accuracy = accuracy(model(test_images), y_test)
        history["loss"].append(total / batches)
        history["test_accuracy"].append(test_accuracy)
        print(f"epoch {epoch:2d}  training loss {total / batches:.4f}  test accuracy "
              f"{test_accuracy:.2%}  ({time.perf_counter() - start:.2f} s)")

    print(timer.summary())

    figure, (loss_axis, accuracy_axis) = plt.subplots(1, 2, figsize=(10, 3.6))
    epochs_axis = range(1, epochs + 1)
    loss_axis.plot(epochs_axis, history["loss"], marker="o")
    loss_axis.set(xlabel="epoch", ylabel="cross-entropy", title="training loss")
    accuracy_axis.plot(epochs_axis, history["test_accuracy"], marker="o")
    accuracy_axis.set(xlabel="epoch", ylabel="test accuracy", title="test accuracy")
    figure.savefig(args.out / "digits_cnn_history.png", dpi=100, bbox_inches="tight")
    plt.close(figure)
    print(f"final test accuracy {history['test_accuracy'][-1]:.2%}; plot written to "
          f"{args.out}/digits_cnn_history.png")


if __name__ == "__main__":
    main()
