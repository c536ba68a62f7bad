"""Grad modes (``no_grad``, ``enable_grad``, ``set_grad_enabled``, ``inference_mode``): the
same behaviour as PyTorch's, and per thread."""

import threading

import numpy as np
import pytest
import torch

import minigrad


def _recorded(backend) -> bool:
    """Whether an op run now is recorded."""
    return (backend.ones(1, requires_grad=True) * 2).requires_grad


def _trace(backend) -> list:
    """The grad mode seen at each step of nested, re-entered and decorated managers."""
    seen = [_recorded(backend)]
    with backend.no_grad():
        seen.append(_recorded(backend))
        with backend.enable_grad():
            seen.append(_recorded(backend))
            with backend.set_grad_enabled(False):
                seen.append(_recorded(backend))
            seen.append(_recorded(backend))
        with backend.inference_mode():
            seen.append(backend.is_inference_mode_enabled())
            seen.append(_recorded(backend))
            with backend.inference_mode(False):
                seen.append(backend.is_inference_mode_enabled())
        seen.append(backend.is_inference_mode_enabled())
    seen.append(_recorded(backend))
    backend.set_grad_enabled(False)           # the plain call switches at once
    seen.append(backend.is_grad_enabled())

    @backend.set_grad_enabled(True)            # decorating does not switch...
    def recorded_inside():
        return _recorded(backend)

    seen.append(backend.is_grad_enabled())
    seen.append(recorded_inside())             # ...calling does
    seen.append(backend.is_grad_enabled())
    backend.set_grad_enabled(True)

    @backend.no_grad()
    def not_recorded():
        return _recorded(backend)

    @backend.inference_mode()
    def in_inference():
        return backend.is_inference_mode_enabled(), _recorded(backend)

    seen.extend([not_recorded(), not_recorded(), *in_inference(), _recorded(backend)])
    return seen


def test_nesting_and_restoring_match_torch():
    assert _trace(minigrad) == _trace(torch)
    assert minigrad.is_grad_enabled()


def test_mode_is_restored_after_an_exception():
    with pytest.raises(ValueError), minigrad.no_grad():
        raise ValueError("inside")
    assert minigrad.is_grad_enabled()


def test_one_manager_object_can_be_reused_and_nested():
    manager = minigrad.no_grad()
    with manager:
        with minigrad.enable_grad(), manager:
            assert not minigrad.is_grad_enabled()
        assert not minigrad.is_grad_enabled()
    assert minigrad.is_grad_enabled()


def test_exported_where_pytorch_has_them():
    for name in ("no_grad", "enable_grad", "set_grad_enabled", "inference_mode",
                 "is_grad_enabled", "is_inference_mode_enabled"):
        assert getattr(minigrad, name) is getattr(minigrad.autograd, name)


def test_integer_and_bool_casts_never_require_grad():
    x = minigrad.tensor([1.5, -2.5], requires_grad=True)
    for cast in (x.long(), x.bool(), x.to(minigrad.int64), x > 0, x.argmax()):
        assert not cast.requires_grad and cast.grad_fn is None
    y = (x.long().float() * x).sum()       # the cast is a constant: d/dx (c * x) = c
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, -2.0])
    t = torch.tensor([1.5, -2.5], requires_grad=True)
    (t.long().float() * t).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())


def test_gradient_of_another_dtype_passed_to_backward_is_converted_as_in_pytorch():
    for backend in (minigrad, torch):
        x = backend.tensor([1.0, 2.0], requires_grad=True)
        (x * 3).backward(backend.tensor([1.0, 0.5], dtype=backend.float64))
        assert x.grad.dtype == backend.float32
        np.testing.assert_array_equal(x.grad.numpy(), [3.0, 1.5])
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    (grad,) = minigrad.grad(x * x, x, grad_outputs=minigrad.ones(2, dtype=minigrad.float64))
    assert grad.dtype == minigrad.float32


def test_gradient_of_wrong_shape_is_a_clear_error():
    x = minigrad.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"gradient has shape \(3,\) but the tensor has shape"):
        (x * 2).backward(minigrad.ones(3))
    with pytest.raises(RuntimeError, match=r"gradient has shape \(3,\)"):
        minigrad.grad(x * 2, x, grad_outputs=minigrad.ones(3))


