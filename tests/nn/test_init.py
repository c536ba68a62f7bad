"""nn.init: gains and fans equal PyTorch's, draws have the intended statistics."""

import math

import numpy as np
import pytest
import torch

import minigrad
from minigrad.nn import init


@pytest.mark.parametrize(
    "nonlinearity, param",
    [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
     ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", math.sqrt(5)), ("selu", None)],
)
def test_calculate_gain_matches_torch(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(
        torch.nn.init.calculate_gain(nonlinearity, param), rel=1e-12)


def test_calculate_gain_rejects_unknown_names():
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")


@pytest.mark.parametrize("shape", [(3, 4), (8, 2, 3), (6, 3, 5, 2), (1, 1, 1, 1, 1)])
def test_fan_in_and_fan_out_match_torch(shape):
    ours = init._calculate_fan_in_and_fan_out(minigrad.zeros(shape))
    theirs = torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(shape))
    assert ours == theirs


def test_fan_needs_two_dimensions():
    with pytest.raises(ValueError, match=r"at least 2 dimensions.*\(5,\)"):
        init.xavier_uniform_(minigrad.zeros((5,)))


SHAPE = (200, 150)  # fan_in = 150, fan_out = 200
FAN_IN, FAN_OUT = 150, 200


@pytest.mark.parametrize(
    "fill, expected_std, uniform_bound",
    [
        (lambda t: init.uniform_(t, -1.0, 1.0), 2 / math.sqrt(12), 1.0),
        (lambda t: init.normal_(t, 0.0, 0.3), 0.3, None),
        (lambda t: init.xavier_uniform_(t), math.sqrt(2 / (FAN_IN + FAN_OUT)),
         math.sqrt(6 / (FAN_IN + FAN_OUT))),
        (lambda t: init.xavier_normal_(t, gain=2.0), 2 * math.sqrt(2 / (FAN_IN + FAN_OUT)), None),
        (lambda t: init.kaiming_uniform_(t, nonlinearity="relu"), math.sqrt(2 / FAN_IN),
         math.sqrt(6 / FAN_IN)),
        (lambda t: init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"),
         math.sqrt(2 / FAN_OUT), None),
        (lambda t: init.kaiming_uniform_(t, a=math.sqrt(5)), 1 / math.sqrt(3 * FAN_IN),
         1 / math.sqrt(FAN_IN)),
    ],
)
def test_draws_have_the_intended_statistics(fill, expected_std, uniform_bound):
    minigrad.manual_seed(0)
    tensor = minigrad.zeros(SHAPE, dtype=minigrad.float64)
    assert fill(tensor) is tensor
    values = tensor.numpy()
    assert abs(values.mean()) < 4 * expected_std / math.sqrt(values.size)
    assert abs(values.std() - expected_std) < 0.02 * expected_std
    if uniform_bound is not None:
        assert np.abs(values).max() <= uniform_bound
        assert np.abs(values).max() > 0.99 * uniform_bound


def test_uniform_and_normal_respect_their_location():
    minigrad.manual_seed(1)
    values = init.uniform_(minigrad.zeros((5000,), dtype=minigrad.float64), 2.0, 3.0).numpy()
    assert values.min() >= 2.0 and values.max() < 3.0 and abs(values.mean() - 2.5) < 0.02
    values = init.normal_(minigrad.zeros((5000,), dtype=minigrad.float64), -4.0, 0.5).numpy()
    assert abs(values.mean() + 4.0) < 0.03 and abs(values.std() - 0.5) < 0.02


def test_constant_fills_and_seeded_reproducibility():
    tensor = minigrad.zeros((3, 2))
    np.testing.assert_array_equal(init.ones_(tensor).numpy(), np.ones((3, 2)))
    np.testing.assert_array_equal(init.zeros_(tensor).numpy(), np.zeros((3, 2)))
    np.testing.assert_array_equal(init.constant_(tensor, 0.5).numpy(), np.full((3, 2), 0.5))
    minigrad.manual_seed(3)
    first = init.kaiming_normal_(minigrad.zeros((4, 4))).numpy().copy()
    minigrad.manual_seed(3)
    np.testing.assert_array_equal(init.kaiming_normal_(minigrad.zeros((4, 4))).numpy(), first)


def test_initialisers_work_on_parameters_without_recording_a_graph():
    from minigrad.nn import Parameter

    parameter = Parameter(minigrad.zeros((3, 3)))
    init.xavier_normal_(parameter)
    assert parameter.grad_fn is None and parameter.requires_grad
    assert np.any(parameter.numpy() != 0)


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="mode must be"):
        init.kaiming_uniform_(minigrad.zeros((2, 2)), mode="fan_avg")
    with pytest.raises(ValueError, match="a <= b"):
        init.uniform_(minigrad.zeros((2,)), 1.0, 0.0)
    with pytest.raises(ValueError, match="std >= 0"):
        init.normal_(minigrad.zeros((2,)), 0.0, -1.0)
