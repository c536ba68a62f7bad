"""Classify the 8x8 handwritten digits with an MLP (>= 95% test accuracy in seconds).

The 1,797 digits that ship with scikit-learn, split 80/20 with every class in proportion.
First a plain training loop, written out, whose step is compiled with minigrad.compile
(--eager runs it eagerly: the same numbers, only slower); then the same again with
minigrad.training.fit, which adds validation, a progress bar and a history.

    python demos/digits_mlp.py --out out
    python demos/digits_mlp.py --eager      (the plain loop without minigrad.compile)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import minigrad
from minigrad import nn
from minigrad.data import DataLoader, TensorDataset, load_digits, train_test_split
from minigrad.optim import Adam
from minigrad.training import accuracy, fit
from minigrad.utils import StepTimer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="MLP on the 8x8 digits",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("out"), help="folder for the plots")
    parser.add_argument("--quick", action="store_true", help="one epoch only (smoke test)")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--eager", action="store_true",
                        help="run the training step eagerly instead of minigrad.compile")
    args = parser.parse_args(argv)
    plt.switch_backend("Agg")
    args.out.mkdir(parents=True, exist_ok=True)
    epochs = 1 if args.quick else 30
    minigrad.manual_seed(args.seed)

    X, y = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, stratify=y,
                                                        seed=args.seed)
    print(f"{len(X_train)} training and {len(X_test)} test images of 8x8 = 64 pixels")
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=32, shuffle=True,
                        seed=args.seed)

    # 1. The plain loop: forward, loss, zero the old gradients, backward, step.
    model = nn.MLP(64, [128], 10)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = Adam(model.parameters(), lr=2e-3)

    def train_step(xb, yb):
        loss = loss_fn(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss  # read with .item() outside: a compiled step cannot hand Python a value

    timer = StepTimer(eager=args.eager)
    step = timer.wrap(train_step)
    for epoch in range(epochs):
        for xb, yb in loader:
            loss = step(xb, yb)
        with minigrad.no_grad():
            test_accuracy = accuracy(model(minigrad.tensor(X_test)), y_test)
        if epoch % 5 == 0 or epoch == epochs - 1:
            print(f"plain loop  epoch {epoch:2d}  last batch loss {loss.item():.4f}  "
                  f"test accuracy {test_accuracy:.2%}")
    print(timer.summary())

    # 2. The same with fit(): validation loss and accuracy per epoch, returned as history.
    minigrad.manual_seed(args.seed)
    model = nn.MLP(64, [128], 10)
    optimizer = Adam(model.parameters(), lr=2e-3)
    history = fit(model, loss_fn, optimizer, loader, epochs=epochs,
                  val_data=(X_test, y_test), metric="accuracy")
    print(f"fit(): final test accuracy {history['val_metric'][-1]:.2%}")

    figure, (loss_axis, accuracy_axis) = plt.subplots(1, 2, figsize=(10, 3.6))
    epochs_axis = range(1, len(history["loss"]) + 1)
    loss_axis.plot(epochs_axis, history["loss"], label="training")
    loss_axis.plot(epochs_axis, history["val_loss"], "--", label="test")
    loss_axis.set(xlabel="epoch", ylabel="cross-entropy", title="loss")
    loss_axis.legend()
    accuracy_axis.plot(epochs_axis, history["val_metric"])
    accuracy_axis.set(xlabel="epoch", ylabel="test accuracy", title="accuracy")
    figure.savefig(args.out / "digits_history.png", dpi=100, bbox_inches="tight")
    plt.close(figure)

    with minigrad.no_grad():
        predicted = model(minigrad.tensor(X_test)).numpy().argmax(axis=1)
    figure, axes = plt.subplots(3, 8, figsize=(10, 4.2))
    for axis, image, label, guess in zip(axes.ravel(), X_test, y_test, predicted, strict=False):
        axis.imshow(image.reshape(8, 8), cmap="gray_r")
        axis.set_title(f"{guess}" + ("" if guess == label else f" (is {label})"),
                       color="black" if guess == label else "red", fontsize=9)
        axis.axis("off")
    figure.suptitle(f"test predictions ({np.mean(predicted == y_test):.1%} correct)")
    figure.savefig(args.out / "digits_predictions.png", dpi=100, bbox_inches="tight")
    plt.close(figure)
    print(f"plots written to {args.out}/digits_*.png")


if __name__ == "__main__":
    main()
