"""Switching graph recording on and off: ``no_grad``, ``enable_grad``, ``set_grad_enabled``,
``inference_mode``.

The switch is per thread, as in PyTorch: a ``no_grad`` block in one thread (say, evaluation)
does not stop another thread from recording its graph, and the engine turns recording off for
its backward pass only in the thread that runs it.
"""

from __future__ import annotations

import functools
import threading


class GradState:
    """One thread's switches, read by ``Function.apply`` on every op.

    ``module_stack`` (the nn.Modules being called, see ``function.module_scope``) lives here
    too, so that ``apply`` finds everything per-thread with one lookup. A plain object with
    slots: reading and writing its attributes costs a few instructions, where every
    attribute access on a ``threading.local`` first finds the thread's own dict.
    """

    __slots__ = ("enabled", "inference", "module_stack")

    def __init__(self) -> None:
        self.enabled = True
        self.inference = False
        self.module_stack: tuple = ()


class _ThreadGradMode(threading.local):
    """Holds each thread's ``GradState`` in ``state``: ``threading.local`` runs ``__init__``
    once in every thread that reads it, so each thread starts with recording on.

    ``_GradMode.enabled`` reads and writes the thread's switch too, for code outside the hot
    path (``apply`` and the engine fetch ``state`` once and use it directly)."""

    def __init__(self) -> None:
        self.state = GradState()

    @property
    def enabled(self) -> bool:
        return self.state.enabled

    @enabled.setter
    def enabled(self, value: bool) -> None:
        self.state.enabled = value


_GradMode = _ThreadGradMode()


def is_grad_enabled() -> bool:
    """True when ops in this thread record the graph that ``backward`` will walk."""
    return _GradMode.enabled


def is_inference_mode_enabled() -> bool:
    """True inside an ``inference_mode()`` block of this thread."""
    return _GradMode.state.inference


class _SetGradMode:
    """A context manager and decorator that sets this thread's grad mode and restores it on
    exit. One object may be entered several times, also nested: it keeps a stack."""

    def __init__(self, enabled: bool) -> None:
        self._enabled = bool(enabled)
        self._previous: list[tuple[bool, bool]] = []

    def _inference(self) -> bool:
        return _GradMode.state.inference

    def __enter__(self) -> None:
        state = _GradMode.state
        self._previous.append((state.enabled, state.inference))
        state.enabled = self._enabled
        state.inference = self._inference()

    def __exit__(self, *exc_info) -> None:
        state = _GradMode.state
        state.enabled, state.inference = self._previous.pop()

    def _fresh(self) -> _SetGradMode:
        """A new manager with the same setting (each decorated call gets its own)."""
        return type(self)()

    def __call__(self, function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with self._fresh():
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


class set_grad_enabled(_SetGradMode):  # noqa: N801 - PyTorch's name
    """Turn recording on or off, as PyTorch does: called as a function it takes effect at
    once (``minigrad.set_grad_enabled(False)``); used in ``with`` it also restores the
    previous mode on exit."""

    def __init__(self, mode: bool) -> None:
        super().__init__(mode)
        # PyTorch's set_grad_enabled switches when it is created, so that the plain call
        # works; ``__enter__`` below then remembers the mode that was active before it.
        state = _GradMode.state
        self._before_creation = (state.enabled, state.inference)
        state.enabled = self._enabled

    def __enter__(self) -> None:
        self._previous.append(self._before_creation)
        _GradMode.state.enabled = self._enabled

    def __call__(self, function):
        # As a decorator it must not change the mode of the code that decorates.
        state = _GradMode.state
        state.enabled, state.inference = self._before_creation
        return super().__call__(function)

    def _fresh(self) -> _SetGradMode:
        return _DeferredSetGradMode(self._enabled)


class _DeferredSetGradMode(_SetGradMode):
    """``set_grad_enabled(mode)`` used as a decorator: switches on each call, not when the
    function is decorated."""

    def _fresh(self) -> _SetGradMode:
        return _DeferredSetGradMode(self._enabled)


class inference_mode(_SetGradMode):  # noqa: N801 - PyTorch's name
    """``no_grad`` for pure evaluation: nothing is recorded (``mode=False`` records again).

    PyTorch also marks the tensors made inside as inference tensors that autograd refuses
    later; minigrad does not track that, so here the block behaves exactly like ``no_grad``.
    """

    def __init__(self, mode: bool = True) -> None:
        super().__init__(not mode)
        self._mode = bool(mode)

    def _inference(self) -> bool:
        return self._mode

    def _fresh(self) -> _SetGradMode:
        return inference_mode(self._mode)
