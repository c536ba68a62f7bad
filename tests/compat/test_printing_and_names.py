"""Tensor printing, dtype aliases, devices, defaults, Size and node names, as in PyTorch."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

import minigrad
from minigrad import nn

PRINT_CASES = [
    [4.5, 1.0], [1.0, 2.0], [[1.0, 2.0], [3.0, 4.0]], 3.25, 2.0, [0.0, 0.0], [1e-5, 1.0],
    [1.0, 1e4], [1e9, 2.0], [123456.5, 0.5], [float("nan"), 1.5, float("inf")],
    [float("-inf"), 2.0], [-1.5, 2.25, -3.125], [[[1.5, -2.0], [3.0, 4.0]], [[5, 6], [7, 8]]],
    [1, 2, -300], [True, False], [],
    np.random.default_rng(0).normal(size=(4, 30)).tolist(),
    np.random.default_rng(1).normal(size=(40, 40)).tolist(),
    np.arange(2000.0).reshape(2, 10, 100).tolist(),
    np.random.default_rng(2).normal(size=(3, 3, 3)).tolist(),
]


def pytorch_text(text: str) -> str:
    return text.replace("torch.", "minigrad.")


@pytest.mark.parametrize("data", PRINT_CASES, ids=range(len(PRINT_CASES)))
def test_repr_is_pytorchs(data):
    assert repr(minigrad.tensor(data)) == pytorch_text(repr(torch.tensor(data)))


def test_repr_of_dtypes_shapes_and_graph_information():
    for dtype in ("float64", "int64"):
        for data in ([1.5, 2.0], [], [[1, 2]]):
            if dtype == "int64" and data == [1.5, 2.0]:
                continue
            ours = minigrad.tensor(data, dtype=getattr(minigrad, dtype))
            theirs = torch.tensor(data, dtype=getattr(torch, dtype))
            assert repr(ours) == pytorch_text(repr(theirs))
    assert repr(minigrad.zeros(0, 3)) == pytorch_text(repr(torch.zeros(0, 3)))
    x, tx = minigrad.tensor([4.5, 1.0], requires_grad=True), torch.tensor([4.5, 1.0],
                                                                         requires_grad=True)
    assert repr(x) == repr(tx)
    for make in (lambda a: a + 1, lambda a: a * a, lambda a: (a * 2).sum(), lambda a: a.exp(),
                 lambda a: a ** 2, lambda a: a.sin(), lambda a: -a, lambda a: a / 3,
                 lambda a: a - 1, lambda a: a.tanh(), lambda a: a.sigmoid(), lambda a: a.relu()):
        assert repr(make(x)) == repr(make(tx))


def test_grad_fn_names_and_next_functions_walk_like_pytorchs():
    def walk(output):
        names, stack = [], [output.grad_fn]
        while stack:
            node = stack.pop()
            names.append(getattr(node, "pytorch_name", type(node).__name__))
            assert "Backward" in names[-1] or names[-1] == "AccumulateGrad"
            stack.extend(n for n, _ in reversed(node.next_functions) if n is not None)
        return names

    x, tx = minigrad.tensor([1.5, -2.0], requires_grad=True), torch.tensor([1.5, -2.0],
                                                                          requires_grad=True)
    c, tc = minigrad.tensor([2.0, 3.0]), torch.tensor([2.0, 3.0])
    ours, theirs = ((x * c + x.exp()) ** 2).sum(), ((tx * tc + tx.exp()) ** 2).sum()
    assert walk(ours) == walk(theirs)
    assert re.fullmatch(r"<SumBackward0 object at 0x[0-9a-f]+>", repr(ours.grad_fn))
    assert re.fullmatch(r"<AccumulateGrad object at 0x[0-9a-f]+>",
                        repr(x.exp().grad_fn.next_functions[0][0]))
    mul = ours.grad_fn.next_functions[0][0].next_functions[0][0].next_functions[0][0]
    assert mul.next_functions[1] == (None, 0)
    assert mul.next_functions[0][0].variable is x


def test_dtype_aliases_and_unsupported_dtypes():
    assert minigrad.float is minigrad.float32 and minigrad.double is minigrad.float64
    assert minigrad.long is minigrad.int64 and minigrad.bool is minigrad.bool_
    assert minigrad.zeros(2, dtype=float).dtype is minigrad.float64  # like torch
    assert minigrad.ones(2).long().dtype is minigrad.long
    for name in ("half", "float16", "int32", "int", "uint8", "complex64"):
        with pytest.raises(NotImplementedError, match="minigrad"):
            getattr(minigrad, name)
    for dtype in ("int32", np.int32, np.float16, "complex128"):
        with pytest.raises(NotImplementedError, match="int64|float32|complex"):
            minigrad.zeros(2, dtype=dtype)
        with pytest.raises(TypeError):  # also a TypeError, for code that catches that
            minigrad.tensor([1, 2], dtype=dtype)
    with pytest.raises(NotImplementedError, match="float32"):
        minigrad.ones(2).half()
    with pytest.raises(AttributeError):
        minigrad.no_such_function  # noqa: B018
    assert not hasattr(minigrad.ones(1), "no_such_method")


def test_default_dtype_and_device():
    assert minigrad.get_default_dtype() is minigrad.float32
    minigrad.set_default_dtype(minigrad.float64)
    try:
        assert minigrad.tensor([1.5]).dtype is minigrad.float64
        assert minigrad.zeros(2).dtype is minigrad.float64
        assert minigrad.arange(0.0, 1.0, 0.5).dtype is minigrad.float64
        assert minigrad.tensor([1]).dtype is minigrad.int64
        assert repr(minigrad.tensor([1.5])) == "tensor([1.5000])"
        assert repr(minigrad.tensor([1.5], dtype=minigrad.float32)) == (
            "tensor([1.5000], dtype=minigrad.float32)")
    finally:
        minigrad.set_default_dtype(minigrad.float32)
    with pytest.raises(TypeError, match="floating point"):
        minigrad.set_default_dtype(minigrad.int64)
    minigrad.set_default_device("cpu")
    assert minigrad.get_default_device() == "cpu" and minigrad.ones(1).device == "cpu"
    minigrad.set_default_device(None)


def test_device_objects():
    cpu = minigrad.device("cpu")
    assert cpu == "cpu" and cpu.type == "cpu" and str(cpu) == "cpu" and cpu.index is None
    assert repr(cpu) == repr(torch.device("cpu"))
    x = minigrad.ones(2, device=cpu)
    assert x.device == cpu and x.device.type == "cpu" and x.to(cpu) is x
    assert minigrad.device("cuda:0") == minigrad.device("cuda", 0) == "cuda"
    with pytest.raises(ValueError, match="cpu"):
        minigrad.device("tpu")


def test_size_is_a_tuple_like_torch_size():
    x, tx = minigrad.zeros(2, 3), torch.zeros(2, 3)
    assert isinstance(x.size(), minigrad.Size) and isinstance(x.shape, tuple)
    assert x.size() == (2, 3) == tx.size() and x.size(1) == 3 and x.shape[-1] == 3
    assert repr(x.shape) == pytorch_text(repr(tx.shape))
    assert x.shape.numel() == tx.shape.numel() == 6
    assert repr(x.shape[1:]) == pytorch_text(repr(tx.shape[1:]))
    rows, columns = x.shape
    assert (rows, columns) == (2, 3)


def test_creation_and_shape_errors_like_pytorch():
    for call in (lambda lib: lib.zeros(2.5), lambda lib: lib.ones(2, 1.0),
                 lambda lib: lib.randn((2.0, 3))):
        for lib in (torch, minigrad):
            with pytest.raises(TypeError):
                call(lib)
    for lib in (torch, minigrad):
        with pytest.raises(IndexError):
            lib.tensor(1.0).transpose(0, 1)
    assert minigrad.tensor(1.0).transpose(0, -1).item() == 1.0


def test_variable_is_a_tensor():
    from minigrad.autograd import Variable

    x = Variable(minigrad.tensor([2.0]), requires_grad=True)
    (x * x).sum().backward()
    assert isinstance(x, minigrad.Tensor) and x.grad.tolist() == [4.0]


def test_out_of_scope_names_raise_not_implemented_with_the_reason():
    for namespace, name in [(nn, "LSTM"), (nn.functional, "embedding"), (minigrad, "sparse"),
                            (minigrad.optim, "LBFGS"), (minigrad.autograd, "functional")]:
        with pytest.raises(NotImplementedError, match="scope|minigrad"):
            getattr(namespace, name)


def test_loss_nodes_carry_pytorchs_names():
    rng = np.random.default_rng(3)
    logits, labels = rng.normal(size=(4, 3)), np.array([0, 2, 1, 1])
    probabilities, targets = rng.uniform(0.1, 0.9, size=(4, 3)), rng.uniform(size=(4, 3))
    names = {}
    for lib in (minigrad, torch):
        F = lib.nn.functional
        x = lib.tensor(logits, requires_grad=True)
        p = lib.tensor(probabilities, requires_grad=True)
        y, q = lib.tensor(labels), lib.tensor(targets)
        losses = [F.mse_loss(p, q), F.l1_loss(p, q, reduction="none"), F.l1_loss(p, q),
                  F.l1_loss(p, q, reduction="sum"), F.huber_loss(p, q, reduction="none"),
                  p.mean(), p.mean(dim=0), p.sum(), p.sum(dim=1), p.sum((0, 1)),
                  F.mse_loss(p, q, reduction="none"), F.cross_entropy(x, y, reduction="sum"),
                  F.binary_cross_entropy(p, q), F.binary_cross_entropy_with_logits(x, q),
                  F.nll_loss(F.log_softmax(x, dim=1), y), F.cross_entropy(x, y),
                  lib.nn.MSELoss()(p, q)]
        names[lib.__name__] = [repr(loss).split("grad_fn=")[1] for loss in losses]
    assert names["minigrad"] == names["torch"]
