"""A neutral graph model of a computation, built by walking a Value or a Tensor result.

Every drawing, animation and node cap starts from this model, so the walking logic (and its
order, which the golden DOT files depend on) lives in one place. The walk is iterative: a
graph ten thousand nodes deep does not hit Python's recursion limit.

One ``GraphNode`` stands for one Value or one Tensor. A node that was produced by an
operation carries the operation's name in ``op`` and lists its operands in ``inputs`` (in
argument order, repeats kept: ``a * a`` has ``inputs == (a, a)``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

ROLES = ("input", "parameter", "constant", "intermediate", "output")


@dataclass
class GraphNode:
    """One value of the computation (a scalar ``Value`` or a ``Tensor``).

    ``role`` is one of ``ROLES``; ``module`` is the path of ``nn.Module`` names (outermost
    first) the producing operation ran in, empty outside modules. ``value``/``grad`` are
    Python floats for scalars; tensors carry ``shape``, ``dtype``, ``summary`` and
    ``grad_magnitude`` (mean |grad|) instead, plus ``grad_summary`` for drawing.
    """

    id: str
    role: str
    label: str
    op: str = ""
    inputs: tuple[str, ...] = ()
    value: float | None = None
    grad: float | None = None
    shape: tuple[int, ...] | None = None
    dtype: str | None = None
    summary: str = ""
    grad_summary: str = ""
    grad_magnitude: float | None = None
    module: tuple[str, ...] = ()
    ref: Any = field(default=None, repr=False, compare=False)

    @property
    def is_leaf(self) -> bool:
        return not self.op


@dataclass
class Graph:
    """Nodes in topological order (every node after all of its inputs; the root is last)."""

    kind: str  # "scalar" or "tensor"
    nodes: list[GraphNode]
    root: str
    notes: list[str] = field(default_factory=list)
    # Module name -> class name, for cluster titles ("fc1: Linear").
    modules: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_id = {node.id: node for node in self.nodes}

    def __len__(self) -> int:
        return len(self.nodes)

    def consumers(self) -> dict[str, list[str]]:
        """Map each node id to the ids of the nodes that use it (forward edges reversed)."""
        users: dict[str, list[str]] = {node.id: [] for node in self.nodes}
        for node in self.nodes:
            for input_id in dict.fromkeys(node.inputs):
                users[input_id].append(node.id)
        return users


def is_value(obj: Any) -> bool:
    """True for a scalar ``minigrad.Value`` (or any micrograd-style node)."""
    return hasattr(obj, "_prev") and hasattr(obj, "_op") and hasattr(obj, "data")


def is_tensor(obj: Any) -> bool:
    """True for a ``minigrad.Tensor``."""
    return hasattr(obj, "grad_fn") and hasattr(obj, "shape") and hasattr(obj, "requires_grad")


def topological_order(root: Any, children) -> list[Any]:
    """Objects reachable from ``root`` with every object after its children.

    Iterative depth-first post-order: a stack of (object, next child index) frames replaces the
    recursion of the classic ``build_topo``. ``children(obj)`` returns the operands in order.
    """
    order: list[Any] = []
    visited: set[int] = {id(root)}
    stack: list[tuple[Any, list[Any], int]] = [(root, list(children(root)), 0)]
    while stack:
        obj, kids, index = stack[-1]
        if index < len(kids):
            stack[-1] = (obj, kids, index + 1)
            child = kids[index]
            if id(child) not in visited:
                visited.add(id(child))
                stack.append((child, list(children(child)), 0))
        else:
            stack.pop()
            order.append(obj)
    return order


def build_graph(
    root: Any, model: Any = None, grads: bool = True, display_ops: bool = False
) -> Graph:
    """Walk ``root`` (a ``Value`` or a ``Tensor``) into a ``Graph``.

    ``model`` (optional) names things: for tensors an ``nn.Module`` whose ``named_modules()``
    and ``named_parameters()`` give cluster and parameter names; for scalars anything with
    ``parameters()`` (e.g. ``minigrad.scalar.MLP``) so its Values are shown as parameters.
    ``grads=False`` skips collecting gradients (forward drawings). ``display_ops=True`` shows
    scalar ``a - b`` and ``a / b`` as single ``-`` and ``/`` nodes (see ``display_folds``);
    the backward animation leaves it off, since it replays the chain rule node by node.
    """
    if is_value(root):
        return _build_scalar_graph(root, model, display_ops)
    if is_tensor(root):
        return _build_tensor_graph(root, model, grads)
    raise TypeError(
        f"expected a minigrad Value or Tensor to draw, got {type(root).__name__}"
    )


def _scalar_children(value: Any) -> tuple:
    return tuple(value._prev)


def display_folds(order: list[Any]) -> tuple[dict[int, tuple[str, tuple]], set[int]]:
    """Which Values to draw as the ``-`` or ``/`` the user wrote, and which helpers to hide.

    micrograd computes ``a - b`` as ``a + (b * -1)`` and ``a / b`` as ``a * b**-1``; the
    result carries ``_display = ("-", a, b)``. The helper nodes between the result and
    ``a``, ``b`` (``b * -1`` and its constant ``-1``, or ``b**-1``) are hidden and the result
    is drawn as one ``-`` operation on ``a`` and ``b``: the same numbers, as written. A fold is
    made only when no other node uses a helper, so nothing that was computed goes missing.
    Returns (id of result -> (symbol, operands)) and the ids of the hidden helpers.
    """
    users: dict[int, set[int]] = {id(value): set() for value in order}
    for value in order:
        for child in _scalar_children(value):
            users[id(child)].add(id(value))
    folds: dict[int, tuple[str, tuple]] = {}
    hidden: set[int] = set()
    for value in order:
        hint = getattr(value, "_display", None)
        if not hint or not all(is_value(operand) for operand in hint[1:]):
            continue
        symbol, *operands = hint
        stops = {id(operand) for operand in operands}
        helpers: dict[int, Any] = {}
        reached: set[int] = set()
        stack = list(_scalar_children(value))
        while stack:
            child = stack.pop()
            if id(child) in stops:
                reached.add(id(child))
            elif id(child) not in helpers:
                helpers[id(child)] = child
                stack.extend(_scalar_children(child))
        inside = set(helpers) | {id(value)}
        private = all(users[helper] <= inside for helper in helpers)
        if reached == stops and private and not (set(helpers) & (hidden | set(folds))):
            folds[id(value)] = (symbol, tuple(operands))
            hidden.update(helpers)
    return folds, hidden


def _build_scalar_graph(root: Any, model: Any, display_ops: bool = False) -> Graph:
    order = topological_order(root, _scalar_children)
    folds: dict[int, tuple[str, tuple]] = {}
    if display_ops:
        folds, hidden = display_folds(order)
        order = [value for value in order if id(value) not in hidden]
    ids = {id(value): f"v{index}" for index, value in enumerate(order)}
    parameter_ids: dict[int, int] = {}
    if model is not None and hasattr(model, "parameters"):
        parameter_ids = {id(p): index for index, p in enumerate(model.parameters())}
    nodes = []
    for value in order:
        op = str(value._op or "")
        children = _scalar_children(value)
        if id(value) in folds:
            op, children = folds[id(value)]
        label = str(getattr(value, "label", "") or "")
        if value is root:
            role = "output"
        elif children:
            role = "intermediate"
        elif id(value) in parameter_ids:
            role = "parameter"
            label = label or f"p{parameter_ids[id(value)]}"
        elif label:
            role = "input"
        else:
            # An unlabelled leaf is a number that entered the expression (``2 * x``).
            role = "constant"
        data = float(value.data)
        grad = float(value.grad) if getattr(value, "grad", None) is not None else None
        nodes.append(
            GraphNode(
                id=ids[id(value)],
                role=role,
                label=label,
                op=op if children else "",
                inputs=tuple(ids[id(child)] for child in children),
                value=data,
                grad=grad,
                grad_magnitude=abs(grad) if grad is not None else None,
                ref=value,
            )
        )
    return Graph("scalar", nodes, ids[id(root)])


def _tensor_children(tensor: Any) -> tuple:
    grad_fn = tensor.grad_fn
    if grad_fn is None:
        return ()
    return tuple(t for t in grad_fn.inputs if is_tensor(t))


def _format_number(x: float) -> str:
    return f"{x:.4g}"


def summarize_array(array: np.ndarray, small: int = 6) -> str:
    """A one-line description of an array: its numbers when it is small, else statistics."""
    flat = np.asarray(array, dtype=np.float64).reshape(-1)
    if flat.size == 0:
        return "empty"
    if flat.size <= small:
        return "[" + ", ".join(_format_number(x) for x in flat) + "]"
    return (
        f"mean {_format_number(flat.mean())} std {_format_number(flat.std())} "
        f"range [{_format_number(flat.min())}, {_format_number(flat.max())}]"
    )


def _module_names(model: Any) -> tuple[dict[int, str], dict[int, str]]:
    modules: dict[int, str] = {}
    parameters: dict[int, str] = {}
    if model is None:
        return modules, parameters
    if hasattr(model, "named_modules"):
        for name, module in model.named_modules():
            modules.setdefault(id(module), name or type(module).__name__)
    if hasattr(model, "named_parameters"):
        for name, parameter in model.named_parameters():
            parameters.setdefault(id(parameter), name)
    return modules, parameters


def _tensor_gradients(root: Any, order: list[Any]) -> tuple[dict[int, np.ndarray], str]:
    """d root / d t for every tensor t of the graph that requires grad, without touching .grad.

    ``minigrad.grad`` with ``retain_graph=True`` works for intermediate tensors too. When the
    graph's saved buffers were already freed by an earlier ``backward()``, only the leaves'
    ``.grad`` fields are left to show, and a note says so.
    """
    import minigrad

    wanted = [t for t in order if t.requires_grad]
    if not wanted:
        return {}, ""
    try:
        grad_outputs = None
        if tuple(root.shape) != ():
            grad_outputs = minigrad.ones_like(root)
        results = minigrad.grad(
            root, wanted, grad_outputs=grad_outputs, retain_graph=True, allow_unused=True
        )
    except TypeError:
        results = None
    except Exception as error:  # noqa: BLE001 - any engine failure falls back to .grad fields
        note = f"gradients of intermediate tensors unavailable ({error}); showing leaf .grad"
        return {id(t): t.grad.numpy() for t in wanted if t.grad is not None}, note
    if results is None:
        # An engine without allow_unused: ask again for tensors one by one.
        results = []
        for tensor in wanted:
            try:
                (g,) = minigrad.grad(
                    root, [tensor], grad_outputs=grad_outputs, retain_graph=True
                )
            except Exception:  # noqa: BLE001 - an unused tensor has no gradient
                g = None
            results.append(g)
    grads = {id(t): g.numpy() for t, g in zip(wanted, results, strict=True) if g is not None}
    return grads, ""


def _build_tensor_graph(root: Any, model: Any, with_grads: bool) -> Graph:
    order = topological_order(root, _tensor_children)
    ids = {id(t): f"t{index}" for index, t in enumerate(order)}
    module_names, parameter_names = _module_names(model)
    anonymous: dict[int, str] = {}
    module_classes: dict[str, str] = {}
    if model is not None and hasattr(model, "named_modules"):
        for _, module in model.named_modules():
            module_classes[module_names[id(module)]] = type(module).__name__

    def module_name(module: Any) -> str:
        if id(module) in module_names:
            return module_names[id(module)]
        # Modules outside ``model``: name them by class and order of first appearance.
        if id(module) not in anonymous:
            anonymous[id(module)] = f"{type(module).__name__}#{len(anonymous)}"
        name = anonymous[id(module)]
        module_classes[name] = type(module).__name__
        return name

    grads: dict[int, np.ndarray] = {}
    notes: list[str] = []
    if with_grads:
        grads, note = _tensor_gradients(root, order)
        if note:
            notes.append(note)
    nodes = []
    for tensor in order:
        grad_fn = tensor.grad_fn
        children = _tensor_children(tensor)
        name = parameter_names.get(id(tensor), "")
        if tensor is root:
            role = "output"
        elif grad_fn is not None:
            role = "intermediate"
        elif name or (tensor.requires_grad and model is None):
            role = "parameter"
        elif tensor.requires_grad:
            role = "input"
        else:
            role = "constant" if tensor.ndim == 0 else "input"
        module: tuple[str, ...] = ()
        if grad_fn is not None:
            stack = tuple(getattr(grad_fn, "module_stack", ()) or ())
            module = tuple(module_name(m) for m in stack)
        elif name:
            # A parameter sits in the cluster of the module that owns it: "layers.0.weight"
            # belongs to (model, "layers", "layers.0"), the same path its ops record.
            parts = name.split(".")[:-1]
            module = (module_name(model),)
            module += tuple(".".join(parts[: i + 1]) for i in range(len(parts)))
        data = tensor.numpy()
        grad = grads.get(id(tensor))
        if grad is None and with_grads and grad_fn is None and tensor.grad is not None:
            grad = tensor.grad.numpy()
        value = float(data.reshape(-1)[0]) if data.size == 1 else None
        nodes.append(
            GraphNode(
                id=ids[id(tensor)],
                role=role,
                label=name or str(getattr(tensor, "label", "") or ""),
                op=type(grad_fn).__name__ if grad_fn is not None else "",
                inputs=tuple(ids[id(child)] for child in children),
                value=value,
                grad=float(grad.reshape(-1)[0]) if grad is not None and grad.size == 1 else None,
                shape=tuple(tensor.shape),
                dtype=str(getattr(tensor.dtype, "name", tensor.dtype)),
                summary=summarize_array(data),
                grad_summary=summarize_array(grad) if grad is not None else "",
                grad_magnitude=float(np.abs(grad).mean()) if grad is not None else None,
                module=module,
                ref=tensor,
            )
        )
    return Graph("tensor", nodes, ids[id(root)], notes, module_classes)
