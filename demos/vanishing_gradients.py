"""Vanishing gradients: a deep sigmoid MLP next to the same MLP with ReLU, drawn and plotted.

Both networks get the same data and the same kind of loss; after one backward pass we look
at how large the gradients of each layer's weights are. sigmoid'(z) is at most 0.25, so in
the sigmoid network every layer multiplies the backward signal by a small factor and the first
layers receive almost nothing: their boxes in the backward graph turn blue (the colour scale
is in decades of |grad|) and their bars in the gradient-flow plot drop by orders of magnitude.
ReLU (with He initialisation) passes gradients through unchanged where it is active.

Run:  python demos/vanishing_gradients.py [--depth 8] [--out out]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

import minigrad
import minigrad.nn as nn
from minigrad.viz import draw, plot_grad_flow, render


def one_backward(activation: str, depth: int, width: int, X, y, seed: int):
    minigrad.manual_seed(seed)
    model = nn.MLP(2, [width] * depth, 1, activation=activation)
    if activation == "relu":
        # He initialisation keeps the variance of ReLU activations and gradients constant.
        for name, parameter in model.named_parameters():
            if name.endswith("weight"):
                nn.init.kaiming_normal_(parameter)
    loss = nn.functional.binary_cross_entropy_with_logits(model(X), y)
    # Draw first (the drawing computes gradients with retain_graph), then fill the .grad fields.
    drawing = draw(loss, "backward", model=model, collapse_modules=True,
                   title=f"{activation} MLP, depth {depth}: mean |grad| of each layer")
    loss.backward()
    return model, drawing


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--depth", type=int, default=8, help="number of hidden layers")
    parser.add_argument("--width", type=int, default=16, help="units per hidden layer")
    parser.add_argument("--out", type=Path, default=Path("out"),
                        help="folder for the drawings and the plot")
    parser.add_argument("--quick", action="store_true",
                        help="4 hidden layers of 8 units (smoke test)")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    args = parser.parse_args(argv)
    out = args.out
    if args.quick:
        args.depth, args.width = 4, 8

    rng = np.random.default_rng(args.seed)
    X_numpy = rng.normal(size=(64, 2)).astype(np.float32)
    y_numpy = (X_numpy[:, :1] * X_numpy[:, 1:] > 0).astype(np.float32)  # XOR-like quadrants
    X, y = minigrad.tensor(X_numpy), minigrad.tensor(y_numpy)

    figure = Figure(figsize=(11, 5.5))
    axes = figure.subplots(1, 2, sharey=True)
    for axis, activation in zip(axes, ("sigmoid", "relu"), strict=True):
        model, drawing = one_backward(activation, args.depth, args.width, X, y, args.seed)
        render(drawing, out / f"backward_{activation}.svg")
        weights = [(name, p) for name, p in model.named_parameters() if name.endswith("weight")]
        plot_grad_flow(weights, ax=axis, title=f"{activation}: gradient flow")
        first, last = weights[0][1].grad.numpy(), weights[-1][1].grad.numpy()
        ratio = np.abs(first).mean() / np.abs(last).mean()
        print(f"{activation:>8}: mean |grad| first layer {np.abs(first).mean():.3e}, "
              f"last layer {np.abs(last).mean():.3e}, ratio {ratio:.2e}")
    figure.tight_layout()
    out.mkdir(parents=True, exist_ok=True)
    figure.savefig(out / "grad_flow.png", dpi=110)
    print(f"wrote {out}/backward_sigmoid.svg, backward_relu.svg and grad_flow.png")


if __name__ == "__main__":
    main()
