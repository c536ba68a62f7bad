"""``minigrad.device``: where a tensor's numbers live, ``"cpu"`` or ``"cuda"``.

A ``device`` is a string with PyTorch's attributes: ``device("cuda").type == "cuda"``,
``str(device("cpu")) == "cpu"``, and it compares equal to the plain string, so
``x.device == "cpu"`` and ``x.device == minigrad.device("cpu")`` both hold.
"""

from __future__ import annotations

_ALIASES = {"cpu": "cpu", "cuda": "cuda", "cuda:0": "cuda", "gpu": "cuda"}


class device(str):  # noqa: N801 - PyTorch's name
    """A device name: ``minigrad.device("cpu")``, ``minigrad.device("cuda")`` (one GPU, so
    ``"cuda:0"`` is the same device)."""

    def __new__(cls, type: str, index: int | None = None):  # noqa: A002 - PyTorch's names
        name = str(type).lower()
        if index is not None:
            name = f"{name}:{index}"
        if name not in _ALIASES:
            raise ValueError(f"unknown device {type!r}; expected 'cpu' or 'cuda' (minigrad uses "
                             "one GPU, 'cuda:0')")
        return super().__new__(cls, _ALIASES[name])

    @property
    def type(self) -> str:
        return str.__str__(self)

    @property
    def index(self) -> int | None:
        return 0 if self == "cuda" else None

    def __repr__(self) -> str:
        return f"device(type='{self.type}')"


CPU, CUDA = device("cpu"), device("cuda")
BY_NAME = {"cpu": CPU, "cuda": CUDA}
