"""One-line checks against PyTorch for the names of the compatibility table that no other
test module exercises: each expression runs with ``lib`` = minigrad and ``lib`` = torch on
the same numbers, and results (and gradients, where the inputs require them) are compared."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch

import minigrad

A = np.random.default_rng(0).normal(size=(3, 4))
B = np.random.default_rng(1).normal(size=(3, 4))

EXPRESSIONS = {
    "is_tensor": lambda lib, a, b: lib.is_tensor(a) and not lib.is_tensor(A),
    "full_like": lambda lib, a, b: lib.full_like(a, 2.5),
    "rand_like": lambda lib, a, b: lib.rand_like(a).shape,
    "enable_grad": lambda lib, a, b: _enable_grad(lib, a),
    "is_grad_enabled": lambda lib, a, b: _grad_enabled(lib),
    "subtract": lambda lib, a, b: lib.subtract(a, b, alpha=2),
    "multiply": lambda lib, a, b: lib.multiply(a, b),
    "true_divide": lambda lib, a, b: lib.true_divide(a, b),
    "clip": lambda lib, a, b: lib.clip(a, -0.5, 0.5) + a.clip(min=0.1),
    "le": lambda lib, a, b: (lib.le(a, b).float() + a.le(b).float()).detach(),
    "greater_less": lambda lib, a, b: (lib.greater(a, b).float() - lib.less(a, b).float()),
    "amin_argmin": lambda lib, a, b: lib.amin(a, dim=1) + a.amin(dim=0).sum()
    + lib.argmin(a, dim=1) + a.argmin(),
    "clone": lambda lib, a, b: lib.clone(a) * 2 + a.clone(),
    "is_floating_point": lambda lib, a, b: (lib.is_floating_point(a),
                                            a.long().is_floating_point()),
    "allclose": lambda lib, a, b: (lib.allclose(a, a + 1e-9), lib.allclose(a, b)),
    "chunk": lambda lib, a, b: [c * 1 for c in lib.chunk(a, 3, dim=1)]
    + [c * 2 for c in a.chunk(2)],
    "split": lambda lib, a, b: [c * 1 for c in lib.split(a, [1, 3], dim=1)]
    + [c * 2 for c in a.split(2)],
    "equal": lambda lib, a, b: (lib.equal(a, a), lib.equal(a, b)),
    "sign": lambda lib, a, b: a.sign() * a,
    "view_as_expand_as": lambda lib, a, b: a.reshape(12).view_as(b) + a[:1].expand_as(b),
    "gather": lambda lib, a, b: a.gather(1, lib.tensor([[0, 1], [3, 2], [1, 1]])),
    "contiguous": lambda lib, a, b: a.t().contiguous() * 3,
    "softmax_methods": lambda lib, a, b: a.softmax(dim=1) + a.log_softmax(dim=0),
    "save_load": lambda lib, a, b: _round_trip(lib, a),
}


def _enable_grad(lib, a):
    with lib.no_grad():
        with lib.enable_grad():
            return a * 2


def _grad_enabled(lib):
    with lib.no_grad():
        inside = lib.is_grad_enabled()
    return inside, lib.is_grad_enabled()


def _round_trip(lib, a):
    buffer = io.BytesIO()
    lib.save({"w": a.detach(), "step": 3}, buffer)
    buffer.seek(0)
    loaded = lib.load(buffer, weights_only=False)
    return loaded["w"] * loaded["step"]


def as_numbers(value):
    if isinstance(value, minigrad.Tensor | torch.Tensor):
        return np.asarray(value.detach().numpy(), dtype=np.float64)
    if isinstance(value, list | tuple):
        return [as_numbers(v) for v in value]
    return value


def assert_same(mine, reference):
    assert type(mine) is type(reference) or isinstance(reference, np.ndarray)
    if isinstance(reference, list | tuple):
        assert len(mine) == len(reference)
        for m, r in zip(mine, reference, strict=True):
            assert_same(m, r)
    else:
        np.testing.assert_allclose(np.asarray(mine, dtype=float),
                                   np.asarray(reference, dtype=float), rtol=1e-12, atol=1e-14)


def run(lib, name):
    a, b = lib.tensor(A, requires_grad=True), lib.tensor(B)
    result = EXPRESSIONS[name](lib, a, b)
    tensors = [r for r in (result if isinstance(result, list) else [result])
               if isinstance(r, minigrad.Tensor | torch.Tensor) and r.requires_grad]
    if tensors:
        sum(t.sum() for t in tensors).backward()
    return as_numbers(result), None if a.grad is None else a.grad.numpy()


@pytest.mark.parametrize("name", sorted(EXPRESSIONS))
def test_same_result_as_torch(name):
    ours, theirs = run(minigrad, name), run(torch, name)
    if name == "rand_like":
        assert tuple(ours[0]) == tuple(theirs[0])
        return
    assert_same(ours[0], theirs[0])
    assert (ours[1] is None) == (theirs[1] is None)
    if theirs[1] is not None:
        np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-12)


def test_hooks_and_retain_grad_like_torch():
    results = []
    for lib in (minigrad, torch):
        x = lib.tensor(A, requires_grad=True)
        y = x * 3
        y.retain_grad()
        handle = x.register_hook(lambda grad: grad * 2)
        (y * y).sum().backward()
        handle.remove()
        results.append((x.grad.numpy(), y.grad.numpy()))
    for mine, reference in zip(results[0], results[1], strict=True):
        np.testing.assert_allclose(mine, reference, rtol=1e-12)


def test_in_place_updates_under_no_grad_like_torch():
    results = []
    for lib in (minigrad, torch):
        w = lib.tensor(A, requires_grad=True)
        with lib.no_grad():
            w.add_(lib.tensor(B), alpha=0.5)
            w.div_(2.0)
            w.clamp_(-0.3, 0.3)
            copy = w.clone()
            w.zero_()
        results.append((copy.numpy(), w.detach().numpy()))
    for mine, reference in zip(results[0], results[1], strict=True):
        np.testing.assert_allclose(mine, reference, rtol=1e-12)


def test_custom_optimizer_subclass_like_torch():
    """An optimizer written against ``optim.Optimizer`` (param_groups, state) as in PyTorch."""

    def make(lib):
        class SignSGD(lib.optim.Optimizer):
            def __init__(self, params, lr=0.1):
                super().__init__(params, {"lr": lr})

            def step(self):
                with lib.no_grad():
                    for group in self.param_groups:
                        for p in group["params"]:
                            if p.grad is not None:
                                p.sub_(p.grad.sign(), alpha=group["lr"])

        w = lib.tensor(A, requires_grad=True)
        optimizer = SignSGD([w], lr=0.05)
        for _ in range(3):
            optimizer.zero_grad()
            ((w - lib.tensor(B)) ** 2).sum().backward()
            optimizer.step()
        return w.detach().numpy()

    np.testing.assert_allclose(make(minigrad), make(torch), rtol=1e-12)


def test_data_loading_from_utils_data_like_torch():
    batches = {}
    for lib in (minigrad, torch):
        from_utils = lib.utils.data

        class Squares(from_utils.Dataset):
            def __len__(self):
                return 10

            def __getitem__(self, index):
                return lib.tensor([float(index)]), lib.tensor(float(index) ** 2)

        pairs = from_utils.TensorDataset(lib.tensor(A), lib.tensor(B))
        loaded = [(x.sum().item(), y.shape[0]) for x, y in
                  from_utils.DataLoader(pairs, batch_size=2, shuffle=False)]
        loaded += [(x.sum().item(), y.sum().item()) for x, y in
                   from_utils.DataLoader(Squares(), batch_size=4)]
        batches[lib.__name__] = loaded
    np.testing.assert_allclose(batches["minigrad"], batches["torch"], rtol=1e-6)
