"""Train LeNet-5 on MNIST from IDX files you already have (or on synthetic 28x28 digits).

LeNet-5 (conv 5x5 -> ReLU -> max pool, twice, then three linear layers) is the network
that made convolutional nets famous on MNIST. minigrad never downloads data: point --data
at a folder holding the four MNIST files

    train-images-idx3-ubyte  train-labels-idx1-ubyte  t10k-images-idx3-ubyte  t10k-labels-idx1-ubyte

(``.gz`` versions work too). They come from Yann LeCun's MNIST page
(http://yann.lecun.com/exdb/mnist/) or one of its mirrors, or from the MNIST/raw folder
that torchvision downloads. Without --data (or with --synthetic) the demo trains on
generated 28x28 images of ten stroke patterns instead, so it always runs. The training step
is compiled with minigrad.compile; --eager runs it eagerly (the same numbers, only slower).

    python demos/mnist_cnn.py --data ~/data/mnist --epochs 2   (LeNet-5 usually gets ~99%)
    python demos/mnist_cnn.py                                   (synthetic digits, ~95%)
    python demos/mnist_cnn.py --quick --out out                 (a smoke test)
    python demos/mnist_cnn.py --eager                           (without minigrad.compile)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import minigrad
from minigrad import nn
from minigrad.data import DataLoader, TensorDataset, load_mnist
from minigrad.optim import Adam
from minigrad.training import accuracy
from minigrad.utils import StepTimer


def lenet5() -> nn.Module:
    """(N, 1, 28, 28) -> (N, 10) class scores."""
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),   # 6 x 14 x 14
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),             # 16 x 5 x 5
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10),
    )


def synthetic_digits(n_samples: int, seed: int):
    """Images (n, 1, 28, 28) float32 in [0, 1] and labels (n,) int64 of ten stroke patterns.

    Each class is a fixed drawing of three random line segments; every sample is its class
    drawing shifted by up to 3 pixels in each direction plus pixel noise, so a classifier
    must learn shapes, not positions.
    """
    template_rng = np.random.default_rng(1234)  # the same ten drawings for every split
    templates = np.zeros((10, 28, 28), dtype=np.float32)
    steps = np.linspace(0.0, 1.0, 40)
    for template in templates:
        for _ in range(3):
            (y0, x0), (y1, x1) = template_rng.integers(6, 22, size=(2, 2))
            rows = np.round(y0 + (y1 - y0) * steps).astype(int)
            cols = np.round(x0 + (x1 - x0) * steps).astype(int)
            template[rows, cols] = 1.0
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, size=n_samples)
    images = np.empty((n_samples, 1, 28, 28), dtype=np.float32)
    for index, label in enumerate(labels):
        shift_y, shift_x = rng.integers(-3, 4, size=2)
        images[index, 0] = np.roll(templates[label], (shift_y, shift_x), axis=(0, 1))
    images += rng.normal(0.0, 0.2, size=images.shape).astype(np.float32)
    return np.clip(images, 0.0, 1.0), labels.astype(np.int64)


def load_data(args):
    """((x_train, y_train), (x_test, y_test)) with images shaped (N, 1, 28, 28)."""
    if args.synthetic:
        train = synthetic_digits(2000 if args.quick else 12000, seed=args.seed)
        test = synthetic_digits(500 if args.quick else 2000, seed=args.seed + 1)
        return train, test
    (x_train, y_train), (x_test, y_test) = load_mnist(args.data)
    if args.quick:
        x_train, y_train, x_test, y_test = x_train[:2000], y_train[:2000], x_test[:500], \
            y_test[:500]
    return (x_train[:, None], y_train), (x_test[:, None], y_test)


def evaluate(model, images, labels, batch_size=1000) -> float:
    """Test accuracy, in batches so that memory stays small."""
    correct = 0.0
    model.eval()
    with minigrad.no_grad():
        for start in range(0, len(images), batch_size):
            logits = model(minigrad.tensor(images[start:start + batch_size]))
            batch_labels = labels[start:start + batch_size]
            correct += accuracy(logits, batch_labels) * len(batch_labels)
    model.train()
    return correct / len(images)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="LeNet-5 on MNIST (or synthetic digits)",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--data", type=Path,
                        help="folder with the four MNIST IDX files; without it the demo "
                             "trains on synthetic digits")
    parser.add_argument("--synthetic", action="store_true",
                        help="train on generated 28x28 digits even when --data is given")
    parser.add_argument("--out", type=Path, default=Path("out"), help="folder for the plot")
    parser.add_argument("--quick", action="store_true",
                        help="2,000 training images, one epoch (smoke test)")
    parser.add_argument("--epochs", type=int, default=2, help="training epochs")
    parser.add_argument("--batch-size", type=int, default=64, help="images per step")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--eager", action="store_true",
                        help="run the training step eagerly instead of minigrad.compile")
    args = parser.parse_args(argv)
    if args.data is None and not args.synthetic:
        print("No --data folder given, so this run uses synthetic 28x28 digits. For real "
              "MNIST pass --data FOLDER holding train-images-idx3-ubyte, "
              "train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte "
              "(from http://yann.lecun.com/exdb/mnist/, a mirror, or torchvision's MNIST/raw "
              "folder).")
        args.synthetic = True
    try:
        (x_train, y_train), (x_test, y_test) = load_data(args)
    except FileNotFoundError as error:
        print(f"{error}\nThe MNIST files come from http://yann.lecun.com/exdb/mnist/ (or a "
              "mirror, or torchvision's MNIST/raw folder); or run with --synthetic.")
        return 2
    plt.switch_backend("Agg")
    args.out.mkdir(parents=True, exist_ok=True)
    minigrad.manual_seed(args.seed)
    epochs = 1 if args.quick else args.epochs
    source = "synthetic digits" if args.synthetic else f"MNIST from {args.data}"
    print(f"{source}: {len(x_train)} training and {len(x_test)} test images of 1x28x28")

    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=args.batch_size,
                        shuffle=True, seed=args.seed)
    model = lenet5()
    loss_fn = nn.CrossEntropyLoss()
    optimizer = Adam(model.parameters(), lr=1e-3)
    losses, accuracies = [], []

    def train_step(xb, yb):
        loss = loss_fn(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss  # read with .item() outside: a compiled step cannot hand Python a value

    timer = StepTimer(eager=args.eager)
    step = timer.wrap(train_step)
    for epoch in range(epochs):
        start, steps = time.perf_counter(), 0
        for xb, yb in loader:
            loss = step(xb, yb)
            losses.append(loss.item())
            steps += 1
            if steps % 100 == 0:
                print(f"  step {steps:4d}  loss {np.mean(losses[-100:]):.4f}")
        elapsed = time.perf_counter() - start
        accuracies.append(evaluate(model, x_test, y_test))
        print(f"epoch {epoch}  test accuracy {accuracies[-1]:.2%}  "
              f"({elapsed:.1f} s, {1000 * elapsed / steps:.1f} ms per step of "
              f"{args.batch_size})")
    print(timer.summary())

    figure, axis = plt.subplots(figsize=(6.4, 3.6))
    axis.plot(losses, linewidth=0.8)
    axis.set(xlabel="step", ylabel="cross-entropy",
             title=f"LeNet-5 on {source.split(' from ')[0]}: "
                   f"test accuracy {accuracies[-1]:.1%}")
    figure.savefig(args.out / "mnist_cnn_loss.png", dpi=100, bbox_inches="tight")
    plt.close(figure)
    print(f"plot written to {args.out}/mnist_cnn_loss.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
