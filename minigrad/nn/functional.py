"""The functional forms of layers, activations and losses: ``import minigrad.nn.functional
as F``, then ``F.relu(x)``, ``F.cross_entropy(logits, labels)``.

A layer module (``nn.Linear``) owns its parameters and calls the function here
(``F.linear``) in its ``forward``; the functions take every tensor as an argument. The
implementations live in ``_functional_layers.py`` (dense, convolution, pooling,
activations, dropout, batch norm) and ``_functional_losses.py`` (losses).
"""

from minigrad.nn._functional_layers import (
    avg_pool2d,
    batch_norm,
    conv1d,
    conv2d,
    dropout,
    dropout2d,
    elu,
    elu_,
    gelu,
    layer_norm,
    leaky_relu,
    leaky_relu_,
    linear,
    log_softmax,
    logsigmoid,
    max_pool2d,
    one_hot,
    relu,
    relu_,
    sigmoid,
    silu,
    softmax,
    tanh,
)
from minigrad.nn._functional_loss_arguments import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    huber_loss,
    l1_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)
from minigrad.ops.elementwise_math import softplus
from minigrad.unsupported import FUNCTIONAL as _UNSUPPORTED
from minigrad.unsupported import module_getattr

__getattr__ = module_getattr("minigrad.nn.functional", _UNSUPPORTED)

__all__ = [
    "linear", "conv1d", "conv2d", "max_pool2d", "avg_pool2d",
    "relu", "relu_", "leaky_relu", "leaky_relu_", "elu", "elu_", "sigmoid", "logsigmoid",
    "tanh", "softmax", "log_softmax", "silu", "gelu", "dropout2d", "layer_norm",
    "dropout", "batch_norm", "one_hot", "softplus",
    "mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "hinge_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss",
]
