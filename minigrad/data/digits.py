"""The 8x8 handwritten digits, shipped inside minigrad (no download, no scikit-learn).

The file ``minigrad/data/files/digits.npz`` holds the 1,797 images of the UCI *Optical
Recognition of Handwritten Digits* test set (E. Alpaydin and C. Kaynak, CC BY 4.0; see
``minigrad/data/files/README.md``): the same rows, in the same order, as scikit-learn's
``load_digits``.
"""

from __future__ import annotations

from importlib import resources

import numpy as np

DIGITS_FILE = "digits.npz"


def load_digits(normalize: bool = True):
    """The 1,797 handwritten 8x8 digits; no download, no extra package.

    Returns ``(X, y)``: ``X`` float32 of shape (1797, 64), the pixel intensities 0..16
    divided by 16 when ``normalize`` (so they lie in [0, 1]); ``y`` int64 labels 0..9.
    Reshape a row to (8, 8) to see the image.
    """
    archive = resources.files("minigrad.data").joinpath("files", DIGITS_FILE)
    with archive.open("rb") as handle, np.load(handle) as data:
        images, labels = data["images"], data["labels"]
    pixels = images.reshape(len(images), 64).astype(np.float32)
    X = pixels / np.float32(16.0) if normalize else pixels
    return X, labels.astype(np.int64)
