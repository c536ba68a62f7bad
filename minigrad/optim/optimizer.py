"""The ``Optimizer`` base class: parameter groups, per-parameter state, saving and loading.

An optimizer changes parameters in place using their ``.grad``. What differs between
optimizers is only the update rule (``step``); everything else lives here and follows
``torch.optim.Optimizer``:

- ``param_groups``: a list of dicts, each with ``"params"`` (a list of Tensors) and that
  group's hyperparameters (``"lr"``, ``"momentum"``, ...). Different layers may use
  different learning rates by passing several groups.
- ``state``: per-parameter buffers (momentum, running averages, step counts), created
  lazily on the first ``step``; ``optimizer.state[p]`` is the dict for parameter ``p``.
- ``state_dict()`` / ``load_state_dict()``: everything needed to resume training, with
  parameters named by their position (the same layout as PyTorch's).
"""

from __future__ import annotations

import copy
import numbers
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

import minigrad
from minigrad.autograd.inplace import _check_writable as check_writable
from minigrad.autograd.version_counter import bump_version


def check_hyperparameter(label: str, value) -> None:
    """Check a hyperparameter that must be a number >= 0, with PyTorch's message for a bad
    value (``Invalid learning rate: -1``, ``Invalid epsilon value: -1``). NaN is refused
    too, and a value that is not a number gets a TypeError saying so (PyTorch fails there
    with a puzzling "'<' not supported between 'str' and 'float'")."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"Invalid {label}: {value!r} (expected a number, got "
                        f"{type(value).__name__})")
    if not value >= 0:  # written so that NaN fails too
        raise ValueError(f"Invalid {label}: {value}")


def _check_params(params: list, where: str) -> None:
    for position, param in enumerate(params):
        if not isinstance(param, minigrad.Tensor):
            raise TypeError(f"{where}: parameter {position} is a {type(param).__name__}; an "
                            "optimizer updates minigrad Tensors (e.g. model.parameters())")
        if not param.dtype.is_floating_point:
            raise TypeError(f"{where}: parameter {position} has dtype {param.dtype}; only "
                            "float32/float64 tensors can be optimized")
        if not param.is_leaf:
            # The optimizer would update a tensor that the next forward pass recomputes
            # from the real leaf, so training would silently do nothing.
            raise ValueError(f"can't optimize a non-leaf Tensor ({where}: parameter "
                             f"{position}, shape {param.shape}, was computed by an "
                             "operation; pass the leaf it came from, or "
                             "x.detach().requires_grad_())")


class Optimizer:
    """Base class of all optimizers. Subclasses set ``defaults`` and implement ``step``.

    Args:
        params: an iterable of Tensors, or of dicts each with a ``"params"`` list and
            hyperparameters that override ``defaults`` for that group.
        defaults: the hyperparameters every group gets unless it sets its own.
    """

    def __init__(self, params: Iterable, defaults: dict[str, Any]) -> None:
        if isinstance(params, minigrad.Tensor):
            raise TypeError("params should be an iterable of Tensors (e.g. "
                            "model.parameters()), got a single Tensor; wrap it in a list")
        self.defaults = dict(defaults)
        # Keyed by the parameter itself: a Tensor hashes by identity, and a dict compares keys by
        # identity before equality, so the elementwise == of tensors is never called.
        self.state: dict = {}
        self.param_groups: list[dict[str, Any]] = []
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own hyperparameters (missing ones default)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"a parameter group must be a dict, got "
                            f"{type(param_group).__name__}")
        group = dict(param_group)
        params = group["params"]
        group["params"] = [params] if isinstance(params, minigrad.Tensor) else list(params)
        _check_params(group["params"], type(self).__name__)
        if "lr" in group:
            check_hyperparameter("learning rate", group["lr"])
        unknown = set(group) - set(self.defaults) - {"params"}
        if unknown:
            raise ValueError(f"{type(self).__name__}: unknown hyperparameters "
                             f"{sorted(unknown)}; expected some of {sorted(self.defaults)}")
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        seen = {id(p) for existing in self.param_groups for p in existing["params"]}
        if len({id(p) for p in group["params"]}) != len(group["params"]) or any(
            id(p) in seen for p in group["params"]
        ):
            raise ValueError("some parameters appear more than once across parameter groups")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients of every parameter before the next backward pass.

        Gradients accumulate (``backward`` adds into ``.grad``), so each training step
        starts by clearing them. ``set_to_none=True`` (the default, as in PyTorch) drops
        the gradient Tensors; ``False`` fills them with zeros instead.
        """
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                if set_to_none:
                    param.grad = None
                else:
                    param.grad.zero_()

    def step(self, closure: Callable[[], Any] | None = None):
        """Update every parameter that has a gradient; returns ``closure()`` if given."""
        loss = None
        if closure is not None:
            loss = closure()
        with minigrad.no_grad():
            for group in self.param_groups:
                params = [param for param in group["params"] if param.grad is not None]
                if params:
                    self._update_group(params, group)
        return loss

    def _update_group(self, params: list, group: dict) -> None:
        """Update the parameters of one group that have a gradient (runs under ``no_grad``).

        This default visits them one at a time with ``_update``; an optimizer with a
        multi-tensor kernel overrides it to update the whole group in one backend call."""
        maximize = group.get("maximize", False)
        for param in params:
            grad = -param.grad if maximize else param.grad
            self._update(param, grad, self._state_of(param), group)

    def _state_of(self, param) -> dict:
        """The parameter's state dict, created empty on its first step."""
        state = self.state.get(param)
        if state is None:
            state = self.state[param] = {}
        return state

    def _update(self, param, grad, state: dict, group: dict) -> None:
        """Apply the update rule to one parameter (runs under ``no_grad``)."""
        raise NotImplementedError(f"{type(self).__name__} must implement _update")

    # --- saving and loading ----------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state: ``{"state": {index: {...}}, "param_groups": [...]}``.

        Parameters are replaced by their index in the order of ``param_groups``, so the
        dict can be loaded into a new optimizer built over the same model. Buffers are
        copied, so training on does not change a saved state dict.
        """
        index_of: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            saved = {key: value for key, value in group.items() if key != "params"}
            saved["params"] = []
            for param in group["params"]:
                index_of.setdefault(id(param), len(index_of))
                saved["params"].append(index_of[id(param)])
            groups.append(saved)
        state = {}
        for param, values in self.state.items():
            state[index_of[id(param)]] = {
                key: _copy_value(value) for key, value in values.items()
            }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state saved by ``state_dict()`` (of an optimizer of the same kind over
        parameters of the same shapes). Buffers move to each parameter's device and dtype."""
        if set(state_dict) != {"state", "param_groups"}:
            raise ValueError(f"an optimizer state dict has keys 'state' and 'param_groups'; "
                             f"got {sorted(state_dict)}")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"state dict has {len(saved_groups)} parameter groups, this "
                             f"optimizer has {len(self.param_groups)}")
        params_by_index = {}
        for number, (saved, group) in enumerate(zip(saved_groups, self.param_groups,
                                                    strict=True)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"parameter group {number}: state dict has "
                                 f"{len(saved['params'])} parameters, this optimizer has "
                                 f"{len(group['params'])}")
            params_by_index.update(zip(saved["params"], group["params"], strict=True))
        new_state: dict = {}
        for index, values in state_dict["state"].items():
            if index not in params_by_index:
                raise ValueError(f"state dict has state for parameter {index}, which is in "
                                 "no parameter group")
            param = params_by_index[index]
            new_state[param] = {
                key: _load_value(value, param, f"state of parameter {index}, {key!r}")
                for key, value in values.items()
            }
        self.state = new_state
        for saved, group in zip(saved_groups, self.param_groups, strict=True):
            for key, value in saved.items():
                if key != "params":
                    group[key] = copy.deepcopy(value)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for number, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {number}")
            for key in sorted(group):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


