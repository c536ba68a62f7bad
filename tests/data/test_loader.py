"""DataLoader, TensorDataset and train_test_split."""

import numpy as np
import pytest

import minigrad
from minigrad.data import DataLoader, TensorDataset, train_test_split


@pytest.fixture
def arrays():
    X = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.arange(10, dtype=np.int64)
    return X, y


def collect(loader):
    return [tuple(t.numpy() for t in batch) for batch in loader]


def test_batches_in_order_without_shuffle(arrays):
    X, y = arrays
    batches = collect(DataLoader(TensorDataset(X, y), batch_size=4))
    assert [len(b[1]) for b in batches] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate([b[0] for b in batches]), X)
    np.testing.assert_array_equal(batches[2][1], [8, 9])


def test_batches_are_tensors_with_the_arrays_dtypes(arrays):
    X, y = arrays
    xb, yb = next(iter(DataLoader(TensorDataset(X, y), batch_size=3)))
    assert isinstance(xb, minigrad.Tensor) and isinstance(yb, minigrad.Tensor)
    assert xb.dtype == minigrad.float32 and yb.dtype == minigrad.int64
    assert xb.shape == (3, 2) and yb.shape == (3,)


def test_drop_last_and_len(arrays):
    loader = DataLoader(TensorDataset(*arrays), batch_size=4, drop_last=True)
    assert len(loader) == 2
    assert [b[1].shape for b in loader] == [(4,), (4,)]
    assert len(DataLoader(TensorDataset(*arrays), batch_size=4)) == 3


def test_shuffle_is_a_permutation_reproducible_and_new_each_epoch(arrays):
    X, y = arrays
    loader = DataLoader(TensorDataset(X, y), batch_size=3, shuffle=True, seed=7)
    epoch1 = np.concatenate([b[1] for b in collect(loader)])
    epoch2 = np.concatenate([b[1] for b in collect(loader)])
    assert sorted(epoch1) == list(range(10))
    assert not np.array_equal(epoch1, epoch2)
    again = DataLoader(TensorDataset(X, y), batch_size=3, shuffle=True, seed=7)
    np.testing.assert_array_equal(np.concatenate([b[1] for b in collect(again)]), epoch1)
    np.testing.assert_array_equal(np.concatenate([b[1] for b in collect(again)]), epoch2)
    # rows stay paired: X[i] = (2i, 2i + 1)
    for xb, yb in collect(loader):
        np.testing.assert_array_equal(xb[:, 0], 2 * yb)


def test_generator_argument(arrays):
    first = DataLoader(TensorDataset(*arrays), batch_size=10, shuffle=True,
                       generator=np.random.default_rng(3))
    second = DataLoader(TensorDataset(*arrays), batch_size=10, shuffle=True,
                        generator=np.random.default_rng(3))
    np.testing.assert_array_equal(collect(first)[0][1], collect(second)[0][1])
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        DataLoader(TensorDataset(*arrays), generator=3)


def test_single_array_tuple_and_tensor_inputs(arrays):
    X, y = arrays
    single = list(DataLoader(X, batch_size=5))
    assert isinstance(single[0], minigrad.Tensor) and single[0].shape == (5, 2)
    pairs = collect(DataLoader((X, y), batch_size=5))
    np.testing.assert_array_equal(pairs[1][1], [5, 6, 7, 8, 9])
    tensors = collect(DataLoader(TensorDataset(minigrad.tensor(X), minigrad.tensor(y)),
                                 batch_size=4, shuffle=True, seed=0))
    for xb, yb in tensors:
        np.testing.assert_array_equal(xb[:, 0], 2 * yb)


def test_custom_dataset_is_collated():
    class Squares:
        def __len__(self):
            return 5

        def __getitem__(self, index):
            return np.array([index, index**2], dtype=np.float64), index

    batches = collect(DataLoader(Squares(), batch_size=2))
    np.testing.assert_array_equal(batches[0][0], [[0, 0], [1, 1]])
    np.testing.assert_array_equal(batches[2][1], [4])


def test_collate_fn_builds_each_batch(arrays):
    X, y = arrays

    def pad_and_count(samples):
        rows = minigrad.stack([minigrad.tensor(row) for row, _ in samples])
        return rows, len(samples)

    batches = list(DataLoader(TensorDataset(X, y), batch_size=4, collate_fn=pad_and_count))
    assert [count for _, count in batches] == [4, 4, 2]
    np.testing.assert_array_equal(batches[1][0].numpy(), X[4:8])


def test_pytorch_loading_options_give_the_same_batches(arrays):
    X, y = arrays
    plain = collect(DataLoader(TensorDataset(X, y), batch_size=3, shuffle=True))
    with_workers = collect(DataLoader(TensorDataset(X, y), batch_size=3, shuffle=True,
                                      num_workers=2, pin_memory=True, persistent_workers=True))
    for a, b in zip(plain, with_workers, strict=True):
        np.testing.assert_array_equal(a[0], b[0])
    with pytest.raises(ValueError, match="num_workers"):
        DataLoader(TensorDataset(X, y), num_workers=-1)
    with pytest.raises(TypeError, match="collate_fn"):
        DataLoader(TensorDataset(X, y), collate_fn="stack")


def test_bad_arguments():
    with pytest.raises(ValueError, match="same number of rows.*\\(3, 2\\).*\\(4,\\)"):
        TensorDataset(np.zeros((3, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(np.zeros((3, 2)), batch_size=0)
    with pytest.raises(TypeError, match="__len__"):
        DataLoader(42)
    with pytest.raises(TypeError, match="argument 1 is list"):
        TensorDataset(np.zeros(3), [1, 2, 3])


def test_train_test_split(arrays):
    X, y = arrays
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, seed=1)
    assert X_train.shape == (7, 2) and X_test.shape == (3, 2)
    assert sorted(np.concatenate([y_train, y_test])) == list(range(10))
    np.testing.assert_array_equal(X_test[:, 0], 2 * y_test)
    again = train_test_split(X, y, test_size=0.3, seed=1)
    np.testing.assert_array_equal(again[3], y_test)
    _, _, _, unshuffled = train_test_split(X, y, test_size=2, shuffle=False)
    np.testing.assert_array_equal(unshuffled, [8, 9])
    with pytest.raises(ValueError, match="test_size"):
        train_test_split(X, y, test_size=1.5)


def test_stratified_split_keeps_class_proportions():
    labels = np.array([0] * 80 + [1] * 20)
    X = np.arange(100.0)[:, None]
    _, _, y_train, y_test = train_test_split(X, labels, test_size=0.25, stratify=labels)
    assert (y_test == 1).sum() == 5 and (y_test == 0).sum() == 20
    assert (y_train == 1).sum() == 15


def test_split_of_tensors():
    X = minigrad.tensor(np.arange(12.0).reshape(6, 2))
    X_train, X_test = train_test_split(X, test_size=2, seed=0)
    assert isinstance(X_train, minigrad.Tensor) and X_test.shape == (2, 2)
