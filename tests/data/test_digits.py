"""The 8x8 digits shipped inside minigrad: the same data as scikit-learn's copy, read
without scikit-learn."""

import subprocess
import sys

import numpy as np

from minigrad.data import load_digits


def test_load_digits_matches_scikit_learn():
    import sklearn.datasets  # a dev dependency: the comparison must run, never skip

    X, y = load_digits()
    reference = sklearn.datasets.load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_allclose(X, reference.data / 16.0, rtol=1e-7)
    np.testing.assert_array_equal(y, reference.target)
    raw, _ = load_digits(normalize=False)
    np.testing.assert_array_equal(raw, reference.data)
    assert raw.max() == 16 and np.bincount(y).tolist() == np.bincount(reference.target).tolist()


def test_load_digits_does_not_import_scikit_learn():
    # Blocking the import makes any use of scikit-learn fail loudly in the child process.
    code = ("import sys; sys.modules['sklearn'] = None\n"
            "from minigrad.data import load_digits\n"
            "X, y = load_digits()\n"
            "print(X.shape, y[:10].tolist())")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(1797, 64) [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]"
