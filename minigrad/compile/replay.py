"""Stage 4, **replay**: run a planned program on new inputs.

The plan is turned into the source of one Python function, written once at plan time and
compiled with ``exec``. Every array is a local variable named after its slot (``t12`` a
temporary, ``user3`` your tensor's storage, ``in0`` an argument, ...), and every step is one
line::

    def replay(in0, in1):
        t4 = k0(in0, user2, user3, 'relu')         # a backend kernel
        t28 = arena28                              # a fused result's place in the arena
        fused15(t4, const25, t21, t28)             # a generated fused kernel
        ...
        assign(grad32, t23)                        # a gradient into your p.grad
        return {11: t11}

That is the least work Python can do per kernel: no list of closures to walk, no
environment to index, no arguments to rebuild; a temporary dies when the function returns.
The steps are:

- a **kernel** line calls one backend method (or one generated fused kernel);
- a **random** line draws fresh numbers from minigrad's generator, as eager code would;
- a **write-back** line copies a result that escapes the step (a gradient) into your
  storage, before Python code (a host call) or the caller looks at it. A fused kernel whose
  result escapes writes straight into your storage instead;
- a **host** line runs Python that must run on every call: the optimizer's scalars
  (learning rate, bias corrections) or a scheduler's ``step()``.

No Tensor and no graph node is made while the steps run: the graph was needed once, to find
out which kernels backward calls, and the trace remembers the answer. ``Program.source``
holds the generated function, for reading.
"""

from __future__ import annotations

import math

import numpy as np

from minigrad import random as minigrad_random
from minigrad.backend import get_backend
from minigrad.compile.optimizer_scalars import ScalarRef
from minigrad.compile.planner import Plan, slots_read
from minigrad.compile.recorder import HostCall, KernelCall, SlotRef


def _check_class_indices(logits, target, reduction="none") -> None:
    """The fused cross-entropy kernel indexes with the targets: on replay the loss's own
    Python check does not run, so the program checks the range itself (an index out of
    range would read outside the array). ``reduction`` is the kernel call's third argument,
    taken so that the check can be called with the call's own arguments; it is not read."""
    values = target if isinstance(target, np.ndarray) else target.copy_to_host()
    classes = logits.shape[1]
    if values.size and (values.min() < 0 or values.max() >= classes):
        raise ValueError(
            f"softmax_cross_entropy: target holds class indices outside 0..{classes - 1} (min "
            f"{values.min()}, max {values.max()})"
        )


_INDEX_CHECKS = {"softmax_cross_entropy": _check_class_indices}

# Values written into the generated source as they are; anything else becomes a name.
_LITERALS = (str, int, bool, float, type(None))


def slot_name(plan: Plan, slot: int) -> str:
    """The variable holding ``slot`` in the generated function (the letters of explain())."""
    role = "escaping" if slot in plan.escaping else plan.slot_role(slot)
    prefix = {"input": "in", "bound": "user", "carried": "user", "constant": "const",
              "escaping": "grad", "random": "rand", "produced": "t", "scalar": "scalar"}[role]
    return f"{prefix}{slot}"


def _random_draw(call: KernelCall):
    """Fresh numbers from minigrad's generator, made as the eager step makes them."""
    draw, dtype = call.args
    from_numpy = get_backend(call.device).from_numpy
    source = draw.source

    def draw_numbers():
        stream = minigrad_random.numpy_generator(source, "a compiled step")
        values = getattr(stream, draw.method)(*draw.args, **draw.kwargs)
        return from_numpy(np.asarray(values).astype(dtype))

    return draw_numbers


