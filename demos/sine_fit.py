"""Fit y = sin(x0) + cos(x1) with an MLP: ReLU vs sigmoid vs no activation at all.

The same network 2 -> 64 -> 64 -> 1 is trained three times on 1000 noisy points. With ReLU
or sigmoid between the layers it learns the wavy surface. Without an activation the three
Linear layers compose to one linear map x -> x W + b, so the "deep" network can do no
better than linear regression - and it lands on the closed-form least-squares solution:
an MLP without non-linearity is linear regression. The training step is compiled with
minigrad.compile; --eager runs it eagerly (the same numbers, slower).

    python demos/sine_fit.py --out out
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import minigrad
from minigrad import nn
from minigrad.data import DataLoader, TensorDataset, sine
from minigrad.optim import Adam
from minigrad.utils import StepTimer

ACTIVATIONS = {"relu": "relu", "sigmoid": "sigmoid", "none": None}


def train(model, loader, epochs: int, lr: float, timer: StepTimer) -> list[float]:
    """The plain training loop with mean squared error; returns the mean loss per epoch."""
    loss_fn = nn.MSELoss()
    optimizer = Adam(model.parameters(), lr=lr)

    def train_step(xb, yb):
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        return loss  # read with .item() outside: a compiled step cannot hand Python a value

    step = timer.wrap(train_step)
    history = []
    for epoch in range(epochs):
        total, count = 0.0, 0
        for xb, yb in loader:
            total += step(xb, yb).item() * xb.shape[0]
            count += xb.shape[0]
        history.append(total / count)
        if epoch % max(1, epochs // 5) == 0 or epoch == epochs - 1:
            print(f"  epoch {epoch:3d}  mse {history[-1]:.4f}")
    return history


def collapse_to_linear(model) -> tuple[np.ndarray, np.ndarray]:
    """The single (W, b) that an MLP without activations computes: y = x W + b.

    Layer by layer, (x W1^T + b1) W2^T + b2 = x (W1^T W2^T) + (b1 W2^T + b2).
    """
    weight, bias = None, None
    for layer in model.modules():
        if isinstance(layer, nn.Linear):
            w, b = layer.weight.numpy().T.astype(np.float64), layer.bias.numpy()
            weight = w if weight is None else weight @ w
            bias = b if bias is None else bias @ w + b
    return weight, bias


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="MLP regression: ReLU vs sigmoid vs linear",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("out"), help="folder for the plots")
    parser.add_argument("--quick", action="store_true", help="a few epochs only (smoke test)")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--eager", action="store_true",
                        help="run the training step eagerly instead of minigrad.compile")
    args = parser.parse_args(argv)
    plt.switch_backend("Agg")
    args.out.mkdir(parents=True, exist_ok=True)
    epochs = 3 if args.quick else 150
    minigrad.manual_seed(args.seed)

    X, y = sine(1000, noise=0.1, seed=args.seed)
    loader = DataLoader(TensorDataset(X, y), batch_size=50, shuffle=True, seed=args.seed)

    # Closed-form least squares: append a column of ones for the bias and solve
    # min ||[X 1] w - y||^2 (numpy's lstsq uses an SVD, stable even when X^T X is not).
    design = np.hstack([X, np.ones((len(X), 1), np.float32)]).astype(np.float64)
    solution, *_ = np.linalg.lstsq(design, y.astype(np.float64), rcond=None)
    least_squares_mse = float(np.mean((design @ solution - y) ** 2))
    print(f"closed-form least squares: w = {solution[:2, 0].round(4)}, "
          f"b = {solution[2, 0]:.4f}, mse {least_squares_mse:.4f}")

    histories, models = {}, {}
    timer = StepTimer(eager=args.eager)
    for name, activation in ACTIVATIONS.items():
        print(f"MLP 2 -> 64 -> 64 -> 1 with activation: {name}")
        models[name] = nn.MLP(2, [64, 64], 1, activation=activation)
        histories[name] = train(models[name], loader, epochs,
                                lr=0.01 if name != "none" else 3e-3, timer=timer)
    print(timer.summary())

    weight, bias = collapse_to_linear(models["none"])
    with minigrad.no_grad():
        linear_mse = float(np.mean((models["none"](minigrad.tensor(X)).numpy() - y) ** 2))
    print(f"MLP without activation collapses to w = {weight[:, 0].round(4)}, "
          f"b = {bias[0]:.4f}, mse {linear_mse:.4f} "
          f"(least squares: {least_squares_mse:.4f})")

    grid = np.linspace(0, 10, 80, dtype=np.float32)
    g0, g1 = np.meshgrid(grid, grid)
    points = np.column_stack([g0.ravel(), g1.ravel()])
    surfaces = {"target sin(x0) + cos(x1)": np.sin(g0) + np.cos(g1)}
    with minigrad.no_grad():
        for name, model in models.items():
            surfaces[f"MLP, {name}"] = model(minigrad.tensor(points)).numpy().reshape(g0.shape)
    columns = 2
    rows = -(-len(surfaces) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(9, 3.8 * rows), layout="constrained",
                                squeeze=False)
    for axis in axes.ravel()[len(surfaces):]:
        axis.remove()
    for axis, (title, surface) in zip(axes.ravel(), surfaces.items(), strict=False):
        image = axis.imshow(surface, origin="lower", extent=(0, 10, 0, 10), cmap="viridis",
                            vmin=-2, vmax=2)
        axis.set(title=title, xlabel="x0", ylabel="x1")
    figure.colorbar(image, ax=axes.ravel().tolist(), shrink=0.8, label="y")
    figure.savefig(args.out / "sine_fit_surfaces.png", dpi=100, bbox_inches="tight")
    plt.close(figure)

    figure, axis = plt.subplots(figsize=(6, 4))
    for name, history in histories.items():
        axis.plot(range(1, epochs + 1), history, label=f"activation: {name}")
    axis.axhline(least_squares_mse, color="black", linestyle=":",
                 label="closed-form least squares")
    axis.set(xlabel="epoch", ylabel="training MSE", yscale="log",
             title="An MLP without non-linearity is linear regression")
    axis.legend()
    figure.savefig(args.out / "sine_fit_loss.png", dpi=100, bbox_inches="tight")
    plt.close(figure)
    print(f"plots written to {args.out}/sine_fit_*.png")


if __name__ == "__main__":
    main()
