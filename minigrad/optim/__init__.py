"""Optimizers (PyTorch's update rules and defaults) and learning-rate schedules."""

from minigrad.optim import lr_scheduler
from minigrad.optim.adagrad import Adagrad
from minigrad.optim.adam import Adam
from minigrad.optim.adamw import AdamW
from minigrad.optim.optimizer import Optimizer
from minigrad.optim.rmsprop import RMSprop
from minigrad.optim.sgd import SGD
from minigrad.unsupported import OPTIM as _UNSUPPORTED
from minigrad.unsupported import module_getattr

__getattr__ = module_getattr("minigrad.optim", _UNSUPPORTED)

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "lr_scheduler"]
