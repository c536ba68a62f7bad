"""Losses (functional and modules) against PyTorch: values, gradients, reductions, options
and numerical stability, in float64."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from nn_reference import assert_close, compare_with_torch, mg, th

import minigrad.nn as nn
import minigrad.nn.functional as F

REDUCTIONS = ["mean", "sum", "none"]


@pytest.fixture
def rng():
    return np.random.default_rng(99)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "mg_fn, th_fn",
    [
        (F.mse_loss, TF.mse_loss),
        (F.l1_loss, TF.l1_loss),
        (F.huber_loss, TF.huber_loss),
        (F.smooth_l1_loss, TF.smooth_l1_loss),
    ],
)
def test_regression_losses_match_torch(mg_fn, th_fn, reduction, rng):
    x, y = rng.standard_normal((4, 3)) * 2, rng.standard_normal((4, 3))
    compare_with_torch(lambda a, b: mg_fn(a, b, reduction=reduction),
                       lambda a, b: th_fn(a, b, reduction=reduction), x, y)


def test_huber_delta_matches_torch(rng):
    x, y = rng.standard_normal(10) * 3, rng.standard_normal(10)
    compare_with_torch(lambda a, b: F.huber_loss(a, b, delta=0.5),
                       lambda a, b: TF.huber_loss(a, b, delta=0.5), x, y)


@pytest.mark.parametrize("beta", [0.0, 0.3, 2.5])
def test_smooth_l1_beta_matches_torch(beta, rng):
    x, y = rng.standard_normal(12) * 3, rng.standard_normal(12)
    compare_with_torch(lambda a, b: nn.SmoothL1Loss(beta=beta)(a, b),
                       lambda a, b: torch.nn.SmoothL1Loss(beta=beta)(a, b), x, y)
    with pytest.raises(ValueError, match="beta"):
        F.smooth_l1_loss(mg(x), mg(y), beta=-1.0)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_matches_torch(reduction, rng):
    p = rng.uniform(0.05, 0.95, (5, 2))
    y = rng.integers(0, 2, (5, 2)).astype(float)
    w = rng.random((5, 2))
    compare_with_torch(lambda a, b: F.binary_cross_entropy(a, b, reduction=reduction),
                       lambda a, b: TF.binary_cross_entropy(a, b, reduction=reduction), p, y)
    compare_with_torch(
        lambda a, b, c: F.binary_cross_entropy(a, b, c, reduction=reduction),
        lambda a, b, c: TF.binary_cross_entropy(a, b, c, reduction=reduction), p, y, w,
        differentiate=[0, 1])


def test_binary_cross_entropy_clamps_log_at_minus_100_like_torch():
    p, y = np.array([0.0, 1.0, 0.0, 1.0]), np.array([1.0, 0.0, 0.0, 1.0])
    # PyTorch's gradient for the target is -logit(p), infinite here; ours differentiates
    # the clamped logs and stays finite, so only the input gradient is compared.
    compare_with_torch(lambda a, b: F.binary_cross_entropy(a, b, reduction="none"),
                       lambda a, b: TF.binary_cross_entropy(a, b, reduction="none"), p, y,
                       differentiate=[0])


def test_binary_cross_entropy_rejects_values_outside_0_1():
    with pytest.raises(ValueError, match="probabilities in"):
        F.binary_cross_entropy(mg(np.array([1.5])), mg(np.array([1.0])))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_matches_torch(reduction, rng):
    x = rng.standard_normal((6, 3)) * 4
    y = rng.random((6, 3))
    w = rng.random((6, 3))
    pos = rng.random(3) * 3
    compare_with_torch(
        lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction=reduction),
        lambda a, b: TF.binary_cross_entropy_with_logits(a, b, reduction=reduction), x, y)
    compare_with_torch(
        lambda a, b, c, d: F.binary_cross_entropy_with_logits(a, b, c, reduction=reduction,
                                                              pos_weight=d),
        lambda a, b, c, d: TF.binary_cross_entropy_with_logits(
            a, b, c, reduction=reduction, pos_weight=d), x, y, w, pos, differentiate=[0, 1])


def test_bce_with_logits_is_finite_and_exact_for_huge_and_zero_logits():
    x = np.array([1e4, -1e4, 1e4, -1e4, 0.0, 0.0])
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.0])
    out, _ = compare_with_torch(
        lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction="none"),
        lambda a, b: TF.binary_cross_entropy_with_logits(a, b, reduction="none"), x, y)
    assert np.all(np.isfinite(out.numpy()))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_plain_matches_torch(reduction, rng):
    logits, labels = rng.standard_normal((7, 4)) * 3, rng.integers(0, 4, 7)
    compare_with_torch(lambda a, b: F.cross_entropy(a, b, reduction=reduction),
                       lambda a, b: TF.cross_entropy(a, b, reduction=reduction), logits, labels)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("use_weight", [False, True])
def test_cross_entropy_options_match_torch(reduction, smoothing, use_weight, rng):
    logits = rng.standard_normal((8, 5)) * 2
    labels = rng.integers(0, 5, 8)
    labels[[1, 5]] = -100
    weight = rng.random(5) + 0.1 if use_weight else None
    kwargs = {"reduction": reduction, "label_smoothing": smoothing}
    if use_weight:
        compare_with_torch(lambda a, b, w: F.cross_entropy(a, b, w, **kwargs),
                           lambda a, b, w: TF.cross_entropy(a, b, w, **kwargs),
                           logits, labels, weight, differentiate=[0])
    else:
        compare_with_torch(lambda a, b: F.cross_entropy(a, b, **kwargs),
                           lambda a, b: TF.cross_entropy(a, b, **kwargs), logits, labels)


@pytest.mark.parametrize("loss", [F.cross_entropy, F.nll_loss])
def test_ignored_samples_lose_plus_zero(loss, rng):
    # printed, -0.0 reads "-0."; PyTorch gives +0.0 for an ignored sample
    logits, labels = rng.standard_normal((4, 3)), np.array([2, -100, 0, -100])
    ours = loss(mg(logits), mg(labels), reduction="none").numpy()
    theirs = getattr(TF, loss.__name__)(th(logits), th(labels), reduction="none").numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    np.testing.assert_array_equal(np.signbit(ours), np.signbit(theirs))


def test_cross_entropy_ignore_index_inside_class_range(rng):
    logits, labels = rng.standard_normal((6, 3)), np.array([0, 1, 2, 1, 1, 0])
    compare_with_torch(lambda a, b: F.cross_entropy(a, b, ignore_index=1),
                       lambda a, b: TF.cross_entropy(a, b, ignore_index=1), logits, labels)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_probability_targets_match_torch(reduction, smoothing, rng):
    logits = rng.standard_normal((5, 4))
    targets = rng.random((5, 4))
    targets /= targets.sum(1, keepdims=True)
    weight = rng.random(4) + 0.5
    compare_with_torch(
        lambda a, b, w: F.cross_entropy(a, b, w, reduction=reduction, label_smoothing=smoothing),
        lambda a, b, w: TF.cross_entropy(a, b, w, reduction=reduction,
                                         label_smoothing=smoothing), logits, targets, weight)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_with_spatial_dimensions_matches_torch(reduction, rng):
    logits, labels = rng.standard_normal((2, 3, 4, 2)), rng.integers(0, 3, (2, 4, 2))
    compare_with_torch(lambda a, b: F.cross_entropy(a, b, reduction=reduction),
                       lambda a, b: TF.cross_entropy(a, b, reduction=reduction), logits, labels)


def test_cross_entropy_single_sample_without_batch(rng):
    logits = rng.standard_normal(4)
    compare_with_torch(lambda a: F.cross_entropy(a, mg(np.array(2))),
                       lambda a: TF.cross_entropy(a, torch.tensor(2)), logits)


def test_cross_entropy_is_finite_for_huge_logits():
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, -1e4]])
    labels = np.array([1, 1])
    out, _ = compare_with_torch(F.cross_entropy, TF.cross_entropy, logits, labels)
    assert np.isfinite(out.item())
    compare_with_torch(lambda a, b: F.cross_entropy(a, b, label_smoothing=0.1),
                       lambda a, b: TF.cross_entropy(a, b, label_smoothing=0.1), logits, labels)


def test_cross_entropy_rejects_bad_targets(rng):
    logits = mg(rng.standard_normal((3, 4)))
    with pytest.raises(ValueError, match=r"\[0, 4\)"):
        F.cross_entropy(logits, mg(np.array([0, 4, 1])))
    with pytest.raises(ValueError, match=r"shape \(3,\), got \(3, 1\)"):
        F.cross_entropy(logits, mg(np.array([[0], [1], [2]])))
    with pytest.raises(ValueError, match="reduction"):
        F.cross_entropy(logits, mg(np.array([0, 1, 2])), reduction="avg")
    with pytest.raises(ValueError, match="one entry per class"):
        F.cross_entropy(logits, mg(np.array([0, 1, 2])), weight=mg(np.ones(3)))
    with pytest.raises(TypeError, match="must be Tensors; got ndarray and Tensor"):
        F.cross_entropy(logits.numpy(), mg(np.array([0, 1, 2])))
    with pytest.raises(TypeError, match="must be Tensors; got Tensor and list"):
        F.nll_loss(logits, [0, 1, 2])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_matches_torch(reduction, rng):
    log_probs = np.log(rng.dirichlet(np.ones(4), 6))
    labels = rng.integers(0, 4, 6)
    labels[2] = -100
    weight = rng.random(4) + 0.2
    compare_with_torch(lambda a, b, w: F.nll_loss(a, b, w, reduction=reduction),
                       lambda a, b, w: TF.nll_loss(a, b, w, reduction=reduction),
                       log_probs, labels, weight, differentiate=[0])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_hinge_loss_is_mean_of_max_0_1_minus_y_s(reduction, rng):
    scores = rng.standard_normal(9) * 2
    labels = np.where(rng.random(9) > 0.5, 1.0, -1.0)
    reduce = {"mean": torch.mean, "sum": torch.sum, "none": lambda t: t}[reduction]
    compare_with_torch(lambda s, y: F.hinge_loss(s, y, reduction),
                       lambda s, y: reduce(torch.clamp(1 - y * s, min=0)), scores, labels)


def test_losses_reject_mismatched_shapes():
    with pytest.raises(ValueError, match=r"\(4, 1\).*\(4,\)"):
        F.mse_loss(mg(np.zeros((4, 1))), mg(np.zeros(4)))
    for fn in (F.l1_loss, F.huber_loss, F.hinge_loss, F.binary_cross_entropy_with_logits):
        with pytest.raises(ValueError, match="must be equal"):
            fn(mg(np.zeros((2, 1))), mg(np.zeros(2)))


@pytest.mark.parametrize(
    "make, make_torch, kind",
    [
        (lambda: nn.MSELoss(), lambda: torch.nn.MSELoss(), "regression"),
        (lambda: nn.L1Loss(reduction="sum"), lambda: torch.nn.L1Loss(reduction="sum"),
         "regression"),
        (lambda: nn.HuberLoss(delta=0.7), lambda: torch.nn.HuberLoss(delta=0.7), "regression"),
        (lambda: nn.BCELoss(), lambda: torch.nn.BCELoss(), "probability"),
        (lambda: nn.BCEWithLogitsLoss(pos_weight=mg(np.array([2.0, 0.5]))),
         lambda: torch.nn.BCEWithLogitsLoss(pos_weight=th(np.array([2.0, 0.5]))), "logit"),
        (lambda: nn.CrossEntropyLoss(label_smoothing=0.1),
         lambda: torch.nn.CrossEntropyLoss(label_smoothing=0.1), "classes"),
        (lambda: nn.CrossEntropyLoss(weight=mg(np.array([1.0, 2.0])), reduction="none"),
         lambda: torch.nn.CrossEntropyLoss(weight=th(np.array([1.0, 2.0])), reduction="none"),
         "classes"),
        (lambda: nn.NLLLoss(ignore_index=0), lambda: torch.nn.NLLLoss(ignore_index=0),
         "classes"),
    ],
)
def test_loss_modules_match_torch(make, make_torch, kind, rng):
    x = rng.standard_normal((6, 2))
    if kind == "regression":
        y = rng.standard_normal((6, 2))
    elif kind == "probability":
        x, y = rng.uniform(0.1, 0.9, (6, 2)), rng.integers(0, 2, (6, 2)).astype(float)
    elif kind == "logit":
        y = rng.integers(0, 2, (6, 2)).astype(float)
    else:
        y = np.array([0, 1, 1, 0, 1, 1])
    compare_with_torch(make(), make_torch(), x, y)


def test_loss_module_repr_and_bad_reduction():
    assert repr(nn.MSELoss()) == "MSELoss()"
    assert repr(nn.L1Loss(reduction="sum")) == "L1Loss(reduction=sum)"
    with pytest.raises(ValueError, match="reduction"):
        nn.HingeLoss(reduction="average")


def test_losses_work_inside_a_training_graph(rng):
    logits = mg(rng.standard_normal((4, 3)), requires_grad=True)
    loss = nn.CrossEntropyLoss()(logits, mg(np.array([0, 2, 1, 1])))
    loss.backward()
    # softmax - one_hot, averaged: each row of the gradient sums to 0
    assert_close(logits.grad.numpy().sum(1), np.zeros(4))


def test_smooth_l1_passes_gradcheck_away_from_its_kink():
    from minigrad.testing import gradcheck, gradgradcheck

    differences = np.array([-2.0, -0.4, 0.1, 0.45, 1.7])
    target = np.zeros(5)
    loss = lambda a, b: F.smooth_l1_loss(a, b, beta=0.6, reduction="sum")  # noqa: E731
    assert gradcheck(loss, (differences, target))
    assert gradgradcheck(loss, (differences, target))
