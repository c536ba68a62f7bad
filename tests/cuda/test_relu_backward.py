"""ReLU's backward on the device: the backend kernel against PyTorch's threshold_backward,
and the ``ReluBackward`` node of a CUDA tensor's graph (first and second derivatives)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import minigrad


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the simulator computes with numpy
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kernel_matches_torch_on_special_values(backend, to_device, to_host, dtype):
    special = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 2.0, -3.0], dtype=dtype)
    rng = np.random.default_rng(0)
    a = rng.choice(special, size=(3, 5)).astype(dtype)
    grad = rng.choice(special, size=(3, 5)).astype(dtype)
    # a transposed gradient: the kernel reads it through its strides
    grad_t = np.ascontiguousarray(grad.T)
    grad_view = backend.permute(to_device(grad_t), (1, 0))
    result = to_host(backend.relu_backward(grad_view, to_device(a)))
    expected = torch.ops.aten.threshold_backward(torch.from_numpy(grad),
                                                 torch.from_numpy(a), 0.0).numpy()
    assert result.dtype == dtype
    np.testing.assert_array_equal(result, expected)


def test_kernel_names_mismatched_shapes_and_dtypes(backend, to_device):
    with pytest.raises(ValueError, match=r"grad \(2, 3\) and input \(3, 2\)"):
        backend.relu_backward(to_device(np.zeros((2, 3))), to_device(np.zeros((3, 2))))
    with pytest.raises(TypeError, match="got float32 and float64"):
        backend.relu_backward(to_device(np.zeros(3, np.float32)), to_device(np.zeros(3)))


def test_first_and_second_derivatives_match_torch():
    rng = np.random.default_rng(1)
    x_values, w_values = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))

    def derivatives(library, device):
        x = library.tensor(x_values, dtype=library.float64, device=device, requires_grad=True)
        w = library.tensor(w_values, dtype=library.float64, device=device, requires_grad=True)
        (grad_x,) = library.autograd.grad((x.relu() * w).sum(), x, create_graph=True)
        (grad_w,) = library.autograd.grad((grad_x * grad_x).sum(), w)
        return grad_x.detach().cpu().numpy(), grad_w.cpu().numpy()

    for ours, theirs in zip(derivatives(minigrad, "cuda"), derivatives(torch, "cpu"),
                            strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0)
