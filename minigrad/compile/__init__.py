"""``minigrad.compile``: capture a training step once, replay it without Python overhead.

Small models spend more time creating tensors and graph nodes than doing arithmetic. A
compiled step pays that price once, while it is traced, and then replays only the kernels::

    @minigrad.compile
    def train_step(x, y):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

The pipeline, one module per stage (docs/compile.md walks through it):

1. ``recorder``: **trace** — run the step eagerly while every backend call is logged;
2. ``planner``: **plan** — give every array a home (the user's storage, a constant, or an
   arena slot by lifetime);
3. ``fusion``: **fuse** — runs of elementwise kernels become one generated Numba kernel;
4. ``replay``: **replay** — the plan written out as one Python function, a line per
   kernel, run on new inputs.

``optimizer_scalars`` lets optimizer steps replay as kernels: it recomputes the Python
numbers (learning rate, bias corrections) they are driven by.

``explain()`` prints the program and ``graph()`` / ``to_dot()`` draw it.
"""

from __future__ import annotations

from collections.abc import Callable

from minigrad.compile.compiled_function import CompiledFunction


def compile(fn: Callable | None = None, *, cache_size: int = 8,  # noqa: A001 - PyTorch's name
            fuse: bool = True):
    """Trace ``fn`` once per input signature and replay it (also usable as a decorator, with
    or without arguments: ``@minigrad.compile`` or ``@minigrad.compile(fuse=False)``).

    Args:
        fn: the step: any function of tensors that uses minigrad ops, ``backward`` and
            optimizers. Its results come back detached from the graph.
        cache_size: how many input signatures keep a compiled program (oldest dropped).
        fuse: generate one Numba kernel per run of elementwise operations.

    Python code inside ``fn`` runs only while tracing. Scheduler ``step()`` calls are the
    exception: they run on every call. The built-in optimizers' ``step()`` replays as
    kernels, with the learning rate and step counts recomputed from the optimizer on every
    call (other optimizers run their ``step()`` in Python on every call). A step that reads
    tensor values into Python (``.item()``, ``bool(t)``, ``.numpy()``) runs eagerly, with
    one warning.
    """
    if fn is None:
        return lambda function: CompiledFunction(function, cache_size=cache_size, fuse=fuse)
    return CompiledFunction(fn, cache_size=cache_size, fuse=fuse)


__all__ = ["compile", "CompiledFunction"]
