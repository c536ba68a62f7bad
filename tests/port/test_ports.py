"""Each script of ``scripts.py`` runs twice, with ``torch`` and with ``minigrad`` imported as
``torch``, from the same initial weights; every number it returns must agree."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import minigrad
from tests.port import scripts

PORTS = {
    "polynomial_fit_with_sub_": scripts.polynomial_fit_with_sub_,
    "custom_function": scripts.custom_function,
    "module_subclass_with_sgd": scripts.module_subclass_with_sgd,
    "classifier_with_adam": scripts.classifier_with_adam,
    "lenet": scripts.lenet,
    "gradient_identities_with_all": scripts.gradient_identities_with_all,
    "ranking_scores": scripts.ranking_scores,
    "split_train_and_evaluate": scripts.split_train_and_evaluate,
    "cnn_classifier_with_loader_options": scripts.cnn_classifier_with_loader_options,
    "regression_with_plateau_schedule": scripts.regression_with_plateau_schedule,
}


def assert_same_numbers(ours, theirs, path="result"):
    if isinstance(theirs, dict):
        assert ours.keys() == theirs.keys(), path
        for key in theirs:
            assert_same_numbers(ours[key], theirs[key], f"{path}[{key!r}]")
    elif isinstance(theirs, str):
        assert ours == theirs, path
    else:
        np.testing.assert_allclose(np.asarray(ours, dtype=np.float64),
                                   np.asarray(theirs, dtype=np.float64),
                                   rtol=2e-4, atol=2e-5, err_msg=path)


@pytest.mark.parametrize("name", sorted(PORTS))
def test_script_gives_pytorchs_numbers(name):
    torch.manual_seed(0)
    minigrad.manual_seed(0)
    assert_same_numbers(PORTS[name](minigrad), PORTS[name](torch))


def test_torch_compile_of_a_step_gives_pytorchs_eager_numbers():
    """minigrad.compile traces and replays the step; PyTorch runs it eagerly (its own compile
    needs a C++ toolchain and minutes): both must train the same."""
    ours = scripts.compiled_training_step(minigrad)
    theirs = scripts.compiled_training_step(torch, compile_step=False)
    assert_same_numbers(ours, theirs)


def test_manual_update_with_in_place_operator_trains_like_pytorch():
    ours = scripts.polynomial_fit_with_in_place_update(minigrad)
    theirs = scripts.polynomial_fit_with_in_place_update(torch)
    assert_same_numbers(ours, theirs)


def test_manual_update_trains_in_pytorch():
    """The script above is a real training loop: in PyTorch its loss goes down."""
    losses = scripts.polynomial_fit_with_in_place_update(torch)["losses"]
    assert losses[-1] < 0.5 * losses[0]


def test_module_apply_initialises_weights_like_pytorch():
    """model.apply(init_fn), the usual weight-initialisation idiom, visits the same modules
    in the same order (children first) and returns the model."""
    def build(library):
        nn = library.nn
        model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Sequential(nn.Linear(3, 1)))
        visited = []

        def init_weights(module):
            visited.append(type(module).__name__)
            if isinstance(module, nn.Linear):
                nn.init.constant_(module.weight, 0.5)
                nn.init.zeros_(module.bias)

        assert model.apply(init_weights) is model
        out = model(library.ones(4, 2)).sum()
        return visited, out.item()

    assert build(minigrad) == build(torch)


def test_autograd_gradcheck_answers_like_pytorch():
    values = np.random.default_rng(0).standard_normal(4)

    def function(library):
        return lambda t: (t.sin() * t).sum()

    ours = minigrad.tensor(values, requires_grad=True)
    theirs = torch.tensor(values, requires_grad=True)
    assert minigrad.autograd.gradcheck(function(minigrad), (ours,)) is True
    assert torch.autograd.gradcheck(function(torch), (theirs,)) is True
    assert minigrad.autograd.gradgradcheck(function(minigrad), (ours,)) is True
    assert torch.autograd.gradgradcheck(function(torch), (theirs,)) is True
