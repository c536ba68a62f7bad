"""Tensors on device="cuda": every op against the same op on the CPU and in PyTorch,
gradients included; device errors; host copies."""

import subprocess
import sys

import numpy as np
import pytest
import torch

import minigrad


def check_op(minigrad_fn, torch_fn, shapes, rtol=1e-5, atol=1e-5, positive=False, seed=0):
    """Run ``minigrad_fn`` on cuda and cpu tensors and ``torch_fn`` on torch tensors made
    from the same random arrays; compare outputs and every input gradient."""
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(shape).astype(np.float32) for shape in shapes]
    if positive:
        arrays = [np.abs(a) + 0.5 for a in arrays]
    results = {}
    for device in ("cuda", "cpu"):
        inputs = [minigrad.tensor(a, device=device, requires_grad=True) for a in arrays]
        out = minigrad_fn(*inputs)
        assert out.device == device
        out.sum().backward()
        for tensor in inputs:
            assert tensor.grad is not None and tensor.grad.device == device
        results[device] = (out.numpy(), [t.grad.numpy() for t in inputs])
    torch_inputs = [torch.from_numpy(a).requires_grad_() for a in arrays]
    torch_out = torch_fn(*torch_inputs)
    torch_out.sum().backward()
    expected = (torch_out.detach().numpy(), [t.grad.numpy() for t in torch_inputs])
    for device in ("cuda", "cpu"):
        out, grads = results[device]
        assert out.shape == expected[0].shape and out.dtype == np.float32
        np.testing.assert_allclose(out, expected[0], rtol=rtol, atol=atol)
        for grad, expected_grad in zip(grads, expected[1], strict=True):
            np.testing.assert_allclose(grad, expected_grad, rtol=rtol, atol=atol)
    np.testing.assert_allclose(results["cuda"][0], results["cpu"][0], rtol=rtol, atol=atol)


CASES = {
    "add_broadcast": (lambda a, b: a + b, lambda a, b: a + b, [(3, 4), (4,)]),
    "sub_mul": (lambda a, b: (a - b) * a, lambda a, b: (a - b) * a, [(2, 3), (2, 1)]),
    "div": (lambda a, b: a / b, lambda a, b: a / b, [(3, 5), (5,)]),
    "pow_scalar": (lambda a: a ** 3, lambda a: a ** 3, [(4, 3)]),
    "unary_chain": (lambda a: a.tanh().sigmoid().exp() + a.relu() - a.abs(),
                    lambda a: a.tanh().sigmoid().exp() + a.relu() - a.abs(), [(3, 5)]),
    "log_sqrt": (lambda a: a.log() + a.sqrt(), lambda a: a.log() + a.sqrt(), [(2, 7)]),
    "clamp": (lambda a: a.clamp(-0.5, 0.5), lambda a: a.clamp(-0.5, 0.5), [(3, 3)]),
    "maximum_where": (lambda a, b: minigrad.where(a > b, minigrad.maximum(a, b), a * b),
                      lambda a, b: torch.where(a > b, torch.maximum(a, b), a * b),
                      [(3, 4), (3, 4)]),
    "sum_mean": (lambda a: a.sum(dim=1) + a.mean(dim=1),
                 lambda a: a.sum(dim=1) + a.mean(dim=1), [(3, 33)]),
    "max_min": (lambda a: a.max(dim=0).values * a.min(dim=0).values,
                lambda a: a.max(dim=0).values * a.min(dim=0).values, [(5, 3)]),
    "var_std": (lambda a: a.var(dim=1, keepdim=True) * a.std(),
                lambda a: a.var(dim=1, keepdim=True) * a.std(), [(3, 6)]),
    "shape_ops": (lambda a: a.reshape(4, 3).transpose(0, 1).unsqueeze(0).expand(2, 3, 4),
                  lambda a: a.reshape(4, 3).transpose(0, 1).unsqueeze(0).expand(2, 3, 4),
                  [(2, 6)]),
    "permute_flatten": (lambda a: a.permute(2, 0, 1).flatten(1),
                        lambda a: a.permute(2, 0, 1).flatten(1), [(2, 3, 4)]),
    "slicing": (lambda a: a[1:, ::2] * a[0, ::2], lambda a: a[1:, ::2] * a[0, ::2], [(3, 5)]),
    "cat_stack": (lambda a, b: minigrad.cat([a, b], 0) + minigrad.stack([a, b]).sum(0).sum(0),
                  lambda a, b: torch.cat([a, b], 0) + torch.stack([a, b]).sum(0).sum(0),
                  [(2, 3), (2, 3)]),
    "matmul_batched": (lambda a, b: a @ b, lambda a, b: a @ b, [(2, 3, 17), (17, 5)]),
    "matmul_vector": (lambda a, b: a @ b, lambda a, b: a @ b, [(4, 6), (6,)]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_op_on_cuda_matches_cpu_and_torch(name):
    minigrad_fn, torch_fn, shapes = CASES[name]
    check_op(minigrad_fn, torch_fn, shapes, positive=name == "log_sqrt")


def test_advanced_indexing_gradient_adds_repeats():
    x = minigrad.tensor(np.arange(12.0).reshape(4, 3), device="cuda", requires_grad=True)
    index = minigrad.tensor([0, 2, 2], dtype=minigrad.int64, device="cuda")
    x[index].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1, 1, 1], [0, 0, 0], [2, 2, 2], [0, 0, 0]])


