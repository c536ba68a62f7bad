"""``minigrad.utils``: ``minigrad.utils.data`` is PyTorch's import path for data loading
(``from torch.utils.data import DataLoader``), pointing at ``minigrad.data``;
``StepTimer`` runs a demo's training step compiled or eagerly and times it."""

from minigrad.utils import data
from minigrad.utils.step_timer import StepTimer

__all__ = ["data", "StepTimer"]
