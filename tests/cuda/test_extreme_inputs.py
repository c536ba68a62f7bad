"""The CUDA kernels on inputs where naive formulas fail: sigmoid and log-sigmoid at extreme
logits, cross-entropy over -inf masked logits with class weights and ignore_index, NaN in
maximum/minimum; against PyTorch on the CPU."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import minigrad
import minigrad.nn.functional as F

INF = float("inf")
EXTREME_LOGITS = [-1e30, -1e4, -100.0, -40.0, -20.0, -17.5, -1.0, 0.0, 1.0, 17.5, 20.0, 40.0,
                  100.0, 1e4, 1e30]
TORCH_DTYPES = {"float32": torch.float32, "float64": torch.float64}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("op, torch_fn", [("sigmoid", torch.sigmoid),
                                          ("log_sigmoid", TF.logsigmoid)])
def test_sigmoid_kernels_keep_their_tails(backend, to_device, to_host, dtype, op, torch_fn):
    x = np.array(EXTREME_LOGITS + [float("nan")], dtype=dtype)
    result = to_host(backend.unary(op, to_device(x)))
    expected = torch_fn(torch.from_numpy(x)).numpy()
    assert result.dtype == x.dtype
    # float32 subnormals (sigmoid(-100) = 3.7e-44) are the only absolute slack.
    np.testing.assert_allclose(result, expected, rtol=1e-6 if dtype == "float32" else 1e-12,
                               atol=1e-37)
    if op == "sigmoid":
        np.testing.assert_allclose(result[EXTREME_LOGITS.index(-20.0)], 2.0611537e-9,
                                   rtol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_binary_cross_entropy_of_sigmoid_on_cuda_matches_torch(dtype):
    x = minigrad.tensor(EXTREME_LOGITS, dtype=getattr(minigrad, dtype), device="cuda",
                        requires_grad=True)
    target = minigrad.ones(len(EXTREME_LOGITS), dtype=x.dtype, device="cuda")
    loss = F.binary_cross_entropy(x.sigmoid(), target, reduction="none")
    loss.sum().backward()
    torch_x = torch.tensor(EXTREME_LOGITS, dtype=TORCH_DTYPES[dtype], requires_grad=True)
    expected = TF.binary_cross_entropy(torch_x.sigmoid(), torch.ones(len(EXTREME_LOGITS),
                                       dtype=TORCH_DTYPES[dtype]), reduction="none")
    expected.sum().backward()
    rtol = 1e-5 if dtype == "float32" else 1e-9
    # x = -100 in float32: PyTorch's sigmoid underflows to 0 (loss clamped at 100), the
    # kernel keeps a subnormal (loss 99.98); both are right to float32's subnormal precision.
    np.testing.assert_allclose(loss.numpy(), expected.detach().numpy(), rtol=rtol, atol=0.02)
    np.testing.assert_allclose(loss.numpy()[EXTREME_LOGITS.index(-20.0)], 20.0, rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), torch_x.grad.numpy(), rtol=rtol, atol=1e-30)


@pytest.mark.parametrize("options", [{"weight": True}, {"ignore_index": 1},
                                     {"weight": True, "ignore_index": 3}])
def test_cross_entropy_with_masked_logits_on_cuda_is_finite_like_torch(options):
    logits = np.array([[0.0, -INF, 1.0, 0.5], [2.0, 1.0, -INF, -INF],
                       [-INF, 0.3, -0.2, 1.5]], dtype=np.float32)
    target = np.array([0, 1, 3])
    weight = np.array([1.0, 2.0, 3.0, 0.5], dtype=np.float32)

    def run(module, z, t, w):
        kwargs = {"weight": w} if options.get("weight") else {}
        if "ignore_index" in options:
            kwargs["ignore_index"] = options["ignore_index"]
        return module.cross_entropy(z, t, **kwargs)

    z = minigrad.tensor(logits, device="cuda", requires_grad=True)
    loss = run(F, z, minigrad.tensor(target, device="cuda"),
               minigrad.tensor(weight, device="cuda"))
    loss.backward()
    torch_z = torch.from_numpy(logits).requires_grad_()
    expected = run(TF, torch_z, torch.from_numpy(target), torch.from_numpy(weight))
    expected.backward()
    assert np.isfinite(loss.item())
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-5)
    np.testing.assert_allclose(z.grad.numpy(), torch_z.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_fused_cross_entropy_kernel_with_masked_logits(backend, to_device, to_host):
    logits = np.array([[0.0, -INF, 1.0], [-INF, 2.0, -1.0]], dtype=np.float32)
    target = np.array([2, 1], dtype=np.int64)
    loss, probabilities = backend.softmax_cross_entropy(to_device(logits), to_device(target))
    grad = backend.softmax_cross_entropy_backward(probabilities, to_device(target),
                                                  to_device(np.ones(2, dtype=np.float32)))
    torch_logits = torch.from_numpy(logits).requires_grad_()
    expected = TF.cross_entropy(torch_logits, torch.from_numpy(target), reduction="none")
    expected.sum().backward()
    np.testing.assert_allclose(to_host(loss), expected.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(to_host(grad), torch_logits.grad.numpy(), atol=1e-7)


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_and_minimum_on_cuda_propagate_nan(name):
    a_values = [float("nan"), 1.0, float("nan"), 2.0, 3.0]
    b_values = [1.0, float("nan"), float("nan"), 2.0, 1.0]
    a = minigrad.tensor(a_values, device="cuda", requires_grad=True)
    b = minigrad.tensor(b_values, device="cuda", requires_grad=True)
    out = getattr(minigrad, name)(a, b)
    out.sum().backward()
    torch_a = torch.tensor(a_values, requires_grad=True)
    torch_b = torch.tensor(b_values, requires_grad=True)
    expected = getattr(torch, name)(torch_a, torch_b)
    expected.sum().backward()
    np.testing.assert_array_equal(out.numpy(), expected.detach().numpy())
    np.testing.assert_array_equal(a.grad.numpy(), torch_a.grad.numpy())
    np.testing.assert_array_equal(b.grad.numpy(), torch_b.grad.numpy())


def test_std_of_a_constant_on_cuda_has_gradient_zero():
    x = minigrad.full((4,), 2.5, device="cuda", requires_grad=True)
    x.std().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(4, dtype=np.float32))
