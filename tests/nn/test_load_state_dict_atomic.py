"""``Module.load_state_dict`` is all or nothing: every entry is checked and converted before
anything is copied, so a bad entry raises a clear error and leaves the module untouched."""

import numpy as np
import pytest
import torch

import minigrad
import minigrad.nn as nn


@pytest.fixture
def model():
    minigrad.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))


def _snapshot(module):
    return {key: value.numpy().copy() for key, value in module.state_dict().items()}


def _good_state(module):
    return {key: np.full(tuple(value.shape), 7, dtype=np.float64)
            for key, value in module.state_dict().items()}


@pytest.mark.parametrize("bad_key, bad_value, message", [
    ("2.weight", np.array([["a", "b", "c", "d"]] * 2), r"'2.weight': expected numbers"),
    ("2.bias", ["x", "y"], r"'2.bias': expected numbers"),
    ("2.bias", [object(), object()], r"'2.bias': expected numbers, got a list of dtype object"),
    ("2.weight", [[1.0, 2.0], [3.0]], r"'2.weight': cannot read list as an array"),
    ("2.bias", np.zeros(3), r"size mismatch for '2.bias': the state dict has shape \(3,\)"),
    ("2.bias", torch.zeros(2, requires_grad=True), r"'2.bias': cannot read Tensor"),
])
def test_a_bad_last_entry_leaves_every_parameter_untouched(model, bad_key, bad_value, message):
    before = _snapshot(model)
    state = _good_state(model)
    state[bad_key] = bad_value
    with pytest.raises(ValueError, match=message):
        model.load_state_dict(state)
    after = _snapshot(model)
    for key, value in before.items():
        np.testing.assert_array_equal(after[key], value, err_msg=key)


def test_all_problems_are_reported_together(model):
    state = _good_state(model)
    state["0.weight"] = "abc"
    state["2.bias"] = np.zeros(5)
    del state["1.running_var"]
    with pytest.raises(ValueError) as error:
        model.load_state_dict(state)
    text = str(error.value)
    assert "'0.weight': expected numbers" in text
    assert "size mismatch for '2.bias'" in text
    assert "missing key(s): '1.running_var'" in text


def test_a_good_state_is_copied_with_each_targets_dtype(model):
    state = _good_state(model)
    state["1.num_batches_tracked"] = np.array(5)
    model.load_state_dict(state)
    loaded = model.state_dict()
    np.testing.assert_array_equal(loaded["0.weight"].numpy(), np.full((4, 3), 7.0))
    assert loaded["0.weight"].dtype is minigrad.float32
    assert loaded["1.num_batches_tracked"].item() == 5


def test_a_torch_state_dict_loads_like_torch():
    torch.manual_seed(0)
    reference = torch.nn.Linear(3, 2)
    module = nn.Linear(3, 2)
    module.load_state_dict({key: value.detach().numpy()
                            for key, value in reference.state_dict().items()})
    np.testing.assert_allclose(module.weight.numpy(), reference.weight.detach().numpy())
    np.testing.assert_allclose(module.bias.numpy(), reference.bias.detach().numpy())
