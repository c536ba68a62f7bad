"""In-place writes on the device: the backend's setitem, and Tensor in-place ops, assignment
and their gradients on CUDA tensors (checked against the same program on the CPU)."""

import numpy as np
import pytest

import minigrad

INDICES = [
    (1,),
    (slice(None), slice(1, 3)),
    (Ellipsis, 0),
    (np.array([2, 0], dtype=np.int64),),
]


@pytest.mark.parametrize("index", INDICES)
def test_backend_setitem_matches_numpy(backend, to_device, to_host, rng, index):
    x = rng.standard_normal((3, 4))
    device_index = tuple(to_device(i) if isinstance(i, np.ndarray) else i for i in index)
    values = rng.standard_normal(x[index].shape)
    expected = x.copy()
    expected[index] = values
    array = to_device(x)
    backend.setitem(array, device_index, to_device(values))
    np.testing.assert_array_equal(to_host(array), expected)
    backend.setitem(array, device_index, 2.5)  # a number is broadcast
    expected[index] = 2.5
    np.testing.assert_array_equal(to_host(array), expected)


def _program(device):
    x = minigrad.tensor(np.linspace(-1, 1, 12).reshape(3, 4), dtype=minigrad.float64,
                        device=device, requires_grad=True)
    w = minigrad.tensor(np.linspace(0.5, 2, 4), dtype=minigrad.float64, device=device,
                        requires_grad=True)
    h = x * 1
    h.mul_(w).add_(1)
    h[0] = w * 3
    h[:, 1:3] += 0.5
    h.clamp_(-1.0, 2.0)
    (h * h).sum().backward()
    return [h.detach().cpu().numpy(), x.grad.cpu().numpy(), w.grad.cpu().numpy()]


def test_inplace_ops_and_assignment_on_cuda_match_cpu():
    for got, expected in zip(_program("cuda"), _program("cpu"), strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_version_check_on_cuda():
    a = minigrad.tensor([1.0, 2.0], device="cuda")
    w = minigrad.tensor([3.0, 4.0], device="cuda", requires_grad=True)
    y = (a * w).sum()
    a[0] = 5.0
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()
    with pytest.raises(RuntimeError, match="leaf Variable"):
        w.add_(1)
