"""Robustness: data augmentation against noisy inputs, and FGSM adversarial examples.

Both parts use the 8x8 digits and an MLP 64 -> 128 -> 10.

(a) Augmentation. One network trains on the clean images, a second on images with
Gaussian noise added to every mini-batch, a third on images shifted by up to one pixel in
each direction. Each is then tested on clean, noisy and shifted test images. Augmentation
teaches a network that a change does not alter the digit - but only the change it was
shown: the noise-trained network holds up better on noisy digits, the shift-trained one on
shifted digits (an MLP has no built-in notion of "the same pattern one pixel over"; a CNN
has), each at a small cost on clean images.

(b) The fast gradient sign method (FGSM, Goodfellow et al. 2015). Autograd computes the
gradient of the loss with respect to the *input*, not only the weights: mark the input
with requires_grad=True, run backward, read x.grad. A step along its sign,

    x_adv = clip(x + eps * sign(dL/dx), 0, 1),

raises the loss as much as any change of at most eps per pixel can to first order. Small
eps, invisible to a person, already flips many predictions - much more than random noise
of the same size does. The demo plots accuracy against eps for the plain and the
noise-trained network (and for random +-eps noise) and shows original, perturbation and
adversarial digits side by side. The training steps of (a) are compiled with
minigrad.compile; --eager runs them eagerly (the same numbers, slower).

    python demos/adversarial.py --out out
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
from minigrad.training import accuracy
from minigrad.utils import StepTimer

EPSILONS = (0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3)
NOISE_STD = 0.3  # test-time noise (pixels lie in [0, 1])


def add_noise(images: np.ndarray, rng: np.random.Generator, std: float = NOISE_STD):
    """Gaussian pixel noise, clipped back to the valid range [0, 1]."""
    return np.clip(images + rng.normal(0, std, size=images.shape), 0.0, 1.0).astype(np.float32)


def shift(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each 8x8 image moved by -1, 0 or +1 pixels along each axis (blank pixels shift in)."""
    # Pad with a blank border, then cut an 8x8 window at a random offset of 0..2 per axis.
    padded = np.pad(images.reshape(-1, 8, 8), ((0, 0), (1, 1), (1, 1)))
    shifted = np.empty((len(images), 8, 8), dtype=np.float32)
    for index, (dy, dx) in enumerate(rng.integers(0, 3, size=(len(images), 2))):
        shifted[index] = padded[index, dy:dy + 8, dx:dx + 8]
    return shifted.reshape(len(images), 64)


AUGMENTATIONS = {"plain": None, "noise-augmented": add_noise, "shift-augmented": shift}


def train(X, y, epochs: int, seed: int, timer: StepTimer, augmentation=None) -> nn.Module:
    """An MLP trained with Adam; ``augmentation(images, rng)`` transforms every batch."""
    minigrad.manual_seed(seed)
    model = nn.MLP(64, [128], 10)
    optimizer = Adam(model.parameters(), lr=2e-3)
    loss_fn = nn.CrossEntropyLoss()

    def train_step(xb, yb):
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        return loss

    step = timer.wrap(train_step)
    rng = np.random.default_rng(seed)
    loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True, seed=seed)
    for _ in range(epochs):
        for xb, yb in loader:
            if augmentation is not None:
                xb = minigrad.tensor(augmentation(xb.numpy(), rng))
            step(xb, yb)
    return model


