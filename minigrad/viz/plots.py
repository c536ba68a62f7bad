"""Training plots with matplotlib: loss curves, decision boundaries, gradient flow, activations.

Every function returns the matplotlib ``Figure`` (shown inline in Jupyter when it is a
cell's result) and, given ``path``, also saves it. The figure is closed in pyplot before it is
returned, so it never stays pyplot's *current* figure: a later ``plt.plot(...)`` starts a new
figure instead of drawing on top of this one. On a machine without a display matplotlib is
switched to the non-interactive ``Agg`` backend before pyplot is imported, so scripts and CI
never need a window system.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

SPLIT_PREFIXES = ("train_", "training_", "val_", "valid_", "validation_", "test_")


def _pyplot():
    """matplotlib.pyplot, with the Agg backend when there is no display to draw on."""
    import matplotlib

    headless = sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )
    if headless and "MPLBACKEND" not in os.environ and "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _finish(figure, path: str | os.PathLike | None, *, release: bool = True):
    """Lay out, save to ``path`` if given, and (``release``) let go of it in pyplot."""
    figure.tight_layout()
    if path is not None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, dpi=110)
    if release:
        _pyplot().close(figure)
    return figure


def _split_and_metric(name: str) -> tuple[str, str]:
    """("val", "loss") for "val_loss"; ("train", "acc") for "acc" or "train_acc"."""
    for prefix in SPLIT_PREFIXES:
        if name.startswith(prefix):
            split = prefix.rstrip("_")
            split = "validation" if split in ("val", "valid") else split
            return ("train" if split == "training" else split), name[len(prefix):]
    return "train", name


def plot_history(
    history: Mapping[str, Sequence[float]] | Sequence[Mapping[str, float]],
    *,
    title: str | None = None,
    log_scale: bool = False,
    path: str | os.PathLike | None = None,
):
    """Loss and metric curves, one panel per metric, train solid and validation dashed.

    ``history`` maps names to per-epoch values (``{"loss": [...], "val_loss": [...],
    "acc": [...]}``) or is a list of per-epoch dicts. Names with a ``val_``/``test_``/
    ``train_`` prefix share the panel of the bare metric name.
    """
    if isinstance(history, Mapping):
        series = {str(k): [float(v) for v in values] for k, values in history.items()}
    else:
        series = {}
        for epoch in history:
            for key, value in epoch.items():
                series.setdefault(str(key), []).append(float(value))
    if not series:
        raise ValueError("plot_history needs at least one named series, got an empty history")
    panels: dict[str, list[tuple[str, str]]] = {}
    for name in series:
        split, metric = _split_and_metric(name)
        panels.setdefault(metric, []).append((split, name))
    plt = _pyplot()
    figure, axes = plt.subplots(1, len(panels), figsize=(4.5 * len(panels), 3.4), squeeze=False)
    styles = {"train": "-", "validation": "--", "test": ":"}
    for axis, (metric, members) in zip(axes[0], panels.items(), strict=True):
        for split, name in members:
            values = series[name]
            axis.plot(range(1, len(values) + 1), values, styles.get(split, "-"), label=name)
        axis.set_xlabel("epoch")
        axis.set_ylabel(metric)
        axis.set_title(metric)
        if log_scale:
            axis.set_yscale("log")
        axis.grid(alpha=0.3)
        axis.legend()
    if title:
        figure.suptitle(title)
    return _finish(figure, path)


def _model_scores(model: Any, points: np.ndarray) -> np.ndarray:
    """Evaluate any supported model on an (N, 2) float64 array of points."""
    from minigrad.scalar import MLP as ScalarMLP

    if isinstance(model, ScalarMLP):
        # Trace the Value network once and evaluate the whole grid with the Numba tape.
        from minigrad.scalar import Tape, Value

        inputs = [Value(0.0) for _ in range(model.nin)]
        tape = Tape(model(inputs), inputs=inputs, params=model.parameters())
        return np.asarray(tape.forward_batch(points))
    if hasattr(model, "named_parameters") and callable(model):
        import minigrad

        with minigrad.no_grad():
            output = model(minigrad.tensor(points.astype(np.float32)))
        return output.numpy()
    if hasattr(model, "predict") and callable(model.predict):
        return np.asarray(model.predict(points))
    if callable(model):
        return np.asarray(model(points))
    raise TypeError(
        "model must be a callable mapping an (N, 2) array to scores, a minigrad nn.Module, "
        f"or a minigrad.scalar.MLP; got {type(model).__name__}"
    )


def plot_decision_boundary(
    model: Callable | Any,
    X: np.ndarray,
    y: np.ndarray,
    *,
    resolution: int = 150,
    threshold: float | None = None,
    title: str | None = None,
    xlabel: str = "$x_0$",
    ylabel: str = "$x_1$",
    path: str | os.PathLike | None = None,
):
    """The regions a 2-D classifier assigns to each class, with the data points on top.

    ``model`` maps an (N, 2) array to scores: a Python callable on numpy arrays, a minigrad
    ``nn.Module`` (called on a float32 Tensor under ``no_grad``), a ``minigrad.scalar.MLP``
    (evaluated through a Tape), or anything with ``predict``. Scores of shape (N, C) with
    C > 1 are classified by argmax; one score per point by ``score > threshold``, where the
    threshold defaults to 0.5 for scores in [0, 1] (probabilities) and 0 otherwise
    (``tanh`` outputs, SVM-style margins, logits). The axes are labelled ``xlabel`` and
    ``ylabel`` (the two input features) and a legend names the class of each colour.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y).reshape(-1)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (N, 2) for a 2-D decision boundary, got {X.shape}")
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y has {y.shape[0]} labels but X has {X.shape[0]} points")
    margin_x = 0.1 * (np.ptp(X[:, 0]) or 1.0)
    margin_y = 0.1 * (np.ptp(X[:, 1]) or 1.0)
    xs = np.linspace(X[:, 0].min() - margin_x, X[:, 0].max() + margin_x, resolution)
    ys = np.linspace(X[:, 1].min() - margin_y, X[:, 1].max() + margin_y, resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    points = np.column_stack([grid_x.ravel(), grid_y.ravel()])
    scores = _model_scores(model, points)
    if scores.shape[0] != points.shape[0]:
        raise ValueError(
            f"the model returned {scores.shape[0]} scores for {points.shape[0]} points "
            f"(output shape {scores.shape}); expected one row per point"
        )
    scores = scores.reshape(points.shape[0], -1)
    if scores.shape[1] > 1:
        regions = scores.argmax(axis=1)
    else:
        if threshold is None:
            in_unit_interval = scores.min() >= 0.0 and scores.max() <= 1.0
            threshold = 0.5 if in_unit_interval else 0.0
        regions = (scores[:, 0] > threshold).astype(int)
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(5, 4.5))
    axis.contourf(grid_x, grid_y, regions.reshape(grid_x.shape), alpha=0.3, cmap="coolwarm",
                  levels=np.arange(regions.max() + 2) - 0.5)
    points_drawn = axis.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", edgecolors="k", s=25)
    handles, _ = points_drawn.legend_elements()
    axis.legend(handles, [f"class {label}" for label in np.unique(y)], loc="best",
                fontsize=8, framealpha=0.8)
    axis.set_xlim(xs[0], xs[-1])
    axis.set_ylim(ys[0], ys[-1])
    axis.set(title=title or "decision boundary", xlabel=xlabel, ylabel=ylabel)
    return _finish(figure, path)


