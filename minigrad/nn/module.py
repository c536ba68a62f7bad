"""``Module``: the bookkeeping every layer shares.

A ``Module`` is a container of named ``Parameter``s (tensors the optimizer updates),
buffers (tensors that are saved with the model but not trained, such as BatchNorm's running
statistics) and sub-modules. Assigning one of those as an attribute registers it, so

    self.weight = Parameter(...)
    self.fc = Linear(2, 3)

is all a layer needs to do for ``parameters()``, ``state_dict()`` and ``to(device)`` to find
them. ``__call__`` runs ``forward`` inside ``minigrad.autograd.module_scope(self)``, which
records on every graph node which modules were being called when it was made (the graph
drawings group nodes by module with it).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import numpy as np

import minigrad
from minigrad.autograd.function import module_scope
from minigrad.dtypes import DType
from minigrad.nn.parameter import Parameter
from minigrad.tensor import Tensor


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(strict=False)`` could not match."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class RemovableHandle:
    """Returned by ``register_forward_hook``; ``remove()`` unregisters the hook."""

    def __init__(self, hooks: dict, key: int) -> None:
        self._hooks = hooks
        self._key = key

    def remove(self) -> None:
        self._hooks.pop(self._key, None)


def _tensor_from(value: Any, like: Tensor, key: str) -> Tensor:
    """``value`` (a minigrad Tensor, numpy array or nested list of numbers) as a tensor with
    ``like``'s shape, dtype and device, ready to be copied into ``like``; ValueError, naming
    ``key``, for anything else (strings, objects, ragged lists, a wrong shape)."""
    try:
        array = value.numpy() if isinstance(value, Tensor) else np.asarray(value)
    except (TypeError, ValueError, RuntimeError) as error:
        raise ValueError(f"'{key}': cannot read {type(value).__name__} as an array "
                         f"({error})") from None
    if array.dtype.kind not in "biuf":
        raise ValueError(f"'{key}': expected numbers, got a {type(value).__name__} of "
                         f"dtype {array.dtype}")
    if array.shape != tuple(like.shape):
        raise ValueError(f"size mismatch for '{key}': the state dict has shape "
                         f"{array.shape}, the module's is {tuple(like.shape)}")
    return minigrad.tensor(array, dtype=like.dtype, device=like.device)


class Module:
    """Base class of every layer and model.

    Subclasses call ``super().__init__()`` first, assign parameters, buffers and sub-modules
    as attributes, and define ``forward``. Call the module (``model(x)``), not ``forward``.
    """

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_next_hook_id", 0)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    # --- calling ---------------------------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with module_scope(self):
            # (the hook lists are copied only when there are hooks: a hook may remove itself)
            if self._forward_pre_hooks:
                for hook in list(self._forward_pre_hooks.values()):
                    replaced = hook(self, args)
                    if replaced is not None:
                        args = replaced if isinstance(replaced, tuple) else (replaced,)
            output = self.forward(*args, **kwargs)
            if self._forward_hooks:
                for hook in list(self._forward_hooks.values()):
                    replaced = hook(self, args, output)
                    if replaced is not None:
                        output = replaced
        return output

    def _add_hook(self, hooks: OrderedDict, hook: Callable) -> RemovableHandle:
        key = self._next_hook_id
        object.__setattr__(self, "_next_hook_id", key + 1)
        hooks[key] = hook
        return RemovableHandle(hooks, key)

    def register_forward_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(module, inputs, output)`` after every forward; a non-None return
        value replaces the output."""
        return self._add_hook(self._forward_hooks, hook)

    def register_forward_pre_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(module, inputs)`` before every forward; a non-None return value
        replaces the inputs."""
        return self._add_hook(self._forward_pre_hooks, hook)

    # --- registration ----------------------------------------------------------------------
    def _check_initialised(self, name: str) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"cannot assign '{name}' before Module.__init__() is called; call "
                f"super().__init__() first in {type(self).__name__}.__init__"
            )

    def __setattr__(self, name: str, value: Any) -> None:
        registries = self.__dict__
        if isinstance(value, Parameter):
            self._check_initialised(name)
            self._forget(name)
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._check_initialised(name)
            self._forget(name)
            self._modules[name] = value
        elif "_parameters" in registries and name in self._parameters:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} as parameter '{name}' "
                    "(minigrad.nn.Parameter or None expected)"
                )
            self._parameters[name] = None
        elif "_modules" in registries and name in self._modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} as child module '{name}' "
                    "(minigrad.nn.Module or None expected)"
                )
            self._modules[name] = None
        elif "_buffers" in registries and name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign {type(value).__name__} as buffer '{name}' "
                    "(minigrad.Tensor or None expected)"
                )
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str) -> None:
        """Remove ``name`` from wherever it was registered before it is registered anew."""
        self.__dict__.pop(name, None)
        for registry in (self._parameters, self._buffers, self._modules):
            registry.pop(name, None)
        self._non_persistent_buffers.discard(name)

    def __getattr__(self, name: str) -> Any:
        # Python calls this only when normal lookup fails, i.e. for registered entries.
        for registry in ("_parameters", "_buffers", "_modules"):
            entries = self.__dict__.get(registry)
            if entries is not None and name in entries:
                return entries[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                self._non_persistent_buffers.discard(name)
                return
        object.__delattr__(self, name)

    def _check_new_name(self, name: str, kind: str) -> None:
        self._check_initialised(name)
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"{kind} name must be a non-empty string without '.', got {name!r}")
        registered = name in self._parameters or name in self._buffers or name in self._modules
        if hasattr(self, name) and not registered:
            raise KeyError(f"attribute '{name}' already exists on {type(self).__name__}")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or a ``None`` placeholder, e.g. for a layer without bias)."""
        self._check_new_name(name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot register {type(param).__name__} as parameter '{name}' "
                "(minigrad.nn.Parameter or None expected)"
            )
        self._forget(name)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a buffer: a tensor that moves with the module and (if ``persistent``) is
        saved in ``state_dict``, but is not trained (BatchNorm's running mean)."""
        self._check_new_name(name, "buffer")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot register {type(tensor).__name__} as buffer '{name}' "
                "(minigrad.Tensor or None expected)"
            )
        self._forget(name)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent_buffers.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a child module under ``name``."""
        self._check_new_name(name, "module")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module")
        self._forget(name)
        self._modules[name] = module

    register_module = add_module

    # --- walking the tree ------------------------------------------------------------------
    def named_modules(
        self, memo: set | None = None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """This module and every sub-module (depth first), each once, with dotted names."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            child_prefix = f"{prefix}.{name}" if prefix else name
            yield from module.named_modules(memo, child_prefix, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        """This module and every sub-module, each once."""
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The direct sub-modules with their names."""
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        """The direct sub-modules."""
        for _, module in self.named_children():
            yield module

    def apply(self, fn) -> Module:
        """Call ``fn(module)`` on every sub-module, children first, then on ``self``; returns
        ``self``. The usual way to initialise weights::

            def init_weights(module):
                if isinstance(module, nn.Linear):
                    nn.init.xavier_uniform_(module.weight)

            model.apply(init_weights)
        """
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def _named_members(self, registry: str, prefix: str, recurse: bool, remove_duplicate: bool):
        seen = set()
        owners = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for owner_prefix, owner in owners:
            for name, member in getattr(owner, registry).items():
                if member is None or (remove_duplicate and id(member) in seen):
                    continue
                seen.add(id(member))
                yield (f"{owner_prefix}.{name}" if owner_prefix else name), member

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """``(dotted name, parameter)`` pairs; a parameter shared by two layers comes once."""
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every parameter of this module and its sub-modules (what optimizers take)."""
        for _, parameter in self.named_parameters(recurse=recurse):
            yield parameter

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        """``(dotted name, buffer)`` pairs."""
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Every buffer of this module and its sub-modules."""
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    # --- training state --------------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Put this module and all sub-modules in training mode (Dropout drops, BatchNorm
        uses batch statistics), or in evaluation mode with ``mode=False``."""
        if not isinstance(mode, bool):
            raise ValueError(f"training mode must be a bool, got {mode!r}")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode: the same as ``train(False)``."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters: to ``None`` (the default, as in PyTorch),
        or to zeros in place with ``set_to_none=False``."""
        for parameter in self.parameters():
            if parameter.grad is None:
                continue
            if set_to_none:
                parameter.grad = None
            else:
                if parameter.grad.grad_fn is not None:
                    parameter.grad = parameter.grad.detach()
                parameter.grad.zero_()

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Switch gradient tracking of every parameter on or off (freezing layers)."""
        for parameter in self.parameters():
            parameter.requires_grad_(requires_grad)
        return self

    # --- saving and loading ----------------------------------------------------------------
    def state_dict(
        self, destination: OrderedDict | None = None, prefix: str = "", keep_vars: bool = False
    ) -> OrderedDict:
        """Every parameter and persistent buffer by dotted name, e.g. ``"0.weight"``.

        The tensors share storage with the module (detached unless ``keep_vars``); copy them
        if the module will keep training and you want a snapshot.
        """
        if destination is None:
            destination = OrderedDict()
        for name, parameter in self._parameters.items():
            if parameter is not None:
                destination[prefix + name] = parameter if keep_vars else parameter.detach()
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent_buffers:
                destination[prefix + name] = buffer if keep_vars else buffer.detach()
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination, prefix + name + ".", keep_vars)
        return destination

    def load_state_dict(self, state_dict: dict, strict: bool = True) -> IncompatibleKeys:
        """Copy values from ``state_dict`` into this module's parameters and buffers.

        Values may be minigrad tensors, numpy arrays or nested lists of numbers (e.g. a
        PyTorch ``state_dict`` converted with ``t.numpy()``); they are converted to each
        target's dtype and device. A shape mismatch or a value that is not numbers always
        raises ValueError; with ``strict=True`` (the default) missing or unexpected keys
        raise too, otherwise they are returned.

        All or nothing: every entry is checked and converted first, and only then copied,
        so a bad entry leaves the module exactly as it was.
        """
        if not isinstance(state_dict, dict):
            raise TypeError(f"expected a dict of tensors, got {type(state_dict).__name__}")
        own = self.state_dict(keep_vars=True)
        missing = [key for key in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own]
        problems = []
        converted = {}
        for key, target in own.items():
            if key in state_dict:
                try:
                    converted[key] = _tensor_from(state_dict[key], target, key)
                except ValueError as error:
                    problems.append(str(error))
        if strict:
            if missing:
                problems.append("missing key(s): " + ", ".join(f"'{k}'" for k in missing))
            if unexpected:
                problems.append("unexpected key(s): " + ", ".join(f"'{k}'" for k in unexpected))
        if problems:
            raise ValueError(
                f"error(s) loading state_dict for {type(self).__name__}:\n  "
                + "\n  ".join(problems)
            )
        with minigrad.no_grad():
            for key, value in converted.items():
                own[key].copy_(value)
        return IncompatibleKeys(missing, unexpected)

    # --- devices and dtypes ----------------------------------------------------------------
    def _apply(self, convert: Callable[[Tensor], Tensor]) -> Module:
        """Replace every parameter's values, its gradient and every buffer by ``convert``.
        The Parameter objects stay the same (``parameter.data = ...``, also across devices,
        as in PyTorch), so an optimizer that holds them stays valid."""
        for module in self.modules():
            for parameter in module._parameters.values():
                if parameter is None:
                    continue
                grad = None if parameter.grad is None else convert(parameter.grad)
                parameter.data = convert(parameter.detach())
                parameter.grad = grad
            for name, buffer in module._buffers.items():
                if buffer is not None:
                    module._buffers[name] = convert(buffer)
        return self

    def to(self, device: str | DType | None = None, dtype: DType | None = None) -> Module:
        """Move parameters and buffers to ``device`` ("cpu"/"cuda") and/or cast the floating
        point ones to ``dtype``: ``model.to("cuda")``, ``model.to(minigrad.float64)``."""
        if isinstance(device, DType):
            device, dtype = None, device
        if dtype is not None and not dtype.is_floating_point:
            raise TypeError(f"Module.to only casts to floating point dtypes, got {dtype}")

        def convert(tensor: Tensor) -> Tensor:
            if device is not None and tensor.device != device:
                tensor = tensor.to(device)
            if dtype is not None and tensor.dtype.is_floating_point and tensor.dtype != dtype:
                tensor = tensor.double() if dtype == minigrad.float64 else tensor.float()
            return tensor

        return self._apply(convert)

    def cpu(self) -> Module:
        """Move parameters and buffers to the CPU."""
        return self.to("cpu")

    def cuda(self) -> Module:
        """Move parameters and buffers to the GPU."""
        return self.to("cuda")

    def double(self) -> Module:
        """Cast floating point parameters and buffers to float64."""
        return self.to(dtype=minigrad.float64)

    def float(self) -> Module:
        """Cast floating point parameters and buffers to float32."""
        return self.to(dtype=minigrad.float32)

    # --- printing --------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's repr; layers override it."""
        return ""

    def __repr__(self) -> str:
        # PyTorch's layout: "Linear(in_features=2, ...)" on one line, containers with one
        # "(name): child" line per sub-module, indented by two spaces per level.
        extra_lines = self.extra_repr().split("\n") if self.extra_repr() else []
        child_lines = [
            f"({name}): " + repr(module).replace("\n", "\n  ")
            for name, module in self._modules.items()
        ]
        lines = extra_lines + child_lines
        if not lines:
            return f"{type(self).__name__}()"
        if len(extra_lines) == 1 and not child_lines:
            return f"{type(self).__name__}({extra_lines[0]})"
        return type(self).__name__ + "(\n  " + "\n  ".join(lines) + "\n)"

    def __dir__(self) -> list[str]:
        names = set(super().__dir__())
        names.update(self._parameters, self._buffers, self._modules)
        return sorted(names)
