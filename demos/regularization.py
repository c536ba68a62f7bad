"""Overfitting and five ways to fight it: L2, L1, dropout and early stopping.

A large MLP 64 -> 128 -> 128 -> 10 gets only 200 of the 8x8 digits to learn from, and 15%
of their labels are wrong (noisy data). Trained long enough it memorises every training
image, wrong labels included: training accuracy reaches 100% while the validation loss,
after falling for a while, climbs again. That gap is overfitting. The same network, from
the same starting weights, is trained again with

- L2 through the optimizer's ``weight_decay`` (Adam adds ``wd * w`` to each gradient);
- L2 as an explicit penalty ``(wd / 2) * sum(w^2)`` added to the loss - the same gradient,
  so the same run (the demo prints how far apart the two end up);
- L1 as an explicit penalty ``l1 * sum(|w|)``, whose gradient ``l1 * sign(w)`` pushes every
  weight towards zero by the same amount, so useless weights end (almost) at zero: sparsity;
- dropout (``nn.MLP(..., dropout=0.5)``): each step trains a random half of the units;
- early stopping (``minigrad.training.fit(..., patience=...)``): stop once the validation
  loss has not improved for a while and put back the best weights.

Penalties apply to the weight matrices only; biases are not regularised. A table of final
train/validation accuracy and the fraction of near-zero weights closes the run; the plot
shows the curves and the weight histograms.

    python demos/regularization.py --out out
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
from minigrad.training import accuracy, evaluate, fit

WEIGHT_DECAY = 3e-3
L1_STRENGTH = 1e-4
NEAR_ZERO = 1e-2
HIDDEN = 128
VALIDATION_SIZE = 600
EVALUATE_EVERY = 5  # |w| below this counts as "switched off"


def weight_matrices(model: nn.Module) -> list:
    return [p for name, p in model.named_parameters() if name.endswith("weight")]


def optimizer_for(model: nn.Module, lr: float, weight_decay: float = 0.0) -> Adam:
    # Two parameter groups, so that weight decay touches the weights and not the biases.
    biases = [p for name, p in model.named_parameters() if name.endswith("bias")]
    return Adam([{"params": weight_matrices(model), "weight_decay": weight_decay},
                 {"params": biases, "weight_decay": 0.0}], lr=lr)


def train(model, optimizer, X_train, y_train, X_val, y_val, epochs, penalty=None):
    """Full-batch training; every EVALUATE_EVERY epochs it records the epoch, the training
    loss (without the penalty), and train/val accuracy and validation loss."""
    loss_fn = nn.CrossEntropyLoss()
    X, y = minigrad.tensor(X_train), minigrad.tensor(y_train)
    history = {"epoch": [], "loss": [], "val_loss": [], "train_acc": [], "val_acc": []}
    for epoch in range(1, epochs + 1):
        model.train()
        optimizer.zero_grad()
        data_loss = loss_fn(model(X), y)
        loss = data_loss if penalty is None else data_loss + penalty(model)
        loss.backward()
        optimizer.step()
        if epoch % EVALUATE_EVERY and epoch != epochs:
            continue
        history["epoch"].append(epoch)
        history["loss"].append(data_loss.item())
        train_result = evaluate(model, loss_fn, (X_train, y_train), metric="accuracy")
        val_result = evaluate(model, loss_fn, (X_val, y_val), metric="accuracy")
        history["train_acc"].append(train_result["metric"])
        history["val_loss"].append(val_result["loss"])
        history["val_acc"].append(val_result["metric"])
    return history


def l2_penalty(model):
    return sum((w * w).sum() for w in weight_matrices(model)) * (WEIGHT_DECAY / 2)


def l1_penalty(model):
    return sum(w.abs().sum() for w in weight_matrices(model)) * L1_STRENGTH


def near_zero_fraction(model) -> float:
    weights = np.concatenate([w.numpy().ravel() for w in weight_matrices(model)])
    return float(np.mean(np.abs(weights) < NEAR_ZERO))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="overfitting, L2, L1, dropout, early stopping",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("out"), help="folder for the plots")
    parser.add_argument("--quick", action="store_true", help="a few epochs only (smoke test)")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    args = parser.parse_args(argv)
    plt.switch_backend("Agg")
    args.out.mkdir(parents=True, exist_ok=True)
    epochs = 30 if args.quick else 120
    lr = 3e-3

    X, y = load_digits()
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=len(X) - 200,
                                                      stratify=y, seed=args.seed)
    X_val, y_val = X_val[:VALIDATION_SIZE], y_val[:VALIDATION_SIZE]
    rng = np.random.default_rng(args.seed)
    flipped = rng.random(len(y_train)) < 0.15
    y_train = np.where(flipped, rng.integers(0, 10, len(y_train)), y_train)
    print(f"{len(X_train)} training images ({flipped.sum()} with a random label), "
          f"{len(X_val)} validation images; {epochs} full-batch epochs")

    minigrad.manual_seed(args.seed)
    start = {name: value.numpy().copy()
             for name, value in nn.MLP(64, [HIDDEN, HIDDEN], 10).state_dict().items()}

    def fresh(dropout: float = 0.0) -> nn.Module:
        model = nn.MLP(64, [HIDDEN, HIDDEN], 10, dropout=dropout)
        # Dropout layers shift the Sequential's numbering; copy the Linear layers in order.
        linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
        for index, linear in enumerate(linears):
            linear.weight.data = minigrad.tensor(start[f"{2 * index}.weight"])
            linear.bias.data = minigrad.tensor(start[f"{2 * index}.bias"])
        return model

    runs, models = {}, {}
    settings = {
        "none": (0.0, 0.0, None),
        f"L2 weight_decay={WEIGHT_DECAY:g}": (0.0, WEIGHT_DECAY, None),
        "L2 penalty (wd/2)|w|^2": (0.0, 0.0, l2_penalty),
        f"L1 penalty {L1_STRENGTH:g}|w|": (0.0, 0.0, l1_penalty),
        "dropout 0.5": (0.5, 0.0, None),
    }
    for name, (dropout, weight_decay, penalty) in settings.items():
        minigrad.manual_seed(args.seed)  # the same dropout masks from run to run
        model = fresh(dropout)
        runs[name] = train(model, optimizer_for(model, lr, weight_decay), X_train, y_train,
                           X_val, y_val, epochs, penalty)
        models[name] = model
        print(f"{name:26s} train acc {runs[name]['train_acc'][-1]:6.1%}  "
              f"val acc {runs[name]['val_acc'][-1]:6.1%}  "
              f"val loss {runs[name]['val_loss'][-1]:.3f}")

    names = list(settings)
    decayed, penalised = (np.concatenate([w.numpy().ravel() for w in weight_matrices(models[n])])
                          for n in names[1:3])
    gap = np.linalg.norm(decayed - penalised) / np.linalg.norm(decayed)
    # Same gradient in exact arithmetic; float32 rounding differs slightly, and Adam's
    # division by sqrt(v) lets tiny differences grow over hundreds of steps.
    print(f"weight_decay vs explicit L2 penalty: relative weight difference {gap:.1e}")

    # Early stopping with fit(): full-batch "loader", validation after every epoch.
    model = fresh()
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=len(X_train))
    history = fit(model, nn.CrossEntropyLoss(), optimizer_for(model, lr), loader,
                  epochs=epochs, val_data=(X_val, y_val), metric="accuracy",
                  patience=max(5, epochs // 10), progress=False)
    stopped = history.get("stopped_epoch", epochs - 1)
    with minigrad.no_grad():
        model.eval()
        train_acc = accuracy(model(minigrad.tensor(X_train)), y_train)
        val_acc = accuracy(model(minigrad.tensor(X_val)), y_val)
    early_name = f"early stopping (best epoch {history['best_epoch'] + 1})"
    print(f"early stopping: stopped after epoch {stopped + 1}, restored epoch "
          f"{history['best_epoch'] + 1}; train acc {train_acc:.1%}  val acc {val_acc:.1%}")
    models[early_name] = model

    print(f"\n{'method':40s} {'train acc':>9s} {'val acc':>8s} {'|w|<' + str(NEAR_ZERO):>9s}")
    for name in names:
        print(f"{name:40s} {runs[name]['train_acc'][-1]:9.1%} {runs[name]['val_acc'][-1]:8.1%} "
              f"{near_zero_fraction(models[name]):9.1%}")
    print(f"{early_name:40s} {train_acc:9.1%} {val_acc:8.1%} "
          f"{near_zero_fraction(model):9.1%}")

    # Two curves side by side above one wide histogram: a shape that fits a slide.
    figure = plt.figure(figsize=(12, 8), layout="constrained")
    panels = figure.subplot_mosaic([["loss", "accuracy"], ["weights", "weights"]])
    axes = [panels["loss"], panels["accuracy"], panels["weights"]]
    for index, name in enumerate(names):
        colour = f"C{index}"
        steps = runs[name]["epoch"]
        axes[0].plot(steps, runs[name]["loss"], ":", color=colour)
        axes[0].plot(steps, runs[name]["val_loss"], color=colour, label=name)
        axes[1].plot(steps, runs[name]["val_acc"], color=colour, label=name)
    axes[0].plot(range(1, len(history["val_loss"]) + 1), history["val_loss"], color="black",
                 linewidth=2, label="early stopping (fit)")
    axes[0].axvline(history["best_epoch"] + 1, color="black", linestyle="--", linewidth=0.8)
    axes[0].set(xlabel="epoch", ylabel="cross-entropy", yscale="log",
                title="validation loss (solid), training loss (dotted)")
    axes[0].legend(fontsize=7)
    axes[1].set(xlabel="epoch", ylabel="validation accuracy", title="validation accuracy")
    axes[1].legend(fontsize=7)
    for name in (names[0], names[1], names[3]):
        weights = np.concatenate([w.numpy().ravel() for w in weight_matrices(models[name])])
        axes[2].hist(np.log10(np.abs(weights) + 1e-12), bins=80, range=(-8, 0),
                     histtype="step", label=name)
    axes[2].axvline(np.log10(NEAR_ZERO), color="black", linestyle="--", linewidth=0.8)
    axes[2].set(xlabel="log10 |w|", ylabel="number of weights",
                title="L1 drives many weights to (almost) zero")
    axes[2].legend(fontsize=7)
    figure.savefig(args.out / "regularization.png", dpi=100, bbox_inches="tight")
    plt.close(figure)
    print(f"plot written to {args.out}/regularization.png")


if __name__ == "__main__":
    main()
