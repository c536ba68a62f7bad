"""An optional training loop: ``fit`` runs epochs of mini-batches and records a history.

The plain loop is the first thing to learn, and ``fit`` does nothing more than it::

    for epoch in range(epochs):
        for xb, yb in train_loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()

On top of that, ``fit`` averages the training loss per epoch, evaluates on validation
data (loss and an optional metric such as accuracy) with gradients off and the model in
eval mode, shows a tqdm progress bar, and can stop early when the validation loss stops
improving, putting back the best weights it saw.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

import minigrad
from minigrad.data.loader import DataLoader, TensorDataset


def accuracy(logits, target) -> float:
    """The fraction of rows whose largest logit is at the target class.

    ``logits`` is (N, C) with ``target`` (N,) class indices, or (N,)/(N, 1) scores of a
    binary classifier (positive means class 1) with 0/1 targets.
    """
    scores = logits.numpy() if isinstance(logits, minigrad.Tensor) else np.asarray(logits)
    labels = target.numpy() if isinstance(target, minigrad.Tensor) else np.asarray(target)
    if scores.ndim == 2 and scores.shape[1] > 1:
        predicted = scores.argmax(axis=1)
    else:
        predicted = (scores.reshape(-1) > 0).astype(np.int64)
    labels = labels.reshape(-1)
    if predicted.shape != labels.shape:
        raise ValueError(f"accuracy: {predicted.shape[0]} predictions for {labels.shape[0]} "
                         f"targets (logits shape {scores.shape}, target shape {labels.shape})")
    return float((predicted == labels.astype(predicted.dtype)).mean())


METRICS: dict[str, Callable[[Any, Any], float]] = {"accuracy": accuracy}


def _as_loader(data, batch_size: int) -> Iterable:
    """Validation data as batches: a DataLoader/iterable of batches, or a pair ``(X, y)``."""
    if isinstance(data, tuple) and len(data) == 2:
        return DataLoader(TensorDataset(*data), batch_size=batch_size)
    return data


def evaluate(model, loss_fn, data, metric: str | Callable | None = None,
             batch_size: int = 1024) -> dict[str, float]:
    """Mean loss (and ``metric``) of ``model`` on ``data`` with gradients off, in eval mode.

    ``data`` is a pair ``(X, y)`` of arrays/Tensors or an iterable of ``(xb, yb)`` batches.
    The loss is averaged over samples (batches weighted by their size). The model's
    train/eval mode is restored afterwards.
    """
    metric_fn = METRICS[metric] if isinstance(metric, str) else metric
    was_training = getattr(model, "training", True)
    model.eval()
    total_loss = total_metric = 0.0
    count = 0
    try:
        with minigrad.no_grad():
            for xb, yb in _as_loader(data, batch_size):
                output = model(xb)
                size = xb.shape[0]
                total_loss += loss_fn(output, yb).item() * size
                if metric_fn is not None:
                    total_metric += metric_fn(output, yb) * size
                count += size
    finally:
        model.train(was_training)
    if count == 0:
        raise ValueError("evaluate: the validation data holds no samples")
    result = {"loss": total_loss / count}
    if metric_fn is not None:
        result["metric"] = total_metric / count
    return result


def _snapshot(model) -> dict[str, np.ndarray]:
    # Copies, because a module's state_dict shares storage with its parameters.
    return {name: value.numpy().copy() for name, value in model.state_dict().items()}


def fit(model, loss_fn, optimizer, train_loader, epochs: int, val_data=None,
        metric: str | Callable | None = None, patience: int | None = None,
        restore_best_weights: bool = True, scheduler=None,
        progress: bool = True) -> dict[str, list[float]]:
    """Train ``model`` for ``epochs`` passes over ``train_loader``; return the history.

    Args:
        model: an ``nn.Module`` (called on a batch of inputs).
        loss_fn: ``loss_fn(output, target)`` returning a scalar Tensor.
        optimizer: a ``minigrad.optim`` optimizer over the model's parameters.
        train_loader: an iterable of ``(xb, yb)`` batches, e.g. a ``DataLoader``.
        epochs: the number of passes over the training data.
        val_data: ``(X, y)`` or an iterable of batches to evaluate after every epoch.
        metric: ``"accuracy"`` or a function ``metric(output, target) -> float`` computed
            on the validation data.
        patience: stop when the validation loss has not improved for this many epochs
            (needs ``val_data``). ``None`` trains all epochs.
        restore_best_weights: with ``patience``, load the weights of the best validation
            epoch when training ends.
        scheduler: a learning-rate scheduler stepped once per epoch.
        progress: show a tqdm progress bar with the current numbers.

    Returns:
        ``{"loss": [...], "val_loss": [...], "val_metric": [...], "lr": [...]}``, one
        entry per finished epoch (validation keys only with ``val_data``/``metric``);
        ``history["best_epoch"]`` is the 0-based epoch with the lowest validation loss.
    """
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    if patience is not None and val_data is None:
        raise ValueError("early stopping (patience) watches the validation loss; pass "
                         "val_data")
    if metric is not None and val_data is None:
        raise ValueError("a metric is computed on the validation data; pass val_data")
    if isinstance(metric, str) and metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; use one of {sorted(METRICS)} or a "
                         "function metric(output, target) -> float")
    history: dict[str, Any] = {"loss": [], "lr": []}
    if val_data is not None:
        history["val_loss"] = []
    if metric is not None:
        history["val_metric"] = []
    best_loss, best_state, epochs_without_improvement = float("inf"), None, 0

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=epochs, desc="training", unit="epoch")
    try:
        for epoch in range(epochs):
            model.train()
            total, count = 0.0, 0
            for xb, yb in train_loader:
                optimizer.zero_grad()
                loss = loss_fn(model(xb), yb)
                loss.backward()
                optimizer.step()
                total += loss.item() * xb.shape[0]
                count += xb.shape[0]
            if count == 0:
                raise ValueError("fit: the training loader produced no batches")
            history["loss"].append(total / count)
            history["lr"].append(optimizer.param_groups[0]["lr"])
            if scheduler is not None:
                scheduler.step()
            postfix = {"loss": f"{history['loss'][-1]:.4f}"}
            if val_data is not None:
                result = evaluate(model, loss_fn, val_data, metric)
                history["val_loss"].append(result["loss"])
                postfix["val_loss"] = f"{result['loss']:.4f}"
                if metric is not None:
                    history["val_metric"].append(result["metric"])
                    name = metric if isinstance(metric, str) else "val_metric"
                    postfix[name] = f"{result['metric']:.4f}"
                if result["loss"] < best_loss:
                    best_loss, epochs_without_improvement = result["loss"], 0
                    history["best_epoch"] = epoch
                    if patience is not None and restore_best_weights:
                        best_state = _snapshot(model)
                else:
                    epochs_without_improvement += 1
            if bar is not None:
                bar.set_postfix(postfix)
                bar.update(1)
            if patience is not None and epochs_without_improvement >= patience:
                history["stopped_epoch"] = epoch
                break
    finally:
        if bar is not None:
            bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    return history
