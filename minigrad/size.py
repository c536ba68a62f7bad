"""``minigrad.Size``: the shape of a tensor, a tuple of ints (like ``torch.Size``)."""

from __future__ import annotations


class Size(tuple):
    """What ``x.shape`` and ``x.size()`` return: a tuple, so it compares equal to
    ``(2, 3)``, unpacks and indexes like one. Its repr is ``minigrad.Size([2, 3])``; its
    str, used in error messages, is ``(2, 3)``."""

    __slots__ = ()

    def numel(self) -> int:
        """The number of elements a tensor of this shape holds (1 for ``Size([])``)."""
        count = 1
        for size in self:
            count *= size
        return count

    def __repr__(self) -> str:
        return f"minigrad.Size({list(self)})"

    def __str__(self) -> str:
        # Error messages format shapes with f"{shape}": keep them reading "(2, 3)".
        return tuple.__repr__(self)

    def __getitem__(self, index):
        item = tuple.__getitem__(self, index)
        return Size(item) if isinstance(index, slice) else item
