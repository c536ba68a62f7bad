"""Subset and random_split: sizes as PyTorch computes them, disjoint parts covering the
data set, reproducible with a seed, and batches through DataLoader."""

from __future__ import annotations

import numpy as np
import pytest
import torch.utils.data

import minigrad
from minigrad.utils.data import DataLoader, Subset, TensorDataset, random_split


@pytest.mark.parametrize("size, lengths", [
    (10, [3, 7]), (10, [0.33, 0.33, 0.34]), (11, [0.5, 0.5]), (10, [0.3, 0.3, 0.4]),
    (7, [1.0]), (5, [0, 5]),
])
def test_random_split_sizes_match_torch_and_cover_the_data(size, lengths):
    ours = random_split(range(size), lengths)
    theirs = torch.utils.data.random_split(range(size), lengths)
    assert [len(part) for part in ours] == [len(part) for part in theirs]
    taken = [sample for part in ours for sample in part]
    assert sorted(taken) == list(range(size))


def test_random_split_is_reproducible_with_manual_seed_and_a_generator():
    minigrad.manual_seed(3)
    first = [part.indices for part in random_split(range(20), [5, 15])]
    minigrad.manual_seed(3)
    assert [part.indices for part in random_split(range(20), [5, 15])] == first
    generator = np.random.default_rng(1)
    assert random_split(range(20), [5, 15], generator=generator)[0].indices == \
        random_split(range(20), [5, 15], generator=np.random.default_rng(1))[0].indices


def test_random_split_rejects_lengths_that_do_not_fit():
    with pytest.raises(ValueError, match=r"add up to 9, but the data set has 10 samples"):
        random_split(range(10), [3, 6])
    with pytest.raises(ValueError, match="fractions"):
        random_split(range(10), [0.5, 0.6])
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        random_split(range(10), [5, 5], generator=42)


def test_subset_reads_the_parent_at_its_indices_and_batches_in_a_loader():
    features = np.arange(12, dtype=np.float32).reshape(6, 2)
    labels = np.arange(6)
    subset = Subset(TensorDataset(features, labels), [4, 1, 5])
    assert len(subset) == 3
    x, y = subset[0]
    assert x.tolist() == [8.0, 9.0] and int(y) == 4
    batches = list(DataLoader(subset, batch_size=2))
    assert [b[1].tolist() for b in batches] == [[4, 1], [5]]
    assert batches[0][0].shape == (2, 2) and batches[0][0].dtype is minigrad.float32


def test_concat_dataset_reads_like_torchs():
    import torch.utils.data as torch_data

    from minigrad.data import ConcatDataset

    first = np.arange(6, dtype=np.float32).reshape(3, 2)
    second = np.arange(100, 108, dtype=np.float32).reshape(4, 2)
    ours = ConcatDataset([TensorDataset(first), TensorDataset(second)])
    theirs = torch_data.ConcatDataset([torch_data.TensorDataset(torch.tensor(first)),
                                       torch_data.TensorDataset(torch.tensor(second))])
    assert len(ours) == len(theirs) == 7
    assert ours.cumulative_sizes == theirs.cumulative_sizes
    for index in [*range(7), -1, -7]:
        np.testing.assert_array_equal(np.asarray(ours[index][0]), theirs[index][0].numpy())
    batches = [batch[0].numpy() for batch in DataLoader(ours, batch_size=3)]
    np.testing.assert_array_equal(np.concatenate(batches), np.concatenate([first, second]))
    with pytest.raises(IndexError, match="out of range"):
        ours[7]
    with pytest.raises(ValueError, match="at least one"):
        ConcatDataset([])
    with pytest.raises(TypeError, match="data set 1"):
        ConcatDataset([TensorDataset(first), 5])
