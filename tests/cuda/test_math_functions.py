"""The elementwise math family's CUDA kernels against the CPU backend (numpy), including
values outside each function's domain, infinities, nan and halves for rounding; and one
differentiable call through Tensor on the device."""

import numpy as np
import pytest

from minigrad.backend.cpu import CPUBackend
from minigrad.backend.cpu.math_functions import MATH_UNARY

EDGE_VALUES = [[-3.5, -2.5, -1.0, -0.5, 0.0], [0.5, 0.999, 1.0, 1.5, 2.5],
               [800.0, -800.0, np.inf, -np.inf, np.nan]]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("op", sorted(MATH_UNARY))
def test_math_kernel_matches_cpu(backend, to_device, to_host, op, dtype):
    values = np.array(EDGE_VALUES, dtype=dtype)
    expected = CPUBackend().unary(op, values)
    result = to_host(backend.unary(op, to_device(values)))
    assert result.dtype == dtype
    tolerance = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(result, expected, rtol=tolerance, atol=tolerance, equal_nan=True)


def test_math_function_gradient_on_device():
    import minigrad

    x = minigrad.tensor([0.3, -0.4, 0.9], dtype=minigrad.float64, device="cuda",
                        requires_grad=True)
    (x.sin() * x.atan() + x.log1p()).sum().backward()
    host = x.detach().cpu().numpy()
    expected = np.cos(host) * np.arctan(host) + np.sin(host) / (1 + host**2) + 1 / (1 + host)
    np.testing.assert_allclose(x.grad.cpu().numpy(), expected, rtol=1e-12)
