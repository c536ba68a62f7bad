"""``minigrad.utils.data``: PyTorch's import path for data loading (``from torch.utils.data
import DataLoader``), pointing at ``minigrad.data``."""

from minigrad.utils import data

__all__ = ["data"]
