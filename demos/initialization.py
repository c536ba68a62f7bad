"""Weight initialisation: Xavier, He, too small, too large - and BatchNorm as a rescue.

A Linear layer computes z = x W + b. With inputs of variance 1 and weights of variance s^2,
each z sums fan_in products, so Var(z) = fan_in * s^2. If fan_in * s^2 is below 1 the signal
shrinks layer after layer, above 1 it grows: after 10 layers a factor 0.5 is 0.001 and a
factor 2 is 1000. The cure is to choose s from the fan:

- Xavier (Glorot): s^2 = 2 / (fan_in + fan_out), about 1 / fan_in - made for tanh, which
  is the identity near 0 (its squashing still shrinks the signal slowly; the gain 5/3 of
  nn.init.calculate_gain("tanh") makes up for that);
- He (Kaiming): s^2 = 2 / fan_in - right for ReLU, which zeroes half of its inputs and so
  halves the variance.

Part 1 sends one batch of standard-normal inputs through a 10-layer tanh MLP and a 10-layer
ReLU MLP with each initialisation and plots, per layer, the histogram of the activations,
their standard deviation and the norm of the weight gradients after one backward pass: too
small and the activations (and gradients) vanish, too large and tanh saturates at +-1 (its
derivative is 0 there) while ReLU explodes; Xavier under ReLU loses a factor sqrt(2) in
every layer, which He puts back.

Part 2 trains a deep ReLU MLP on the 8x8 digits from a too-small initialisation, with and
without BatchNorm1d after each Linear layer. Batch normalisation rescales every layer's
output to mean 0 and variance 1 whatever the weights' scale, so the badly initialised
network trains anyway. Its training steps are compiled with minigrad.compile (BatchNorm's
running statistics included); --eager runs them eagerly (the same numbers, slower).

    python demos/initialization.py --out out
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import minigrad
from minigrad import nn
from minigrad.data import DataLoader, TensorDataset, load_digits
from minigrad.optim import SGD
from minigrad.utils import StepTimer

DEPTH, WIDTH = 10, 64

INITIALISERS = {
    "too small (std 0.01)": lambda w: nn.init.normal_(w, 0.0, 0.01),
    "Xavier": lambda w: nn.init.xavier_normal_(w),
    "He": lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu"),
    "too large (std 1)": lambda w: nn.init.normal_(w, 0.0, 1.0),
}


def initialise(model: nn.Module, initialiser) -> None:
    for module in model.modules():
        if isinstance(module, nn.Linear):
            initialiser(module.weight)
            nn.init.zeros_(module.bias)


def layer_statistics(model: nn.Sequential, X, y):
    """Each hidden layer's activations (after the non-linearity) and |grad W| per Linear."""
    activations = []
    out = X
    for module in model:
        out = module(out)
        if not isinstance(module, nn.Linear):
            activations.append(out.numpy().ravel())
    loss = nn.functional.cross_entropy(out, y)
    loss.backward()
    grad_norms = [float(np.linalg.norm(m.weight.grad.numpy()))
                  for m in model if isinstance(m, nn.Linear)]
    return activations, grad_norms


def deep_net(batch_norm: bool) -> nn.Sequential:
    layers: list[nn.Module] = []
    width = 64
    for _ in range(DEPTH):
        layers.append(nn.Linear(width, WIDTH))
        if batch_norm:
            layers.append(nn.BatchNorm1d(WIDTH))
        layers.append(nn.ReLU())
        width = WIDTH
    layers.append(nn.Linear(width, 10))
    return nn.Sequential(*layers)


