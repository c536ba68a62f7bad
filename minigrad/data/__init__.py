"""Data for training: mini-batching, toy data sets, the digits and MNIST readers."""

from minigrad.data.datasets import circles, moons, sine, spirals, xor
from minigrad.data.digits import load_digits
from minigrad.data.loader import DataLoader, TensorDataset, train_test_split
from minigrad.data.mnist import load_mnist, read_idx
from minigrad.data.subsets import ConcatDataset, Subset, random_split

__all__ = [
    "DataLoader",
    "TensorDataset",
    "Subset",
    "ConcatDataset",
    "random_split",
    "train_test_split",
    "xor",
    "moons",
    "circles",
    "spirals",
    "sine",
    "load_digits",
    "read_idx",
    "load_mnist",
]
