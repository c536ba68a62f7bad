"""Scalar autograd: micrograd-style `Value` graphs, small nets of them, and the `Tape` compiler.

`Tape` (and with it Numba) is imported on first use, so ``import minigrad`` stays fast.
"""

from minigrad.scalar.nn import MLP, Layer, Module, Neuron
from minigrad.scalar.value import Value, topological_order

__all__ = ["Value", "topological_order", "Module", "Neuron", "Layer", "MLP", "Tape",
           "TapeResult"]


def __getattr__(name: str):
    # Lazy attribute (PEP 562): the tape module is loaded only when Tape is first asked for.
    if name in ("Tape", "TapeResult"):
        from minigrad.scalar import tape

        return getattr(tape, name)
    raise AttributeError(f"module 'minigrad.scalar' has no attribute {name!r}")