def input_gradient(model: nn.Module, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """dL/dx for every test image: the input is a leaf that requires grad."""
    x = minigrad.tensor(X, requires_grad=True)
    loss = nn.functional.cross_entropy(model(x), minigrad.tensor(y), reduction="sum")
    loss.backward()
    return x.grad.numpy()


def fgsm(model: nn.Module, X: np.ndarray, y: np.ndarray, eps: float) -> np.ndarray:
    """The FGSM images x + eps * sign(dL/dx), kept inside the valid pixel range [0, 1]."""
    return np.clip(X + eps * np.sign(input_gradient(model, X, y)), 0.0, 1.0).astype(np.float32)


def test_accuracy(model: nn.Module, X: np.ndarray, y: np.ndarray) -> float:
    with minigrad.no_grad():
        return accuracy(model(minigrad.tensor(X)), y)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="augmentation, noise and FGSM on the digits",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("out"), help="folder for the plots")
    parser.add_argument("--quick", action="store_true", help="three epochs only (smoke test)")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--eager", action="store_true",
                        help="run the training steps eagerly instead of minigrad.compile")
    args = parser.parse_args(argv)
    plt.switch_backend("Agg")
    args.out.mkdir(parents=True, exist_ok=True)
    epochs = 3 if args.quick else 20

    X, y = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y,
                                                        seed=args.seed)
    rng = np.random.default_rng(args.seed + 1)
    test_sets = {"clean": X_test, f"noisy (std {NOISE_STD})": add_noise(X_test, rng),
                 "shifted 1 px": shift(X_test, rng)}

    # (a) Augmentation: each kind helps against the change it was trained with.
    timer = StepTimer(eager=args.eager)
    models = {name: train(X_train, y_train, epochs, args.seed, timer, augmentation)
              for name, augmentation in AUGMENTATIONS.items()}
    print(timer.summary())
    print(f"test accuracy {'':6s}" + "".join(f"{name:>16s}" for name in test_sets))
    for name, model in models.items():
        print(f"{name:20s}" + "".join(f"{test_accuracy(model, images, y_test):16.1%}"
                                      for images in test_sets.values()))

    # (b) FGSM: accuracy against eps, and random +-eps noise as the baseline.
    attacked = ("plain", "noise-augmented")
    curves = {name: [] for name in attacked}
    random_curve = []
    print(f"\n{'eps':>5s} " + " ".join(f"{'FGSM ' + name:>20s}" for name in attacked)
          + f" {'random +-eps':>13s}")
    for eps in EPSILONS:
        for name in attacked:
            model = models[name]
            curves[name].append(test_accuracy(model, fgsm(model, X_test, y_test, eps), y_test))
        signs = rng.choice([-1.0, 1.0], size=X_test.shape)
        random_images = np.clip(X_test + eps * signs, 0, 1).astype(np.float32)
        random_curve.append(test_accuracy(models["plain"], random_images, y_test))
        print(f"{eps:5.2f} " + " ".join(f"{curves[name][-1]:20.1%}" for name in attacked)
              + f" {random_curve[-1]:13.1%}")

    figure, axis = plt.subplots(figsize=(6.5, 4))
    for name in attacked:
        axis.plot(EPSILONS, curves[name], marker="o", label=f"FGSM, {name} model")
    axis.plot(EPSILONS, random_curve, marker="s", linestyle="--",
              label="random +-eps noise, plain model")
    axis.set(xlabel="eps (largest change of any pixel; pixels in [0, 1])",
             ylabel="test accuracy", ylim=(0, 1), title="Accuracy under attack")
    axis.legend(fontsize=8)
    figure.savefig(args.out / "adversarial_accuracy.png", dpi=100, bbox_inches="tight")
    plt.close(figure)

    eps = 0.1
    model = models["plain"]
    X_adv = fgsm(model, X_test, y_test, eps)
    with minigrad.no_grad():
        clean_guess = model(minigrad.tensor(X_test)).numpy().argmax(axis=1)
        adv_guess = model(minigrad.tensor(X_adv)).numpy().argmax(axis=1)
    # Show digits that were right before the attack and wrong after it.
    flipped = np.flatnonzero((clean_guess == y_test) & (adv_guess != y_test))[:5]
    figure, axes = plt.subplots(3, max(len(flipped), 1), figsize=(2 * max(len(flipped), 1), 6.4),
                                squeeze=False)
    perturbation_image = None
    for column, index in enumerate(flipped):
        perturbation = X_adv[index] - X_test[index]
        panels = ((X_test[index], f"original: {clean_guess[index]}", "gray_r", 0, 1),
                  (perturbation, f"perturbation (eps {eps})", "coolwarm", -eps, eps),
                  (X_adv[index], f"adversarial: {adv_guess[index]}", "gray_r", 0, 1))
        for row, (image, title, colours, low, high) in enumerate(panels):
            drawn = axes[row, column].imshow(image.reshape(8, 8), cmap=colours, vmin=low,
                                             vmax=high)
            axes[row, column].set_title(title, fontsize=8)
            if row == 1:
                perturbation_image = drawn
    for axis in axes.ravel():
        axis.axis("off")
    if perturbation_image is not None:
        # The colour key of the middle row: red pixels got brighter by eps, blue darker.
        figure.colorbar(perturbation_image, ax=axes[1, :].tolist(), shrink=0.9,
                        label="change of the pixel")
    figure.suptitle("FGSM: x + eps * sign(dL/dx) changes the prediction")
    figure.savefig(args.out / "adversarial_examples.png", dpi=100, bbox_inches="tight")
    plt.close(figure)
    print(f"\nwith eps {eps}: {np.mean(adv_guess != y_test):.1%} of the test digits are "
          f"misclassified; plots written to {args.out}/adversarial_*.png")


if __name__ == "__main__":
    main()
