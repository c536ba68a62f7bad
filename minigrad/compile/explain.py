"""``explain()``: the captured program as text a student can read top to bottom."""

from __future__ import annotations

import numpy as np

from minigrad.compile.graph import program_steps, slot_label


def _bytes(count: int) -> str:
    for unit in ("B", "kB", "MB"):
        if count < 1024 or unit == "MB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count} MB"


def _size(plan, slot: int) -> int:
    info = plan.slots[slot]
    return int(np.prod(info.shape, dtype=np.int64)) * np.dtype(info.dtype).itemsize


def explain_text(compiled) -> str:
    name = compiled.__name__
    program = compiled.program
    if program is None:
        reason = compiled.eager_reason or "not planned yet: the first two calls trace it"
        return f"compiled {name}: no program ({reason})"
    plan = program.plan
    steps = program_steps(plan)
    roles: dict[str, list[int]] = {}
    for slot in range(len(plan.slots)):
        role = "escaping" if slot in plan.escaping else plan.slot_role(slot)
        roles.setdefault(role, []).append(slot)
    temporaries = roles.get("produced", []) + roles.get("random", [])
    kinds = [step.kind for step in steps]
    lines = [
        f"compiled {name}: traced and planned in {compiled.trace_seconds:.2f} s",
        f"  trace:  {len(plan.events) + plan.dropped_calls + plan.folded_calls} recorded "
        f"calls, {plan.dropped_calls} dropped (their results were only read by Python), "
        f"{plan.folded_calls} folded (they read only constants: computed once)",
        f"  replay: {kinds.count('kernel')} kernels, {kinds.count('fused')} fused groups "
        f"(replacing {sum(len(s.event_indices) for s in steps if s.kind == 'fused')} calls), "
        f"{kinds.count('random')} random draws, {kinds.count('host')} host calls",
        "  buffers:",
        f"    inputs (new each call):              {len(roles.get('input', []))}",
        f"    user storage (parameters, state):    "
        f"{len(roles.get('bound', [])) + len(roles.get('carried', []))}",
        f"    written back (gradients):            {len(roles.get('escaping', []))}",
        f"    constants:                           {len(roles.get('constant', []))}",
        f"    temporaries:                         {len(temporaries)}, "
        f"{_bytes(sum(_size(plan, s) for s in temporaries))}",
        f"  arena: {_bytes(plan.arena_bytes)} holds {len(plan.arena_offsets)} temporaries "
        f"({_bytes(plan.temporary_bytes)} without reuse): results of fused kernels, and of "
        f"{len(plan.arena_calls)} calls numpy replays with out= (marked *)",
        "",
        f"  {'step':>4}  {'kernel':<34} reads -> writes",
    ]
    for number, step in enumerate(steps):
        if step.kind == "host":
            what = ("(Python, every call: its lr and step counts; the update is the kernels "
                    "below)" if step.name.endswith(" numbers") else
                    "(runs in Python on every call)")
            lines.append(f"  {number:>4}  {step.name:<34} {what}")
            continue
        reads = ", ".join(slot_label(plan, slot).split(" ")[0] for slot in step.reads)
        writes = ", ".join(_written(plan, slot) for slot in step.writes)
        name = step.name + (" *" if step.event_indices[0] in plan.arena_calls and
                            step.kind == "kernel" else "")
        lines.append(f"  {number:>4}  {name:<34} {reads} -> {writes}")
    lines.append("")
    lines.append("  buffer names: in = input, user = your tensors, grad = written back, "
                 "const = constant, t = temporary, rand = fresh random numbers")
    return "\n".join(lines)


def _written(plan, slot: int) -> str:
    label = slot_label(plan, slot)
    if slot in plan.arena_offsets:
        label += f" @arena+{plan.arena_offsets[slot]}"
    return label