def _gradient_array(parameter: Any) -> np.ndarray | None:
    """The gradient of a Tensor parameter, a Value, or a list of Values, as a flat array."""
    if isinstance(parameter, list | tuple):
        grads = [_gradient_array(p) for p in parameter]
        grads = [g for g in grads if g is not None]
        return np.concatenate(grads) if grads else None
    grad = getattr(parameter, "grad", None)
    if grad is None:
        return None
    if hasattr(grad, "numpy"):
        return np.asarray(grad.numpy(), dtype=np.float64).reshape(-1)
    return np.asarray([float(grad)])


def _named_gradients(source: Any) -> list[tuple[str, np.ndarray | None]]:
    if hasattr(source, "named_parameters"):
        pairs: Iterable = source.named_parameters()
    elif hasattr(source, "layers") and hasattr(source, "parameters"):
        # A minigrad.scalar.MLP: one bar per layer, over all its weights and biases.
        pairs = [(f"layer {i}", layer.parameters()) for i, layer in enumerate(source.layers)]
    else:
        pairs = source
    return [(str(name), _gradient_array(parameter)) for name, parameter in pairs]


def plot_grad_flow(
    named_parameters: Any,
    *,
    include_bias: bool = True,
    title: str | None = None,
    ax: Any = None,
    path: str | os.PathLike | None = None,
):
    """Mean and max |grad| per layer, on a log axis, from the input side to the output side.

    Pass a model (its ``named_parameters()`` are used; a ``minigrad.scalar.MLP`` gives one
    bar per layer) or ``(name, parameter)`` pairs, after ``loss.backward()``. Bars shrinking
    by decades towards the input side are vanishing gradients; parameters without a gradient
    are marked "no grad". ``ax`` draws into an existing matplotlib Axes (to put two models
    side by side); its Figure is returned.
    """
    entries = _named_gradients(named_parameters)
    if not include_bias:
        entries = [(name, g) for name, g in entries if not name.endswith("bias")]
    if not entries:
        raise ValueError("plot_grad_flow found no parameters to plot")
    names = [name for name, _ in entries]
    means = np.array([np.abs(g).mean() if g is not None and g.size else np.nan for _, g in entries])
    maxima = np.array([np.abs(g).max() if g is not None and g.size else np.nan for _, g in entries])
    if ax is None:
        figure, axis = _pyplot().subplots(figsize=(max(5.0, 0.6 * len(names) + 2), 4))
    else:
        figure, axis = ax.figure, ax
    positions = np.arange(len(names))
    # Log axes cannot show 0: draw exact zeros at a floor far below any real gradient.
    finite = np.concatenate([means[means > 0], maxima[maxima > 0]])
    floor = finite.min() / 10 if finite.size else 1e-12
    axis.bar(positions, np.where(maxima > 0, maxima, floor), color="#9ecae1", label="max |grad|")
    axis.bar(positions, np.where(means > 0, means, floor), width=0.5, color="#08519c",
             label="mean |grad|")
    for position, mean in zip(positions, means, strict=True):
        if np.isnan(mean):
            axis.text(position, floor, "no grad", rotation=90, ha="center", va="bottom")
    axis.set_yscale("log")
    axis.set_xticks(positions, names, rotation=60, ha="right")
    axis.set_ylabel("|grad| (log scale)")
    axis.set_xlabel("layer (input side to output side)")
    axis.set_title(title or "gradient flow")
    axis.grid(axis="y", alpha=0.3)
    axis.legend()
    # A figure passed in through ``ax`` belongs to the caller, who may still draw on it.
    return _finish(figure, path, release=ax is None)


