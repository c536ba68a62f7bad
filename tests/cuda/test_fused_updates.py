"""linear's one-call backward and the optimizer updates on the device, against the CPU
backend (itself checked against PyTorch in tests/backend/test_fused_updates.py and, through
the optimizers, tests/optim)."""

import numpy as np
import pytest

from minigrad.backend.cpu import dense, optim


@pytest.mark.parametrize("needs", [(True, True, True), (False, True, False),
                                   (True, False, True)])
def test_linear_backward_matches_cpu(backend, to_device, to_host, rng, needs):
    x = rng.standard_normal((5, 7)).astype(np.float32)
    weight = rng.standard_normal((3, 7)).astype(np.float32)
    grad = rng.standard_normal((5, 3)).astype(np.float32)
    expected = dense.linear_backward(grad, x, weight, needs)
    ours = backend.linear_backward(to_device(grad), to_device(x), to_device(weight), needs)
    assert len(ours) == len(expected) == sum(needs)
    for mine, reference in zip(ours, expected, strict=True):
        np.testing.assert_allclose(to_host(mine), reference, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("options", [dict(momentum=0.0, dampening=0.0, nesterov=False),
                                     dict(momentum=0.9, dampening=0.2, nesterov=False),
                                     dict(momentum=0.8, dampening=0.0, nesterov=True)])
def test_sgd_update_matches_cpu(backend, to_device, to_host, rng, options):
    shapes = [(3, 4), (5,)]
    params = [rng.standard_normal(shape).astype(np.float32) for shape in shapes]
    device_params = [to_device(param) for param in params]
    velocities = [np.zeros_like(param) for param in params]
    device_velocities = [to_device(velocity) for velocity in velocities]
    for step in range(3):
        grads = [rng.standard_normal(shape).astype(np.float32) for shape in shapes]
        arguments = (options["momentum"], options["dampening"], 0.01, options["nesterov"],
                     step == 1)
        optim.sgd_update_(params, grads, velocities, [step == 0] * 2, 0.1, *arguments)
        backend.sgd_update_(device_params, [to_device(grad) for grad in grads],
                            device_velocities, [step == 0] * 2, 0.1, *arguments)
    for mine, reference in zip(device_params + device_velocities, params + velocities,
                               strict=True):
        np.testing.assert_allclose(to_host(mine), reference, rtol=1e-6, atol=1e-7)


def test_sgd_update_writes_through_a_strided_parameter(backend, to_device, to_host, rng):
    base = to_device(rng.standard_normal((4, 6)).astype(np.float32))
    param = backend.permute(base, (1, 0))  # a view: updated in a copy, written back
    grad = rng.standard_normal((6, 4)).astype(np.float32)
    expected = to_host(param) - np.float32(0.5) * grad
    backend.sgd_update_([param], [to_device(grad)], [], [], 0.5, 0.0, 0.0, 0.0, False, False)
    np.testing.assert_allclose(to_host(base).T, expected, rtol=1e-6)


@pytest.mark.parametrize("options", [dict(amsgrad=False, maximize=False, decoupled=False),
                                     dict(amsgrad=True, maximize=True, decoupled=True)])
def test_adam_update_matches_cpu(backend, to_device, to_host, rng, options):
    shapes = [(3, 4), (5,)]
    params = [rng.standard_normal(shape).astype(np.float32) for shape in shapes]
    moments = [[np.zeros_like(param) for param in params] for _ in range(3)]
    device_params = [to_device(param) for param in params]
    device_moments = [[to_device(moment) for moment in group] for group in moments]
    for step in range(1, 4):
        grads = [rng.standard_normal(shape).astype(np.float32) for shape in shapes]
        arguments = ([step, step], 0.01, 0.9, 0.999, 1e-8, 0.05, options["amsgrad"],
                     options["maximize"], options["decoupled"])
        optim.adam_update_(params, grads, *moments, *arguments)
        backend.adam_update_(device_params, [to_device(grad) for grad in grads],
                             *device_moments, *arguments)
    for mine, reference in zip(device_params + sum(device_moments, []),
                               params + sum(moments, []), strict=True):
        np.testing.assert_allclose(to_host(mine), reference, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("options", [dict(momentum=0.0, centered=False, maximize=False),
                                     dict(momentum=0.9, centered=True, maximize=True)])
def test_rmsprop_update_matches_cpu(backend, to_device, to_host, rng, options):
    shapes = [(3, 4), (5,)]
    params = [rng.standard_normal(shape).astype(np.float32) for shape in shapes]
    buffers = [[np.zeros_like(param) for param in params] for _ in range(3)]
    device_params = [to_device(param) for param in params]
    device_buffers = [[to_device(buffer) for buffer in group] for group in buffers]
    for _ in range(3):
        grads = [rng.standard_normal(shape).astype(np.float32) for shape in shapes]
        arguments = (0.01, 0.9, 1e-6, 0.05, options["momentum"], options["centered"],
                     options["maximize"])
        optim.rmsprop_update_(params, grads, *buffers, *arguments)
        backend.rmsprop_update_(device_params, [to_device(grad) for grad in grads],
                                *device_buffers, *arguments)
    for mine, reference in zip(device_params + sum(device_buffers, []),
                               params + sum(buffers, []), strict=True):
        np.testing.assert_allclose(to_host(mine), reference, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("maximize", [False, True])
def test_adagrad_update_matches_cpu(backend, to_device, to_host, rng, maximize):
    shapes = [(3, 4), (5,)]
    params = [rng.standard_normal(shape).astype(np.float32) for shape in shapes]
    sums = [np.full_like(param, 0.1) for param in params]
    device_params = [to_device(param) for param in params]
    device_sums = [to_device(total) for total in sums]
    for step in range(1, 4):
        grads = [rng.standard_normal(shape).astype(np.float32) for shape in shapes]
        arguments = ([step, step + 2], 0.1, 0.05, 1e-10, 0.01, maximize)
        optim.adagrad_update_(params, grads, sums, *arguments)
        backend.adagrad_update_(device_params, [to_device(grad) for grad in grads],
                                device_sums, *arguments)
    for mine, reference in zip(device_params + device_sums, params + sums, strict=True):
        np.testing.assert_allclose(to_host(mine), reference, rtol=1e-5, atol=1e-7)


OPTIMIZERS = {"RMSprop": dict(lr=0.01, momentum=0.5, centered=True, weight_decay=0.1),
              "Adagrad": dict(lr=0.1, lr_decay=0.01)}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizer_step_on_the_device_matches_the_cpu(rng, name):
    # The optimizer's one-call group update, with state buffers it creates on the device.
    import minigrad

    values = [rng.standard_normal(shape).astype(np.float32) for shape in ((3, 4), (4,))]
    results = {}
    for device in ("cpu", "cuda"):
        params = [minigrad.tensor(value, device=device, requires_grad=True) for value in values]
        optimizer = getattr(minigrad.optim, name)(params, **OPTIMIZERS[name])
        for step in range(3):
            optimizer.zero_grad()
            loss = sum(((param * (step + 1.0)) ** 2).sum() for param in params)
            loss.backward()
            optimizer.step()
        results[device] = [param.detach().cpu().numpy() for param in params]
    for on_device, on_cpu in zip(results["cuda"], results["cpu"], strict=True):
        np.testing.assert_allclose(on_device, on_cpu, rtol=1e-5, atol=1e-6)
    assert not np.allclose(results["cpu"][0], values[0])
