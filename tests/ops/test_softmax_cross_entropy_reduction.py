"""softmax_cross_entropy with its reduction inside the node ("mean" is CrossEntropyLoss's
default): values and gradients against PyTorch, finite differences, second order."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import minigrad
from minigrad.ops.loss import softmax_cross_entropy
from minigrad.testing import gradcheck, gradgradcheck
from tests.helpers import helper_test_op

TARGET = np.array([2, 0, 3, 3, 1])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_reduced_loss_matches_torch(reduction):
    helper_test_op([(5, 4)],
                   lambda z: softmax_cross_entropy(z, minigrad.tensor(TARGET), reduction),
                   lambda z: TF.cross_entropy(z, torch.tensor(TARGET), reduction=reduction))


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_reduced_loss_passes_gradcheck_and_gradgradcheck(reduction):
    logits = minigrad.tensor(np.random.default_rng(3).standard_normal((5, 4)),
                             requires_grad=True)
    target = minigrad.tensor(TARGET)

    def loss(z):
        return softmax_cross_entropy(z, target, reduction)

    assert gradcheck(loss, (logits,))
    assert gradgradcheck(loss, (logits,))


def test_cross_entropy_is_one_node_with_pytorchs_name():
    logits = minigrad.tensor(np.ones((5, 4)), requires_grad=True)
    loss = minigrad.nn.functional.cross_entropy(logits, minigrad.tensor(TARGET))
    reference = TF.cross_entropy(torch.ones((5, 4), requires_grad=True), torch.tensor(TARGET))
    assert loss.grad_fn.pytorch_name == reference.grad_fn.name() == "NllLossBackward0"
    # the mean is inside the node: the next one is the leaf's
    (next_node, _), _ = loss.grad_fn.next_functions
    assert next_node.pytorch_name == "AccumulateGrad"


def test_mean_of_no_samples_is_nan_as_in_torch():
    logits = minigrad.zeros((0, 3), requires_grad=True)
    loss = softmax_cross_entropy(logits, minigrad.tensor(np.zeros(0, np.int64)), "mean")
    expected = TF.cross_entropy(torch.zeros((0, 3)), torch.zeros(0, dtype=torch.long))
    assert np.isnan(loss.item()) and np.isnan(expected.item())


def test_unknown_reduction_is_refused():
    with pytest.raises(ValueError, match="reduction must be one of"):
        softmax_cross_entropy(minigrad.ones((2, 3)), minigrad.tensor([0, 1]), "average")
