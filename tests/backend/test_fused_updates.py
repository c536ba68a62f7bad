"""The fused kernels added for the training step: linear's backward in one call, the
multi-tensor SGD update, and the serial/parallel twins of a ``prange`` kernel."""

import numpy as np
import pytest
import torch

from minigrad.backend.cpu import dense, loss, optim
from minigrad.backend.cpu.threads import ELEMENTWISE_GRAIN

TOLERANCE = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-12)}


@pytest.fixture
def rng():
    return np.random.default_rng(2024)


# --- linear_backward ----------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kernel", dense.KERNELS)
def test_linear_backward_matches_torch(rng, dtype, kernel):
    x = rng.standard_normal((7, 5)).astype(dtype)
    weight = rng.standard_normal((3, 5)).astype(dtype)
    bias = rng.standard_normal(3).astype(dtype)
    grad = rng.standard_normal((7, 3)).astype(dtype)
    tx, tw, tb = (torch.from_numpy(a).requires_grad_() for a in (x, weight, bias))
    torch.nn.functional.linear(tx, tw, tb).backward(torch.from_numpy(grad))
    grad_x, grad_weight, grad_bias = dense.linear_backward(grad, x, weight, (True, True, True),
                                                           kernel=kernel)
    for ours, theirs in ((grad_x, tx.grad), (grad_weight, tw.grad), (grad_bias, tb.grad)):
        assert ours.dtype == dtype
        np.testing.assert_allclose(ours, theirs.numpy(), **TOLERANCE[dtype])


def test_linear_backward_returns_only_the_wanted_gradients(rng):
    x, weight = rng.standard_normal((4, 6)), rng.standard_normal((2, 6))
    grad = rng.standard_normal((4, 2))
    (grad_weight,) = dense.linear_backward(grad, x, None, (False, True, False))
    np.testing.assert_allclose(grad_weight, grad.T @ x, rtol=1e-12)
    grad_x, grad_bias = dense.linear_backward(grad, None, weight, (True, False, True))
    np.testing.assert_allclose(grad_x, grad @ weight, rtol=1e-12)
    np.testing.assert_allclose(grad_bias, grad.sum(axis=0), rtol=1e-12)


def test_linear_backward_bad_input(rng):
    grad = rng.standard_normal((4, 2))
    with pytest.raises(ValueError, match=r"needs weight \(out, in\) with out=2"):
        dense.linear_backward(grad, None, rng.standard_normal((3, 6)), (True, False, False))
    with pytest.raises(ValueError, match=r"needs x \(N, in\) with N=4"):
        dense.linear_backward(grad, rng.standard_normal((5, 6)), None, (False, True, False))
    with pytest.raises(ValueError, match=r"grad \(N, out\)"):
        dense.linear_backward(grad[0], None, None, (False, False, True))
    with pytest.raises(ValueError, match=r"needs weight \(out, in\) with out=2; got \(2,\)"):
        dense.linear_backward(grad, None, rng.standard_normal(2), (True, False, False))


@pytest.mark.parametrize("kernel", dense.KERNELS)
def test_linear_backward_names_mixed_dtypes(rng, kernel):
    grad = rng.standard_normal((4, 2)).astype(np.float32)
    with pytest.raises(TypeError, match="got float32 and float64"):
        dense.linear_backward(grad, None, rng.standard_normal((2, 6)), (True, False, False),
                              kernel=kernel)
    with pytest.raises(TypeError, match="got float32 and float64"):
        dense.linear_backward(grad, rng.standard_normal((4, 6)), None, (False, True, False),
                              kernel=kernel)


# --- sgd_update_ --------------------------------------------------------------------------
SGD_CASES = [
    dict(lr=0.1),
    dict(lr=0.1, momentum=0.9),
    dict(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.01),
    dict(lr=0.05, momentum=0.8, nesterov=True, maximize=True),
]


def torch_sgd_trajectory(values, grads, options, steps):
    params = [torch.tensor(value) for value in values]
    optimizer = torch.optim.SGD(params, foreach=False, **options)
    for step in range(steps):
        for param, grad in zip(params, grads[step], strict=True):
            param.grad = torch.tensor(grad)
        optimizer.step()
    return [param.numpy() for param in params]