def train_curve(model, X, y, epochs: int, seed: int, timer: StepTimer) -> list[float]:
    loss_fn = nn.CrossEntropyLoss()
    optimizer = SGD(model.parameters(), lr=0.05, momentum=0.9)
    loader = DataLoader(TensorDataset(X, y), batch_size=64, shuffle=True, seed=seed)

    def train_step(xb, yb):
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        return loss  # read with .item() outside: a compiled step cannot hand Python a value

    step = timer.wrap(train_step)
    losses = []
    for _ in range(epochs):
        for xb, yb in loader:
            losses.append(step(xb, yb).item())
    return losses


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Xavier, He, too small, too large; BatchNorm",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("out"), help="folder for the plots")
    parser.add_argument("--quick", action="store_true", help="one epoch in part 2 (smoke test)")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--eager", action="store_true",
                        help="run part 2's training steps eagerly instead of minigrad.compile")
    args = parser.parse_args(argv)
    plt.switch_backend("Agg")
    args.out.mkdir(parents=True, exist_ok=True)

    rng = np.random.default_rng(args.seed)
    X = minigrad.tensor(rng.normal(size=(512, 64)).astype(np.float32))
    y = minigrad.tensor(rng.integers(0, 10, 512))

    # Part 1: statistics per layer.
    histograms, axes_hist = plt.subplots(2, len(INITIALISERS), figsize=(14, 7))
    summary, axes_summary = plt.subplots(2, 2, figsize=(12, 7))
    for row, activation in enumerate(("tanh", "relu")):
        print(f"\n{activation} MLP, {DEPTH} hidden layers of {WIDTH}: std of the activations "
              "in layers 1 / 5 / 10, |grad W| of the first and last layer")
        for column, (name, initialiser) in enumerate(INITIALISERS.items()):
            minigrad.manual_seed(args.seed)
            model = nn.MLP(64, [WIDTH] * DEPTH, 10, activation=activation)
            initialise(model, initialiser)
            activations, grad_norms = layer_statistics(model, X, y)
            stds = [float(a.std()) for a in activations]
            print(f"  {name:22s} std {stds[0]:9.2e} / {stds[4]:9.2e} / {stds[-1]:9.2e}   "
                  f"|grad W| {grad_norms[0]:9.2e} ... {grad_norms[-1]:9.2e}")
            axis = axes_hist[row, column]
            # Histograms are clipped to the 1st..99th percentile range of all layers together.
            low, high = np.percentile(np.concatenate(activations), [1, 99])
            for layer, values in enumerate(activations):
                axis.hist(values, bins=60, range=(low, high + 1e-12), histtype="step",
                          color=plt.cm.viridis(layer / (DEPTH - 1)), label=f"layer {layer + 1}"
                          if layer in (0, DEPTH - 1) else None)
            axis.set_title(f"{activation}, {name}", fontsize=9)
            axis.set(xlabel="activation value", ylabel="count", yscale="log")
            axis.legend(fontsize=7)
            layers = range(1, DEPTH + 1)
            means = [float(a.mean()) for a in activations]
            axes_summary[0, row].plot(layers, stds, marker="o", label=name)
            axes_summary[0, row].plot(layers, np.abs(means), ":", color=f"C{column}")
            axes_summary[1, row].plot(range(1, DEPTH + 2), grad_norms, marker="o", label=name)
        axes_summary[0, row].set(yscale="log", xlabel="hidden layer",
                                 ylabel="std (solid), |mean| (dotted)",
                                 title=f"{activation}: activations per layer")
        axes_summary[1, row].set(yscale="log", xlabel="Linear layer", ylabel="|grad W|",
                                 title=f"{activation}: weight-gradient norm per layer")
        axes_summary[0, row].legend(fontsize=7)
        axes_summary[1, row].legend(fontsize=7)
    histograms.suptitle("activation histograms per layer (light = deep); log counts")
    histograms.savefig(args.out / "initialization_histograms.png", dpi=90, bbox_inches="tight")
    summary.tight_layout()
    summary.savefig(args.out / "initialization_layers.png", dpi=90, bbox_inches="tight")
    plt.close(histograms)
    plt.close(summary)

    # Part 2: a too-small initialisation, trained with and without BatchNorm.
    epochs = 1 if args.quick else 8
    digits, labels = load_digits()
    curves = {}
    timer = StepTimer(eager=args.eager)
    for name, batch_norm, initialiser in (
        ("He init, no BatchNorm", False, INITIALISERS["He"]),
        ("std 0.01 init, no BatchNorm", False, INITIALISERS["too small (std 0.01)"]),
        ("std 0.01 init + BatchNorm1d", True, INITIALISERS["too small (std 0.01)"]),
    ):
        minigrad.manual_seed(args.seed)
        model = deep_net(batch_norm)
        initialise(model, initialiser)
        curves[name] = train_curve(model, digits, labels, epochs, args.seed, timer)
        print(f"{name:30s} loss first batch {curves[name][0]:.3f}, "
              f"mean of the last 10 batches {np.mean(curves[name][-10:]):.3f}")
    print(f"(chance level: ln 10 = {math.log(10):.3f})")
    print(timer.summary())

    figure, axis = plt.subplots(figsize=(7, 4))
    for name, losses in curves.items():
        axis.plot(losses, label=name)
    axis.axhline(math.log(10), color="gray", linestyle="--", linewidth=0.8, label="chance")
    axis.set(xlabel="mini-batch", ylabel="cross-entropy",
             title=f"{DEPTH}-layer ReLU MLP on digits, SGD momentum 0.9")
    axis.legend(fontsize=8)
    figure.savefig(args.out / "initialization_batchnorm.png", dpi=100, bbox_inches="tight")
    plt.close(figure)
    print(f"plots written to {args.out}/initialization_*.png")


if __name__ == "__main__":
    main()
