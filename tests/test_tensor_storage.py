"""A tensor always holds an array, also a 0-d result: numpy returns a number (np.float32)
for ufuncs and full reductions with a 0-d result, and a number can neither be written in
place nor shared by a view or by ``numpy()``."""

import numpy as np
import pytest
import torch

import minigrad

ZERO_DIM_RESULTS = {
    "mul": lambda lib, x: x * lib.tensor(2.0, dtype=x.dtype),
    "add of a number": lambda lib, x: x + 1.5,
    "exp": lambda lib, x: x.exp(),
    "neg": lambda lib, x: -x,
    "full sum": lambda lib, x: (x * lib.ones(2, 3, dtype=x.dtype)).sum(),
    "max": lambda lib, x: lib.stack([x, x * 3]).max(),
}


@pytest.mark.parametrize("name", ZERO_DIM_RESULTS)
def test_zero_dim_result_is_written_in_place_and_shared_by_views_as_in_pytorch(name):
    make = ZERO_DIM_RESULTS[name]
    results = {}
    for library in (torch, minigrad):
        y = make(library, library.tensor(0.5, dtype=library.float64))
        view = y.reshape(1)
        view.add_(1.0)  # writes through the view into y
        y.mul_(2.0)
        results[library.__name__] = (y.item(), view.item())
    assert results["minigrad"] == pytest.approx(results["torch"], rel=1e-12)


def test_numpy_of_a_zero_dim_result_is_an_array_sharing_its_memory():
    y = minigrad.tensor(0.5) * minigrad.tensor(3.0)
    array = y.numpy()
    assert isinstance(array, np.ndarray) and array.shape == ()
    y.add_(1.0)
    assert array == pytest.approx(2.5)
