"""Losses' legacy ``size_average=``/``reduce=`` arguments map to a reduction with
PyTorch's deprecation warning, and PyTorch's positional order is kept."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import minigrad
from minigrad import nn

LEGACY = [(None, None), (True, None), (False, None), (None, False), (False, True),
          (True, False), (None, True)]


def labelled_inputs(lib):
    rng = np.random.default_rng(0)
    logits = lib.tensor(rng.normal(size=(4, 3)), requires_grad=True)
    labels = lib.tensor(np.array([0, 2, 1, 2]))
    probabilities = lib.tensor(rng.uniform(0.1, 0.9, size=(4, 3)), requires_grad=True)
    targets = lib.tensor(rng.uniform(0, 1, size=(4, 3)))
    return logits, labels, probabilities, targets


def loss_calls(lib, size_average, reduce):
    F, lnn = lib.nn.functional, lib.nn
    legacy = {"size_average": size_average, "reduce": reduce}
    return {
        "mse_loss": lambda x, y, p, q: F.mse_loss(p, q, **legacy),
        "l1_loss": lambda x, y, p, q: F.l1_loss(p, q, size_average, reduce),
        "bce": lambda x, y, p, q: F.binary_cross_entropy(p, q, None, size_average, reduce),
        "bce_logits": lambda x, y, p, q: F.binary_cross_entropy_with_logits(x, q, **legacy),
        "nll_loss": lambda x, y, p, q: F.nll_loss(F.log_softmax(x, dim=1), y, **legacy),
        "cross_entropy": lambda x, y, p, q: F.cross_entropy(x, y, None, size_average, -100,
                                                            reduce),
        "MSELoss": lambda x, y, p, q: lnn.MSELoss(size_average, reduce)(p, q),
        "L1Loss": lambda x, y, p, q: lnn.L1Loss(**legacy)(p, q),
        "BCELoss": lambda x, y, p, q: lnn.BCELoss(None, size_average, reduce)(p, q),
        "BCEWithLogitsLoss": lambda x, y, p, q: lnn.BCEWithLogitsLoss(**legacy)(x, q),
        "NLLLoss": lambda x, y, p, q: lnn.NLLLoss(None, size_average, -100, reduce)(
            F.log_softmax(x, dim=1), y),
        "CrossEntropyLoss": lambda x, y, p, q: lnn.CrossEntropyLoss(**legacy)(x, y),
    }


def run(lib, name, size_average, reduce):
    inputs = labelled_inputs(lib)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loss = loss_calls(lib, size_average, reduce)[name](*inputs)
    messages = [str(w.message) for w in caught if "size_average" in str(w.message)]
    loss.sum().backward()
    return loss.detach().numpy(), inputs[0].grad, inputs[2].grad, messages


@pytest.mark.parametrize("size_average,reduce", LEGACY)
@pytest.mark.parametrize("name", sorted(loss_calls(torch, None, None)))
def test_legacy_arguments_match_torch(name, size_average, reduce):
    ours = run(minigrad, name, size_average, reduce)
    theirs = run(torch, name, size_average, reduce)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12, atol=1e-14)
    for mine, reference in zip(ours[1:3], theirs[1:3], strict=True):
        assert (mine is None) == (reference is None)
        if reference is not None:
            np.testing.assert_allclose(mine.numpy(), reference.numpy(), rtol=1e-10, atol=1e-14)
    assert ours[3] == theirs[3]  # the same deprecation warning, or none


def test_reduction_still_wins_when_no_legacy_argument():
    assert nn.MSELoss(reduction="sum").reduction == "sum"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.CrossEntropyLoss(reduction="none")
