"""Switching graph recording on and off (``no_grad``, ``enable_grad``)."""

from __future__ import annotations

import functools


class _GradMode:
    """Process-wide switch read by ``Function.apply`` on every op."""

    enabled = True


def is_grad_enabled() -> bool:
    """True when ops record the graph that ``backward`` will walk."""
    return _GradMode.enabled


class _SetGradMode:
    """A context manager and decorator that sets the grad mode and restores it on exit."""

    def __init__(self, enabled: bool) -> None:
        self._enabled = enabled
        self._previous: list[bool] = []

    def __enter__(self) -> None:
        self._previous.append(_GradMode.enabled)
        _GradMode.enabled = self._enabled

    def __exit__(self, *exc_info) -> None:
        _GradMode.enabled = self._previous.pop()

    def __call__(self, function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with type(self)():
                return function(*args, **kwargs)

        return wrapper


class no_grad(_SetGradMode):  # noqa: N801 - PyTorch's name
    """Run ops without recording a graph: results have ``requires_grad=False``.

    Use it for evaluation and for optimizer updates::

        with minigrad.no_grad():
            prediction = model(x)
    """

    def __init__(self) -> None:
        super().__init__(False)


class enable_grad(_SetGradMode):  # noqa: N801 - PyTorch's name
    """Record the graph again inside a ``no_grad`` block."""

    def __init__(self) -> None:
        super().__init__(True)
