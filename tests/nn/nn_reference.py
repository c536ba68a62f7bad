"""Helpers shared by the nn tests: run the same computation in minigrad and PyTorch on the
same float64 inputs and compare outputs and gradients."""

from __future__ import annotations

import numpy as np
import torch

import minigrad

ATOL = 1e-10
RTOL = 1e-7


def mg(array, requires_grad: bool = False) -> minigrad.Tensor:
    """A minigrad tensor with ``array``'s values (float arrays as float64)."""
    array = np.asarray(array)
    dtype = minigrad.int64 if array.dtype.kind in "iu" else minigrad.float64
    return minigrad.tensor(array, dtype=dtype, requires_grad=requires_grad)


def th(array, requires_grad: bool = False) -> torch.Tensor:
    """A torch tensor with ``array``'s values (float arrays as float64)."""
    array = np.asarray(array)
    if array.dtype.kind in "iu":
        return torch.tensor(array, dtype=torch.int64)
    return torch.tensor(array, dtype=torch.float64, requires_grad=requires_grad)


def assert_close(actual, expected, atol: float = ATOL, rtol: float = RTOL, what: str = ""):
    actual = actual.numpy() if isinstance(actual, minigrad.Tensor) else np.asarray(actual)
    if isinstance(expected, torch.Tensor):
        expected = expected.detach().numpy()
    assert actual.shape == np.shape(expected), f"{what}: shape {actual.shape} vs {expected.shape}"
    np.testing.assert_allclose(actual, expected, atol=atol, rtol=rtol, err_msg=what)


def compare_with_torch(minigrad_fn, torch_fn, *arrays, atol=ATOL, rtol=RTOL, seed=0,
                       differentiate=None):
    """Run both functions on the same inputs; compare the outputs, then backpropagate the
    same random upstream gradient and compare the input gradients: of every float input,
    or of the inputs whose positions are listed in ``differentiate``."""
    if differentiate is None:
        differentiate = [i for i, a in enumerate(arrays) if np.asarray(a).dtype.kind == "f"]
    mg_inputs = [mg(a, requires_grad=i in differentiate) for i, a in enumerate(arrays)]
    th_inputs = [th(a, requires_grad=i in differentiate) for i, a in enumerate(arrays)]
    mg_out = minigrad_fn(*mg_inputs)
    th_out = torch_fn(*th_inputs)
    assert_close(mg_out, th_out, atol, rtol, "forward")
    upstream = np.random.default_rng(seed).standard_normal(tuple(th_out.shape))
    mg_out.backward(mg(upstream))
    th_out.backward(th(upstream))
    for index, (a, b) in enumerate(zip(mg_inputs, th_inputs, strict=True)):
        if b.requires_grad:
            assert a.grad is not None, f"input {index} received no gradient"
            assert_close(a.grad, b.grad, atol, rtol, f"gradient of input {index}")
    return mg_out, th_out


def copy_torch_weights(module, torch_module) -> None:
    """Load a PyTorch module's parameters and buffers into a minigrad module by name."""
    state = {name: value.detach().numpy() for name, value in torch_module.state_dict().items()}
    module.load_state_dict(state)


def compare_module(module, torch_module, *arrays, atol=ATOL, rtol=RTOL, seed=0):
    """Forward both modules on the same inputs and compare outputs, input gradients and
    parameter gradients (same names on both sides)."""
    mg_out, th_out = compare_with_torch(module, torch_module, *arrays, atol=atol, rtol=rtol,
                                        seed=seed)
    torch_parameters = dict(torch_module.named_parameters())
    names = [name for name, _ in module.named_parameters()]
    assert names == list(torch_parameters), "parameter names differ from PyTorch's"
    for name, parameter in module.named_parameters():
        assert_close(parameter.grad, torch_parameters[name].grad, atol, rtol, f"grad of {name}")
    return mg_out, th_out
