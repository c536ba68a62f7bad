"""The backward pass: walk the graph from the output to the leaves, applying the chain rule.

1. Count, for each node reachable from the output, how many gradients it will receive: one
   per use of its output. The walk is iterative (a Python recursion would stop at about a
   thousand nodes; graphs of a million nodes are fine here).
2. Run a node once all of them have arrived (PyTorch's engine works the same way; the order
   is a topological order): it receives their sum (a tensor used twice gets both
   contributions), multiplies by its local derivative in ``backward``, and sends one
   gradient to each input that wants one.
3. Leaves accumulate into ``.grad``; a node's saved buffers are freed once it has run,
   unless ``retain_graph=True``.
"""

from __future__ import annotations

from minigrad.autograd.grad_mode import _GradMode
from minigrad.autograd.views import refresh_if_stale
from minigrad.ops.common import sum_to_shape


def _count_dependencies(roots: list) -> dict:
    """For each node reachable from ``roots``, the number of gradients it waits for: one per
    route into it, that is per use of its output by another node of the graph."""
    dependencies = dict.fromkeys(roots, 0)  # nodes hash by identity
    stack = list(dependencies)
    while stack:
        for _, parent, edge in stack.pop()._routes:
            if edge is parent:  # a leaf: it waits for nothing
                continue
            count = dependencies.get(edge)
            if count is None:  # found for the first time: its own routes are counted next
                dependencies[edge] = 1
                stack.append(edge)
            else:
                dependencies[edge] = count + 1
    return dependencies


def _fit_gradient(node, position: int, tensor, gradient):
    """The gradient ``node.backward`` returned for ``tensor`` (its input at ``position``),
    made to match it when shape or dtype differ.

    A gradient of a broadcast shape is summed back to the input's shape, as PyTorch's
    engine does for every node: an input of shape (3, 1) that forward broadcast to (2, 3, 4)
    gets a (2, 3, 4) gradient, and each of its elements was used 2 * 4 times. So backward
    formulas of broadcasting ops need not reduce their gradients themselves. A gradient of
    another float dtype is converted. Any other shape is a mistake in ``backward``.
    """
    shape = tensor._data.shape
    if gradient._data.shape != shape:
        if not _broadcasts_to(shape, gradient._data.shape):
            raise RuntimeError(
                f"{node.name}.backward returned an invalid gradient at index {position}: got "
                f"shape {gradient.shape} but expected shape compatible with {tensor.shape}"
            )
        gradient = sum_to_shape(gradient, shape)
    if gradient.dtype is not tensor.dtype:
        gradient = gradient.to(dtype=tensor.dtype)
    return gradient


def _broadcasts_to(shape: tuple, target: tuple) -> bool:
    """True if an array of ``shape`` broadcasts to ``target`` (numpy's rule: align the
    trailing dimensions; each must be equal or 1)."""
    if len(shape) > len(target):
        return False
    trailing = target[len(target) - len(shape):]
    return all(size in (1, wanted) for size, wanted in zip(shape, trailing, strict=True))


# Whether a fresh gradient (see ``_is_fresh``) becomes a leaf's ``.grad`` without a copy.
# ``minigrad.compile`` turns this off while it traces a step: its plan keeps each ``.grad``
# in its own storage and each kernel's result in a reusable arena, joined by that copy.
hand_over_fresh_gradients = True


def seed_gradient(output, gradient, what: str):
    """The gradient a user passed for ``output`` (to ``backward`` or as ``grad_outputs``),
    checked: a Tensor (numbers and lists are converted) of the output's shape and device.
    A gradient of another float dtype is converted to the output's dtype, as PyTorch does.
    """
    from minigrad.tensor import Tensor

    if not isinstance(gradient, Tensor):
        gradient = Tensor(gradient, dtype=output.dtype, device=output.device)
    if gradient.shape != output.shape:
        raise RuntimeError(
            f"{what}: gradient has shape {gradient.shape} but the tensor has shape "
            f"{output.shape}"
        )
    if gradient.device != output.device:
        raise RuntimeError(
            f"{what}: gradient is on {gradient.device} but the tensor is on {output.device}; "
            "move it with .to(device)"
        )
    if gradient.dtype is not output.dtype:
        gradient = gradient.to(dtype=output.dtype)
    return gradient


