"""``MLP``: the multi-layer perceptron of the lectures in one line."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from minigrad.dtypes import DType
from minigrad.nn.activation import ELU, LeakyReLU, ReLU, Sigmoid, Tanh
from minigrad.nn.container import Sequential
from minigrad.nn.dropout import Dropout
from minigrad.nn.linear import Identity, Linear
from minigrad.nn.module import Module

ACTIVATIONS: dict[str, Callable[[], Module]] = {
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "elu": ELU,
    "tanh": Tanh,
    "sigmoid": Sigmoid,
    "identity": Identity,
}


def _activation_factory(activation: str | type | Callable[[], Module] | None):
    if activation is None:
        return Identity
    if isinstance(activation, str):
        if activation.lower() not in ACTIVATIONS:
            raise ValueError(
                f"unknown activation {activation!r}; choose one of {sorted(ACTIVATIONS)} or "
                "pass a Module class"
            )
        return ACTIVATIONS[activation.lower()]
    if callable(activation):
        return activation
    raise TypeError(f"activation must be a name or a Module class, got {activation!r}")


class MLP(Sequential):
    """Linear -> activation [-> Dropout] for each hidden size, then a final Linear (no
    activation, so the output can be any real number: logits or a regression value).

    ``MLP(2, [16, 16], 1)`` is Linear(2, 16), ReLU, Linear(16, 16), ReLU, Linear(16, 1).
    ``activation`` is a name ("relu", "leaky_relu", "elu", "tanh", "sigmoid", "identity"
    or None for no non-linearity) or a Module class. The sub-modules are numbered like
    PyTorch's ``nn.Sequential``, so an equivalent PyTorch model's ``state_dict`` loads.
    """

    def __init__(self, in_features: int, hidden_features: Sequence[int], out_features: int,
                 activation: str | type | None = "relu", dropout: float = 0.0,
                 device: str | None = None, dtype: DType | None = None) -> None:
        if isinstance(hidden_features, int):
            hidden_features = [hidden_features]
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        make_activation = _activation_factory(activation)
        layers: list[Module] = []
        width = in_features
        for hidden in hidden_features:
            layers.append(Linear(width, hidden, device=device, dtype=dtype))
            layers.append(make_activation())
            if dropout > 0:
                layers.append(Dropout(dropout))
            width = hidden
        layers.append(Linear(width, out_features, device=device, dtype=dtype))
        super().__init__(*layers)
        self.in_features = in_features
        self.hidden_features = list(hidden_features)
        self.out_features = out_features
