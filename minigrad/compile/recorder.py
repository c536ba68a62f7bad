"""Stage 1, **trace**: run the step eagerly once while every backend call is written down.

The recorder sits at the backend boundary, the one place every tensor op passes through
(``ops/`` never touches arrays itself). While a trace runs, each backend object gets
*instance* attributes that shadow its methods with recording wrappers; when the trace ends
they are deleted and the class methods are visible again. Nothing is checked on the normal
path: eager code pays nothing for the existence of the recorder.

Each call is logged with the arrays it read and returned. An array is named by a **slot**
(its position in the trace's list of buffers) and remembers where it came from:

- ``input``: the storage of a Tensor argument of the step (new data each call);
- ``produced``: returned by a recorded call;
- ``random``: numbers drawn from minigrad's generator (redrawn on every replay);
- ``external``: anything else the step read: parameters, optimizer state, BatchNorm
  statistics, or constants made in Python (``x * 2`` makes a 0-d array of 2). Which of
  those it is, the planner decides after the call by whether the array outlived it.

Three things are not backend calls, and the recorder watches for them too:

- ``Optimizer.step`` and ``LRScheduler.step`` keep Python state (step counts, learning
  rates) that changes every call. They are recorded as **host calls**. A scheduler's (or
  an unknown optimizer's) runs for real on every replay. A built-in optimizer's step is
  recorded down to its kernels, each marked with the parameter it updates, together with
  the numbers the step used; optimizer_scalars.py turns those into per-call arguments.
- ``to_numpy`` called by the user's own code (``.item()``, ``bool(t)``, ``.numpy()``) means
  Python decides something from the values: the trace is marked unreplayable.
- Draws from minigrad's random generator are marked, so that replay draws fresh numbers.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

import minigrad
from minigrad import random as minigrad_random
from minigrad.backend import _BACKENDS, Backend

# Source files whose frames are "the library" for the guard that tells a user's .item()
# from minigrad's own input checks.
_PACKAGE_DIR = os.path.dirname(os.path.abspath(minigrad.__file__))
# Frames in these files only pass a read on to Python (t.numpy(), print(t)): the read
# belongs to whoever called them.
_READ_FILES = (os.path.join(_PACKAGE_DIR, "tensor.py"), os.path.join(_PACKAGE_DIR, "printing.py"))
_COMPILE_DIR = os.path.dirname(os.path.abspath(__file__))


@dataclass(frozen=True)
class SlotRef:
    """Stands for one traced array inside a recorded call's arguments."""

    slot: int


@dataclass
class SlotInfo:
    """What the trace knows about one array."""

    origin: str  # "input", "produced", "random", "external"
    shape: tuple[int, ...]
    dtype: Any
    device: str
    detail: Any = None  # input position, (call index, output index), draw spec, ...
    snapshot: np.ndarray | None = None  # value of an external array when first read


@dataclass
class KernelCall:
    """One backend method call: ``outputs = backend.method(*args)``."""

    device: str
    method: str
    args: tuple  # arrays replaced by SlotRef, nested in tuples/lists as passed
    kwargs: dict
    outputs: tuple[int, ...]  # slots of the returned arrays
    output_structure: str  # "none", "array" or "tuple"
    writes: tuple[int, ...] = ()  # slots written in place (assign, add_scaled_)
    host: Any = None  # the optimizer step (HostCall) this call is part of, if any
    update: int = 0  # which of that step's parameter updates it belongs to


@dataclass(eq=False)
class HostCall:
    """A Python-side update (optimizer or scheduler step).

    A scheduler's ``step()`` (and an optimizer the compiler does not know) runs for real on
    every replay. An optimizer step of a known class is recorded down to its kernels:
    ``updates`` lists its ``(parameter, param_group)`` updates in order, the kernel calls
    after it carry ``host`` = this event, and replay recomputes only its Python numbers
    (``scalars``, see optimizer_scalars.py)."""

    owner: Any
    method: str
    updates: list | None = None
    numbers: list = field(default_factory=list)  # per update: the step's numbers, by name
    scalars: list = field(default_factory=list)