def run_backward(outputs, grad_outputs, retain_graph: bool, create_graph: bool,
                 inputs=None):
    """Backpropagate from ``outputs`` seeded with ``grad_outputs``.

    With ``inputs=None`` the gradients accumulate into the ``.grad`` of every leaf (what
    ``Tensor.backward`` does). Otherwise nothing is written: the gradients with respect to
    ``inputs`` (leaves or intermediate tensors) are returned, in order, None where an input
    does not affect the outputs (what ``minigrad.grad`` does).
    """
    for tensor in (*outputs, *(inputs or ())):
        refresh_if_stale(tensor)
    # The gradient flowing into each node's output, summed over all its consumers.
    node_gradients: dict = {}
    root_nodes = []
    captured: dict[int, object] = {}
    wanted_leaves = None if inputs is None else {id(t) for t in inputs if t.grad_fn is None}
    # Each leaf's gradient, summed over all its uses; hooks and .grad see the total.
    leaf_gradients: dict[int, list] = {}
    for output, gradient in zip(outputs, grad_outputs, strict=True):
        node = output.grad_fn
        if node is None:
            _add_leaf_gradient(leaf_gradients, output, gradient, owned=False)  # the user's
            continue
        root_nodes.append(node)
        existing = node_gradients.get(node)
        node_gradients[node] = gradient if existing is None else existing + gradient

    wanted_nodes = None
    if inputs is not None:
        wanted_nodes = {t.grad_fn: t for t in inputs if t.grad_fn is not None}

    previous_mode = _GradMode.state.enabled
    _GradMode.state.enabled = create_graph
    try:
        dependencies = _count_dependencies(root_nodes)
        ready = [node for node in dict.fromkeys(root_nodes) if dependencies[node] == 0]
        while ready:
            node = ready.pop()
            routes = node._routes
            gradient = node_gradients.pop(node, None)
            if gradient is None:  # no gradient reached this node: it sends none either
                input_gradients = (None,) * (routes[-1][0] + 1)
            else:
                # The chain rule at this node: the gradient of its output (after the hooks
                # registered on that output) times its local derivative, one gradient per
                # ``forward`` argument, None where none is sent. (Written out here rather
                # than in a helper: it runs once per node, for every op of the graph.)
                saved = node.saved_tensors
                if saved is None:
                    node.check_saved_tensors()  # raises: freed by an earlier backward
                for tensor in saved:
                    # Only a tensor with a version counter can have been written in place
                    # (most have none): then the versions are compared.
                    if tensor is not None and tensor._version_counter is not None:
                        node.check_saved_tensors()
                        break
                if node._output_hooks:
                    gradient = _run_hooks(node._output_hooks, gradient)
                if wanted_nodes is not None and node in wanted_nodes:
                    captured[id(wanted_nodes[node])] = gradient
                input_gradients = node.backward(node, gradient)
                if input_gradients.__class__ is not tuple:
                    input_gradients = (input_gradients,)
                if not retain_graph:
                    node.saved_tensors = None  # a finished graph holds no large buffers
            for position, parent, edge in routes:
                try:
                    parent_gradient = input_gradients[position]
                except IndexError:  # backward returned fewer gradients than it should
                    raise _too_few_gradients_error(node, len(input_gradients)) from None
                if parent_gradient is not None:
                    if (parent_gradient._data.shape != parent._data.shape
                            or parent_gradient.dtype is not parent.dtype):
                        parent_gradient = _fit_gradient(node, position, parent, parent_gradient)
                    if edge is parent:  # a leaf
                        owned = hand_over_fresh_gradients and _is_fresh(
                            node, gradient, input_gradients, parent_gradient)
                        _add_leaf_gradient(leaf_gradients, parent, parent_gradient, owned)
                        continue
                    existing = node_gradients.get(edge)
                    node_gradients[edge] = (
                        parent_gradient if existing is None else existing + parent_gradient
                    )
                elif edge is parent:
                    continue
                remaining = dependencies[edge] - 1
                dependencies[edge] = remaining
                if remaining == 0:  # every use of its output has been accounted for
                    ready.append(edge)
        for leaf, gradient, owned in leaf_gradients.values():
            _deliver_to_leaf(leaf, gradient, owned, wanted_leaves, captured, create_graph)
    finally:
        _GradMode.state.enabled = previous_mode

    if inputs is None:
        return None
    return tuple(captured.get(id(t)) for t in inputs)