def _copy_value(value):
    if isinstance(value, minigrad.Tensor):
        copied = minigrad.zeros_like(value)
        copied.copy_(value)
        return copied
    return copy.deepcopy(value)


def _load_value(value, param, where: str):
    if isinstance(value, minigrad.Tensor | np.ndarray):
        array = value.numpy() if isinstance(value, minigrad.Tensor) else value
        if array.ndim > 0 and tuple(array.shape) != tuple(param.shape):
            raise ValueError(f"{where}: shape {tuple(array.shape)} does not match the "
                             f"parameter's shape {tuple(param.shape)}")
        return minigrad.tensor(np.array(array, dtype=param.dtype.numpy), device=param.device)
    return copy.deepcopy(value)


def advance_states(optimizer, params: list, group: dict, start_state) -> list[dict]:
    """The state of each parameter for this step of a group update: started on its first
    step by ``start_state(param, state, group)``, its step count advanced."""
    states = [optimizer._state_of(param) for param in params]
    for param, state in zip(params, states, strict=True):
        start_state(param, state, group)
        state["step"] += 1
    return states


def mark_written(*tensor_lists) -> None:
    """Bump the version counter of every tensor a group update wrote in place, as an
    in-place Tensor op would (a graph that saved one of them then refuses to backward)."""
    for tensors in tensor_lists:
        for tensor in tensors:
            bump_version(tensor)


def fusable_group(params: list) -> bool:
    """Whether one multi-tensor kernel call can update ``params``: all on one device with
    one dtype, each gradient of its parameter's dtype and shape, and every parameter safe to
    write (not an expanded view; the check raises PyTorch's error otherwise). Anything else
    takes the one-parameter-at-a-time path, which handles every case the Tensor ops do."""
    first = params[0]
    for param in params:
        grad = param.grad
        if (param.device != first.device or param.dtype is not first.dtype
                or grad.device != param.device or grad.dtype is not param.dtype
                or grad._data.shape != param._data.shape):
            return False
        check_writable(param, f"{type(param).__name__} update")
    return True
