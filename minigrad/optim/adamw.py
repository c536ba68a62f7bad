"""AdamW: Adam with decoupled weight decay."""

from __future__ import annotations

from collections.abc import Iterable

from minigrad.optim.adam import Adam


class AdamW(Adam):
    r"""AdamW (PyTorch's ``torch.optim.AdamW``, same defaults, ``weight_decay=1e-2``).

    Before the Adam step the weights shrink by a fixed fraction,
    $\theta \leftarrow \theta\,(1 - \eta\lambda)$, instead of adding $\lambda\theta$ to the
    gradient. The decay then does not pass through Adam's per-coordinate scaling, so every
    weight decays at the same rate (Loshchilov and Hutter, "Decoupled Weight Decay
    Regularization"). The rest is :func:`minigrad.optim.adam.adam_update`.
    """

    decoupled_weight_decay = True

    def __init__(self, params: Iterable, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, maximize=maximize)

