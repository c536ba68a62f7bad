"""Views on the device: ``x[0]``, ``x.t()``, ``x.view(...)``, ``x.expand(...)`` share ``x``'s
memory and version counter on CUDA exactly as on the CPU. Every in-place / view case of the
CPU suite (tests/autograd) is run here on both devices, comparing values, gradients and
errors; then the kernels are fed strided views, and the device reshape is checked against
numpy's rule for when a reshape can be a view."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad
from minigrad.backend.cuda.layout import reshaped_strides


def _cpu_test_module(name: str):
    """The CPU suite's module tests/autograd/<name>.py, loaded for its case tables."""
    path = Path(__file__).parents[1] / "autograd" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"cpu_cases_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CPU_INPLACE = _cpu_test_module("test_inplace")
CPU_VERSIONS = _cpu_test_module("test_version_counter")
CPU_PROGRAMS = _cpu_test_module("test_inplace_hypothesis")

_repeat_to = CPU_INPLACE._repeat_to  # the fixture some view cases rely on (``w.repeat_to``)


def _run_on(device, fn, arrays):
    """``fn`` on leaves made from ``arrays`` on ``device``, then backward of a weighted sum:
    the output's values and every leaf's gradient, or the error message."""
    leaves = [minigrad.tensor(a, dtype=minigrad.float64, device=device, requires_grad=True)
              for a in arrays]
    try:
        out = fn(*leaves)
        weights = np.linspace(-1.0, 2.0, out.numel()).reshape(out.shape)
        (out * minigrad.tensor(weights, dtype=minigrad.float64, device=device)).sum().backward()
    except RuntimeError as error:
        return str(error)
    assert out.device == device
    grads = [np.zeros(a.shape) if leaf.grad is None else leaf.grad.numpy() for leaf, a
             in zip(leaves, arrays, strict=True)]
    return [out.detach().numpy(), *grads]


def _assert_devices_agree(fn, shapes, low=0.5, high=2.0, seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.uniform(low, high, shape) for shape in shapes]
    on_cpu, on_cuda = _run_on("cpu", fn, arrays), _run_on("cuda", fn, arrays)
    if isinstance(on_cpu, str):
        assert on_cuda == on_cpu
        return
    assert not isinstance(on_cuda, str), on_cuda
    for got, expected in zip(on_cuda, on_cpu, strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)


# --- the CPU suite's cases, on both devices ------------------------------------------------


@pytest.mark.parametrize("name", CPU_INPLACE.VIEW_INPLACE)
def test_inplace_on_a_view_matches_cpu(name):
    _assert_devices_agree(CPU_INPLACE.VIEW_INPLACE[name], [(2, 3), (3,)])


@pytest.mark.parametrize("name", CPU_INPLACE.SETITEM)
def test_setitem_matches_cpu(name):
    _assert_devices_agree(CPU_INPLACE.SETITEM[name], [(3, 4), (3, 4)])


@pytest.mark.parametrize("name", CPU_INPLACE.INPLACE_BINARY)
def test_binary_inplace_op_matches_cpu(name):
    _assert_devices_agree(CPU_INPLACE.INPLACE_BINARY[name], [(3, 4), (4,)])


@pytest.mark.parametrize("name", CPU_INPLACE.INPLACE_UNARY)
def test_unary_inplace_op_matches_cpu(name):
    _assert_devices_agree(CPU_INPLACE.INPLACE_UNARY[name], [(2, 3)], low=-1.5, high=1.5)


@pytest.mark.parametrize("name", CPU_VERSIONS.WRITES)
def test_write_to_a_saved_tensor_is_detected_on_cuda(name):
    def saved_then_written(w):
        a = minigrad.tensor([3.0, 4.0], dtype=minigrad.float64, device=w.device)
        y = a * w
        with minigrad.no_grad():
            CPU_VERSIONS.WRITES[name](a)
        return y

    on_cuda = _run_on("cuda", saved_then_written, [np.array([1.0, 2.0])])
    assert isinstance(on_cuda, str) and CPU_VERSIONS.INPLACE_ERROR in on_cuda
    assert on_cuda == _run_on("cpu", saved_then_written, [np.array([1.0, 2.0])])


class _CudaTensors:
    """Stands in for the ``minigrad`` module in the CPU suite's program runner: the same
    names, tensors made on the device."""

    float64 = minigrad.float64

    @staticmethod
    def tensor(data, **kwargs):
        return minigrad.tensor(data, device="cuda", **kwargs)