def _too_few_gradients_error(node, count: int) -> RuntimeError:
    last_position = node._routes[-1][0]
    return RuntimeError(
        f"{node.name}.backward returned {count} gradients but forward took "
        f"at least {last_position + 1} inputs"
    )


def _run_hooks(hooks, gradient):
    """Call each hook on the gradient; a hook that returns a tensor replaces it."""
    for hook in hooks:
        result = hook(gradient)
        if result is not None:
            gradient = result
    return gradient


def _is_fresh(node, gradient, input_gradients: tuple, result) -> bool:
    """Whether ``result``, one of the gradients ``node.backward`` returned, is a new tensor
    that nothing else holds, so that a leaf may keep it as its ``.grad`` without a copy
    (PyTorch's engine steals such a buffer too; here it saves a copy of every parameter's
    gradient in every step).

    Only minigrad's own backward formulas are trusted with this: each returns the incoming
    ``gradient`` itself (``Add`` sends it to both inputs), a view of it, or a tensor it has
    just computed. So a result is fresh unless it is the incoming gradient, a view or a
    tensor sharing its storage (both have a version counter: ``views.py``, ``detach``), one
    of the node's inputs or saved tensors, or returned for two inputs at once. A user's
    Function may return a tensor it keeps elsewhere: its results are always copied.
    """
    if result is gradient or result._view is not None or result._version_counter is not None:
        return False
    if not type(node).__module__.startswith("minigrad."):
        return False
    for tensor in (*node._arguments, *(node.saved_tensors or ())):
        if tensor is result:
            return False
    returned = 0  # how many of the node's gradients are this very tensor
    for other in input_gradients:
        if other is result:
            returned += 1
    return returned == 1


def _add_leaf_gradient(leaf_gradients: dict, leaf, gradient, owned: bool) -> None:
    """Note a gradient for ``leaf``; a leaf used several times gets the sum, made here
    (a new tensor: owned by the engine). ``owned`` says whether the gradient is a tensor
    that nothing else holds (see ``_is_fresh``)."""
    if not leaf.requires_grad:
        return
    entry = leaf_gradients.get(id(leaf))
    if entry is None:
        leaf_gradients[id(leaf)] = [leaf, gradient, owned]
    else:
        entry[1] = entry[1] + gradient
        entry[2] = True


def _deliver_to_leaf(leaf, gradient, owned: bool, wanted_leaves, captured,
                     create_graph: bool) -> None:
    """A gradient reached a leaf: run its hooks, then store it (backward) or capture it
    (grad, where ``wanted_leaves`` holds the ids of the leaves asked for)."""
    if not leaf.requires_grad:
        return
    if leaf._hooks:
        gradient = _run_hooks(leaf._hooks, gradient)
        owned = False  # a hook may have kept the tensor it was given, or returned another
    if wanted_leaves is not None:
        key = id(leaf)
        if key in wanted_leaves:
            captured[key] = gradient if key not in captured else captured[key] + gradient
        return
    if leaf.grad is not None:
        leaf.grad = leaf.grad + gradient
    elif create_graph or owned:
        # With create_graph the gradient is part of a graph and is stored as it is; a
        # gradient the engine owns is handed over: no other tensor holds its storage.
        leaf.grad = gradient
    else:
        # A copy: the same gradient tensor may reach several leaves (a + b sends one tensor
        # to both), and an in-place change to one leaf's .grad must not change another's.
        # (Copied straight from the array: a detach().clone() would make two tensors and
        # a graph node for every parameter in every step.)
        leaf.grad = gradient._wrap(gradient.backend.copy(gradient._data))
