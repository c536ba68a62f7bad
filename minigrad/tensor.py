"""``Tensor``: an n-dimensional array that remembers how it was computed.

A tensor holds a backend array (numpy on the CPU, a Numba device array on CUDA), its dtype
and device, and, when it was produced by an op on tensors that require gradients, the
graph node (``grad_fn``) that knows how to send a gradient back to its inputs. The methods
here are thin: each one calls an op from ``minigrad.ops``.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator

import numpy as np

from minigrad import dtypes
from minigrad.autograd import engine, inplace
from minigrad.autograd.version_counter import shared_counter, version_of
from minigrad.backend import _BACKENDS, get_backend
from minigrad.defaults import _Defaults
from minigrad.devices import BY_NAME as _DEVICES
from minigrad.devices import device as _device
from minigrad.ops import (
    arithmetic,
    cumulative,
    diagonal,
    elementwise,
    elementwise_math,
    indexing,
    linalg,
    reduction,
    sorting,
)
from minigrad.ops import shape as shape_ops
from minigrad.ops.common import as_operand, broadcast_shape
from minigrad.ops.conversion import CopyInto
from minigrad.size import Size
from minigrad.unsupported import TENSOR as OUT_OF_SCOPE
from minigrad.unsupported import OutOfScopeError


def normalize_device(device) -> _device:
    """``minigrad.device("cpu")`` or ``("cuda")`` for the names a user may write; None means
    the default device."""
    if device is None:
        device = _Defaults.device
    device = _DEVICES[_device(device)]
    if device == "cuda":
        from minigrad import cuda

        cuda.require_cuda()
    return device


def _host_array(data, dtype: dtypes.DType | None) -> np.ndarray:
    """Nested lists, numbers or arrays as a numpy array of a minigrad dtype."""
    if isinstance(data, Tensor):
        data = data.numpy()
    try:
        array = np.asarray(data)
    except ValueError:
        array = np.empty(0, dtype=object)  # ragged nested lists: reported just below
    if array.dtype == object:
        raise ValueError(
            "tensor(): data must be a number or nested lists of numbers in which every row has "
            "the same length (a rectangular array)"
        )
    if dtype is None:
        if array.dtype.kind == "f" and not isinstance(data, np.ndarray | np.generic):
            dtype = _Defaults.dtype  # Python floats give the default dtype (float32)
        else:
            dtype = dtypes.from_numpy_dtype(array.dtype)
    return np.array(array, dtype=dtype.numpy, order="C")


_DTYPE_OF = {dtype.numpy: dtype for dtype in dtypes.ALL_DTYPES}
_new_tensor = object.__new__  # a Tensor without running __init__ (the ops fill it in)
_NDARRAY = np.ndarray


def _names_a_dtype(value) -> bool:
    return isinstance(value, dtypes.DType) or (
        isinstance(value, str) and value in ("float32", "float64", "int64", "bool")
    )


def _is_legacy_size(arguments: tuple, dtype) -> bool:
    """Whether ``Tensor(*arguments)`` is PyTorch's sizes form: no arguments, a Size, or ints
    (several ints always; a single int only without ``dtype=``, else it is data)."""
    if not arguments:
        return True
    if len(arguments) == 1 and isinstance(arguments[0], Size):
        return True
    if len(arguments) == 1 and dtype is not None:
        return False
    return all(isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in arguments)


def _unary_inplace(name: str):
    """The method ``x.<name>_()``: ``x.<name>()`` written into ``x``."""

    def method(self: Tensor) -> Tensor:
        return self._inplace(f"{name}_", lambda old: getattr(old, name)())

    method.__name__ = f"{name}_"
    method.__doc__ = f"``{name}`` in place: ``x.{name}_()`` writes ``x.{name}()`` into ``x``."
    return method


class _OutOfScope:
    """A Tensor method PyTorch has and minigrad leaves out on purpose (``x.half()``):
    reading it raises OutOfScopeError (a NotImplementedError that is also an AttributeError,
    so ``hasattr`` answers False) with the reason, so a port from PyTorch learns
    that the name is out of scope rather than misspelled.

    A class attribute rather than a ``Tensor.__getattr__``: a class with ``__getattr__``
    makes every attribute read on its instances take Python's slow generic path, and the
    ops read tensor attributes (``_data``, ``dtype``, ``grad_fn``) many times per op.
    """

    def __init__(self, name: str, reason: str) -> None:
        self.name, self.reason = name, reason

    def __get__(self, instance, owner=None):
        raise OutOfScopeError(f"Tensor.{self.name}: {self.reason}")


class Tensor:
    """An n-dimensional array with automatic differentiation. Create one with
    ``minigrad.tensor(data)`` or the creation functions (``zeros``, ``randn``, ...)."""

    # _version_counter: shared with views, bumped by in-place writes (None until needed);
    # _view: for a view, its base and how to make it again (see autograd/views.py).
    __slots__ = ("_data", "backend", "device", "dtype", "requires_grad", "grad", "grad_fn",
                 "_hooks", "_version_counter", "_view", "__weakref__")

    # numpy should let our operators handle `ndarray + Tensor`
    __array_priority__ = 1000

    def __init__(self, *data, dtype=None, device=None, requires_grad: bool = False) -> None:
        # PyTorch's legacy constructor has two forms. ``Tensor([1, 2])`` copies the data as
        # float32 (the default dtype) whatever its type; ``minigrad.tensor`` infers the dtype
        # instead. ``Tensor(2, 3)``, ``Tensor(size)`` and ``Tensor()`` make a float32 tensor
        # of that size, uninitialised in PyTorch and zero-filled here, as ``minigrad.empty``.
        # PyTorch's form takes no dtype: with ``dtype=`` a single number is data.
        is_size = _is_legacy_size(data, dtype)
        dtype = _Defaults.dtype if dtype is None else dtypes.as_dtype(dtype)
        if is_size:
            if not data:
                data = (0,)  # Tensor() is empty, as in PyTorch
            size = tuple(int(s) for s in (data[0] if isinstance(data[0], Size) else data))
            if any(s < 0 for s in size):
                raise ValueError(f"Tensor(): sizes must be non-negative, got {size}")
            array = np.zeros(size, dtype.numpy)
        elif len(data) == 1:
            array = _host_array(data[0], dtype)
        else:
            raise TypeError(f"Tensor(): expected data (Tensor([1, 2])) or sizes as ints "
                            f"(Tensor(2, 3)), got {', '.join(repr(d) for d in data)}")
        device = normalize_device(device)
        self._data = get_backend(device).from_numpy(array)
        self.backend = get_backend(device)
        self.device = device
        self.dtype = dtypes.from_numpy_dtype(array.dtype)
        self.grad = None
        self.grad_fn = None
        self._hooks = ()  # a list once a hook is registered
        self._version_counter = None
        self._view = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _from_array(cls, array, device: str, requires_grad: bool = False) -> Tensor:
        """Wrap a backend array without copying (the fast path every op uses)."""
        backend = _BACKENDS.get(device) or get_backend(device)
        if array.__class__ is not _NDARRAY and isinstance(array, np.generic):
            array = backend.from_numpy(array)  # a number from numpy (see _wrap)
        tensor = _new_tensor(Tensor)
        tensor._data = array
        tensor.backend = backend
        tensor.device = _DEVICES[device]
        tensor.dtype = _DTYPE_OF.get(array.dtype) or dtypes.from_numpy_dtype(array.dtype)
        tensor.requires_grad = requires_grad
        tensor.grad = None
        tensor.grad_fn = None
        tensor._hooks = ()
        tensor._version_counter = None
        tensor._view = None
        return tensor

    def _wrap(self, array) -> Tensor:
        """A new tensor holding ``array``, an op's result computed on this tensor's device.

        ``_from_array`` for the ops' hot path: the backend and device are this tensor's, and
        so, most often, is the dtype (numpy's dtype objects of the four dtypes are unique,
        so ``is`` tells). Making the result tensor is a large part of what a small op costs,
        hence no other work here.
        """
        if array.__class__ is not _NDARRAY and isinstance(array, np.generic):
            # numpy returns a number (np.float32), not an array, for a 0-d result. A tensor
            # holds an array: in-place ops write into it, views and numpy() share it. (The
            # backend makes it, so that minigrad.compile's recorder sees where it came from.)
            array = self.backend.from_numpy(array)
        dtype = self.dtype
        if array.dtype is not dtype.numpy:
            dtype = _DTYPE_OF.get(array.dtype) or dtypes.from_numpy_dtype(array.dtype)
        tensor = _new_tensor(Tensor)
        tensor._data = array
        tensor.backend = self.backend
        tensor.device = self.device
        tensor.dtype = dtype
        tensor.requires_grad = False
        tensor.grad = None
        tensor.grad_fn = None
        tensor._hooks = ()
        tensor._version_counter = None
        tensor._view = None
        return tensor

    def _alias(self) -> Tensor:
        """A new tensor object sharing this one's array (a fresh graph output)."""
        alias = Tensor._from_array(self._data, self.device)
        alias._version_counter = shared_counter(self)
        return alias

    # --- attributes ----------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    @property
    def ndim(self) -> int:
        return len(self._data.shape)

    @property
    def is_leaf(self) -> bool:
        """True for tensors not made by a recorded op: inputs and parameters."""
        return self.grad_fn is None

    @property
    def T(self) -> Tensor:  # noqa: N802 - PyTorch's name
        """All dimensions reversed (the matrix transpose for 2-D tensors)."""
        return self.permute(*reversed(range(self.ndim)))

    @property
    def data(self) -> Tensor:
        """The values as a tensor outside the graph, sharing storage with this one. As in
        PyTorch it has its own version counter: writes through ``.data`` are not seen by
        autograd (prefer ``detach()``, whose writes are)."""
        return Tensor._from_array(self._data, self.device)

    @data.setter
    def data(self, other: Tensor) -> None:
        if not isinstance(other, Tensor):
            raise TypeError(f"data must be set to a Tensor, got {type(other).__name__}")
        self._data = other._data
        self.dtype = other.dtype
        self.device = other.device
        self.backend = other.backend

    def size(self, dim: int | None = None) -> int | Size:
        if dim is None:
            return self.shape
        from minigrad.ops.common import normalize_dim

        return self.shape[normalize_dim(dim, self.ndim)]

    def dim(self) -> int:
        return self.ndim

    def numel(self) -> int:
        count = 1
        for size in self._data.shape:
            count *= size
        return count

    def is_floating_point(self) -> bool:
        return self.dtype.is_floating_point

    def element_size(self) -> int:
        """Bytes per element (4 for float32, 8 for float64 and int64, 1 for bool)."""
        return self.dtype.numpy.itemsize

    @property
    def itemsize(self) -> int:
        """Bytes per element, as ``element_size()``."""
        return self.dtype.numpy.itemsize

    @property
    def nbytes(self) -> int:
        """Bytes the elements take: ``numel() * element_size()``."""
        return self.numel() * self.dtype.numpy.itemsize

    @property
    def is_cuda(self) -> bool:
        """Whether the tensor lives on the GPU (``device == "cuda"``)."""
        return self.device == "cuda"

    @property
    def is_cpu(self) -> bool:
        """Whether the tensor lives in main memory (``device == "cpu"``)."""
        return self.device == "cpu"

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    def __hash__(self) -> int:
        return id(self)

    # --- leaving minigrad ----------------------------------------------------------------
    def numpy(self) -> np.ndarray:
        """The values as a numpy array (copied to the host for CUDA tensors). On the CPU it
        shares memory with the tensor, as in PyTorch, also for tensors that require grad."""
        return self.backend.to_numpy(self._data)

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        array = self.numpy()
        return array if dtype is None else array.astype(dtype)

    def item(self) -> float | int | bool:
        """The single value of a one-element tensor, as a Python number."""
        if self.numel() != 1:
            raise ValueError(
                f"item(): only one-element tensors can be converted to a Python number, got "
                f"shape {self.shape}"
            )
        return self.numpy().reshape(()).item()

    def tolist(self) -> list | float | int | bool:
        return self.numpy().tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self.numel() != 1:
            raise ValueError(
                f"the truth value of a tensor of shape {self.shape} is ambiguous; use .any() or "
                ".all()"
            )
        return bool(self.item())

    def __repr__(self) -> str:
        from minigrad.printing import tensor_repr

        return tensor_repr(self)

    # --- devices and dtypes --------------------------------------------------------------
    def to(self, device=None, dtype=None) -> Tensor:
        """This tensor on another device and/or with another dtype (a differentiable copy;
        ``self`` when nothing changes). ``to("cuda")``, ``to(minigrad.float64)`` and
        ``to(device=..., dtype=...)`` all work."""
        if _names_a_dtype(device):  # to(minigrad.float64) or to("float64")
            device, dtype = None, device
        target_device = self.device if device is None else normalize_device(device)
        target_dtype = self.dtype if dtype is None else dtypes.as_dtype(dtype)
        if target_device == self.device and target_dtype is self.dtype:
            return self
        from minigrad.ops.conversion import Convert

        return Convert.apply(self, target_device, target_dtype)

    def type(self, dtype=None, non_blocking: bool = False) -> str | Tensor:
        """PyTorch's ``x.type()``. Without an argument: the type name, ``'minigrad.FloatTensor'``
        (``'minigrad.cuda.FloatTensor'`` on the GPU), the spelling of minigrad's messages.
        With a dtype or a type name (``'torch.DoubleTensor'`` as ported code writes it, or
        ``'minigrad.DoubleTensor'``): the tensor converted, as ``to``."""
        from minigrad.autograd.version_counter import _TENSOR_TYPE_NAMES

        if dtype is None:
            prefix = "minigrad.cuda." if self.device == "cuda" else "minigrad."
            return prefix + _TENSOR_TYPE_NAMES[self.dtype.name]
        if not isinstance(dtype, str) or _names_a_dtype(dtype):
            return self.to(dtype=dtype)
        library, _, rest = dtype.partition(".")
        device, _, class_name = rest.rpartition(".")
        by_class_name = {name: dtype_name for dtype_name, name in _TENSOR_TYPE_NAMES.items()}
        if library not in ("torch", "minigrad") or device not in ("", "cuda") or \
                class_name not in by_class_name:
            raise ValueError(f"type(): invalid type {dtype!r}; expected one of "
                             f"{', '.join('minigrad.' + name for name in by_class_name)} (or "
                             "'torch.' / 'minigrad.cuda.' versions of them) or a dtype")
        return self.to(device=device or "cpu", dtype=by_class_name[class_name])

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self) -> Tensor:
        return self.to("cuda")

    def float(self) -> Tensor:
        return self.to(dtype=dtypes.float32)

    def double(self) -> Tensor:
        return self.to(dtype=dtypes.float64)

    def long(self) -> Tensor:
        return self.to(dtype=dtypes.int64)

    def bool(self) -> Tensor:
        return self.to(dtype=dtypes.bool_)

    # --- autograd ------------------------------------------------------------------------
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Ask for (or stop asking for) this leaf's gradient; returns ``self``."""
        if requires_grad and not self.dtype.is_floating_point:
            raise TypeError(
                f"only floating point tensors can require gradients, got {self.dtype.name}"
            )
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError(
                "requires_grad_(False) only works on leaf tensors; use detach() to take a "
                "result out of the graph"
            )
        self.requires_grad = requires_grad
        return self

    def detach(self) -> Tensor:
        """The same values (shared storage, shared version counter) outside the graph."""
        detached = Tensor._from_array(self._data, self.device)
        detached._version_counter = shared_counter(self)
        return detached

    def clone(self) -> Tensor:
        """A copy with its own storage; gradients flow back to ``self``."""
        from minigrad.ops.conversion import Convert

        return Convert.apply(self, self.device, self.dtype)

    def contiguous(self) -> Tensor:
        return self

    def register_hook(self, hook) -> _HookHandle:
        """Call ``hook(grad)`` when this tensor's gradient is computed; if it returns a
        tensor, that replaces the gradient. Returns a handle with ``remove()``."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that does not require grad")
        if self.grad_fn is None:
            if not isinstance(self._hooks, list):
                self._hooks = []
            hooks = self._hooks
        else:
            if not isinstance(self.grad_fn._output_hooks, list):
                self.grad_fn._output_hooks = []
            hooks = self.grad_fn._output_hooks
        hooks.append(hook)
        return _HookHandle(hooks, hook)

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in ``.grad`` after ``backward``."""
        if self.grad_fn is None:
            return

        def store(grad):
            self.grad = grad.detach() if self.grad is None else self.grad + grad.detach()

        self.register_hook(store)

    def backward(self, gradient=None, retain_graph: bool | None = None,
                 create_graph: bool = False) -> None:
        """Compute d self / d leaf for every leaf that requires grad, adding it to the
        leaf's ``.grad``. ``gradient`` (the upstream dL/dself) is needed unless ``self`` has
        one element."""
        if not self.requires_grad:
            raise RuntimeError(
                "backward(): this tensor does not require grad and has no grad_fn; create the "
                "inputs with requires_grad=True"
            )
        if gradient is None:
            if self.numel() != 1:
                raise RuntimeError(
                    f"backward(): grad can be implicitly created only for a tensor with one "
                    f"element, but this one has shape {self.shape}; pass gradient=... of that "
                    "shape"
                )
            gradient = self.ones_like()
        else:
            gradient = engine.seed_gradient(self, gradient, "backward()")
        if retain_graph is None:
            retain_graph = create_graph
        engine.run_backward([self], [gradient], retain_graph, create_graph)

    # --- in-place ops --------------------------------------------------------------------
    # Each one states its new value with ordinary ops (``compute``, given the old value);
    # autograd/inplace.py applies PyTorch's rules: version counter, leaf check, recording.
    def _inplace(self, name: str, compute, *others, direct=None) -> Tensor:
        return inplace.apply_inplace(self, name, compute, others, direct)

    @property
    def _version(self) -> int:
        """How many in-place writes this tensor's storage has had (PyTorch's ``_version``)."""
        return version_of(self)

    def copy_(self, src, non_blocking: bool = False) -> Tensor:
        """Write ``src`` (broadcast to this shape, converted to this dtype and device)."""
        if isinstance(src, Tensor) and src.device != self.device:
            src = src.to(self.device)
        source = as_operand(src, self, "copy_")
        return self._inplace("copy_", lambda old: CopyInto.apply(old, source), source)

    def add_(self, other, alpha=1) -> Tensor:
        """self += alpha * other (the optimizer step: ``p.add_(grad, alpha=-lr)``)."""
        return self._add_scaled_(other, alpha, "add_")

    def sub_(self, other, alpha=1) -> Tensor:
        """self -= alpha * other."""
        return self._add_scaled_(other, -alpha, "sub_")

    def _add_scaled_(self, other, alpha, name: str) -> Tensor:
        other = as_operand(other, self, name)

        def add_directly():
            # One in-place backend update, no temporary tensors: the optimizer's hot path.
            operand = other
            if operand.dtype is not self.dtype:
                inplace.check_result_dtype(self, operand, name)
                operand = operand.to(dtype=self.dtype)
            if (operand._data.shape != self._data.shape
                    and broadcast_shape(self.shape, operand.shape, name) != self.shape):
                raise RuntimeError(
                    f"{name}: output with shape {list(self.shape)} doesn't match the broadcast "
                    f"shape {list(broadcast_shape(self.shape, operand.shape, name))}; an "
                    "in-place op cannot make a tensor larger"
                )
            self.backend.add_scaled_(self._data, operand._data, alpha)

        def added(old):  # the same update as recorded ops, for tensors in the graph
            return old + (other if alpha == 1 else other * alpha)

        return self._inplace(name, added, other, direct=add_directly)

    def mul_(self, other) -> Tensor:
        return self._inplace("mul_", lambda old: old * other, other)

    def div_(self, other) -> Tensor:
        return self._inplace("div_", lambda old: old / other, other)

    def pow_(self, exponent) -> Tensor:
        return self._inplace("pow_", lambda old: old ** exponent, exponent)

    def addcmul_(self, tensor1, tensor2, value=1) -> Tensor:
        """self += value * tensor1 * tensor2."""
        return self._inplace("addcmul_", lambda old: old + value * tensor1 * tensor2,
                             tensor1, tensor2)

    def addcdiv_(self, tensor1, tensor2, value=1) -> Tensor:
        """self += value * tensor1 / tensor2."""
        return self._inplace("addcdiv_", lambda old: old + value * tensor1 / tensor2,
                             tensor1, tensor2)

    def lerp_(self, end, weight) -> Tensor:
        """self += weight * (end - self)."""
        return self._inplace("lerp_", lambda old: old + weight * (end - old), end, weight)

    def clamp_(self, min=None, max=None) -> Tensor:  # noqa: A002 - PyTorch's argument names
        return self._inplace("clamp_", lambda old: old.clamp(min, max), min, max)

    clip_ = clamp_

    exp_, log_, sqrt_ = _unary_inplace("exp"), _unary_inplace("log"), _unary_inplace("sqrt")
    abs_, neg_, relu_ = _unary_inplace("abs"), _unary_inplace("neg"), _unary_inplace("relu")
    sigmoid_, tanh_ = _unary_inplace("sigmoid"), _unary_inplace("tanh")

    def fill_(self, value) -> Tensor:
        source = as_operand(value, self, "fill_")
        if source.ndim != 0:
            raise RuntimeError(
                f"fill_ only supports 0-dimension value tensors, got shape {source.shape}"
            )
        return self.copy_(source)

    def zero_(self) -> Tensor:
        return self.fill_(0)

    def uniform_(self, from_: float = 0.0, to: float = 1.0, *, low=None, high=None) -> Tensor:
        """Fill with samples from U(from_, to) (``low``/``high`` are older spellings)."""
        from minigrad import random

        low = from_ if low is None else low
        high = to if high is None else high
        values = random.generator().uniform(low, high, self.shape).astype(self.dtype.numpy)
        return self.copy_(Tensor._from_array(self.backend.from_numpy(values), self.device))

    def normal_(self, mean: float = 0.0, std: float = 1.0) -> Tensor:
        from minigrad import random

        values = random.generator().normal(mean, std, self.shape).astype(self.dtype.numpy)
        return self.copy_(Tensor._from_array(self.backend.from_numpy(values), self.device))

    def __setitem__(self, index, value) -> None:
        indexing.setitem(self, index, value)

    def __iadd__(self, other) -> Tensor:
        return self.add_(other)

    def __isub__(self, other) -> Tensor:
        return self.sub_(other)

    def __imul__(self, other) -> Tensor:
        return self.mul_(other)

    def __itruediv__(self, other) -> Tensor:
        return self.div_(other)

    def __ipow__(self, exponent) -> Tensor:
        return self.pow_(exponent)

    # --- arithmetic ----------------------------------------------------------------------
    # The hottest operators are the op functions themselves: one call less per op.
    __add__ = elementwise.add

    def __radd__(self, other) -> Tensor:
        return elementwise.add(as_operand(other, self, "add"), self)

    __sub__ = elementwise.sub

    def __rsub__(self, other) -> Tensor:
        return elementwise.sub(as_operand(other, self, "sub"), self)

    __mul__ = elementwise.mul

    def __rmul__(self, other) -> Tensor:
        return elementwise.mul(as_operand(other, self, "mul"), self)

    def __truediv__(self, other) -> Tensor:
        return elementwise.div(self, other)

    def __rtruediv__(self, other) -> Tensor:
        return elementwise.div(as_operand(other, self, "div"), self)

    def __pow__(self, exponent) -> Tensor:
        return elementwise.pow(self, exponent)

    def __rpow__(self, base) -> Tensor:
        return elementwise.pow(as_operand(base, self, "pow"), self)

    def __neg__(self) -> Tensor:
        return elementwise.unary(elementwise.Neg, self)

    def __pos__(self) -> Tensor:
        return self

    def __matmul__(self, other) -> Tensor:
        return linalg.matmul(self, other)

    def __rmatmul__(self, other) -> Tensor:
        return linalg.matmul(as_operand(other, self, "matmul"), self)

    def __eq__(self, other) -> Tensor:  # elementwise, as in PyTorch
        return elementwise.compare("eq", self, other)

    def __ne__(self, other) -> Tensor:
        return elementwise.compare("ne", self, other)

    def __lt__(self, other) -> Tensor:
        return elementwise.compare("lt", self, other)

    def __le__(self, other) -> Tensor:
        return elementwise.compare("le", self, other)

    def __gt__(self, other) -> Tensor:
        return elementwise.compare("gt", self, other)

    def __ge__(self, other) -> Tensor:
        return elementwise.compare("ge", self, other)

    def __getitem__(self, index) -> Tensor:
        return indexing.getitem(self, index)


    # --- elementwise functions -----------------------------------------------------------
    def exp(self) -> Tensor:
        return elementwise.unary(elementwise.Exp, self)

    def log(self) -> Tensor:
        return elementwise.unary(elementwise.Log, self)

    def sqrt(self) -> Tensor:
        return elementwise.unary(elementwise.Sqrt, self)

    def abs(self) -> Tensor:
        return elementwise.unary(elementwise.Abs, self)

    def relu(self) -> Tensor:
        return elementwise.unary(elementwise.Relu, self)

    def sigmoid(self) -> Tensor:
        return elementwise.unary(elementwise.Sigmoid, self)

    def tanh(self) -> Tensor:
        return elementwise.unary(elementwise.Tanh, self)

    def sign(self) -> Tensor:
        return elementwise.sign(self)

    def where(self, condition, other) -> Tensor:
        """``self`` where ``condition`` else ``other`` (PyTorch's method form)."""
        return elementwise.where(condition, self, other)

    # --- reductions ----------------------------------------------------------------------
    def sum(self, dim=None, keepdim=False) -> Tensor:
        return reduction.sum(self, dim, keepdim)

    def mean(self, dim=None, keepdim=False) -> Tensor:
        return reduction.mean(self, dim, keepdim)

    def var(self, dim=None, keepdim=False, correction=1, unbiased=None) -> Tensor:
        return reduction.var(self, dim, keepdim, correction, unbiased)

    def std(self, dim=None, keepdim=False, correction=1, unbiased=None) -> Tensor:
        return reduction.std(self, dim, keepdim, correction, unbiased)

    def max(self, dim=None, keepdim=False) -> Tensor | tuple[Tensor, Tensor]:
        return reduction.max(self, dim, keepdim)

    def min(self, dim=None, keepdim=False) -> Tensor | tuple[Tensor, Tensor]:
        return reduction.min(self, dim, keepdim)

    def amax(self, dim=None, keepdim=False) -> Tensor:
        return reduction.amax(self, dim, keepdim)

    def amin(self, dim=None, keepdim=False) -> Tensor:
        return reduction.amin(self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False) -> Tensor:
        return reduction.argmax(self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False) -> Tensor:
        return reduction.argmin(self, dim, keepdim)

    # --- shape ---------------------------------------------------------------------------
    def reshape(self, *shape) -> Tensor:
        return shape_ops.reshape(self, *shape)

    view = reshape

    def flatten(self, start_dim=0, end_dim=-1) -> Tensor:
        return shape_ops.flatten(self, start_dim, end_dim)

    def transpose(self, dim0, dim1) -> Tensor:
        return shape_ops.transpose(self, dim0, dim1)

    def t(self) -> Tensor:
        if self.ndim > 2:
            raise ValueError(f"t() expects a tensor with at most 2 dimensions, got {self.shape}")
        return shape_ops.transpose(self, 0, -1)

    def permute(self, *dims) -> Tensor:
        return shape_ops.permute(self, *dims)

    def squeeze(self, dim=None) -> Tensor:
        return shape_ops.squeeze(self, dim)

    def unsqueeze(self, dim) -> Tensor:
        return shape_ops.unsqueeze(self, dim)

    def expand(self, *sizes) -> Tensor:
        return shape_ops.expand(self, *sizes)

    def expand_as(self, other) -> Tensor:
        return shape_ops.expand(self, other.shape)

    def view_as(self, other) -> Tensor:
        return shape_ops.reshape(self, other.shape)

    def gather(self, dim, index) -> Tensor:
        return indexing.gather(self, dim, index)

    # --- like-creation (used by backward formulas) ---------------------------------------
    def zeros_like(self) -> Tensor:
        return Tensor._from_array(self.backend.zeros(self.shape, self.dtype.numpy), self.device)

    def ones_like(self) -> Tensor:
        return Tensor._from_array(self.backend.full(self.shape, 1, self.dtype.numpy), self.device)



for _name, _reason in OUT_OF_SCOPE.items():
    setattr(Tensor, _name, _OutOfScope(_name, _reason))

# The op families' tables: each entry is a method here and a function ``minigrad.<name>``.
for _table in (arithmetic.FUNCTIONS, elementwise_math.FUNCTIONS, linalg.FUNCTIONS,
               reduction.FUNCTIONS, cumulative.FUNCTIONS, sorting.FUNCTIONS, diagonal.FUNCTIONS):
    for _name, _function in _table.items():
        setattr(Tensor, _name, _function)


class _HookHandle:
    def __init__(self, hooks: list, hook) -> None:
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


def is_tensor(value) -> bool:
    return isinstance(value, Tensor)


__all__ = ["Tensor", "is_tensor", "normalize_device"]
