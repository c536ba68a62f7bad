"""The captured program as a graph: what ``explain()`` prints and the drawings show.

``program_steps`` lists the steps a replay runs (kernel, fused group, random draw or host
call) with the buffers each reads and writes. ``program_graph`` turns that list into a
neutral graph model (nodes and edges, plain dicts) and ``to_dot`` into a
``graphviz.Digraph``: the step's inputs and the user's storage (parameters, gradients,
optimizer state) on the left, kernels in the order they run, data flowing left to right.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from minigrad.compile.planner import Plan, slots_read
from minigrad.compile.recorder import HostCall
from minigrad.compile.replay import Program


@dataclass
class ProgramStep:
    """One thing a replay does."""

    kind: str  # "kernel", "fused", "random" or "host"
    name: str
    reads: list[int] = field(default_factory=list)
    writes: list[int] = field(default_factory=list)
    event_indices: list[int] = field(default_factory=list)


def program_steps(plan: Plan) -> list[ProgramStep]:
    groups = {group.indices[0]: group for group in plan.fused_groups}
    inside = {index for group in plan.fused_groups for index in group.indices}
    steps = []
    for index, event in enumerate(plan.events):
        if isinstance(event, HostCall):
            name = f"{type(event.owner).__name__}.{event.method}()"
            if event.updates is not None:  # replayed as the kernels after it
                name += " numbers"
            steps.append(ProgramStep("host", name, event_indices=[index]))
        elif index in groups:
            group = groups[index]
            steps.append(ProgramStep("fused", f"{group.kernel_name}[{', '.join(group.methods)}]",
                                     list(group.inputs),
                                     [*group.outputs, *group.written, *group.copies],
                                     group.indices))
        elif index in inside or index in plan.deferred_copies:
            continue  # done by a fused kernel
        elif event.method == "random":
            draw = event.args[0]
            steps.append(ProgramStep("random", f"random.{draw.method}", [],
                                     list(event.outputs), [index]))
        else:
            name = event.method
            if event.method in ("unary", "compare") and isinstance(event.args[0], str):
                name = f"{event.method}:{event.args[0]}"
            reads = list(dict.fromkeys(slots_read((event.args, event.kwargs))))
            writes = list(event.outputs) + [s for s in event.writes if s not in event.outputs]
            steps.append(ProgramStep("kernel", name, reads, writes, [index]))
    return steps


def slot_label(plan: Plan, slot: int) -> str:
    """``t12 (6, 16) float32`` style name of a buffer; the letter says where it lives."""
    role = plan.slot_role(slot)
    if slot in plan.escaping:
        role = "escaping"
    letter = {"input": "in", "bound": "user", "carried": "user", "constant": "const",
              "escaping": "grad", "random": "rand", "produced": "t"}[role]
    info = plan.slots[slot]
    return f"{letter}{slot} {info.shape} {np.dtype(info.dtype).name}"


def program_graph(program: Program) -> dict:
    """``{"nodes": [...], "edges": [...]}``: a node per step and per input, user buffer and
    output; an edge per buffer passed from where it lives (or is made) to a step reading it."""
    plan = program.plan
    nodes, edges = [], []
    made_by: dict[int, str] = {}
    outside: dict[int, str] = {}
    output_slots = set(_outputs(plan.outputs))

    def source_of(slot: int) -> str | None:
        if slot in made_by:
            return made_by[slot]
        role = plan.slot_role(slot)
        if role == "constant":
            return None  # constants are folded into the step's label count
        if slot not in outside:
            outside[slot] = f"buffer{slot}"
            nodes.append({"id": outside[slot], "kind": role, "label": slot_label(plan, slot)})
        return outside[slot]

    for number, step in enumerate(program_steps(plan)):
        node = f"step{number}"
        constants = sum(1 for slot in step.reads if plan.slot_role(slot) == "constant")
        label = step.name + (f" (+{constants} const)" if constants else "")
        nodes.append({"id": node, "kind": step.kind, "label": label})
        for slot in step.reads:
            source = source_of(slot)
            if source is not None:
                edges.append({"source": source, "target": node,
                              "label": str(plan.slots[slot].shape)})
        for slot in step.writes:
            made_by[slot] = node
            if slot in plan.escaping or slot in output_slots or slot in plan.bound:
                target = f"buffer{slot}"
                if slot not in outside:
                    outside[slot] = target
                    kind = "output" if slot in output_slots else "escaping"
                    nodes.append({"id": target, "kind": kind, "label": slot_label(plan, slot)})
                edges.append({"source": node, "target": target,
                              "label": str(plan.slots[slot].shape)})
    return {"nodes": nodes, "edges": edges}


def _outputs(outputs):
    from minigrad.compile.planner import _output_slots

    return _output_slots(outputs)


_STYLE = {
    "kernel": {"shape": "box"},
    "fused": {"shape": "box", "style": "filled", "fillcolor": "#ffe8b0"},
    "random": {"shape": "box", "style": "dashed"},
    "host": {"shape": "box", "style": "filled", "fillcolor": "#d8e8ff"},
    "input": {"shape": "ellipse", "style": "filled", "fillcolor": "#e0f0e0"},
    "bound": {"shape": "ellipse"},
    "carried": {"shape": "ellipse"},
    "escaping": {"shape": "ellipse", "style": "filled", "fillcolor": "#f0e0f0"},
    "output": {"shape": "ellipse", "style": "filled", "fillcolor": "#e0f0e0"},
}


def to_dot(graph: dict, digraph_class=None):
    """A ``graphviz.Digraph`` (or ``digraph_class``, a subclass of it) of a program graph
    (fused groups shaded, host calls blue)."""
    import graphviz

    digraph_class = digraph_class or graphviz.Digraph
    dot = digraph_class("program", graph_attr={"rankdir": "LR"},
                           node_attr={"fontname": "Helvetica", "fontsize": "10"},
                           edge_attr={"fontsize": "8"})
    for node in graph["nodes"]:
        dot.node(node["id"], node["label"], **_STYLE.get(node["kind"], {}))
    for edge in graph["edges"]:
        dot.edge(edge["source"], edge["target"], label=edge["label"])
    return dot


__all__ = ["ProgramStep", "program_steps", "program_graph", "to_dot", "slot_label"]
