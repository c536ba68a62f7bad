"""The chain rule by hand next to backward(), on the lecture's two-neuron chain, with drawings.

    n = sigmoid(w1*x + b1),   m = sigmoid(w2*n + b2),   L = (y - m)^2

Each factor of dL/dw2 and dL/dw1 is printed, multiplied out, and compared with the gradient
that backward() stores. The forward, backward and combined graphs are written as SVG, and the
backward pass as a step-by-step HTML animation (open it in a browser; it works offline).

Run:  python demos/chain_rule.py [--out out] [--seed N]
(--seed draws random numbers in place of the lecture's x = 1.5, y = 0.2, w1 = 0.8, ...)
"""

from __future__ import annotations

import argparse
import math
import random
from pathlib import Path

from minigrad.scalar import Value
from minigrad.viz import animate_backward, draw, render


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("out"),
                        help="folder for the drawings")
    parser.add_argument("--quick", action="store_true",
                        help="accepted like every demo's; this one always takes a second")
    parser.add_argument("--seed", type=int, default=None,
                        help="draw random numbers with this seed instead of the lecture's")
    args = parser.parse_args(argv)
    out = args.out

    numbers = {"x": 1.5, "y": 0.2, "w1": 0.8, "b1": -0.3, "w2": -1.2, "b2": 0.5}
    if args.seed is not None:
        generator = random.Random(args.seed)
        numbers = {name: round(generator.uniform(-2.0, 2.0), 2) for name in numbers}
    x, y = Value(numbers["x"], label="x"), Value(numbers["y"], label="y")
    w1, b1 = Value(numbers["w1"], label="w1"), Value(numbers["b1"], label="b1")
    w2, b2 = Value(numbers["w2"], label="w2"), Value(numbers["b2"], label="b2")
    z1 = w1 * x + b1
    z1.label = "z1"
    n = z1.sigmoid()
    n.label = "n"
    z2 = w2 * n + b2
    z2.label = "z2"
    m = z2.sigmoid()
    m.label = "m"
    diff = y - m
    diff.label = "y-m"
    loss = diff ** 2
    loss.label = "L"

    # Draw the forward pass before backward() so it shows values only.
    render(draw(loss, "forward", title="forward: values"), out / "chain_rule_forward.svg")
    animate_backward(loss, out / "chain_rule_backward_steps.html",
                     title="L = (y - m)^2, backward pass")
    loss.backward()
    render(draw(loss, "backward", title="backward: dL/d(node)"),
           out / "chain_rule_backward.svg")
    render(draw(loss, "both", title="values and gradients"), out / "chain_rule_both.svg")

    # The factors of the chain rule, from the forward numbers only.
    dL_dm = -2.0 * (y.data - m.data)            # d(y - m)^2 / dm
    dm_dz2 = m.data * (1.0 - m.data)            # sigmoid'(z2) = m (1 - m)
    dz2_dw2 = n.data                            # z2 = w2 n + b2
    dz2_dn = w2.data
    dn_dz1 = n.data * (1.0 - n.data)            # sigmoid'(z1) = n (1 - n)
    dz1_dw1 = x.data                            # z1 = w1 x + b1
    by_hand_w2 = dL_dm * dm_dz2 * dz2_dw2
    by_hand_w1 = dL_dm * dm_dz2 * dz2_dn * dn_dz1 * dz1_dw1

    print(f"forward: z1 = {z1.data:.6f}, n = {n.data:.6f}, z2 = {z2.data:.6f}, "
          f"m = {m.data:.6f}, L = {loss.data:.6f}\n")
    print("dL/dw2 = dL/dm * dm/dz2 * dz2/dw2")
    print(f"       = {dL_dm:.6f} * {dm_dz2:.6f} * {dz2_dw2:.6f} = {by_hand_w2:.8f}")
    print(f"backward() gives w2.grad = {w2.grad:.8f}\n")
    print("dL/dw1 = dL/dm * dm/dz2 * dz2/dn * dn/dz1 * dz1/dw1")
    print(f"       = {dL_dm:.6f} * {dm_dz2:.6f} * {dz2_dn:.6f} * {dn_dz1:.6f} * "
          f"{dz1_dw1:.6f} = {by_hand_w1:.8f}")
    print(f"backward() gives w1.grad = {w1.grad:.8f}\n")
    assert math.isclose(by_hand_w2, w2.grad, rel_tol=1e-12)
    assert math.isclose(by_hand_w1, w1.grad, rel_tol=1e-12)
    print("Both agree. Note the two sigmoid' factors in dL/dw1 (each at most 0.25): every")
    print("sigmoid layer between a weight and the loss shrinks its gradient again.\n")
    print(f"wrote {out}/chain_rule_forward.svg, _backward.svg, _both.svg, _backward_steps.html")


if __name__ == "__main__":
    main()
