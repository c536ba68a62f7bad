"""Names ported scripts reach for, next to PyTorch: the legacy ``Tensor(2, 3)`` sizes form,
``Tensor.type()``, ``out=`` of the matrix products and elementwise functions, ``Generator``
as ``generator=``, and ``torch.accelerator``."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import minigrad
from minigrad.utils.data import DataLoader, TensorDataset, random_split

A = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
B = np.random.default_rng(1).normal(size=(4, 2)).astype(np.float32)


def short_dtype(tensor) -> str:
    return str(tensor.dtype).split(".")[-1]


# --- Tensor(*sizes) -----------------------------------------------------------------------

@pytest.mark.parametrize("arguments", [(2, 3), (3,), (), (0,), (1, 2, 3)])
def test_legacy_sizes_form_has_pytorchs_shape_and_dtype(arguments):
    ours, theirs = minigrad.Tensor(*arguments), torch.Tensor(*arguments)
    assert list(ours.shape) == list(theirs.shape)
    assert short_dtype(ours) == short_dtype(theirs) == "float32"
    assert not ours.numpy().any()  # zero-filled, where PyTorch leaves memory as it was


@pytest.mark.parametrize("size", [[2, 3], [4], []])
def test_legacy_constructor_takes_a_size_object(size):
    ours, theirs = minigrad.Tensor(minigrad.Size(size)), torch.Tensor(torch.Size(size))
    assert list(ours.shape) == list(theirs.shape)


@pytest.mark.parametrize("data", [[2, 3], (2, 3), [[1.5]], [7]])
def test_legacy_data_form_is_kept(data):
    assert minigrad.Tensor(data).tolist() == torch.Tensor(data).tolist()


def test_legacy_constructor_explains_bad_arguments():
    with pytest.raises(TypeError, match=r"sizes as ints \(Tensor\(2, 3\)\), got 2, 3.0"):
        minigrad.Tensor(2, 3.0)
    with pytest.raises(ValueError, match=r"non-negative, got \(-1, 2\)"):
        minigrad.Tensor(-1, 2)


def test_a_number_with_dtype_is_data():
    """PyTorch's legacy form takes no dtype; minigrad's dtype= makes a single number data
    (as ``minigrad.tensor(5.0, dtype=...)``), which is how the library itself calls it."""
    five = minigrad.Tensor(5, dtype=minigrad.float64)
    assert five.shape == () and five.item() == 5.0 and five.dtype is minigrad.float64


# --- Tensor.type --------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["float", "double", "long", "bool"])
def test_type_names_the_tensor_as_pytorch_does_with_minigrads_prefix(name):
    ours = getattr(minigrad.ones(2), name)().type()
    theirs = getattr(torch.ones(2), name)().type()
    assert ours == theirs.replace("torch.", "minigrad.")


@pytest.mark.parametrize("target", ["torch.DoubleTensor", "torch.LongTensor",
                                    "torch.FloatTensor", "torch.BoolTensor"])
def test_type_converts_to_a_named_type(target):
    values = [0.5, -2.0, 3.0]
    ours = minigrad.tensor(values).type(target)
    theirs = torch.tensor(values).type(target)
    assert short_dtype(ours) == short_dtype(theirs)
    assert ours.tolist() == theirs.tolist()
    assert minigrad.tensor(values).type(target.replace("torch.", "minigrad.")).tolist() == \
        theirs.tolist()


def test_type_with_a_dtype_converts_and_keeps_the_graph():
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    assert x.type(minigrad.float32) is x
    y = x.type(minigrad.float64)
    (y * y).sum().backward()
    assert y.dtype is minigrad.float64 and x.grad.tolist() == [2.0, 4.0]


def test_type_rejects_an_unknown_name():
    with pytest.raises(ValueError, match="invalid type 'torch.HalfTensor'"):
        minigrad.ones(1).type("torch.HalfTensor")


# --- out= ---------------------------------------------------------------------------------

PRODUCTS = {
    "matmul": (A, B), "mm": (A, B), "mv": (A, B[:, 0]),
    "bmm": (np.stack([A, A]), np.stack([B, 2 * B])), "dot": (B[:, 0], B[:, 1]),
    "outer": (A[0], B[:, 1]),
}


@pytest.mark.parametrize("name", sorted(PRODUCTS))
def test_out_receives_the_product_like_pytorch(name):
    first, second = PRODUCTS[name]
    results = {}
    for library in (minigrad, torch):
        a, b = library.tensor(first), library.tensor(second)
        shape = tuple(getattr(library, name)(a, b).shape)
        out = library.zeros(shape)
        returned = getattr(library, name)(a, b, out=out)
        assert returned is out and out._version == 1
        results[library.__name__] = out.numpy()
    np.testing.assert_allclose(results["minigrad"], results["torch"], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name, arguments", [("norm", {}), ("norm", {"p": 1, "dim": 1}),
                                             ("tril", {}), ("triu", {"diagonal": 1})])
def test_out_of_norm_and_triangles(name, arguments):
    results = {}
    for library in (minigrad, torch):
        a = library.tensor(A)
        out = library.zeros(tuple(getattr(library, name)(a, **arguments).shape))
        assert getattr(library, name)(a, **arguments, out=out) is out
        results[library.__name__] = out.numpy()
    np.testing.assert_allclose(results["minigrad"], results["torch"], rtol=1e-6)


POSITIVE = np.abs(A) + 0.5
ELEMENTWISE = [
    ("add", (A, A[0]), {}), ("add", (A, POSITIVE), {"alpha": 3}), ("sub", (A, 2.0), {}),
    ("mul", (A, POSITIVE), {}), ("div", (A, POSITIVE), {}), ("pow", (POSITIVE, 1.5), {}),
    ("maximum", (A, A.T[:1].T), {}), ("clamp", (A,), {"min": -0.5, "max": 0.5}),
    ("neg", (A,), {}), ("exp", (A,), {}), ("log", (POSITIVE,), {}), ("sqrt", (POSITIVE,), {}),
    ("abs", (A,), {}), ("sigmoid", (A,), {}), ("tanh", (A,), {}), ("sin", (A,), {}),
    ("erf", (A,), {}), ("floor", (A,), {}), ("gt", (A, 0.1), {}), ("eq", (A, A), {}),
]


@pytest.mark.parametrize("name, arguments, options", ELEMENTWISE,
                         ids=[f"{name}-{i}" for i, (name, _, _) in enumerate(ELEMENTWISE)])
def test_out_of_elementwise_functions_like_pytorch(name, arguments, options):
    results = {}
    for library in (minigrad, torch):
        tensors = [library.tensor(a) if isinstance(a, np.ndarray) else a for a in arguments]
        expected = getattr(library, name)(*tensors, **options)
        out = library.zeros(tuple(expected.shape), dtype=expected.dtype)
        assert getattr(library, name)(*tensors, **options, out=out) is out
        results[library.__name__] = out.numpy()
    np.testing.assert_allclose(results["minigrad"], results["torch"], rtol=1e-6)


def test_out_of_where_and_of_a_view():
    out = minigrad.zeros(2, 3, 4)
    minigrad.where(minigrad.tensor(A) > 0, minigrad.tensor(A), 0.0, out=out[1])
    np.testing.assert_allclose(out[1].numpy(), np.where(A > 0, A, 0.0))
    assert not out[0].numpy().any()


def test_empty_out_takes_the_result_shape_like_pytorch():
    ours, theirs = minigrad.Tensor(), torch.Tensor()
    minigrad.matmul(minigrad.tensor(A), minigrad.tensor(B), out=ours)
    torch.matmul(torch.tensor(A), torch.tensor(B), out=theirs)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_out_writes_through_views_of_it():
    out = minigrad.zeros(3, 2)
    first_row = out[0]
    minigrad.mm(minigrad.tensor(A), minigrad.tensor(B), out=out)
    np.testing.assert_allclose(first_row.numpy(), (A @ B)[0], rtol=1e-6)


@pytest.mark.parametrize("library", [minigrad, torch], ids=["minigrad", "torch"])
def test_out_refuses_autograd_with_pytorchs_message(library):
    a = library.tensor(A, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"out=\.\.\. arguments don't support automatic "
                                           "differentiation"):
        library.matmul(a, library.tensor(B), out=library.zeros(3, 2))
    with library.no_grad():
        assert not library.matmul(a, library.tensor(B), out=library.zeros(3, 2)).requires_grad


def test_out_of_the_wrong_dtype_or_shape_is_refused():
    a, b = minigrad.tensor(A), minigrad.tensor(B)
    with pytest.raises(TypeError, match="dtype float32, but got float64"):
        minigrad.matmul(a, b, out=minigrad.zeros(3, 2, dtype=minigrad.float64))
    with pytest.raises(ValueError, match=r"out has shape \(2, 2\) but the result has shape "
                                         r"\(3, 2\)"):
        minigrad.matmul(a, b, out=minigrad.zeros(2, 2))
    with pytest.raises(TypeError, match="out must be a Tensor, got ndarray"):
        minigrad.matmul(a, b, out=np.zeros((3, 2), np.float32))


# --- Generator ----------------------------------------------------------------------------

def draws(generator):
    return [minigrad.rand(2, generator=generator).tolist(),
            minigrad.randn(2, 2, generator=generator).tolist(),
            minigrad.randint(0, 10, (4,), generator=generator).tolist(),
            minigrad.randint(5, (3,), generator=generator).tolist(),
            minigrad.randperm(6, generator=generator).tolist()]


def test_a_seeded_generator_repeats_its_draws_and_leaves_the_global_stream_alone():
    minigrad.manual_seed(0)
    expected_global = minigrad.rand(3).tolist()
    minigrad.manual_seed(0)
    generator = minigrad.Generator().manual_seed(7)
    first = draws(generator)
    assert minigrad.rand(3).tolist() == expected_global
    assert draws(minigrad.Generator().manual_seed(7)) == first
    assert draws(minigrad.Generator().manual_seed(8)) != first
    assert generator.initial_seed() == 7


def test_generator_api_matches_pytorchs():
    for library in (minigrad, torch):
        generator = library.Generator()
        assert generator.manual_seed(3) is generator
        assert generator.initial_seed() == 3
        fresh = generator.seed()
        assert isinstance(fresh, int) and generator.initial_seed() == fresh


def test_random_draws_have_pytorchs_shapes_dtypes_and_ranges():
    for library in (minigrad, torch):
        generator = library.Generator().manual_seed(1)
        permutation = library.randperm(10, generator=generator)
        assert sorted(permutation.tolist()) == list(range(10))
        assert short_dtype(permutation) == "int64"
        integers = library.randint(3, (50,), generator=generator)
        assert set(integers.tolist()) <= {0, 1, 2} and short_dtype(integers) == "int64"
        assert short_dtype(library.randint(0, 3, (2,), dtype=library.float64)) == "float64"
        assert short_dtype(library.randperm(3, dtype=library.float32)) == "float32"


def test_random_split_and_data_loader_take_a_generator():
    data = TensorDataset(np.arange(20, dtype=np.float32))

    def split(seed):
        parts = random_split(data, [0.75, 0.25], generator=minigrad.Generator().manual_seed(seed))
        return [part.indices for part in parts]

    def batches(seed):
        loader = DataLoader(data, batch_size=5, shuffle=True,
                            generator=minigrad.Generator().manual_seed(seed))
        return [batch[0].tolist() for epoch in range(2) for batch in loader]

    assert split(42) == split(42) != split(43)
    assert batches(42) == batches(42) != batches(43)
    first_epoch, second_epoch = batches(42)[:4], batches(42)[4:]
    assert first_epoch != second_epoch  # the generator moves on between epochs
    with pytest.raises(TypeError, match="generator must be a minigrad.Generator"):
        DataLoader(data, generator=42)


def test_randperm_and_randint_explain_bad_arguments():
    with pytest.raises(ValueError, match="n must be a non-negative int, got -1"):
        minigrad.randperm(-1)
    with pytest.raises(ValueError, match="low must be less than high"):
        minigrad.randint(5, 5, (2,))
    with pytest.raises(TypeError, match="randint\\(\\) needs a size"):
        minigrad.randint(5)


# --- accelerator --------------------------------------------------------------------------

def test_accelerator_picks_a_device_as_pytorchs_tutorials_do():
    device = (minigrad.accelerator.current_accelerator().type
              if minigrad.accelerator.is_available() else "cpu")
    assert device == ("cuda" if minigrad.cuda.is_available() else "cpu")
    assert minigrad.accelerator.device_count() == int(minigrad.cuda.is_available())
    assert minigrad.ones(2, device=device).device == device