# A group is one kernel call, serial below ELEMENTWISE_GRAIN elements in all, else parallel.
SGD_GROUPS = {"serial": [(3, 4), (5,), (1,)], "parallel": [(3, 4), (ELEMENTWISE_GRAIN + 5,)]}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("options", SGD_CASES, ids=lambda options: ",".join(options))
@pytest.mark.parametrize("group", SGD_GROUPS)
def test_sgd_update_matches_torch(rng, dtype, options, group):
    shapes = SGD_GROUPS[group]
    values = [rng.standard_normal(shape).astype(dtype) for shape in shapes]
    steps = 3
    grads = [[rng.standard_normal(shape).astype(dtype) for shape in shapes]
             for _ in range(steps)]
    settings = dict(momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
                    maximize=False) | options
    params = [value.copy() for value in values]
    velocities = [np.zeros_like(value) for value in values]
    for step in range(steps):
        optim.sgd_update_(params, grads[step], velocities, [step == 0] * len(params),
                          settings["lr"], settings["momentum"], settings["dampening"],
                          settings["weight_decay"], settings["nesterov"], settings["maximize"])
    for ours, theirs in zip(params, torch_sgd_trajectory(values, grads, options, steps),
                            strict=True):
        assert ours.dtype == dtype
        np.testing.assert_allclose(ours, theirs, **TOLERANCE[dtype])


def test_sgd_update_of_a_group_of_two_dtypes(rng):
    # one kernel call per dtype; each parameter keeps its own dtype and gets its own update
    params = [rng.standard_normal((2, 3)), rng.standard_normal(4).astype(np.float32),
              rng.standard_normal(5)]
    grads = [rng.standard_normal(param.shape).astype(param.dtype) for param in params]
    velocities = [np.zeros_like(param) for param in params]
    expected = torch_sgd_trajectory(params, [grads], dict(lr=0.1, momentum=0.5), 1)
    optim.sgd_update_(params, grads, velocities, [True] * 3, 0.1, 0.5, 0.0, 0.0, False, False)
    for ours, theirs in zip(params, expected, strict=True):
        assert ours.dtype == theirs.dtype
        np.testing.assert_allclose(ours, theirs, **TOLERANCE[ours.dtype.type])
    for velocity, grad in zip(velocities, grads, strict=True):
        np.testing.assert_array_equal(velocity, grad)  # the first velocity is the gradient


def test_sgd_update_of_a_strided_parameter_writes_through(rng):
    base = rng.standard_normal((4, 6))
    param = base.T  # not C-contiguous: updated in a copy that is written back
    grad = rng.standard_normal((6, 4))
    expected = param - 0.5 * grad
    optim.sgd_update_([param], [grad], [], [], 0.5, 0.0, 0.0, 0.0, False, False)
    np.testing.assert_allclose(base.T, expected, rtol=1e-12)


def test_sgd_update_bad_input(rng):
    param = rng.standard_normal(3)
    with pytest.raises(TypeError, match="float32 or both float64"):
        optim.sgd_update_([param], [param.astype(np.float32)], [], [], 0.1, 0, 0, 0, False,
                          False)
    with pytest.raises(ValueError, match=r"shape \(3,\) but its gradient has shape \(4,\)"):
        optim.sgd_update_([param], [np.ones(4)], [], [], 0.1, 0, 0, 0, False, False)
    with pytest.raises(ValueError, match="1 parameters but 2 gradients"):
        optim.sgd_update_([param], [param, param], [], [], 0.1, 0, 0, 0, False, False)
    with pytest.raises(ValueError, match="momentum buffer 0"):
        optim.sgd_update_([param], [param], [np.ones(2)], [False], 0.1, 0.9, 0, 0, False,
                          False)


# --- serial and parallel twins ------------------------------------------------------------
def test_serial_and_parallel_twins_agree(rng):
    logits = rng.standard_normal((300, 7))
    target = rng.integers(0, 7, size=300)
    results, totals = [], []
    for kernel in (loss._softmax_cross_entropy_kernel.serial,
                   loss._softmax_cross_entropy_kernel.parallel):
        out, probabilities = np.empty(300), np.empty_like(logits)
        invalid_targets, total = kernel(logits, target, out, probabilities)
        assert invalid_targets == 0
        results.append((out, probabilities))
        totals.append(total)
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])
    # the threads' partial sums are added in another order: equal up to rounding
    np.testing.assert_allclose(totals, results[0][0].sum(), rtol=1e-13)


def test_invalid_targets_are_counted_by_both_twins(rng):
    logits = rng.standard_normal((5, 3))
    target = np.array([0, 3, 1, -1, 2])
    for kernel in (loss._softmax_cross_entropy_kernel.serial,
                   loss._softmax_cross_entropy_kernel.parallel):
        loss_rows = np.empty(5)
        invalid_targets, total = kernel(logits, target, loss_rows, np.empty_like(logits))
        assert invalid_targets == 2
        assert total == pytest.approx(loss_rows[[0, 2, 4]].sum(), rel=1e-13)  # valid rows only
    with pytest.raises(ValueError, match=r"outside 0..2 \(min -1, max 3\)"):
        loss.softmax_cross_entropy_backward(np.full((5, 3), 1 / 3), target, np.ones(5))