class _Source:
    """The generated function's lines and the namespace its names refer to."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.lines: list[str] = []
        self.indent = ""  # "    " inside an optimizer step replayed as kernels
        self.namespace: dict = {"asarray": np.asarray, "empty": np.empty}
        # consecutive fused updates of an optimizer step, not yet written: (index, step,
        # argument names) each; they become one kernel call (see ``flush_updates``)
        self.updates: list[tuple[int, object, list[str]]] = []
        self.updates_indent = ""

    def add(self, line: str) -> None:
        self.flush_updates()
        self.lines.append(self.indent + line)

    def flush_updates(self) -> None:
        """The optimizer's per-parameter fused kernels, run one after the other, as ONE
        generated kernel (``fusion.merged_kernel``): one Numba call instead of one per
        parameter, whose dispatch costs more than a tiny parameter's update."""
        updates, self.updates = self.updates, []
        indent = self.updates_indent
        if len(updates) == 1:
            index, step, arguments = updates[0]
            kernel = self.name(step.kernel, f"fused{index}")
            self.lines.append(f"{indent}{kernel}({', '.join(arguments)})")
        elif updates:
            from minigrad.compile.fusion import merged_kernel

            kernel = self.name(merged_kernel([step.group for _, step, _ in updates]),
                               f"fused{updates[0][0]}_to_{updates[-1][0]}")
            arguments = [name for _, _, names in updates for name in names]
            self.lines.append(f"{indent}{kernel}({', '.join(arguments)})")

    def method(self, device: str, method: str) -> str:
        """The name of a backend kernel (``matmul_cpu``: the same name for every call)."""
        name = f"{method}_{device}"
        if name not in self.namespace:
            backend = get_backend(device)
            self.namespace[name] = getattr(type(backend), method).__get__(backend)
        return name

    def name(self, value, hint: str) -> str:
        """A global name for ``value`` in the generated function."""
        name = hint
        number = 1
        while name in self.namespace and self.namespace[name] is not value:
            number += 1
            name = f"{hint}_{number}"
        self.namespace[name] = value
        return name

    def argument(self, value) -> str:
        """Source text for one (possibly nested) call argument."""
        if isinstance(value, SlotRef):
            return slot_name(self.plan, value.slot)
        if isinstance(value, ScalarRef):
            return f"scalar{value.number}"
        if isinstance(value, tuple | list):
            items = [self.argument(item) for item in value]
            if isinstance(value, list):
                return "[" + ", ".join(items) + "]"
            return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
        if type(value) in _LITERALS and (type(value) is not float or math.isfinite(value)):
            return repr(value)  # (repr gives a float back exactly)
        return self.name(value, "literal")