ACTIVATIONS = ("sigmoid", "tanh", "relu", "exp")


def plot_activations(
    names: Sequence[str] = ("sigmoid", "tanh", "relu"),
    *,
    x_range: tuple[float, float] = (-5.0, 5.0),
    points: int = 201,
    path: str | os.PathLike | None = None,
):
    """Each activation and its derivative, both computed by minigrad's scalar autograd.

    The derivative curve is ``Value(x).f().backward()`` at every x, so the picture is also a
    check of the engine: sigmoid' peaks at 0.25 (why deep sigmoid nets vanish), tanh' at 1,
    relu' is a step.
    """
    from minigrad.scalar import Value

    unknown = [name for name in names if name not in ACTIVATIONS]
    if unknown or not names:
        raise ValueError(f"activations must be among {ACTIVATIONS}, got {list(names)}")
    xs = np.linspace(x_range[0], x_range[1], points)
    plt = _pyplot()
    # At most two panels per row keeps the picture about as wide as a slide, not a strip.
    columns = min(2, len(names))
    rows = -(-len(names) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 3.3 * rows),
                                squeeze=False)
    for axis in axes.ravel()[len(names):]:
        axis.remove()
    for axis, name in zip(axes.ravel(), names, strict=False):
        values, derivatives = [], []
        for x in xs:
            leaf = Value(float(x))
            out = getattr(leaf, name)()
            out.backward()
            values.append(out.data)
            derivatives.append(leaf.grad)
        axis.plot(xs, values, label=f"{name}(x)")
        axis.plot(xs, derivatives, "--", label=f"d {name}/dx")
        axis.axhline(0, color="#999999", linewidth=0.7)
        axis.set_title(name)
        axis.set_xlabel("x")
        axis.set_ylabel("value")
        axis.grid(alpha=0.3)
        axis.legend()
    return _finish(figure, path)
