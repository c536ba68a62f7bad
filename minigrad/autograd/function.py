"""``Function``: one node of the graph, with its forward rule and its backward rule.

Every differentiable op in minigrad is a ``Function`` subclass, and so is any op a student
writes. The interface is PyTorch's::

    class Square(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return 2 * x * grad_output      # d(x^2)/dx times the upstream gradient

    y = Square.apply(x)

``apply`` creates the node (the ``ctx``), runs ``forward`` without recording, and, when an
input requires a gradient, links the result to the node so that ``backward`` can find it.
"""

from __future__ import annotations

from contextlib import contextmanager

from minigrad.autograd.grad_mode import _GradMode

# The nn.Modules being called right now, outermost first. Graph drawings use it to group
# the nodes each module created; nothing in the engine depends on it.
_module_stack: list = []


@contextmanager
def module_scope(module):
    """Record ``module`` as the caller of every op run inside the block."""
    _module_stack.append(module)
    try:
        yield
    finally:
        _module_stack.pop()


def _tensor_class():
    """``minigrad.tensor.Tensor`` (imported late: the tensor module imports this one)."""
    global _TENSOR
    if _TENSOR is None:
        from minigrad.tensor import Tensor

        _TENSOR = Tensor
    return _TENSOR


_TENSOR = None

# minigrad node classes whose PyTorch name is not "<ClassName>Backward0"
_PYTORCH_NODE_NAMES = {
    "PowScalar": "PowBackward0", "Pow": "PowBackward1", "MatMul": "MmBackward0",
    "Reshape": "ViewBackward0", "Convert": "ToCopyBackward0", "GetItem": "IndexBackward0",
    "Linear": "AddmmBackward0", "Conv2d": "ConvolutionBackward0",
    "MaxPool2d": "MaxPool2DWithIndicesBackward0", "AvgPool2d": "AvgPool2DBackward0",
    "SoftmaxCrossEntropy": "NllLossBackward0", "BinaryCrossEntropy": "BinaryCrossEntropyBackward0",
    "Log1P": "Log1PBackward0",
}


class AccumulateGrad:
    """The node PyTorch shows for a leaf in ``next_functions``: it adds the incoming
    gradient into ``variable.grad``. Here it only names the leaf; the engine stores leaf
    gradients itself."""

    def __init__(self, variable) -> None:
        self.variable = variable

    pytorch_name = "AccumulateGrad"
    next_functions: tuple = ()

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {id(self):#x}>"


class Function:
    """Base class of graph nodes. Subclasses define static ``forward`` and ``backward``.

    Attributes of a node (the ``ctx`` that ``forward`` and ``backward`` receive):

    - ``inputs``: the Tensor arguments of ``forward``, in order (the node's parents, also
      those that need no gradient, so that drawings show every operand);
    - ``needs_input_grad``: one bool per ``forward`` argument;
    - ``module_stack``: the nn.Modules that were being called when the node was made;
    - whatever ``forward`` stored with ``save_for_backward`` or as attributes.
    """

    # Defaults live on the class: creating a node must be cheap, it happens on every op.
    inputs: tuple = ()
    needs_input_grad: tuple[bool, ...] = ()
    module_stack: tuple = ()
    _input_positions: tuple[int, ...] = ()
    _saved: tuple | None = ()
    _freed = False
    _output_hooks: tuple | list = ()

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("a Function subclass must define forward(ctx, *inputs)")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("a Function subclass must define backward(ctx, grad_output)")

    def save_for_backward(self, *tensors) -> None:
        """Keep tensors that ``backward`` needs; freed after the backward pass."""
        self._saved = tensors

    @property
    def saved_tensors(self) -> tuple:
        if self._freed:
            raise RuntimeError(
                f"{type(self).__name__}: its saved tensors were freed by an earlier backward "
                "pass. Call backward(retain_graph=True) the first time to backpropagate twice."
            )
        return self._saved

    @property
    def name(self) -> str:
        """The op's name for error messages and drawings, e.g. ``"Mul"``."""
        return type(self).__name__

    @property
    def pytorch_name(self) -> str:
        """PyTorch's name for this kind of node, as ``grad_fn`` reprs show it:
        ``"MulBackward0"`` for ``Mul``, ``"PowBackward0"`` for a power with a number
        exponent. A user's own Function is ``"<ClassName>Backward"``, as in PyTorch. A
        function built from several ops (a loss) may name its last node after itself
        (``MseLossBackward0``) by setting ``_pytorch_name`` on it."""
        if "_pytorch_name" in self.__dict__:
            return self.__dict__["_pytorch_name"]
        name = type(self).__name__
        if name in _PYTORCH_NODE_NAMES:
            return _PYTORCH_NODE_NAMES[name]
        if type(self).__module__.startswith("minigrad."):
            return f"{name}Backward0"
        return f"{name}Backward"

    @property
    def next_functions(self) -> tuple:
        """``((node, 0), ...)``, one pair per Tensor input, as in PyTorch: the node that made
        the input, an ``AccumulateGrad`` for a leaf that requires grad (it stores into
        ``.grad``), or ``(None, 0)`` for an input that needs no gradient."""
        pairs = []
        for tensor in self.inputs:
            if tensor.grad_fn is not None:
                pairs.append((tensor.grad_fn, 0))
            elif tensor.requires_grad:
                pairs.append((AccumulateGrad(tensor), 0))
            else:
                pairs.append((None, 0))
        return tuple(pairs)

    def _free(self) -> None:
        """Drop what backward needed, so a finished graph holds no large buffers."""
        self._saved = None
        self._freed = True

    def __repr__(self) -> str:
        # PyTorch's form, as tutorials print it: <MulBackward0 object at 0x7f...>
        return f"<{self.pytorch_name} object at {id(self):#x}>"

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run ``forward`` and, if any input requires a gradient, record the node."""
        if not _GradMode.enabled:
            return cls.forward(cls(), *args, **kwargs)
        Tensor = _TENSOR or _tensor_class()
        needs_input_grad = []
        positions = []
        for position, arg in enumerate(args):
            if isinstance(arg, Tensor):
                positions.append(position)
                needs_input_grad.append(arg.requires_grad)
            else:
                needs_input_grad.append(False)
        if True not in needs_input_grad:
            return cls.forward(cls(), *args, **kwargs)

        ctx = cls()
        _GradMode.enabled = False  # forward's own tensor ops must not be recorded
        try:
            output = cls.forward(ctx, *args, **kwargs)
        finally:
            _GradMode.enabled = True
        if not isinstance(output, Tensor):
            raise TypeError(
                f"{cls.__name__}.forward must return a single Tensor, got {type(output).__name__}"
            )
        ctx._input_positions = tuple(positions)
        ctx.inputs = tuple([args[i] for i in positions])
        ctx.needs_input_grad = tuple(needs_input_grad)
        if _module_stack:
            ctx.module_stack = tuple(_module_stack)
        if output.grad_fn is not None or output.requires_grad:
            # forward returned one of its inputs or a view of it; give the node its own output
            output = output._alias()
        output.grad_fn = ctx
        output.requires_grad = True
        return output