# --- adam_update_ -------------------------------------------------------------------------
ADAM_CASES = [
    (torch.optim.Adam, dict(lr=0.01)),
    (torch.optim.Adam, dict(lr=0.01, betas=(0.3, 0.9), weight_decay=0.1, amsgrad=True)),
    (torch.optim.Adam, dict(lr=0.02, maximize=True, eps=1e-6)),
    (torch.optim.AdamW, dict(lr=0.01, weight_decay=0.2, amsgrad=True)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reference, options", ADAM_CASES,
                         ids=lambda case: getattr(case, "__name__", None) or ",".join(case))
def test_adam_update_matches_torch(rng, dtype, reference, options):
    # betas=(0.3, ...) takes lerp's second formula (weight 0.7 >= 0.5)
    shapes = [(3, 4), (ELEMENTWISE_GRAIN + 5,)]
    values = [rng.standard_normal(shape).astype(dtype) for shape in shapes]
    steps = 3
    grads = [[rng.standard_normal(shape).astype(dtype) for shape in shapes]
             for _ in range(steps)]
    settings = dict(betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
                    maximize=False) | options
    params = [value.copy() for value in values]
    moments = [[np.zeros_like(value) for value in values] for _ in range(3)]
    for step in range(1, steps + 1):
        optim.adam_update_(params, grads[step - 1], *moments, [step] * len(params),
                           settings["lr"], *settings["betas"], settings["eps"],
                           settings["weight_decay"], settings["amsgrad"], settings["maximize"],
                           reference is torch.optim.AdamW)
    torch_params = [torch.tensor(value) for value in values]
    optimizer = reference(torch_params, foreach=False, **options)
    for step in range(steps):
        for param, grad in zip(torch_params, grads[step], strict=True):
            param.grad = torch.tensor(grad)
        optimizer.step()
    # float32: m / (sqrt(v) + eps) magnifies one rounding difference (PyTorch's vectorised
    # loops fuse some multiply-adds) where v is tiny; seen up to 1e-5 in a million elements
    tolerance = dict(rtol=1e-4, atol=5e-5) if dtype == np.float32 else TOLERANCE[dtype]
    for ours, theirs in zip(params, torch_params, strict=True):
        assert ours.dtype == dtype
        np.testing.assert_allclose(ours, theirs.numpy(), **tolerance)


@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_update_of_a_mixed_group_equals_one_parameter_at_a_time(rng, amsgrad):
    # One call per dtype, each parameter with its own step count; a strided parameter and
    # buffer are updated in a copy and written back.
    shapes_dtypes = [((3, 4), np.float32), ((5,), np.float64), ((2, 6), np.float32),
                     ((4, 3), np.float64)]

    def state():
        params = [rng.standard_normal(shape).astype(dtype) for shape, dtype in shapes_dtypes]
        params[2] = np.asfortranarray(params[2])
        buffers = [[np.abs(rng.standard_normal(p.shape)).astype(p.dtype) for p in params]
                   for _ in range(3)]
        buffers[1][3] = np.asfortranarray(buffers[1][3])
        return params, buffers

    state_rng = rng.bit_generator.state
    params, buffers = state()
    rng.bit_generator.state = state_rng
    alone_params, alone_buffers = state()
    grads = [rng.standard_normal(p.shape).astype(p.dtype) for p in params]
    steps = [1, 4, 2, 7]
    settings = (0.01, 0.9, 0.99, 1e-8, 0.1, amsgrad, False, True)
    before = [param.copy() for param in params]
    optim.adam_update_(params, grads, *buffers, steps, *settings)
    for index in range(len(params)):
        optim.adam_update_([alone_params[index]], [grads[index]],
                           *([buffer[index]] for buffer in alone_buffers), [steps[index]],
                           *settings)
    for ours, alone in zip(params + sum(buffers, []), alone_params + sum(alone_buffers, []),
                           strict=True):
        np.testing.assert_array_equal(ours, alone)
    assert not any(np.array_equal(p, old) for p, old in zip(params, before, strict=True))


def test_adam_update_divides_by_zero_as_torch_does():
    # eps=0 and a zero gradient on the first step: 0 / 0 is NaN in PyTorch, not an error
    param, grad = np.array([1.0, 2.0], np.float32), np.array([0.0, 1.0], np.float32)
    optim.adam_update_([param], [grad], *([np.zeros(2, np.float32)] for _ in range(3)), [1],
                       0.1, 0.9, 0.999, 0.0, 0.0, False, False, False)
    reference = torch.tensor([1.0, 2.0], requires_grad=True)
    reference.grad = torch.tensor([0.0, 1.0])
    torch.optim.Adam([reference], lr=0.1, eps=0.0, foreach=False).step()
    np.testing.assert_array_equal(param, reference.detach().numpy())
    assert np.isnan(param[0])
