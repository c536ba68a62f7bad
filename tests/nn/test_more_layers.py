"""GELU, SiLU, Softplus, LayerNorm, Unflatten, Dropout2d and ModuleDict against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.testing import gradcheck, gradgradcheck
from tests.nn.nn_reference import compare_module, compare_with_torch, copy_torch_weights, mg


@pytest.fixture
def rng():
    return np.random.default_rng(7)


@pytest.mark.parametrize("ours, theirs", [
    (nn.GELU(), torch.nn.GELU()),
    (nn.GELU(approximate="tanh"), torch.nn.GELU(approximate="tanh")),
    (nn.SiLU(), torch.nn.SiLU()),
    (nn.Softplus(), torch.nn.Softplus()),
    (nn.Softplus(beta=2.0, threshold=3.0), torch.nn.Softplus(beta=2.0, threshold=3.0)),
])
def test_activation_modules_match_torch(ours, theirs, rng):
    x = rng.standard_normal((3, 5)) * 3
    compare_with_torch(ours, theirs, x)
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("fn", [lambda x: F.gelu(x), lambda x: F.gelu(x, approximate="tanh"),
                                lambda x: F.silu(x)])
def test_smooth_activations_pass_gradcheck(fn, rng):
    x = (rng.standard_normal((2, 3)),)
    assert gradcheck(fn, x)
    assert gradgradcheck(fn, x)


def test_in_place_silu_and_bad_options():
    rng = np.random.default_rng(0)
    value = rng.standard_normal(6)
    compare_with_torch(lambda x: nn.SiLU(inplace=True)(x * 1.0),
                       lambda x: torch.nn.SiLU(inplace=True)(x * 1.0), value)
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU(approximate="erf")
    with pytest.raises(ValueError, match="approximate"):
        F.gelu(mg(value), approximate="fast")


@pytest.mark.parametrize("shape, normalized, kwargs", [
    ((4, 6), 6, {}),
    ((2, 3, 4, 5), (4, 5), {}),
    ((3, 2, 4), [4], dict(elementwise_affine=False)),
    ((3, 4), (4,), dict(bias=False, eps=1e-3)),
])
def test_layer_norm_matches_torch(shape, normalized, kwargs, rng):
    theirs = torch.nn.LayerNorm(normalized, dtype=torch.float64, **kwargs)
    with torch.no_grad():
        for parameter in theirs.parameters():
            parameter.copy_(torch.from_numpy(rng.standard_normal(tuple(parameter.shape))))
    ours = nn.LayerNorm(normalized, dtype=minigrad.float64, **kwargs)
    copy_torch_weights(ours, theirs)
    compare_module(ours, theirs, rng.standard_normal(shape) * 2 + 1)
    assert repr(ours) == repr(theirs)


def test_layer_norm_gradcheck_and_errors(rng):
    weight, bias = rng.standard_normal(4), rng.standard_normal(4)
    fn = lambda x, w, b: F.layer_norm(x, (4,), w, b)  # noqa: E731
    assert gradcheck(fn, (rng.standard_normal((3, 4)), weight, bias))
    with pytest.raises(ValueError, match="last dimensions"):
        F.layer_norm(mg(rng.standard_normal((3, 4))), (3,))
    with pytest.raises(ValueError, match="weight has shape"):
        F.layer_norm(mg(rng.standard_normal((3, 4))), 4, mg(weight[:2]))


def test_unflatten_matches_torch(rng):
    x = rng.standard_normal((2, 12))
    for dim, sizes in ((1, (3, 4)), (-1, (2, -1)), (0, (1, 2))):
        compare_with_torch(nn.Unflatten(dim, sizes), torch.nn.Unflatten(dim, sizes), x)
    assert repr(nn.Unflatten(1, (3, 4))) == repr(torch.nn.Unflatten(1, (3, 4)))
    with pytest.raises(ValueError, match="do not multiply to 12"):
        nn.Unflatten(1, (5, 2))(mg(x))


def test_dropout2d_drops_whole_channels():
    minigrad.manual_seed(0)
    x = minigrad.ones(8, 16, 3, 3, requires_grad=True)
    layer = nn.Dropout2d(0.25)
    out = layer(x)
    maps = out.detach().numpy().reshape(8, 16, 9)
    # every feature map is either all zero or all 1 / (1 - p)
    assert np.all((maps == 0).all(axis=2) | np.isclose(maps, 1 / 0.75).all(axis=2))
    dropped = (maps == 0).all(axis=2).mean()
    assert 0.1 < dropped < 0.4
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), out.detach().numpy())
    assert repr(layer) == repr(torch.nn.Dropout2d(0.25))
    layer.eval()
    assert layer(x) is x
    with pytest.raises(ValueError, match="dropout2d expects"):
        F.dropout2d(minigrad.ones(4, 4))


def test_module_dict_registers_its_modules_like_torch():
    def make(lib):
        class Heads(lib.Module):
            def __init__(self):
                super().__init__()
                self.body = lib.Linear(3, 4)
                self.heads = lib.ModuleDict({"digit": lib.Linear(4, 10)})
                self.heads["parity"] = lib.Linear(4, 2)

        return Heads()

    ours, theirs = make(nn), make(torch.nn)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours.heads) == repr(theirs.heads)
    assert "digit" in ours.heads and len(ours.heads) == 2
    assert list(ours.heads.keys()) == ["digit", "parity"]
    assert ours.heads.pop("digit") is not None and list(ours.heads) == ["parity"]
    assert len(list(ours.parameters())) == 4
    with pytest.raises(TypeError, match="holds Modules"):
        ours.heads["bad"] = "not a module"


@pytest.mark.parametrize("kwargs", [dict(bias=False), dict(affine=False), {}])
def test_batch_norm_bias_option_matches_torch(kwargs, rng):
    theirs = torch.nn.BatchNorm2d(3, dtype=torch.float64, **kwargs)
    with torch.no_grad():
        for parameter in theirs.parameters():
            parameter.copy_(torch.from_numpy(rng.standard_normal(tuple(parameter.shape))))
    ours = nn.BatchNorm2d(3, dtype=minigrad.float64, **kwargs)
    copy_torch_weights(ours, theirs)
    compare_module(ours, theirs, rng.standard_normal((4, 3, 2, 2)))
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
