"""Layers against their PyTorch twins with the same weights: outputs, input gradients and
parameter gradients in float64, in training and evaluation mode."""

import math

import numpy as np
import pytest
import torch
from nn_reference import assert_close, compare_module, copy_torch_weights, mg

import minigrad
import minigrad.nn as nn

F64 = minigrad.float64


@pytest.fixture
def rng():
    return np.random.default_rng(5)


def twins(ours, theirs):
    """Give a minigrad layer the float64 weights of its PyTorch twin."""
    theirs = theirs.double()
    ours.double()
    copy_torch_weights(ours, theirs)
    return ours, theirs


@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(bias, rng):
    ours, theirs = twins(nn.Linear(4, 3, bias=bias), torch.nn.Linear(4, 3, bias=bias))
    compare_module(ours, theirs, rng.standard_normal((5, 4)))


@pytest.mark.parametrize("options", [{}, {"stride": 2, "padding": 1},
                                     {"dilation": 2, "groups": 2, "bias": False}])
def test_conv1d_matches_torch(options, rng):
    ours, theirs = twins(nn.Conv1d(4, 6, 3, **options), torch.nn.Conv1d(4, 6, 3, **options))
    compare_module(ours, theirs, rng.standard_normal((2, 4, 10)))


@pytest.mark.parametrize("options", [{}, {"stride": 2, "padding": 1},
                                     {"kernel_size": (3, 2), "dilation": (1, 2), "groups": 2}])
def test_conv2d_matches_torch(options, rng):
    options = {"kernel_size": 3, **options}
    ours, theirs = twins(nn.Conv2d(4, 6, **options), torch.nn.Conv2d(4, 6, **options))
    compare_module(ours, theirs, rng.standard_normal((2, 4, 7, 8)))


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (nn.MaxPool2d(2), torch.nn.MaxPool2d(2)),
        (nn.MaxPool2d(3, stride=1, padding=1), torch.nn.MaxPool2d(3, stride=1, padding=1)),
        (nn.AvgPool2d(2), torch.nn.AvgPool2d(2)),
        (nn.AvgPool2d(3, 2, 1, count_include_pad=False),
         torch.nn.AvgPool2d(3, 2, 1, count_include_pad=False)),
        (nn.Flatten(), torch.nn.Flatten()),
        (nn.Flatten(2), torch.nn.Flatten(2)),
        (nn.ReLU(), torch.nn.ReLU()),
        (nn.LeakyReLU(0.3), torch.nn.LeakyReLU(0.3)),
        (nn.ELU(0.7), torch.nn.ELU(0.7)),
        (nn.Sigmoid(), torch.nn.Sigmoid()),
        (nn.Tanh(), torch.nn.Tanh()),
        (nn.Softmax(dim=1), torch.nn.Softmax(dim=1)),
        (nn.LogSoftmax(dim=-1), torch.nn.LogSoftmax(dim=-1)),
    ],
    ids=lambda m: repr(m),
)
def test_parameter_free_layers_match_torch(ours, theirs, rng):
    compare_module(ours, theirs, rng.standard_normal((2, 3, 6, 6)))


def test_layers_reject_wrong_input_shapes():
    with pytest.raises(ValueError, match=r"last dimension must be 4"):
        nn.Linear(4, 2)(minigrad.zeros((3, 5)))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\) with C=3"):
        nn.Conv2d(3, 4, 3)(minigrad.zeros((1, 2, 5, 5)))
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match=r"\(N, C\) or \(N, C, L\)"):
        nn.BatchNorm1d(3)(minigrad.zeros((2, 3, 4, 4)))
    with pytest.raises(ValueError, match="3 channels"):
        nn.BatchNorm2d(4)(minigrad.zeros((2, 3, 4, 4)))


@pytest.mark.parametrize(
    "ours, theirs, shape",
    [
        (nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3), (6, 3)),
        (nn.BatchNorm1d(3, momentum=0.3), torch.nn.BatchNorm1d(3, momentum=0.3), (4, 3, 5)),
        (nn.BatchNorm1d(3, momentum=None), torch.nn.BatchNorm1d(3, momentum=None), (5, 3)),
        (nn.BatchNorm2d(3, affine=False), torch.nn.BatchNorm2d(3, affine=False), (2, 3, 4, 4)),
        (nn.BatchNorm2d(3, eps=1e-3), torch.nn.BatchNorm2d(3, eps=1e-3), (2, 3, 3, 5)),
        (nn.BatchNorm2d(3, track_running_stats=False),
         torch.nn.BatchNorm2d(3, track_running_stats=False), (2, 3, 2, 2)),
    ],
    ids=lambda x: repr(x) if not isinstance(x, tuple) else str(x),
)
def test_batch_norm_train_then_eval_matches_torch(ours, theirs, shape, rng):
    ours, theirs = twins(ours, theirs)
    if ours.affine:  # non-trivial affine parameters on both sides
        weight, bias = rng.standard_normal(3), rng.standard_normal(3)
        for layer in (ours, theirs):
            with torch.no_grad(), minigrad.no_grad():
                layer.weight.copy_(mg(weight) if layer is ours else torch.tensor(weight))
                layer.bias.copy_(mg(bias) if layer is ours else torch.tensor(bias))
    for step in range(3):  # three training steps move the running statistics
        x = rng.standard_normal(shape) * (step + 1) + step
        compare_module(ours, theirs, x, seed=step)
        ours.zero_grad(), theirs.zero_grad()
    for name, value in theirs.state_dict().items():
        assert_close(ours.state_dict()[name], value, what=name)
    ours.eval(), theirs.eval()
    compare_module(ours, theirs, rng.standard_normal(shape))


