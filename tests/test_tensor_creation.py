"""Creating tensors, their dtypes and attributes, getting values out, and seeding."""

import numpy as np
import pytest
import torch

import minigrad


def test_tensor_from_nested_list_defaults_to_float32():
    t = minigrad.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert t.shape == (2, 3) and isinstance(t.shape, tuple)
    assert t.ndim == 2
    assert t.dtype == minigrad.float32 and t.dtype.numpy == np.float32
    assert t.device == "cpu"
    assert not t.requires_grad and t.grad is None and t.is_leaf
    assert t.tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]


@pytest.mark.parametrize(
    "data, dtype",
    [([1, 2, 3], minigrad.int64), ([True, False], minigrad.bool_), (2.5, minigrad.float32),
     (np.arange(3, dtype=np.float64), minigrad.float64),
     (np.ones(2, dtype=np.float32), minigrad.float32)],
    ids=["int_list", "bool_list", "python_float", "float64_array",
         "float32_array"],
)
def test_tensor_infers_dtype_like_torch(data, dtype):
    t = minigrad.tensor(data)
    assert t.dtype == dtype
    assert t.dtype.name == str(torch.tensor(data).dtype).removeprefix("torch.")


def test_tensor_with_explicit_dtype_and_requires_grad():
    t = minigrad.tensor([1, 2], dtype=minigrad.float64, requires_grad=True)
    assert t.dtype == minigrad.float64 and t.requires_grad and t.is_leaf
    np.testing.assert_array_equal(t.numpy(), [1.0, 2.0])


def test_tensor_copies_its_input():
    array = np.array([1.0, 2.0], dtype=np.float32)
    t = minigrad.tensor(array)
    array[0] = 100.0
    assert t.tolist() == [1.0, 2.0]


def test_zero_dim_tensor():
    t = minigrad.tensor(3.5)
    assert t.shape == () and t.ndim == 0
    assert t.item() == 3.5 and isinstance(t.item(), float)
    assert minigrad.tensor(7).item() == 7 and isinstance(minigrad.tensor(7).item(), int)


@pytest.mark.parametrize(
    "name, args, kwargs",
    [("zeros", (2, 3), {}), ("zeros", ((2, 3),), {}), ("ones", (4,), {}),
     ("ones", (2, 2), {"dtype": "float64"}), ("full", ((2, 3), 7.5), {}),
     ("arange", (5,), {}), ("arange", (1, 7, 2), {}), ("arange", (0.0, 1.0, 0.25), {}),
     ("linspace", (0.0, 1.0, 5), {}), ("linspace", (-2.0, 3.0, 11), {"dtype": "float64"}),
     ("eye", (3,), {}), ("eye", (2, 4), {})],
    ids=lambda value: str(value),
)
def test_deterministic_creation_matches_torch(name, args, kwargs):
    mine = getattr(minigrad, name)(*args, **{k: getattr(minigrad, v) for k, v in kwargs.items()})
    theirs = getattr(torch, name)(*args, **{k: getattr(torch, v) for k, v in kwargs.items()})
    assert mine.shape == tuple(theirs.shape)
    assert mine.dtype.name == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-7)


def test_empty_has_shape_and_dtype():
    t = minigrad.empty(2, 5, dtype=minigrad.float64)
    assert t.shape == (2, 5) and t.dtype == minigrad.float64


def test_creation_with_requires_grad():
    for t in (minigrad.zeros(2, requires_grad=True), minigrad.randn(2, requires_grad=True),
              minigrad.ones(2, requires_grad=True)):
        assert t.requires_grad and t.is_leaf


def test_like_functions_keep_shape_and_dtype():
    base = minigrad.ones(2, 3, dtype=minigrad.float64)
    for t in (minigrad.zeros_like(base), minigrad.ones_like(base), minigrad.randn_like(base)):
        assert t.shape == (2, 3) and t.dtype == minigrad.float64
    np.testing.assert_array_equal(minigrad.zeros_like(base).numpy(), np.zeros((2, 3)))
    np.testing.assert_array_equal(minigrad.ones_like(base).numpy(), np.ones((2, 3)))


def test_rand_and_randn_distributions():
    uniform = minigrad.rand(20_000).numpy()
    normal = minigrad.randn(200, 100).numpy()
    assert uniform.dtype == np.float32 and normal.dtype == np.float32
    assert uniform.min() >= 0.0 and uniform.max() < 1.0
    assert abs(uniform.mean() - 0.5) < 0.01
    assert abs(normal.mean()) < 0.02 and abs(normal.std() - 1.0) < 0.02


def test_manual_seed_makes_random_tensors_reproducible():
    minigrad.manual_seed(1234)
    first = (minigrad.randn(3, 4).numpy(), minigrad.rand(5).numpy())
    minigrad.manual_seed(1234)
    second = (minigrad.randn(3, 4).numpy(), minigrad.rand(5).numpy())
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    minigrad.manual_seed(4321)
    assert not np.array_equal(minigrad.randn(3, 4).numpy(), first[0])


def test_from_numpy_keeps_dtype_and_values():
    array = np.arange(6, dtype=np.float64).reshape(2, 3)
    t = minigrad.from_numpy(array)
    assert t.dtype == minigrad.float64 and t.shape == (2, 3)
    np.testing.assert_array_equal(t.numpy(), array)


def test_numpy_works_on_tensors_that_require_grad():
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    result = y.numpy()
    assert isinstance(result, np.ndarray) and result.dtype == np.float32
    np.testing.assert_array_equal(result, [2.0, 4.0])


def test_item_of_multi_element_tensor_raises_naming_the_shape():
    with pytest.raises((ValueError, RuntimeError), match=r"2, 2"):
        minigrad.ones(2, 2).item()


def test_tolist_nested_and_scalar():
    assert minigrad.arange(6).reshape(2, 3).tolist() == [[0, 1, 2], [3, 4, 5]]
    assert minigrad.tensor(2.0).tolist() == 2.0


def test_float_and_double_convert_and_stay_differentiable():
    x = minigrad.tensor([1.5, -2.0], requires_grad=True)
    y = x.double()
    assert y.dtype == minigrad.float64 and y.requires_grad
    (y * y).sum().backward()
    assert x.grad.dtype == minigrad.float32
    np.testing.assert_allclose(x.grad.numpy(), [3.0, -4.0])
    z = minigrad.arange(3).float()
    assert z.dtype == minigrad.float32 and z.tolist() == [0.0, 1.0, 2.0]


def test_to_cpu_keeps_the_tensor_on_cpu():
    x = minigrad.ones(2)
    assert x.to("cpu").device == "cpu" and x.cpu().device == "cpu"
    np.testing.assert_array_equal(x.to("cpu").numpy(), [1.0, 1.0])


def test_unknown_dtype_is_rejected():
    with pytest.raises(TypeError, match="dtype"):
        minigrad.zeros(2, dtype="complex128")


def test_ragged_nested_lists_are_rejected_with_a_clear_message():
    with pytest.raises(ValueError, match="same length"):
        minigrad.tensor([[1.0, 2.0], [3.0]])
