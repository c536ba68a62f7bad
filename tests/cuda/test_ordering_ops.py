"""prod, cumsum and argsort kernels against the CPU backend (numpy), and the ordering ops
(prod, cumsum, sort, topk, unique, diag, einsum) through Tensor on the device."""

import numpy as np
import pytest

from minigrad.backend.cpu import CPUBackend


@pytest.mark.parametrize("axes", [(0,), (1,), (2,), (0, 2), (0, 1, 2)])
def test_prod_matches_cpu(backend, to_device, to_host, rng, axes):
    # rows of 37 take the shared-memory tree, rows of 3 or 5 one thread each
    x = rng.uniform(0.9, 1.1, size=(3, 37, 5))
    expected = CPUBackend().prod(x, axes, True)
    np.testing.assert_allclose(to_host(backend.prod(to_device(x), axes, True)), expected,
                               rtol=1e-12)
    empty = np.ones((2, 0))
    np.testing.assert_array_equal(to_host(backend.prod(to_device(empty), (1,), False)), [1, 1])
    flags = np.array([[True, False], [True, True]])
    np.testing.assert_array_equal(to_host(backend.prod(to_device(flags), (1,), False)), [0, 1])


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_cumsum_matches_cpu(backend, to_device, to_host, rng, axis):
    x = rng.standard_normal((3, 4, 5))
    np.testing.assert_allclose(to_host(backend.cumsum(to_device(x), axis)),
                               CPUBackend().cumsum(x, axis), rtol=1e-12)
    integers = np.arange(12).reshape(3, 4) % 5
    np.testing.assert_array_equal(to_host(backend.cumsum(to_device(integers), 1)),
                                  np.cumsum(integers, 1))
    flags = integers > 2
    result = to_host(backend.cumsum(to_device(flags), 0))
    assert result.dtype == np.int64
    np.testing.assert_array_equal(result, np.cumsum(flags, 0))


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("axis", [0, 1])
def test_argsort_matches_cpu_with_ties_and_nan(backend, to_device, to_host, axis, descending):
    x = np.array([[2.0, np.nan, 1.0, 2.0, -1.0], [1.0, 1.0, np.nan, 0.5, 3.0],
                  [2.0, 0.0, 1.0, np.nan, 3.0]])
    expected = CPUBackend().argsort(x, axis, descending)
    result = to_host(backend.argsort(to_device(x), axis, descending))
    assert result.dtype == np.int64
    np.testing.assert_array_equal(result, expected)


def test_ordering_ops_on_device_match_cpu():
    import minigrad

    values = np.random.default_rng(1).permutation(12).reshape(3, 4) * 0.5 - 2.0

    def run(device):
        x = minigrad.tensor(values, dtype=minigrad.float64, device=device, requires_grad=True)
        sorted_values, indices = x.sort(dim=0, descending=True)
        top = x.topk(2, dim=1).values
        total = (sorted_values * minigrad.arange(4.0, dtype=minigrad.float64, device=device)
                 ).sum() + (top ** 2).sum() + x.cumsum(1).pow(2).sum() + x.prod(1).sum()
        total = total + minigrad.diag(x).sum() + minigrad.einsum("ij,kj->", x, x)
        total.backward()
        unique = minigrad.unique(indices, return_counts=True)
        return [total.item(), indices.cpu().numpy(), x.grad.cpu().numpy(),
                *(u.cpu().numpy() for u in unique)]

    for on_device, on_host in zip(run("cuda"), run("cpu"), strict=True):
        np.testing.assert_allclose(on_device, on_host, rtol=1e-12)