def test_dropout_module_trains_and_evaluates(rng):
    layer = nn.Dropout(0.5)
    x = mg(rng.standard_normal((20, 20)))
    minigrad.manual_seed(0)
    dropped = layer(x).numpy()
    assert 0.3 < np.mean(dropped == 0) < 0.7
    np.testing.assert_allclose(dropped[dropped != 0], 2 * x.numpy()[dropped != 0])
    layer.eval()
    np.testing.assert_array_equal(layer(x).numpy(), x.numpy())
    assert repr(layer) == "Dropout(p=0.5, inplace=False)"
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(-0.1)


def test_mlp_structure_and_options():
    model = nn.MLP(2, [8, 4], 3)
    kinds = [type(m).__name__ for m in model]
    assert kinds == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    assert (model[0].in_features, model[2].in_features, model[4].out_features) == (2, 8, 3)
    kinds = [type(m).__name__ for m in nn.MLP(2, [8], 1, activation="tanh", dropout=0.2)]
    assert kinds == ["Linear", "Tanh", "Dropout", "Linear"]
    kinds = [type(m).__name__ for m in nn.MLP(2, [8], 1, activation=None)]
    assert kinds == ["Linear", "Identity", "Linear"]
    assert type(nn.MLP(2, [3], 1, activation=nn.ELU)[1]) is nn.ELU
    assert nn.MLP(3, [], 2)[0].out_features == 2  # no hidden layer: a linear model
    assert nn.MLP(2, [4], 1, dtype=F64)[0].weight.dtype == F64
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        nn.MLP(2, [4], 1, activation="swish")


def test_mlp_loads_an_equivalent_torch_model_and_matches_it(rng):
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.ReLU(), torch.nn.Linear(8, 8),
                                 torch.nn.ReLU(), torch.nn.Linear(8, 2))
    ours, theirs = twins(nn.MLP(3, [8, 8], 2), theirs)
    compare_module(ours, theirs, rng.standard_normal((5, 3)))


def test_small_cnn_matches_torch_end_to_end(rng):
    def build(lib):
        return lib.Sequential(lib.Conv2d(1, 4, 3, padding=1), lib.BatchNorm2d(4), lib.ReLU(),
                              lib.MaxPool2d(2), lib.Flatten(), lib.Linear(4 * 3 * 3, 5))

    ours, theirs = twins(build(nn), build(torch.nn))
    compare_module(ours, theirs, rng.standard_normal((3, 1, 6, 6)))


@pytest.mark.parametrize(
    "make, fan_in",
    [(lambda: nn.Linear(50, 40), 50), (lambda: nn.Conv2d(6, 40, 5, groups=2), 3 * 25),
     (lambda: nn.Conv1d(8, 40, 4), 32)],
)
def test_default_init_is_uniform_within_one_over_sqrt_fan_in(make, fan_in):
    minigrad.manual_seed(0)
    layer = make()
    bound = 1 / math.sqrt(fan_in)
    weight, bias = layer.weight.numpy(), layer.bias.numpy()
    assert np.abs(weight).max() <= bound and np.abs(bias).max() <= bound
    # U(-b, b) has variance b^2 / 3; the draws use the whole range
    assert abs(weight.std() - bound / math.sqrt(3)) < 0.1 * bound
    assert np.abs(weight).max() > 0.95 * bound


def test_default_init_is_reproducible_with_manual_seed():
    minigrad.manual_seed(42)
    first = nn.MLP(3, [5], 2).state_dict()
    minigrad.manual_seed(42)
    second = nn.MLP(3, [5], 2).state_dict()
    for name in first:
        np.testing.assert_array_equal(first[name].numpy(), second[name].numpy())
    assert not np.array_equal(first["0.weight"].numpy(), nn.MLP(3, [5], 2)[0].weight.numpy())


def test_batch_norm_defaults():
    layer = nn.BatchNorm2d(3)
    np.testing.assert_array_equal(layer.weight.numpy(), np.ones(3))
    np.testing.assert_array_equal(layer.bias.numpy(), np.zeros(3))
    np.testing.assert_array_equal(layer.running_var.numpy(), np.ones(3))
    assert layer.num_batches_tracked.item() == 0
    assert list(layer.state_dict()) == list(torch.nn.BatchNorm2d(3).state_dict())
