"""Out-of-scope PyTorch names explain themselves when used, and look absent to feature
checks (``hasattr``/``getattr`` with a default), as any missing name does; the size and
device attributes scripts use for such checks answer as PyTorch's do."""

import pytest

import minigrad
import minigrad.nn as nn
from minigrad.unsupported import OutOfScopeError


@pytest.mark.parametrize("owner, name", [
    (minigrad, "svd"), (minigrad, "backends"), (nn, "LSTM"), (nn.functional, "interpolate"),
    (minigrad.optim, "LBFGS"), (minigrad.Tensor, "half"), (minigrad.ones(2), "inverse"),
])
def test_out_of_scope_names_explain_and_are_absent_to_hasattr(owner, name):
    with pytest.raises(NotImplementedError, match="scope|minigrad"):
        getattr(owner, name)
    with pytest.raises(OutOfScopeError):
        getattr(owner, name)
    assert not hasattr(owner, name)
    assert getattr(owner, name, "fallback") == "fallback"


def test_a_feature_check_then_falls_back():
    device = "mps" if hasattr(minigrad, "backends") and minigrad.backends.mps.is_available() \
        else "cpu"
    assert device == "cpu"
    x = minigrad.ones(2)
    to_half = getattr(x, "half", None)
    assert to_half is None


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
def test_sizes_in_bytes_and_device_flags_match_torch(dtype):
    import torch

    ours = minigrad.ones(3, 2, dtype=getattr(minigrad, dtype))[:, 0]
    theirs = torch.ones(3, 2, dtype=getattr(torch, dtype))[:, 0]
    for name in ("itemsize", "nbytes", "is_cuda", "is_cpu"):
        assert getattr(ours, name) == getattr(theirs, name), name
    assert ours.element_size() == theirs.element_size()
