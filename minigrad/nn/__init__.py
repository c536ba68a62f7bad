"""Neural network building blocks with PyTorch's names and semantics.

``Module`` and ``Parameter`` (module.py), containers (container.py), layers (linear.py,
conv.py, pooling.py, normalization.py, dropout.py, flatten.py), activations
(activation.py), ``MLP`` (mlp.py), losses (loss.py), the functional forms
(``minigrad.nn.functional``, imported as ``F``) and initialisers (``minigrad.nn.init``).
"""

from minigrad.nn import functional, init, utils
from minigrad.nn.activation import (
    ELU,
    GELU,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from minigrad.nn.container import ModuleDict, ModuleList, Sequential
from minigrad.nn.conv import Conv1d, Conv2d
from minigrad.nn.dropout import Dropout, Dropout2d
from minigrad.nn.flatten import Flatten, Unflatten
from minigrad.nn.linear import Identity, Linear
from minigrad.nn.loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HingeLoss,
    HuberLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from minigrad.nn.mlp import MLP
from minigrad.nn.module import Module
from minigrad.nn.normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from minigrad.nn.parameter import Parameter
from minigrad.nn.pooling import AvgPool2d, MaxPool2d
from minigrad.unsupported import NN as _UNSUPPORTED
from minigrad.unsupported import module_getattr

__getattr__ = module_getattr("minigrad.nn", _UNSUPPORTED)

__all__ = [
    "functional", "init", "utils", "Module", "Parameter", "Sequential", "ModuleList",
    "ModuleDict", "Unflatten", "Dropout2d", "LayerNorm", "GELU", "SiLU", "Softplus",
    "Linear", "Identity", "Conv1d", "Conv2d", "MaxPool2d", "AvgPool2d", "Flatten", "Dropout",
    "BatchNorm1d", "BatchNorm2d", "ReLU", "LeakyReLU", "ELU", "Sigmoid", "LogSigmoid", "Tanh",
    "Softmax", "LogSoftmax", "MLP", "MSELoss", "L1Loss", "HuberLoss",
    "SmoothL1Loss", "BCELoss",
    "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss", "HingeLoss",
]