@settings(max_examples=12)
@given(
    shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3),
    program=st.lists(st.sampled_from(sorted(CPU_PROGRAMS.STEPS)), min_size=1, max_size=5),
    seed=st.integers(0, 2**16),
)
def test_random_programs_match_cpu(shape, program, seed):
    rng = np.random.default_rng(seed)
    x_data, w_data = rng.uniform(-1.5, 1.5, shape), rng.uniform(-1.5, 1.5, shape)
    on_cuda = CPU_PROGRAMS._run(_CudaTensors, program, x_data, w_data)
    on_cpu = CPU_PROGRAMS._run(minigrad, program, x_data, w_data)
    if isinstance(on_cpu, str):
        assert on_cuda == on_cpu, program
        return
    assert not isinstance(on_cuda, str), f"{program}: {on_cuda}"
    for got, expected in zip(on_cuda, on_cpu, strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14, err_msg=str(program))


# --- sharing memory and version counters -------------------------------------------------


@pytest.mark.parametrize("device", ["cpu", "cuda"])
def test_writes_through_views_reach_the_base_and_the_other_views(device):
    x = minigrad.tensor(np.arange(12.0).reshape(3, 4), device=device)
    row, column, flat, reversed_rows = x[1], x[:, 2], x.view(-1), x[::-1]
    x.t()[0].add_(100)           # column 0, through a transpose
    row.mul_(2)
    x[:, ::2].sub_(0.5)
    reversed_rows[0] = -1.0      # the last row
    flat[3] = 7.0
    x.add_(1)                    # a write into the base shows in every view
    expected = np.arange(12.0).reshape(3, 4)
    expected[:, 0] += 100
    expected[1] *= 2
    expected[:, ::2] -= 0.5
    expected[2] = -1.0
    expected.reshape(-1)[3] = 7.0
    expected += 1
    np.testing.assert_array_equal(x.numpy(), expected)
    np.testing.assert_array_equal(row.numpy(), expected[1])
    np.testing.assert_array_equal(column.numpy(), expected[:, 2])
    np.testing.assert_array_equal(flat.numpy(), expected.reshape(-1))
    np.testing.assert_array_equal(reversed_rows.numpy(), expected[::-1])
    assert x._version == row._version == flat._version == 6


@pytest.mark.parametrize("device", ["cpu", "cuda"])
def test_reshape_is_a_view_exactly_when_numpy_makes_one(device):
    x = minigrad.zeros(2, 3, 4, device=device)
    x[0].reshape(12).add_(1)             # contiguous rows: a view
    x[:, 1].reshape(8).add_(10)          # two rows of 4 with a gap between them: a copy
    x.permute(2, 0, 1).reshape(4, 6).add_(100)   # the (0, 1) dimensions stay adjacent: a view
    x.transpose(0, 1)[1].reshape(8).add_(1000)   # a copy
    x[1, :, 1:3].reshape(6).add_(10000)  # rows of 2 with gaps: a copy
    x[1].reshape(3, 2, 2).add_(3)        # a view
    assert x._version == 3
    expected = np.full((2, 3, 4), 100.0)
    expected[0] += 1
    expected[1] += 3
    np.testing.assert_array_equal(x.numpy(), expected)


@pytest.mark.parametrize("device", ["cpu", "cuda"])
def test_inplace_on_expanded_tensor_is_refused_as_in_pytorch(device):
    x = minigrad.zeros(1, 3, device=device)
    for write in (lambda e: e.add_(1), lambda e: e.__setitem__((slice(None), 0), 2.0),
                  lambda e: e.t()[0].mul_(2), lambda e: e[:, 1].sub_(3.0)):
        with pytest.raises(RuntimeError, match="more than one element of the written-to "
                                               "tensor refers to a single memory location"):
            write(x.expand(2, 3))
        with pytest.raises(RuntimeError, match="more than one element"):
            write(torch.zeros(1, 3).expand(2, 3))
    assert x.numpy().sum() == 0 and x._version == 0


def test_expanded_row_without_repeats_writes_into_the_base_as_in_pytorch():
    # A row of an expanded tensor has no repeated element, so PyTorch allows the write.
    x, expected = minigrad.zeros(3, device="cuda"), torch.zeros(3)
    x.expand(2, 3)[0].add_(1)
    expected.expand(2, 3)[0].add_(1)
    np.testing.assert_array_equal(x.numpy(), expected.numpy())