# --- threads --------------------------------------------------------------------------------


def _run_in_thread(function):
    errors = []

    def target():
        try:
            function()
        except BaseException as error:  # noqa: BLE001 - reported by the test thread
            errors.append(error)

    thread = threading.Thread(target=target)
    thread.start()
    return thread, errors


def test_no_grad_in_another_thread_does_not_stop_recording_here():
    inside, release = threading.Event(), threading.Event()

    def evaluate():
        with minigrad.no_grad():
            inside.set()
            release.wait(timeout=30)
            assert not minigrad.is_grad_enabled()

    thread, errors = _run_in_thread(evaluate)
    assert inside.wait(timeout=30)
    assert minigrad.is_grad_enabled() and _recorded(minigrad)
    release.set()
    thread.join()
    assert not errors


def test_backward_in_another_thread_does_not_stop_recording_here():
    inside, release = threading.Event(), threading.Event()

    def pausing_hook(grad):
        inside.set()            # backward of the other thread is running right now
        release.wait(timeout=30)
        return grad

    def train():
        w = minigrad.ones(3, requires_grad=True)
        loss = (w * w).sum()
        w.register_hook(pausing_hook)
        loss.backward()

    thread, errors = _run_in_thread(train)
    assert inside.wait(timeout=30)
    assert _recorded(minigrad)
    release.set()
    thread.join()
    assert not errors


def _train(seed: int, steps: int) -> list[np.ndarray]:
    """A small MLP trained with SGD; returns its final parameters and last gradients."""
    rng = np.random.default_rng(seed)
    x = minigrad.tensor(rng.normal(size=(8, 3)), dtype=minigrad.float64)
    y = minigrad.tensor(rng.normal(size=(8, 1)), dtype=minigrad.float64)
    params = [minigrad.tensor(rng.normal(size=shape), dtype=minigrad.float64, requires_grad=True)
              for shape in ((3, 6), (6,), (6, 1), (1,))]
    for _ in range(steps):
        hidden = (x @ params[0] + params[1]).tanh()
        loss = ((hidden @ params[2] + params[3] - y) ** 2).mean()
        for param in params:
            param.grad = None
        loss.backward()
        with minigrad.no_grad():
            for param in params:
                param -= 0.05 * param.grad
    return [p.numpy().copy() for p in params] + [p.grad.numpy().copy() for p in params]


def test_threads_training_separate_graphs_while_one_evaluates_get_exact_gradients():
    steps, seeds = 30, [1, 2, 3, 4]
    expected = {seed: _train(seed, steps) for seed in seeds}   # one thread at a time
    results, stop = {}, threading.Event()

    def evaluate():
        model = minigrad.nn.Linear(3, 1)
        data = minigrad.ones(4, 3)
        while not stop.is_set():
            with minigrad.no_grad():
                assert not model(data).requires_grad

    evaluator, evaluator_errors = _run_in_thread(evaluate)
    workers = [_run_in_thread(lambda seed=seed: results.__setitem__(seed, _train(seed, steps)))
               for seed in seeds]
    for thread, errors in workers:
        thread.join()
        assert not errors, errors
    stop.set()
    evaluator.join()
    assert not evaluator_errors, evaluator_errors
    assert minigrad.is_grad_enabled()
    for seed in seeds:
        for got, want in zip(results[seed], expected[seed], strict=True):
            np.testing.assert_array_equal(got, want)


def test_module_being_called_in_another_thread_is_not_recorded_here():
    inside, release = threading.Event(), threading.Event()

    class Pausing(minigrad.nn.Module):
        def forward(self, x):
            inside.set()
            release.wait(timeout=30)
            return x * 2

    model = Pausing()
    thread, errors = _run_in_thread(lambda: model(minigrad.ones(2, requires_grad=True)))
    assert inside.wait(timeout=30)
    here = minigrad.ones(2, requires_grad=True) * 3
    release.set()
    thread.join()
    assert not errors
    assert here.grad_fn.module_stack == ()
