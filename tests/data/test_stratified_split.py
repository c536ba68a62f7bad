"""``train_test_split(..., stratify=y)`` gives both parts exactly the requested sizes, also
when some classes are too small to appear in both."""

import numpy as np
import pytest

from minigrad.data import train_test_split


@pytest.mark.parametrize("labels, test_size, expected_test", [
    ([0, 1, 2], 0.3, 1),                       # every class has one member
    ([0, 0, 0, 0, 1, 1, 1, 1, 2, 3], 0.3, 3),  # two single-member classes
    ([0] * 9 + [1], 0.25, 3),
    ([5, 5, 7, 7, 7, 9], 2, 2),
])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_single_member_classes_still_give_a_test_part_of_the_requested_size(
        labels, test_size, expected_test, seed):
    labels = np.array(labels)
    samples = np.arange(len(labels))
    x_train, x_test, y_train, y_test = train_test_split(samples, labels, test_size=test_size,
                                                        stratify=labels, seed=seed)
    assert len(x_test) == len(y_test) == expected_test
    assert len(x_train) == len(labels) - expected_test
    # every sample lands in exactly one part, with its own label
    np.testing.assert_array_equal(np.sort(np.concatenate([x_train, x_test])), samples)
    np.testing.assert_array_equal(labels[x_test], y_test)
    np.testing.assert_array_equal(labels[x_train], y_train)


def test_each_class_is_within_one_sample_of_its_share():
    labels = np.repeat([0, 1, 2, 3], [7, 5, 3, 1])
    _, _, y_train, y_test = train_test_split(np.arange(16), labels, test_size=0.4,
                                             stratify=labels, seed=3)
    assert len(y_test) == 7  # ceil(0.4 * 16)
    for label, count in zip([0, 1, 2, 3], [7, 5, 3, 1], strict=True):
        share = count * 7 / 16
        assert np.floor(share) <= np.sum(y_test == label) <= np.ceil(share)


def test_the_split_is_reproducible_with_a_seed():
    labels = np.array([0, 0, 1, 1, 1, 2])
    first = train_test_split(np.arange(6), labels, test_size=0.5, stratify=labels, seed=7)
    second = train_test_split(np.arange(6), labels, test_size=0.5, stratify=labels, seed=7)
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
