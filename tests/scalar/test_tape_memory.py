"""The Tape's working memory grows with the batch it runs, not with its block size; bad
outputs are refused with a clear message."""

import tracemalloc

import numpy as np
import pytest

from minigrad.scalar import Tape, Value


def _chain(length: int):
    """x -> (((x + w) * w).tanh() + w) ...: a graph of ``length`` operations."""
    x, w = Value(0.5), Value(0.1)
    node = x
    for i in range(length // 2):
        node = (node * w).tanh() if i % 2 else node + w
    return node, x, w


def _peak_bytes(call) -> int:
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_one_sample_needs_one_number_per_row_not_a_block():
    output, x, w = _chain(20000)
    warm_up = Tape(output, inputs=[x], params=[w])  # load the kernels before measuring
    warm_up.forward([0.3])
    warm_up.value_and_grad([0.3])
    warm_up.value_and_grad_batch(np.ones((2, 1)))
    tape = Tape(output, inputs=[x], params=[w])
    row_bytes = tape.n_rows * 8
    # values and adjoints, one sample each; a 128-sample block would take 128 times more
    assert _peak_bytes(lambda: tape.forward([0.3])) < 4 * row_bytes
    assert _peak_bytes(lambda: tape.value_and_grad([0.3])) < 4 * row_bytes
    batch_peak = _peak_bytes(lambda: tape.value_and_grad_batch(np.ones((16, 1))))
    assert 2 * 16 * row_bytes <= batch_peak < 3 * 16 * row_bytes


def test_small_then_large_batches_give_the_same_numbers():
    output, x, w = _chain(40)
    tape = Tape(output, inputs=[x], params=[w], block_size=8)
    batch = np.linspace(-1, 1, 21)[:, None]
    one_by_one = [tape.value_and_grad([row[0]]) for row in batch]
    together = tape.value_and_grad_batch(batch, reduction="sum")
    np.testing.assert_allclose(together.param_grads,
                               sum(result.param_grads for result in one_by_one), rtol=1e-12)
    np.testing.assert_allclose(together.input_grads[:, 0],
                               [result.input_grads[0] for result in one_by_one], rtol=1e-12)
    np.testing.assert_allclose(tape.forward_batch(batch[:3]),
                               [result.value for result in one_by_one[:3]], rtol=1e-12)


@pytest.mark.parametrize("output", [3.0, None, "x"])
def test_a_tape_of_something_that_is_not_a_value_says_so(output):
    with pytest.raises(TypeError, match=f"output must be a Value or a list of Values, got "
                                        f"{type(output).__name__}"):
        Tape(output)


def test_inputs_may_be_any_iterable_of_values():
    x, w = Value(1.0), Value(2.0)
    tape = Tape(x * w, inputs=iter([x]), params=(w,))
    assert tape.forward([3.0]) == 6.0
