"""Your first gradients: one neuron, y = tanh(x . w + b), differentiated two ways.

minigrad's backward() computes dy/dw and dy/db; next to it we print the same derivatives
worked out by hand with the chain rule:

    y = tanh(z),  z = x . w + b
    dy/dz = 1 - tanh(z)^2
    dy/dw = dy/dz * x        dy/db = dy/dz

The graph of the neuron, with every node's value and gradient, is drawn to
OUT/first_gradients.svg.

Run:  python demos/first_gradients.py [--out out] [--seed 0]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import minigrad
from minigrad.viz import draw, render


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("out"), help="folder for the drawing")
    parser.add_argument("--quick", action="store_true",
                        help="accepted like every demo's; this one always takes a second")
    parser.add_argument("--seed", type=int, default=0, help="random seed for the numbers")
    args = parser.parse_args(argv)

    minigrad.manual_seed(args.seed)
    x = minigrad.randn(3, dtype=minigrad.float64)
    w = minigrad.randn(3, dtype=minigrad.float64, requires_grad=True)
    b = minigrad.tensor(0.5, dtype=minigrad.float64, requires_grad=True)

    z = x @ w + b
    y = z.tanh()
    y.backward()

    local = 1.0 - np.tanh(z.item()) ** 2
    by_hand_w = local * x.numpy()
    by_hand_b = local

    np.set_printoptions(precision=6, suppress=True)
    print(f"x = {x.numpy()}\nw = {w.detach().numpy()}\nb = {b.item():.6f}")
    print(f"z = x.w + b = {z.item():.6f},  y = tanh(z) = {y.item():.6f}\n")
    print(f"{'':10}{'backward()':>40}{'by hand':>40}")
    print(f"{'dy/dw':10}{np.array2string(w.grad.numpy()):>40}{np.array2string(by_hand_w):>40}")
    print(f"{'dy/db':10}{b.grad.item():>40.6f}{by_hand_b:>40.6f}")
    agree = np.allclose(w.grad.numpy(), by_hand_w) and np.isclose(b.grad.item(), by_hand_b)
    print("\nThey agree." if agree else "\nThey DISAGREE - please report this as a bug.")
    if not agree:
        raise SystemExit(1)
    path = render(draw(y, mode="both", title="y = tanh(x . w + b)"),
                  args.out / "first_gradients.svg")
    print(f"graph drawn to {path}")


if __name__ == "__main__":
    main()
