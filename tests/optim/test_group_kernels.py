"""Each optimizer's multi-tensor backend call against its one-parameter-at-a-time Tensor ops.

``step()`` updates a group with one backend kernel call (``sgd_update_``, ``adam_update_``,
``rmsprop_update_``, ``adagrad_update_``); ``minigrad.compile`` records the Tensor-op path
(``_update``) instead. Both must give the same bits, or a compiled step would drift from an
eager one.
"""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
from minigrad.optim import SGD, Adagrad, Adam, AdamW, RMSprop
from minigrad.optim.optimizer import Optimizer

CASES = [
    (SGD, dict(lr=0.1, momentum=0.9, weight_decay=0.01)),
    (SGD, dict(lr=0.05, momentum=0.8, nesterov=True, maximize=True)),
    (Adam, dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    (AdamW, dict(lr=0.01, betas=(0.3, 0.9), weight_decay=0.2)),
    (RMSprop, dict(lr=0.01)),
    (RMSprop, dict(lr=0.005, alpha=0.9, eps=1e-6, weight_decay=0.05, momentum=0.5,
                   centered=True, maximize=True)),
    (RMSprop, dict(lr=0.01, momentum=0.9)),
    (Adagrad, dict(lr=0.1)),
    (Adagrad, dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.2,
                   eps=1e-6, maximize=True)),
]


def run(optimizer_class, options, dtype, one_at_a_time: bool, steps: int = 4):
    rng = np.random.default_rng(0)
    params = [minigrad.tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True)
              for shape in ((4, 3), (3,), (2, 5))]
    optimizer = optimizer_class(params, **options)
    if one_at_a_time:  # the Tensor-op path, as minigrad.compile records it
        optimizer._update_group = lambda group_params, group: Optimizer._update_group(
            optimizer, group_params, group)
    for _ in range(steps):
        optimizer.zero_grad()
        for param in params:
            param.grad = minigrad.tensor(rng.standard_normal(param.shape).astype(dtype))
        optimizer.step()
    state = [value.numpy() for param in params
             for value in optimizer.state.get(param, {}).values()
             if isinstance(value, minigrad.Tensor)]
    return [param.detach().numpy() for param in params], state


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("optimizer_class, options", CASES,
                         ids=[f"{case[0].__name__}-{index}" for index, case in enumerate(CASES)])
def test_group_kernel_gives_the_tensor_ops_bits(optimizer_class, options, dtype):
    params, state = run(optimizer_class, options, dtype, one_at_a_time=False)
    reference_params, reference_state = run(optimizer_class, options, dtype, one_at_a_time=True)
    assert len(state) == len(reference_state) > 0
    for ours, theirs in zip(params + state, reference_params + reference_state, strict=True):
        assert ours.dtype == dtype
        np.testing.assert_array_equal(ours, theirs)
    start = run(optimizer_class, options, dtype, one_at_a_time=False, steps=0)[0]
    assert not any(np.array_equal(p, q) for p, q in zip(params, start, strict=True))
