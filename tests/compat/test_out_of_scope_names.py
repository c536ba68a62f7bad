"""Out-of-scope PyTorch names explain themselves when used, and look absent to feature
checks (``hasattr``/``getattr`` with a default), as any missing name does."""

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
