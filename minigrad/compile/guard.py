"""A generated check that the model and optimizer are still the ones the program was made
for.

The cache key of a compiled step includes the identity of every parameter, buffer and
optimizer state array and the train/eval mode of every module (``_Owners.state()``), because
the program reads and updates those arrays in place. Building that key walks the module
tree and costs more than some whole replays (about 25 us for a 3-layer MLP). So after a
call finds its program, the same facts are written out once as one boolean expression of
identity tests (a guard, as ``torch.compile`` calls it)::

    def guard():
        return (module0.training is True
                and len(module0._parameters) == 2
                and module0._parameters.get('weight', MISSING) is tensor1
                and tensor1._data is array2
                ...)

The next call with the same argument signature evaluates only that (a few microseconds)
and replays if it holds. If anything differs (a parameter replaced, ``eval()`` called, a
key added) the guard fails and the call takes the slow path: the full key, the cache
lookup, and a new guard for what it finds. A guard may be stricter than the key (it also
notices a new non-tensor entry in an optimizer's state); that only costs a slow call.
"""

from __future__ import annotations

from collections.abc import Callable

from minigrad.tensor import Tensor

_MISSING = object()


class _GuardSource:
    def __init__(self) -> None:
        self.tests: list[str] = []
        self.namespace: dict = {"MISSING": _MISSING}
        self._names: dict[int, str] = {}

    def name(self, value, hint: str) -> str:
        name = self._names.get(id(value))
        if name is None:
            name = self._names[id(value)] = f"{hint}{len(self._names)}"
            self.namespace[name] = value
        return name

    def same_entries(self, owner: str, registry: dict, where: str) -> None:
        """``owner.where`` still maps the same keys to the same objects (and each tensor
        still holds the same array)."""
        self.tests.append(f"len({owner}.{where}) == {len(registry)}")
        for key, value in registry.items():
            if value is None:
                self.tests.append(f"{owner}.{where}.get({key!r}, MISSING) is None")
                continue
            value_name = self.name(value, "tensor" if isinstance(value, Tensor) else "module")
            self.tests.append(f"{owner}.{where}.get({key!r}, MISSING) is {value_name}")
            if isinstance(value, Tensor):
                self.tests.append(f"{value_name}._data is {self.name(value._data, 'array')}")


def make_guard(modules: list, optimizers: list) -> Callable[[], bool]:
    """A function returning True while ``modules`` and ``optimizers`` are as they are now
    (the facts ``_Owners.state()`` collects, as identity tests)."""
    source = _GuardSource()
    stack = list(modules)
    seen: set[int] = set()
    while stack:
        module = stack.pop()
        if id(module) in seen:
            continue
        seen.add(id(module))
        name = source.name(module, "module")
        source.tests.append(f"{name}.training is {module.training}")
        source.same_entries(name, module._parameters, "_parameters")
        source.same_entries(name, module._buffers, "_buffers")
        source.same_entries(name, module._modules, "_modules")
        stack.extend(child for child in module._modules.values() if child is not None)
    for optimizer in optimizers:
        name = source.name(optimizer, "optimizer")
        groups = optimizer.param_groups
        source.tests.append(f"{name}.param_groups is {source.name(groups, 'groups')}")
        source.tests.append(f"len({name}.param_groups) == {len(groups)}")
        for index, group in enumerate(groups):
            params = group["params"]
            group_name = source.name(group, "group")
            source.tests.append(f"{name}.param_groups[{index}] is {group_name}")
            source.tests.append(f"{group_name}['params'] is {source.name(params, 'params')}")
            source.tests.append(f"len({group_name}['params']) == {len(params)}")
            source.tests.extend(f"{group_name}['params'][{position}] is "
                                f"{source.name(param, 'tensor')}"
                                for position, param in enumerate(params))
        state = optimizer.state
        state_name = source.name(state, "state")
        source.tests.append(f"{name}.state is {state_name}")
        source.tests.append(f"len({state_name}) == {len(state)}")
        for param, values in state.items():
            values_name = source.name(values, "values")
            source.tests.append(f"{state_name}.get({source.name(param, 'tensor')}, MISSING) "
                                f"is {values_name}")
            source.tests.append(f"len({values_name}) == {len(values)}")
            for key, value in values.items():
                if isinstance(value, Tensor):
                    value_name = source.name(value, "tensor")
                    source.tests.append(f"{values_name}.get({key!r}, MISSING) is {value_name}")
                    source.tests.append(
                        f"{value_name}._data is {source.name(value._data, 'array')}")
    body = "\n        and ".join(source.tests) if source.tests else "True"
    text = f"def guard():\n    return (\n        {body}\n    )\n"
    exec(compile(text, "<minigrad.compile guard>", "exec"), source.namespace)  # noqa: S102
    guard = source.namespace["guard"]
    guard.source = text
    return guard