def test_comparisons_and_argmax_stay_on_device():
    x = minigrad.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]], device="cuda")
    assert (x > 1.5).device == "cuda"
    np.testing.assert_array_equal((x > 1.5).numpy(), [[False, True, True], [True, False, True]])
    np.testing.assert_array_equal(x.argmax(dim=1).numpy(), [1, 0])


def test_mixed_devices_raise_naming_both():
    a = minigrad.ones(2, 3)
    b = minigrad.ones(2, 3, device="cuda")
    with pytest.raises((RuntimeError, ValueError), match=r"cpu.*cuda|cuda.*cpu"):
        a + b
    with pytest.raises((RuntimeError, ValueError), match=r"cpu.*cuda|cuda.*cpu"):
        b @ a.T


def test_numpy_copies_to_host_and_round_trip():
    x = np.random.default_rng(0).standard_normal((3, 2)).astype(np.float32)
    t = minigrad.tensor(x, device="cuda", requires_grad=True)
    host = t.numpy()
    assert isinstance(host, np.ndarray)
    np.testing.assert_array_equal(host, x)
    host[0, 0] = 100.0  # a copy: the device tensor is unchanged
    assert t.numpy()[0, 0] == x[0, 0]
    back = t.to("cpu")
    assert back.device == "cpu"
    (back * 2).sum().backward()  # the gradient travels back to the cuda leaf
    assert t.grad.device == "cuda"
    np.testing.assert_array_equal(t.grad.numpy(), np.full((3, 2), 2.0))
    assert t.sum().item() == pytest.approx(float(x.sum()), rel=1e-6)
    assert minigrad.tensor(3.0, device="cuda").shape == ()


def test_in_place_updates_on_device():
    w = minigrad.tensor([1.0, 2.0, 3.0], device="cuda")
    g = minigrad.tensor([0.5, 0.5, 0.5], device="cuda")
    with minigrad.no_grad():
        w.sub_(g * 0.1)
        w.mul_(2.0)
    np.testing.assert_allclose(w.numpy(), [1.9, 3.9, 5.9], rtol=1e-6)


def test_without_cuda_is_available_is_false_and_cuda_request_is_one_clear_error():
    # A fresh interpreter without the simulator: this machine has no GPU.
    code = (
        "import sys, minigrad\n"
        "assert 'numba' not in sys.modules, 'import minigrad must not import numba'\n"
        "from numba import cuda\n"
        "if cuda.is_available(): print('GPU'); sys.exit(0)\n"
        "assert minigrad.cuda.is_available() is False\n"
        "assert minigrad.cuda.device_count() == 0\n"
        "try:\n"
        "    minigrad.ones(2).to('cuda')\n"
        "except RuntimeError as error:\n"
        "    print('ERROR', error)\n"
    )
    env = {key: value for key, value in __import__("os").environ.items()
           if key != "NUMBA_ENABLE_CUDASIM"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, cwd=__import__("pathlib").Path(__file__).parents[2],
                            timeout=120)
    assert result.returncode == 0, result.stderr
    if result.stdout.strip() != "GPU":
        assert "ERROR" in result.stdout and "cuda" in result.stdout.lower()


def test_simulator_is_reported():
    assert minigrad.cuda.is_available()
    assert minigrad.cuda.device_count() >= 1
    minigrad.cuda.synchronize()
    if minigrad.cuda.is_simulator():
        assert minigrad.cuda.get_device_name() == "CUDA simulator"


def test_mlp_training_steps_match_cpu():
    """Three SGD steps of a two-layer MLP on cuda and on cpu give the same losses and
    weights to float32 tolerance."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 6)).astype(np.float32)
    target = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 5)]
    initial = [(rng.standard_normal(s) * 0.5).astype(np.float32)
               for s in [(6, 7), (7,), (7, 3), (3,)]]
    runs = {}
    for device in ("cuda", "cpu"):
        params = [minigrad.tensor(a, device=device, requires_grad=True) for a in initial]
        inputs, labels = minigrad.tensor(x, device=device), minigrad.tensor(target,
                                                                            device=device)
        losses = []
        for _ in range(3):
            w1, b1, w2, b2 = params
            logits = (inputs @ w1 + b1).relu() @ w2 + b2
            shifted = logits - logits.max(dim=1, keepdim=True).values.detach()
            log_probabilities = shifted - shifted.exp().sum(dim=1, keepdim=True).log()
            loss = -(log_probabilities * labels).sum() / 5
            for p in params:
                p.grad = None
            loss.backward()
            with minigrad.no_grad():
                for p in params:
                    p.sub_(p.grad * 0.5)
            losses.append(loss.item())
        runs[device] = (losses, [p.numpy() for p in params])
    np.testing.assert_allclose(runs["cuda"][0], runs["cpu"][0], rtol=1e-5)
    assert runs["cuda"][0][-1] < runs["cuda"][0][0]
    for ours, reference in zip(runs["cuda"][1], runs["cpu"][1], strict=True):
        np.testing.assert_allclose(ours, reference, rtol=1e-5, atol=1e-6)