@dataclass
class RandomDraw:
    """``generator().<method>(*args, **kwargs).astype(dtype)``, moved to the device.

    ``source`` is the ``generator=`` the step passed (a ``minigrad.Generator`` or a numpy
    Generator), None for minigrad's own stream. A replay draws from the stream ``source``
    holds at that moment, so a ``manual_seed`` between calls is seen, as in eager code."""

    method: str
    args: tuple
    kwargs: dict
    source: object = None


@dataclass
class Trace:
    """Everything one eager run of the step did at the backend boundary."""

    events: list = field(default_factory=list)
    slots: list[SlotInfo] = field(default_factory=list)
    arrays: list = field(default_factory=list)  # the traced array of each slot (dropped later)
    unreplayable: str | None = None  # why the step must run eagerly, if it must


# Methods that write into their first argument instead of (or besides) returning a result.
_IN_PLACE = {"assign": 0, "add_scaled_": 0}


def _is_array(value) -> bool:
    # numpy scalars count: numpy returns them for some 0-d results (a 0-d / 0-d division).
    if isinstance(value, np.ndarray | np.generic):
        return True
    # A Numba device array (or the CUDA simulator's stand-in for one).
    return hasattr(value, "copy_to_host") and hasattr(value, "shape")


class _Draw(np.ndarray):
    """A numpy array drawn from minigrad's generator, marked so that the recorder can tell
    random numbers from constants when they reach ``from_numpy``. ``astype`` keeps the
    mark (numpy keeps subclasses), so ``rand(...)``'s ``.astype(float32)`` still counts."""

    def __array_finalize__(self, source) -> None:
        self.draw_number = getattr(source, "draw_number", None)


class _RecordingGenerator:
    """Wraps minigrad's numpy Generator during a trace; every draw is numbered."""

    _DRAWS = ("random", "standard_normal", "normal", "uniform", "integers")

    def __init__(self, generator: np.random.Generator, recorder: Recorder,
                 source=None) -> None:
        self._generator = generator
        self._recorder = recorder
        self._source = source  # the user's generator= (None: minigrad's own stream)

    def __getattr__(self, name: str):
        attribute = getattr(self._generator, name)
        if name not in self._DRAWS:
            return attribute

        def draw(*args, **kwargs):
            values = np.asarray(attribute(*args, **kwargs))
            number = len(self._recorder.draws)
            self._recorder.draws.append(
                (RandomDraw(name, args, kwargs, self._source), values))
            marked = values.view(_Draw)
            marked.draw_number = number
            return marked

        return draw


