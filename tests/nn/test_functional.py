"""minigrad.nn.functional against torch.nn.functional: values and gradients in float64."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from nn_reference import assert_close, compare_with_torch, mg

import minigrad
import minigrad.nn.functional as F


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.mark.parametrize(
    "name, mg_fn, th_fn",
    [
        ("relu", F.relu, TF.relu),
        ("leaky_relu", lambda x: F.leaky_relu(x, 0.2), lambda x: TF.leaky_relu(x, 0.2)),
        ("leaky_relu_default", F.leaky_relu, TF.leaky_relu),
        ("elu", F.elu, TF.elu),
        ("elu_alpha", lambda x: F.elu(x, 0.5), lambda x: TF.elu(x, 0.5)),
        ("sigmoid", F.sigmoid, torch.sigmoid),
        ("tanh", F.tanh, torch.tanh),
        ("softmax_last", lambda x: F.softmax(x, -1), lambda x: TF.softmax(x, -1)),
        ("softmax_0", lambda x: F.softmax(x, 0), lambda x: TF.softmax(x, 0)),
        ("log_softmax", lambda x: F.log_softmax(x, 1), lambda x: TF.log_softmax(x, 1)),
        ("log_softmax_0", lambda x: F.log_softmax(x, 0), lambda x: TF.log_softmax(x, 0)),
    ],
)
def test_activation_matches_torch(name, mg_fn, th_fn, rng):
    x = rng.standard_normal((4, 5)) * 3
    compare_with_torch(mg_fn, th_fn, x)


def test_softmax_without_dim_uses_torchs_rule_and_warns(rng):
    x = rng.standard_normal((3, 4))
    with pytest.warns(UserWarning, match="dim"):
        out = F.softmax(mg(x))
    assert_close(out, TF.softmax(torch.tensor(x), dim=1))


def test_softmax_and_log_softmax_are_finite_for_huge_logits():
    x = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]])
    compare_with_torch(lambda t: F.log_softmax(t, 1), lambda t: TF.log_softmax(t, 1), x)
    compare_with_torch(lambda t: F.softmax(t, 1), lambda t: TF.softmax(t, 1), x)


def test_elu_has_no_nan_gradient_for_large_inputs():
    x = mg(np.array([800.0, -800.0]), requires_grad=True)
    F.elu(x).sum().backward()
    assert np.all(np.isfinite(x.grad.numpy()))


def test_linear_matches_torch(rng):
    x, w, b = rng.standard_normal((5, 3)), rng.standard_normal((4, 3)), rng.standard_normal(4)
    compare_with_torch(F.linear, TF.linear, x, w, b)
    compare_with_torch(lambda a, c: F.linear(a, c), lambda a, c: TF.linear(a, c), x, w)


@pytest.mark.parametrize("stride, padding, dilation, groups",
                         [(1, 0, 1, 1), (2, 1, 1, 1), (1, 2, 2, 1), (1, 1, 1, 2)])
def test_conv1d_matches_torch(stride, padding, dilation, groups, rng):
    x = rng.standard_normal((2, 4, 9))
    w = rng.standard_normal((6, 4 // groups, 3))
    b = rng.standard_normal(6)
    compare_with_torch(
        lambda a, c, d: F.conv1d(a, c, d, stride, padding, dilation, groups),
        lambda a, c, d: TF.conv1d(a, c, d, stride, padding, dilation, groups), x, w, b)


@pytest.mark.parametrize("stride, padding, dilation, groups",
                         [(1, 0, 1, 1), (2, 1, 1, 1), ((1, 2), (2, 1), (2, 1), 1), (1, 1, 1, 2)])
def test_conv2d_matches_torch(stride, padding, dilation, groups, rng):
    x = rng.standard_normal((2, 4, 7, 6))
    w = rng.standard_normal((4, 4 // groups, 3, 2))
    b = rng.standard_normal(4)
    compare_with_torch(
        lambda a, c, d: F.conv2d(a, c, d, stride, padding, dilation, groups),
        lambda a, c, d: TF.conv2d(a, c, d, stride, padding, dilation, groups), x, w, b)


@pytest.mark.parametrize("kernel, stride, padding", [(2, None, 0), (3, 1, 1), ((2, 3), (1, 2), 0)])
def test_pooling_matches_torch(kernel, stride, padding, rng):
    x = rng.standard_normal((2, 3, 6, 7))
    compare_with_torch(lambda a: F.max_pool2d(a, kernel, stride, padding),
                       lambda a: TF.max_pool2d(a, kernel, stride, padding), x)
    compare_with_torch(lambda a: F.avg_pool2d(a, kernel, stride, padding),
                       lambda a: TF.avg_pool2d(a, kernel, stride, padding), x)


def test_dropout_keeps_expected_fraction_and_scales_survivors():
    minigrad.manual_seed(0)
    x = minigrad.ones((200, 100), dtype=minigrad.float64)
    out = F.dropout(x, p=0.3, training=True).numpy()
    kept = out != 0
    assert abs(kept.mean() - 0.7) < 0.02
    np.testing.assert_allclose(out[kept], 1 / 0.7)


def test_dropout_is_reproducible_with_manual_seed_and_identity_in_eval(rng):
    x = mg(rng.standard_normal((8, 8)))
    minigrad.manual_seed(7)
    first = F.dropout(x, 0.5).numpy()
    minigrad.manual_seed(7)
    second = F.dropout(x, 0.5).numpy()
    np.testing.assert_array_equal(first, second)
    assert F.dropout(x, 0.5, training=False) is x
    np.testing.assert_array_equal(F.dropout(x, 1.0).numpy(), np.zeros((8, 8)))
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(x, 1.5)


def test_dropout_gradient_is_mask_times_scale():
    minigrad.manual_seed(3)
    x = minigrad.ones((50,), dtype=minigrad.float64, requires_grad=True)
    out = F.dropout(x, 0.4)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), out.detach().numpy())


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (3, 3, 4, 2)])
def test_batch_norm_training_matches_torch_including_running_stats(shape, rng):
    x = rng.standard_normal(shape) * 2 + 1
    weight, bias = rng.standard_normal(3), rng.standard_normal(3)
    mg_mean, mg_var = mg(np.zeros(3)), mg(np.ones(3))
    th_mean, th_var = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    compare_with_torch(
        lambda a, w, b: F.batch_norm(a, mg_mean, mg_var, w, b, True, 0.2, 1e-5),
        lambda a, w, b: TF.batch_norm(a, th_mean, th_var, w, b, True, 0.2, 1e-5),
        x, weight, bias)
    assert_close(mg_mean, th_mean, what="running mean")
    assert_close(mg_var, th_var, what="running var")


def test_batch_norm_evaluation_uses_running_stats(rng):
    x, mean, var = rng.standard_normal((5, 4)), rng.standard_normal(4), rng.random(4) + 0.5
    compare_with_torch(
        lambda a, w, b: F.batch_norm(a, mg(mean), mg(var), w, b, False),
        lambda a, w, b: TF.batch_norm(a, torch.tensor(mean), torch.tensor(var), w, b, False),
        x, rng.standard_normal(4), rng.standard_normal(4))


def test_batch_norm_rejects_bad_shapes():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(mg(np.ones((1, 3))), None, None, training=True)
    with pytest.raises(ValueError, match=r"running_mean has shape \(2,\)"):
        F.batch_norm(mg(np.ones((4, 3))), mg(np.zeros(2)), mg(np.ones(3)))


def test_one_hot_matches_torch():
    labels = np.array([0, 2, 1, 2])
    expected = TF.one_hot(torch.tensor(labels), 4).numpy()
    out = F.one_hot(mg(labels), 4)
    assert out.dtype == minigrad.int64
    np.testing.assert_array_equal(out.numpy(), expected)
    np.testing.assert_array_equal(F.one_hot(mg(labels)).numpy(), expected[:, :3])
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        F.one_hot(mg(labels), 2)