class Program:
    """A plan made executable: ``run(input_arrays)`` returns the step's output arrays by
    slot.

    ``fused_steps`` maps the first event of each fused group to ``(FusedStep, indices)``
    (see ``fusion.fuse_plan``); ``scalar_steps`` maps the event index of an optimizer step
    replayed as kernels to the function that recomputes its scalars (see ``host_scalars``).
    """

    def __init__(self, plan: Plan, grad_bindings: list, fused_steps: dict | None = None):
        self.plan = plan
        self.grad_bindings = grad_bindings
        # The Python that runs on every call: scheduler steps, optimizer steps not replayed
        # as kernels ("StepLR.step()"), and the numbers of those that are ("SGD numbers").
        self.python_calls = [
            f"{type(event.owner).__name__}." + (
                f"{event.method}()" if event.updates is None else "numbers")
            for event in plan.events if isinstance(event, HostCall)]
        fused_steps = fused_steps or {}
        self._deferred: dict[int, list[str]] = {}  # per optimizer step: copies it makes
        source = _Source(plan)
        self._source = source
        namespace = source.namespace
        # A loop-carried value (a gradient accumulated over calls) is read from where this
        # program writes it back, which is the storage the user's tensor holds now.
        presets = {slot: plan.escaping.get(plan.carried.get(slot), array)
                   for slot, array in plan.bound.items()}
        presets.update(plan.constants)
        for slot, array in presets.items():
            namespace[slot_name(plan, slot)] = array
        inside = {index for _, indices in fused_steps.values() for index in indices}
        pending: list[int] = []  # escaping results not yet written back
        for index, event in enumerate(plan.events):
            if source.indent and getattr(event, "host", None) is None:
                source.indent = ""  # the end of an optimizer step's kernels
            if isinstance(event, HostCall):
                self._write_back(pending)
                pending = []
                self._host(event)
                continue
            if index in fused_steps:
                pending += self._fused(fused_steps[index][0], index, presets)
                continue
            if index in inside:
                continue
            if event.method == "copy" and event.outputs[0] in plan.escaping:
                # A gradient stored with .clone(): copied straight into the user's array,
                # or by the optimizer's fused update that reads it (unless that update
                # falls back to Python: then before it).
                target = slot_name(plan, event.outputs[0])
                namespace[target] = plan.escaping[event.outputs[0]]
                assign = source.method(event.device, "assign")
                line = f"{assign}({target}, {source.argument(event.args[0])})"
                if index in plan.deferred_copies:
                    host = plan.events[plan.deferred_copies[index]].host
                    self._deferred.setdefault(id(host), []).append(line)
                else:
                    source.add(line)
                continue
            pending += [slot for slot in event.outputs if slot in plan.escaping]
            if event.method == "random":
                draw = source.name(_random_draw(event), f"draw{index}")
                source.add(f"{slot_name(plan, event.outputs[0])} = {draw}()")
                continue
            self._kernel(event, index)
        source.indent = ""
        self._write_back(pending)
        self._reattach()
        outputs = sorted(set(_output_slots(plan.outputs)))
        returned = ", ".join(f"{slot}: {slot_name(plan, slot)}" for slot in outputs)
        source.indent = ""
        source.add(f"return {{{returned}}}")
        parameters = ", ".join(slot_name(plan, slot) for _, slot in
                               sorted(plan.input_slots))
        self.source = f"def replay({parameters}):\n" + "".join(
            f"    {line}\n" for line in source.lines)
        exec(compile(self.source, "<minigrad.compile replay>", "exec"), namespace)  # noqa: S102
        self._replay = namespace["replay"]
        self._input_order = [position for position, _ in sorted(plan.input_slots)]

    # --- one line per step ---------------------------------------------------------------
    def _kernel(self, call: KernelCall, index: int) -> None:
        source, plan = self._source, self._source.plan
        arguments = [source.argument(argument) for argument in call.args]
        if index in plan.arena_calls:
            # numpy writing into the results' places in the arena (see into_arena.py)
            replacement, views = plan.arena_calls[index]
            outputs = [slot_name(plan, slot) for slot in call.outputs]
            places = [source.name(views[slot], f"arena{slot}") for slot in call.outputs]
            source.add(f"{', '.join(outputs)} = {', '.join(places)}")
            function = source.name(replacement, replacement.__name__)
            source.add(f"{function}({', '.join(arguments + outputs)})")
            return
        function = source.method(call.device, call.method)
        arguments += [f"{key}={source.argument(value)}" for key, value in call.kwargs.items()]
        check = _INDEX_CHECKS.get(call.method)
        if check is not None:
            source.add(f"{source.name(check, 'check_' + call.method)}"
                                f"({', '.join(arguments[:len(call.args)])})")
        text = f"{function}({', '.join(arguments)})"
        outputs = [slot_name(plan, slot) for slot in call.outputs]
        if call.output_structure == "array":
            text = f"{outputs[0]} = {text}"
        elif call.output_structure == "tuple":
            text = f"{', '.join(outputs)}, = {text}" if len(outputs) == 1 else \
                f"{', '.join(outputs)} = {text}"
        source.add(text)

    def _fused(self, step, index: int, presets: dict) -> list[int]:
        """Lines running one fused kernel; returns the escaping results still to write
        back (those it could not write straight into the user's storage)."""
        source, plan = self._source, self._source.plan
        group = step.group
        inputs = []
        for slot, shape in group.input_shapes:
            name = slot_name(plan, slot)
            # numpy hands back 0-d results as numpy scalars; the kernel indexes arrays.
            scalar = shape == () and slot not in presets and plan.slots[slot].device == "cpu"
            inputs.append(f"asarray({name})" if scalar else name)
        # Arrays the kernel (or any later step) reads: an escaping result may be written
        # straight into the user's array only when nothing reads that array's old value.
        later_reads = {id(presets[slot]) for event in plan.events[index:]
                       if isinstance(event, KernelCall)
                       for slot in slots_read((event.args, event.kwargs)) if slot in presets}
        pending = []
        for slot in group.outputs:
            name = slot_name(plan, slot)
            if slot in step.placed:
                source.add(f"{name} = {source.name(step.placed[slot], 'arena' + str(slot))}")
            elif slot in plan.escaping and id(plan.escaping[slot]) not in later_reads and (
                    plan.slots[slot].device == "cpu" or plan.escaping[slot].is_c_contiguous()):
                # (a CUDA kernel writes its outputs as flat buffers)
                source.namespace[name] = plan.escaping[slot]  # written in place
            else:
                shape = source.argument(tuple(group.shape))
                dtype = source.name(np.dtype(group.dtypes[slot]), f"dtype_{group.dtypes[slot]}")
                empty = source.name(step.empty, "empty")  # numpy's, or the device's
                source.add(f"{name} = {empty}({shape}, {dtype})")
                if slot in plan.escaping:
                    pending.append(slot)
        kernel = source.name(step.kernel, f"fused{index}")
        outputs = [slot_name(plan, slot) for slot in group.outputs]
        scalars = [f"scalar{ref.number}" for ref in group.scalars]
        copies = [slot_name(plan, slot) for slot in group.copies]
        arguments = inputs + scalars + outputs + copies
        if (plan.events[index].host is not None and plan.events[index].device == "cpu"
                and not group.outputs):
            if not source.updates:
                source.updates_indent = source.indent
            source.updates.append((index, step, arguments))  # (written with the next line)
        else:
            source.add(f"{kernel}({', '.join(arguments)})")
        return pending

    def _write_back(self, pending: list[int]) -> None:
        """Copy escaping results into the user's arrays."""
        source, plan = self._source, self._source.plan
        for slot in pending:
            target = source.name(plan.escaping[slot], f"target{slot}")
            device = plan.slots[slot].device
            assign = source.method(device, "assign")
            source.add(f"{assign}({target}, {slot_name(plan, slot)})")

    def _reattach(self) -> None:
        """Re-attach gradients that eager code (``zero_grad()``) detached from their
        parameters: before Python code reads ``p.grad``, and before the call returns."""
        if self.grad_bindings:
            self._source.namespace.setdefault("reattach_gradients", self._rebind)
            self._source.add("reattach_gradients()")

    def _host(self, event: HostCall) -> None:
        """A scheduler's step runs as it is. An optimizer step replayed as kernels runs
        its scalar function, then (indented below it) the recorded kernels with the new
        numbers; if the numbers cannot be recomputed, the real ``step()`` runs instead."""
        source = self._source
        step = source.name(getattr(event.owner, event.method),
                           f"{type(event.owner).__name__}_{event.method}")
        if event.updates is None:
            self._reattach()
            source.add(f"{step}()")
            return
        from minigrad.compile.optimizer_scalars import scalar_function

        scalars = source.name(scalar_function(event), f"{type(event.owner).__name__}_numbers")
        source.add(f"scalars = {scalars}()")
        source.add("if scalars is None:")
        source.indent = "    "
        for line in self._deferred.get(id(event), []):
            source.add(line)
        self._reattach()
        source.add(f"{step}()")
        source.indent = ""
        source.add("else:")
        source.indent = "    "
        names = [f"scalar{ref.number}" for ref in event.scalars]
        source.add(f"{', '.join(names)}{',' if len(names) == 1 else ''} = scalars"
                            if names else "pass")

    def _rebind(self) -> None:
        for parameter, gradient in self.grad_bindings:
            if parameter.grad is not gradient:
                parameter.grad = gradient

    def run(self, input_arrays: list) -> dict:
        """Run the program on new input arrays; returns ``{slot: array}`` of its outputs."""
        return self._replay(*[input_arrays[position] for position in self._input_order])


def _output_slots(outputs):
    from minigrad.compile.planner import _output_slots as output_slots

    return output_slots(outputs)