class Recorder:
    """Installs the recording hooks for the duration of one eager run of a step."""

    def __init__(self) -> None:
        self.trace = Trace()
        self.draws: list[tuple[RandomDraw, np.ndarray]] = []
        self._draws_used = 0
        self._slot_of: dict[int, int] = {}
        self._depth = 0  # > 0 while a recorded call (or a host call) is running
        self._saved_generator = None
        self._saved_host_methods: list[tuple[type, str, Any]] = []
        self._host_event: HostCall | None = None  # the optimizer step being recorded

    # --- slots ---------------------------------------------------------------------------
    def _new_slot(self, array, origin: str, device: str, detail=None) -> int:
        slot = len(self.trace.slots)
        self.trace.slots.append(SlotInfo(origin, tuple(array.shape), array.dtype, device, detail))
        self.trace.arrays.append(array)
        self._slot_of[id(array)] = slot
        return slot

    def _existing_slot(self, array) -> int | None:
        """The slot of ``array`` when a method hands back an array it was given (``to_numpy``
        and ``from_numpy`` on the CPU return their argument)."""
        slot = self._slot_of.get(id(array))
        if slot is not None and self.trace.arrays[slot] is array:
            return slot
        return None

    def add_input(self, array, device: str, position: int) -> None:
        if id(array) not in self._slot_of:
            self._new_slot(array, "input", device, position)

    def _reference(self, value, device: str):
        """``value`` with every array replaced by its SlotRef (new arrays become slots)."""
        if isinstance(value, tuple | list):
            return type(value)(self._reference(item, device) for item in value)
        if not _is_array(value):
            return value
        slot = self._slot_of.get(id(value))
        if slot is None:
            slot = self._new_slot(value, "external", device)
            info = self.trace.slots[slot]
            if isinstance(value, np.ndarray | np.generic):
                info.snapshot = np.array(value, copy=True)
            else:
                info.snapshot = value.copy_to_host()
        return SlotRef(slot)

    # --- the backend hook ----------------------------------------------------------------
    def _recording(self, backend: Backend, name: str):
        method = getattr(type(backend), name).__get__(backend)

        def record(*args, **kwargs):
            if self._depth:  # a call made by another backend method, or by a host call
                return method(*args, **kwargs)
            if name == "to_numpy":
                self._check_host_read()
            if name == "from_numpy" and isinstance(args[0], _Draw):
                return self._record_random(backend, method, args[0])
            self._depth += 1
            try:
                result = method(*args, **kwargs)
            finally:
                self._depth -= 1
            self._log(backend.name, name, args, kwargs, result)
            return result

        return record

    def _log(self, device: str, name: str, args, kwargs, result) -> None:
        arguments = self._reference(args, device)
        keywords = {key: self._reference(value, device) for key, value in kwargs.items()}
        call_index = len(self.trace.events)
        if result is None:
            structure, returned = "none", ()
        elif isinstance(result, tuple):
            structure, returned = "tuple", result
        else:
            structure, returned = "array", (result,)
        outputs = tuple(
            self._existing_slot(array)
            if self._existing_slot(array) is not None
            else self._new_slot(array, "produced", device, (call_index, position))
            for position, array in enumerate(returned)
        )
        writes = ()
        if name in _IN_PLACE:
            writes = (arguments[_IN_PLACE[name]].slot,)
        host = self._host_event
        update = len(host.updates) - 1 if host is not None else 0
        self.trace.events.append(
            KernelCall(device, name, arguments, keywords, outputs, structure, writes, host,
                       update)
        )

    def _record_random(self, backend: Backend, from_numpy, values: _Draw):
        number = values.draw_number
        spec, drawn = self.draws[number]
        plain = np.asarray(values).view(np.ndarray)
        if number != self._draws_used or not np.array_equal(plain, drawn.astype(plain.dtype)):
            self.mark_unreplayable(
                "random numbers were changed or reordered in Python before reaching a "
                "tensor, so a replay could not redraw them"
            )
        self._draws_used = number + 1
        self._depth += 1
        try:
            result = from_numpy(np.array(plain))
        finally:
            self._depth -= 1
        call = RandomDraw(spec.method, spec.args, spec.kwargs, spec.source)
        slot = self._new_slot(result, "random", backend.name, (call, plain.dtype))
        self.trace.events.append(
            KernelCall(backend.name, "random", (call, plain.dtype), {}, (slot,), "array")
        )
        return result

    def _check_host_read(self) -> None:
        """Values leaving for Python: fine inside minigrad's own input checks, but when the
        user's step reads them (``.item()``, ``bool(t)``, ``.numpy()``), Python may branch on
        them, and a replay would silently take the traced branch."""
        frame = sys._getframe(2)
        while frame is not None:
            filename = os.path.abspath(frame.f_code.co_filename)
            if filename in _READ_FILES or filename.startswith(_COMPILE_DIR):
                frame = frame.f_back
                continue
            if filename.startswith(_PACKAGE_DIR):
                return  # minigrad library code (a loss validating its targets, ...)
            where = f"{os.path.basename(filename)}:{frame.f_lineno}"
            self.mark_unreplayable(
                f"the step reads tensor values into Python ({where}: .item(), bool(tensor), "
                ".numpy() or printing), so its work may depend on the data"
            )
            return

    def mark_unreplayable(self, reason: str) -> None:
        if self.trace.unreplayable is None:
            self.trace.unreplayable = reason

    # --- host calls ----------------------------------------------------------------------
    def _host(self, cls: type, name: str):
        original = cls.__dict__[name]

        def host_call(owner, *args, **kwargs):
            if self._depth or self._host_event is not None:
                return original(owner, *args, **kwargs)
            if args or kwargs:
                self.mark_unreplayable(f"{type(owner).__name__}.{name} was called with "
                                       "arguments (a closure), which replay cannot repeat")
            event = HostCall(owner, name)
            self.trace.events.append(event)
            if _kernelizable(owner) and not args and not kwargs:
                return self._record_update_kernels(event, original)
            self._depth += 1
            try:
                return original(owner, *args, **kwargs)
            finally:
                self._depth -= 1

        return host_call

    def _record_update_kernels(self, event: HostCall, step):
        """Run ``optimizer.step()`` with its kernels recorded, noting which parameter each
        one updates (the optimizer's ``_update`` is wrapped for the duration)."""
        optimizer = event.owner
        event.updates = []
        update_one = optimizer._update

        def update(param, grad, state, group):
            event.updates.append((param, group))
            return update_one(param, grad, state, group)

        optimizer._update = update  # an instance attribute shadows the method
        # One parameter at a time, even where eager code updates a whole group in one
        # multi-tensor kernel: the replay fuses each parameter's update itself.
        from minigrad.optim.optimizer import Optimizer

        optimizer._update_group = partial(Optimizer._update_group, optimizer)
        self._host_event = event
        try:
            result = step(optimizer)
        finally:
            self._host_event = None
            del optimizer._update
            del optimizer._update_group
        # The numbers this step used (code after it, a scheduler, may change them).
        from minigrad.compile.optimizer_scalars import rule_for

        rule, _ = rule_for(optimizer)
        event.numbers = [rule(group, optimizer.state[param]) for param, group in event.updates]
        return result

    # --- installing and removing ---------------------------------------------------------
    def __enter__(self) -> Recorder:
        from minigrad.optim.lr_scheduler import LRScheduler
        from minigrad.optim.optimizer import Optimizer

        for backend in _BACKENDS.values():
            for name in _backend_methods(backend):
                setattr(backend, name, self._recording(backend, name))
        for cls in (Optimizer, LRScheduler):
            self._saved_host_methods.append((cls, "step", cls.__dict__["step"]))
            cls.step = self._host(cls, "step")
        self._saved_generator = minigrad_random._generator
        minigrad_random._generator = _RecordingGenerator(self._saved_generator, self)
        # Draws with generator=g reach numpy through random.numpy_generator: recorded too.
        self._saved_numpy_generator = minigrad_random.numpy_generator
        minigrad_random.numpy_generator = self._recording_numpy_generator
        return self

    def _recording_numpy_generator(self, generator, where: str):
        stream = self._saved_numpy_generator(generator, where)
        return stream if generator is None else _RecordingGenerator(stream, self, generator)

    def __exit__(self, *exc_info) -> None:
        for backend in _BACKENDS.values():
            for name in _backend_methods(backend):
                backend.__dict__.pop(name, None)
        for cls, name, original in self._saved_host_methods:
            setattr(cls, name, original)
        if isinstance(minigrad_random._generator, _RecordingGenerator):
            minigrad_random._generator = self._saved_generator
        minigrad_random.numpy_generator = self._saved_numpy_generator
        if self._draws_used != len(self.draws):
            self.mark_unreplayable(
                "the step drew random numbers that never reached a tensor, so a replay "
                "could not repeat how it uses the generator"
            )


def _kernelizable(owner) -> bool:
    """An optimizer of a known class whose parameters are all on the CPU: its step is
    recorded as kernels (see optimizer_scalars.py); anything else runs in Python."""
    from minigrad.compile.optimizer_scalars import rule_for

    if rule_for(owner) is None or "_update" in vars(owner):
        return False
    return all(param.device == "cpu" for group in owner.param_groups
               for param in group["params"])


# Backend methods that answer a question about arrays (no kernel runs, no array is made):
# they run as they are while tracing.
_QUERIES = frozenset({"shares_memory"})


def _backend_methods(backend: Backend) -> list[str]:
    """Every public kernel method of the backend's class (the whole kernel interface)."""
    return [name for name in dir(type(backend))
            if not name.startswith("_") and name not in _QUERIES
            and callable(getattr(type(backend), name))]