@pytest.mark.parametrize("device", ["cpu", "cuda"])
def test_overlapping_source_and_destination_give_numpys_result(device):
    z = minigrad.tensor(np.arange(9.0).reshape(3, 3), device=device)
    z[1:] = z[:-1]                       # the source is read before anything is written
    z.copy_(z.t())
    z.t()[0].add_(z[0])
    expected = np.arange(9.0).reshape(3, 3)
    expected[1:] = expected[:-1].copy()
    expected = expected.T.copy()
    expected[:, 0] += expected[0].copy()
    np.testing.assert_array_equal(z.numpy(), expected)


def test_gradient_flows_through_writes_into_views_of_a_constant_on_cuda():
    w = minigrad.tensor([1.0, 2.0, 3.0], dtype=minigrad.float64, device="cuda",
                        requires_grad=True)
    x = minigrad.zeros(2, 4, dtype=minigrad.float64, device="cuda")
    x.t()[1:, 1].copy_(w)
    x[0][::-1][0] = w[0] * 5             # the last element of row 0
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.numpy(), [[0, 0, 0, 5], [0, 1, 2, 3]])
    np.testing.assert_array_equal(w.grad.numpy(), [2 + 50, 4, 6])


# --- kernels reading strided views --------------------------------------------------------

STRIDED_READS = {
    "matmul_transposed": lambda a, b: a.t() @ b[:, 1:].t()[:, :2],
    "sum_of_column": lambda a, b: a[:, 1].sum() + b[::2].max(),
    "mean_over_permuted": lambda a, b: a.permute(1, 0).mean(dim=1) * b[0, :3],
    "linear_of_slices": lambda a, b: minigrad.nn.functional.linear(a[1:], b[:, 1:].t()[:2]),
    "cross_entropy_of_view": lambda a, b: minigrad.nn.functional.cross_entropy(
        a.t()[:2], minigrad.tensor([1, 0], device=a.device)),
    "expanded_operand": lambda a, b: a[:1].expand(3, 3) * b[:, :3],
    "cat_of_views": lambda a, b: minigrad.cat([a.t(), b[:, ::2]], dim=1),
}


@pytest.mark.parametrize("name", STRIDED_READS)
def test_kernels_read_strided_views(name):
    _assert_devices_agree(STRIDED_READS[name], [(3, 3), (3, 4)], low=-1.0, high=1.0)


def test_conv_and_pooling_of_a_permuted_input():
    def conv_then_pool(x, weight):
        nchw = x.permute(0, 3, 1, 2)     # channels-last storage read as NCHW
        out = minigrad.nn.functional.conv2d(nchw, weight[:, :, ::-1], padding=1)
        return minigrad.nn.functional.max_pool2d(out, 2)

    _assert_devices_agree(conv_then_pool, [(1, 4, 4, 2), (3, 2, 3, 3)], low=-1.0, high=1.0)


# --- the device reshape follows numpy's rule -----------------------------------------------


@st.composite
def strided_arrays(draw):
    """A numpy view (permuted, sliced, possibly reversed) of a small array, and a shape with
    the same number of elements to reshape it to."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4))
    array = np.arange(np.prod(shape)).reshape(shape)
    array = array.transpose(draw(st.permutations(range(len(shape)))))
    index = tuple(slice(draw(st.integers(0, 1)) if extent > 1 else 0, None,
                        draw(st.sampled_from([1, 1, 2, -1]))) for extent in array.shape)
    array = array[index]
    sizes = [size for size in range(1, array.size + 1) if array.size % size == 0]
    first = draw(st.sampled_from(sizes))
    rest = array.size // first
    second = draw(st.sampled_from([size for size in sizes if rest % size == 0]))
    new_shape = draw(st.permutations([first, second, rest // second]))
    return array, tuple(new_shape)


@given(strided_arrays())
def test_reshaped_strides_agree_with_numpy(case):
    array, new_shape = case
    itemsize = array.itemsize
    strides = reshaped_strides(array.shape, tuple(s // itemsize for s in array.strides),
                               new_shape)
    reshaped = array.reshape(new_shape)
    if not np.shares_memory(reshaped, array):
        assert strides is None
        return
    assert strides is not None
    for extent, mine, numpys in zip(new_shape, strides, reshaped.strides, strict=True):
        if extent > 1:  # the stride of an extent-1 dimension is never used
            assert mine * itemsize == numpys
