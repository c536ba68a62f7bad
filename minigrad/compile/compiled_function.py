"""``CompiledFunction``: the object ``minigrad.compile(fn)`` returns.

On each call it looks up the **signature** of the arguments (shapes, dtypes, devices,
``requires_grad``, Python values, grad mode, and the train/eval mode and parameter identity of
the modules the step uses). The first calls with a new signature run eagerly under the
recorder; as soon as two consecutive traces agree (the very first call may differ: optimizer
state is created lazily, ``.grad`` starts as None), the plan is frozen and later calls replay
it. A step whose traces keep changing, or that reads values into Python, runs eagerly from
then on, after one warning saying why.
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections import OrderedDict
from typing import Any

import numpy as np

from minigrad.autograd import engine
from minigrad.autograd.grad_mode import _GradMode
from minigrad.compile.guard import make_guard
from minigrad.compile.planner import Plan, make_plan
from minigrad.compile.recorder import Recorder
from minigrad.compile.replay import Program
from minigrad.tensor import Tensor

# At most this many traces per signature before giving up on a step that keeps changing.
_MAX_TRACES = 3

_tracing = [False]  # a compiled step called while another one traces runs inline


class _Entry:
    """What the cache knows about one signature."""

    def __init__(self) -> None:
        self.traces = 0
        self.last_plan: Plan | None = None
        self.program: Program | None = None
        self.eager_reason: str | None = None
        self.trace_seconds: float = 0.0


class CompiledFunction:
    """``fn`` traced once per input signature and replayed (see ``minigrad.compile``)."""

    def __init__(self, fn, *, cache_size: int = 8, fuse: bool = True) -> None:
        if not callable(fn):
            raise TypeError(f"minigrad.compile expects a function, got {type(fn).__name__}")
        if cache_size < 1:
            raise ValueError(f"cache_size must be at least 1, got {cache_size}")
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.cache_size = cache_size
        self.fuse = fuse
        self._cache: OrderedDict[tuple, _Entry] = OrderedDict()
        self._owners = _find_owners(fn)
        self._last_entry: _Entry | None = None
        self._fast: tuple | None = None  # (signature, entry, guard) of the last replay

    # --- calling -------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        if _tracing[0]:
            return self.fn(*args, **kwargs)
        arrays: list = []
        signature = (_signature((args, kwargs), arrays), _GradMode.enabled)
        # The fast path: the signature of the last replayed call, and a guard saying the
        # model and optimizer are unchanged (see guard.py), instead of the full cache key.
        fast = self._fast
        if fast is not None and fast[0] == signature and fast[2]():
            return self._replay(fast[1].program, arrays)
        self._fast = None
        key = (*signature, self._owner_state())
        entry = self._cache.get(key)
        if entry is None:
            entry = self._cache[key] = _Entry()
            if len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        self._last_entry = entry
        if entry.program is not None:
            self._fast = (signature, entry,
                          make_guard(self._owners.modules, self._owners.optimizers))
            return self._replay(entry.program, arrays)
        if entry.eager_reason is not None:
            return self.fn(*args, **kwargs)
        return self._trace(entry, args, kwargs, arrays)

    def _replay(self, program: Program, arrays: list):
        return _build_outputs(program.plan.outputs, program.run(arrays))

    def _trace(self, entry: _Entry, args, kwargs, arrays: list):
        import time

        start = time.perf_counter()
        recorder = Recorder()
        for position, array in enumerate(arrays):
            device = "cpu" if isinstance(array, np.ndarray) else "cuda"
            recorder.add_input(array, device, position)
        _tracing[0] = True
        handing_over = engine.hand_over_fresh_gradients
        engine.hand_over_fresh_gradients = False  # each gradient's copy into .grad is traced
        try:
            with recorder:
                result = self.fn(*args, **kwargs)
        finally:
            _tracing[0] = False
            engine.hand_over_fresh_gradients = handing_over
        trace = recorder.trace
        outputs = _output_template(result, recorder, trace)
        detached = _detach(result)
        del result, recorder
        entry.traces += 1
        if trace.unreplayable is not None:
            self._give_up(entry, trace.unreplayable)
            return detached
        previous_escaping = {} if entry.last_plan is None else entry.last_plan.escaping
        plan = make_plan(trace, outputs, previous_escaping)
        if plan.problem is not None:
            self._give_up(entry, plan.problem)
            return detached
        self._owners.update_from(plan)
        if entry.last_plan is not None and plan.key() == entry.last_plan.key():
            fused = None
            if self.fuse:
                from minigrad.compile.fusion import fuse_plan

                fused = fuse_plan(plan)
            entry.program = Program(plan, self._owners.grad_bindings(plan), fused)
            entry.last_plan = None
        elif entry.traces >= _MAX_TRACES:
            self._give_up(entry, "the step does different work on every call (a Python "
                                 "number it uses changes, or its operations do)")
        else:
            entry.last_plan = plan
        entry.trace_seconds += time.perf_counter() - start
        return detached

    def _give_up(self, entry: _Entry, reason: str) -> None:
        entry.eager_reason = reason
        entry.last_plan = None
        warnings.warn(f"minigrad.compile({self.__name__}): running eagerly, because {reason}",
                      RuntimeWarning, stacklevel=4)

    # --- the cache key's view of the model -----------------------------------------------
    def _owner_state(self) -> tuple:
        return self._owners.state()

    # --- looking inside ------------------------------------------------------------------
    @property
    def program(self) -> Program | None:
        """The program of the most recent signature (None until it has been planned)."""
        return None if self._last_entry is None else self._last_entry.program

    @property
    def trace_seconds(self) -> float:
        """Time spent tracing and planning the most recent signature."""
        return 0.0 if self._last_entry is None else self._last_entry.trace_seconds

    @property
    def eager_reason(self) -> str | None:
        """Why the most recent signature runs eagerly (None when it is compiled)."""
        return None if self._last_entry is None else self._last_entry.eager_reason

    def explain(self, file=None) -> str:
        """Print (and return) the captured program: kernels, fused groups, buffers, arena."""
        from minigrad.compile.explain import explain_text

        text = explain_text(self)
        print(text, file=file)
        return text

    def graph(self):
        """The program as a graph model (``nodes``, ``edges``) for drawing."""
        from minigrad.compile.graph import program_graph

        return program_graph(self._require_program())

    def to_dot(self, digraph_class=None):
        """The program as a ``graphviz.Digraph`` (``minigrad.viz.draw(step)`` draws the same
        with inline display in notebooks)."""
        from minigrad.compile.graph import to_dot

        return to_dot(self.graph(), digraph_class)

    def _require_program(self) -> Program:
        if self.program is None:
            reason = self.eager_reason or "it has not been called often enough to be planned " \
                                           "(the first two calls trace it)"
            raise RuntimeError(f"{self.__name__} has no compiled program: {reason}")
        return self.program

    def __repr__(self) -> str:
        return f"<compiled {self.__name__}: {len(self._cache)} signature(s)>"


# --- signatures ---------------------------------------------------------------------------
def _signature(value, arrays: list):
    """A hashable description of the arguments; their arrays are appended to ``arrays``."""
    if isinstance(value, Tensor):
        arrays.append(value._data)
        return ("tensor", value.shape, value.dtype.name, value.device, value.requires_grad)
    if isinstance(value, np.ndarray):
        arrays.append(value)
        return ("array", value.shape, str(value.dtype))
    if isinstance(value, tuple | list):
        return (type(value).__name__, *(_signature(item, arrays) for item in value))
    if isinstance(value, dict):
        return ("dict", *((key, _signature(item, arrays)) for key, item in value.items()))
    if value is None or isinstance(value, bool | int | float | str):
        return (type(value).__name__, value)
    return ("object", id(value))


def _output_template(result, recorder: Recorder, trace) -> Any:
    """The return value with each tensor replaced by ("tensor", slot, device)."""
    if isinstance(result, Tensor):
        slot = recorder._slot_of.get(id(result._data))
        if slot is None:
            recorder.mark_unreplayable("it returns a tensor that it did not compute")
            trace.unreplayable = recorder.trace.unreplayable
            return None
        return ("tensor", slot, result.device)
    if isinstance(result, tuple | list):
        return type(result)(_output_template(item, recorder, trace) for item in result)
    if isinstance(result, dict):
        return {key: _output_template(item, recorder, trace) for key, item in result.items()}
    return result


def _detach(result):
    if isinstance(result, Tensor):
        return result.detach()
    if isinstance(result, tuple | list):
        return type(result)(_detach(item) for item in result)
    if isinstance(result, dict):
        return {key: _detach(item) for key, item in result.items()}
    return result


def _build_outputs(template, env: list):
    if isinstance(template, tuple) and len(template) == 3 and template[0] == "tensor":
        _, slot, device = template
        from minigrad.backend import get_backend

        return Tensor._from_array(get_backend(device).copy(env[slot]), device)
    if isinstance(template, tuple | list):
        return type(template)(_build_outputs(item, env) for item in template)
    if isinstance(template, dict):
        return {key: _build_outputs(item, env) for key, item in template.items()}
    return template


# --- the modules and optimizers a step uses -----------------------------------------------
class _Owners:
    """The modules and optimizers a step touches: their parameters' identity and train/eval
    mode are part of the cache key, and replay re-attaches their gradients."""

    def __init__(self, modules: list, optimizers: list) -> None:
        self.modules = modules
        self.optimizers = optimizers

    def update_from(self, plan: Plan) -> None:
        from minigrad.optim.optimizer import Optimizer

        for event in plan.events:
            owner = getattr(event, "owner", None)
            if isinstance(owner, Optimizer) and all(owner is not o for o in self.optimizers):
                self.optimizers.append(owner)

    def parameters(self):
        for module in self.modules:
            yield from module.parameters()
        for optimizer in self.optimizers:
            for group in optimizer.param_groups:
                yield from group["params"]

    def state(self) -> tuple:
        """Changes when a parameter is added, replaced or given new storage, a module
        switches between train() and eval(), or an optimizer's state is replaced. (A plain
        loop over the module tree: this runs on every call.)"""
        parts: list = []
        stack = list(self.modules)
        while stack:
            module = stack.pop()
            parts.append(module.training)
            for registry in (module._parameters, module._buffers):
                for tensor in registry.values():
                    parts.append(id(tensor))
                    if tensor is not None:
                        parts.append(id(tensor._data))
            stack.extend(child for child in module._modules.values() if child is not None)
        for optimizer in self.optimizers:
            for group in optimizer.param_groups:
                parts.extend(map(id, group["params"]))
            # A program updates the optimizer's state arrays in place: a state loaded with
            # load_state_dict (new dicts, new tensors) must be traced again.
            parts.append(id(optimizer.state))
            for state in optimizer.state.values():
                parts.append(id(state))
                parts.extend(id(value._data) for value in state.values()
                             if isinstance(value, Tensor))
        return tuple(parts)

    def grad_bindings(self, plan: Plan) -> list:
        escaping = {id(array) for array in plan.escaping.values()}
        bindings, seen = [], set()
        for param in self.parameters():
            grad = param.grad
            if grad is not None and id(grad._data) in escaping and id(param) not in seen:
                seen.add(id(param))
                bindings.append((param, grad))
        return bindings


def _find_owners(fn) -> _Owners:
    """Modules and optimizers reachable from ``fn``: its ``self``, the variables it closes
    over and the globals it names."""
    from minigrad.nn.module import Module
    from minigrad.optim.optimizer import Optimizer

    candidates: list = []
    bound_self = getattr(fn, "__self__", None)
    if bound_self is not None:
        candidates.append(bound_self)
    function = inspect.unwrap(getattr(fn, "__func__", fn))
    code = getattr(function, "__code__", None)
    if code is not None:
        for cell in getattr(function, "__closure__", None) or ():
            try:
                candidates.append(cell.cell_contents)
            except ValueError:  # an empty cell
                continue
        namespace = getattr(function, "__globals__", {})
        candidates.extend(namespace[name] for name in code.co_names if name in namespace)
    modules = [c for c in candidates if isinstance(c, Module)]
    optimizers = [c for c in candidates if isinstance(c, Optimizer)]
    return _Owners(modules, optimizers)
