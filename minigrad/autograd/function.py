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

from minigrad.autograd.grad_mode import _GradMode
from minigrad.autograd.version_counter import check_saved_version, version_of
from minigrad.autograd.views import link_view, refresh_if_stale


class _ModuleScope:
    """Record ``module`` as the caller of every op run inside the ``with`` block (in this
    thread).

    The nn.Modules being called right now, outermost first, are kept with the thread's grad
    mode. Graph drawings use them to group the nodes each module created; nothing in the
    engine depends on them. (A small class rather than a ``@contextmanager`` generator:
    every module call enters one, and a generator costs several times more.)
    """

    __slots__ = ("module", "previous")

    def __init__(self, module) -> None:
        self.module = module

    def __enter__(self) -> None:
        state = _GradMode.state
        self.previous = state.module_stack
        state.module_stack = (*self.previous, self.module)

    def __exit__(self, *exc_info) -> None:
        _GradMode.state.module_stack = self.previous


module_scope = _ModuleScope


def _not_a_tensor_error(values: tuple) -> TypeError:
    """The error for ``save_for_backward`` given something other than tensors or None."""
    position, value = next((i, v) for i, v in enumerate(values)
                           if v is not None and not hasattr(v, "_version_counter"))
    return TypeError(
        f"save_for_backward can only save tensors (or None), but argument {position} is of "
        f"type {type(value).__name__}; keep other values as ctx attributes"
    )


def _tensor_class():
    """``minigrad.tensor.Tensor`` (imported late: the tensor module imports this one)."""
    global _TENSOR
    if _TENSOR is None:
        from minigrad.tensor import Tensor

        _TENSOR = Tensor
    return _TENSOR


_TENSOR = None

# One ``needs_input_grad`` tuple per pattern, such as (True, False), shared by all nodes:
# a node keeps as few objects alive as possible, since Python's garbage collector visits
# every object the graph holds, again and again while the graph lives.
_SHARED_NEEDS: dict[tuple[bool, ...], tuple[bool, ...]] = {}

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
      those that need no gradient, so that drawings show every operand), taken from
      ``_arguments``, all the arguments ``apply`` was given;
    - ``needs_input_grad``: one bool per ``forward`` argument (already set when
      ``forward`` runs; empty when nothing is recorded);
    - ``_routes``: where the gradients go, one ``(position, input, edge)`` for each input
      whose gradient is wanted, fixed when the node is made: ``position`` says which of
      ``backward``'s results it is, ``edge`` is the input's ``grad_fn`` node, or the input
      itself for a leaf. (A later in-place op gives the input tensor a new ``grad_fn``; this
      node's gradient must still reach the node that made the value it used.) The engine
      walks only these, so an input that needs no gradient costs nothing in backward;
    - ``saved_tensors``: what ``forward`` kept with ``save_for_backward`` (None once a
      backward pass has freed them; the engine checks, before it calls ``backward``, that
      none was freed or changed in place since);
    - ``module_stack``: the nn.Modules that were being called when the node was made;
    - whatever else ``forward`` stored as attributes.

    """

    # Defaults live on the class: creating a node must be cheap, it happens on every op.
    _arguments: tuple = ()
    needs_input_grad: tuple[bool, ...] = ()
    module_stack: tuple = ()
    _routes: tuple = ()
    # A plain attribute rather than a property, as backward reads it on every node: the
    # checks a property would make (freed? changed in place?) are made by the engine
    # before it calls backward (see ``check_saved_tensors``).
    saved_tensors: tuple | None = ()
    # The saved tensors' versions; None when each was at version 0 (never written in place,
    # the usual case: then saving builds no tuple of versions).
    _saved_versions: tuple[int, ...] | None = None
    # True for ops whose output may share the input's storage (reshape, permute, expand,
    # basic indexing): the output then becomes a view of the first input (see views.py).
    _creates_view = False
    _output_hooks: tuple | list = ()

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError("a Function subclass must define forward(ctx, *inputs)")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("a Function subclass must define backward(ctx, grad_output)")

    def save_for_backward(self, *tensors) -> None:
        """Keep tensors that ``backward`` needs; freed after the backward pass. Their
        versions are noted, so that backward can refuse ones changed in place."""
        self.saved_tensors = tensors
        if not self.needs_input_grad:  # not recorded: no backward will read them
            return
        try:
            for tensor in tensors:
                # A tensor without a counter has had no in-place write (version 0, which the
                # default None stands for); only when one has a counter are versions noted.
                if tensor is not None and tensor._version_counter is not None:
                    self._saved_versions = tuple([0 if t is None else version_of(t)
                                                  for t in tensors])
                    return
        except AttributeError:
            raise _not_a_tensor_error(tensors) from None

    def check_saved_tensors(self) -> None:
        """Raise if the saved tensors were freed by an earlier backward pass, or if one was
        changed in place after ``save_for_backward`` (its gradient would be silently
        wrong). The engine calls this before ``backward`` when a saved tensor has a
        version counter, or when they were freed."""
        saved = self.saved_tensors
        if saved is None:
            raise RuntimeError(
                f"Trying to backward through the graph a second time: the {self.name} "
                "node's buffers were freed by the first backward pass. Call "
                "backward(retain_graph=True) the first time to backpropagate twice."
            )
        versions = self._saved_versions
        for index, tensor in enumerate(saved):
            if tensor is not None and tensor._version_counter is not None:
                check_saved_version(tensor, 0 if versions is None else versions[index])

    @property
    def inputs(self) -> tuple:
        Tensor = _TENSOR or _tensor_class()
        return tuple(argument for argument in self._arguments if isinstance(argument, Tensor))

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
        # The routes are the inputs that needed a gradient, in the order of ``inputs``.
        routes = iter(self._routes)
        route = next(routes, None)
        pairs = []
        for tensor in self.inputs:
            if route is None or route[1] is not tensor:
                pairs.append((None, 0))
                continue
            edge = route[2]
            pairs.append((edge if isinstance(edge, Function) else AccumulateGrad(edge), 0))
            route = next(routes, None)
        return tuple(pairs)

    def __repr__(self) -> str:
        # PyTorch's form, as tutorials print it: <MulBackward0 object at 0x7f...>
        return f"<{self.pytorch_name} object at {id(self):#x}>"

    @classmethod
    def apply(cls, *args):
        """Run ``forward`` and, if any input requires a gradient, record the node.

        This runs for every op, also inside backward formulas, so it does only what is
        needed: with recording off it just calls ``forward``; otherwise one pass over the
        arguments notes which inputs need a gradient and where each gradient will go, and
        a node is linked to the output only if one does. (Arguments are positional only, as
        in PyTorch's ``Function.apply``: a ``**kwargs`` parameter would build a dict on
        every call.)
        """
        state = _GradMode.state  # this thread's grad mode, looked up once
        if not state.enabled:  # no_grad, and backward formulas (unless create_graph=True)
            output = cls.forward(cls(), *args)
            if cls._creates_view:
                link_view(output, args[0], cls, args[1:])
            return output

        Tensor = _TENSOR or _tensor_class()
        needs_input_grad = []
        routes = []  # read before forward: the nodes that made the inputs' values
        position = 0
        for arg in args:
            if isinstance(arg, Tensor):
                if arg._view is not None:
                    refresh_if_stale(arg)  # its base may have been changed in place since
                if arg.requires_grad:
                    needs_input_grad.append(True)
                    routes.append((position, arg, arg.grad_fn or arg))
                    position += 1
                    continue
            needs_input_grad.append(False)
            position += 1
        ctx = cls()
        if not routes:  # nothing to record (ctx.needs_input_grad stays empty)
            output = cls.forward(ctx, *args)
            if cls._creates_view:
                link_view(output, args[0], cls, args[1:])
            return output

        # Known before forward, as in PyTorch: forward may save only what the wanted
        # gradients will read.
        needs_input_grad = tuple(needs_input_grad)
        ctx.needs_input_grad = _SHARED_NEEDS.setdefault(needs_input_grad, needs_input_grad)
        state.enabled = False  # forward's own tensor ops must not be recorded
        try:
            output = cls.forward(ctx, *args)
        finally:
            state.enabled = True
        if not isinstance(output, Tensor):
            raise TypeError(
                f"{cls.__name__}.forward must return a single Tensor, got {type(output).__name__}"
            )
        if not output.dtype.is_floating_point:
            return output  # integer and bool results never require grad, as in PyTorch
        ctx._arguments = args
        ctx._routes = tuple(routes)
        if state.module_stack:
            ctx.module_stack = state.module_stack
        if output.grad_fn is not None or output.requires_grad:
            # forward returned one of its inputs or a view of it; give the node its own output
            output = output._alias()
        output.grad_fn = ctx
        output.requires_grad = True
        if cls._creates_view:
            link_view(output, args[0], cls, args[1:])
        return output


# The ``needs_input_grad`` patterns of a node with one or two inputs, shared as above.
_ONLY = _SHARED_NEEDS.setdefault((True,), (True,))
_FIRST_ONLY = _SHARED_NEEDS.setdefault((True, False), (True, False))
_SECOND_ONLY = _SHARED_NEEDS.setdefault((False, True), (False, True))
_BOTH = _SHARED_NEEDS.setdefault((True, True), (True, True))


def apply_binary(function: type[Function], a, b):
    """``function.apply(a, b)`` for two tensors, written out for the arithmetic operators.

    ``x * y``, ``x + y``, ... run this on every call, also inside backward formulas, so it
    does what ``Function.apply`` does for exactly two tensors without the loop over the
    arguments. The result is the same node: the same ``needs_input_grad``, routes and
    ``_arguments``. It relies on two facts about the ops that use it (``Add``, ``Sub``,
    ``Mul``, ``Div``, ``Pow``), which ``tests/autograd/test_dispatch.py`` checks: their
    ``forward`` only calls the backend (so recording need not be switched off around it),
    and it returns a new tensor (never an input or a view of one).
    """
    ctx = function()
    state = _GradMode.state
    if not state.enabled:  # no_grad, and backward formulas
        return function.forward(ctx, a, b)
    if a._view is not None:
        refresh_if_stale(a)  # its base may have been changed in place since
    if b._view is not None:
        refresh_if_stale(b)
    if a.requires_grad:
        if b.requires_grad:
            ctx.needs_input_grad = _BOTH
            ctx._routes = ((0, a, a.grad_fn or a), (1, b, b.grad_fn or b))
        else:
            ctx.needs_input_grad = _FIRST_ONLY
            ctx._routes = ((0, a, a.grad_fn or a),)
    elif b.requires_grad:
        ctx.needs_input_grad = _SECOND_ONLY
        ctx._routes = ((1, b, b.grad_fn or b),)
    else:  # nothing to record
        return function.forward(ctx, a, b)
    output = function.forward(ctx, a, b)
    if not output.dtype.is_floating_point:
        return output  # integer results never require grad, as in Function.apply
    ctx._arguments = (a, b)
    if state.module_stack:
        ctx.module_stack = state.module_stack
    output.grad_fn = ctx
    output.requires_grad = True
    return output


def apply_unary(function: type[Function], a):
    """``function.apply(a)`` for one tensor, written out for the elementwise functions
    (``relu``, ``tanh``, ``exp``, ...): the steps of ``apply_binary`` for a single input,
    relying on the same two facts about these ops' ``forward``, which
    ``tests/autograd/test_dispatch.py`` checks for each of them."""
    ctx = function()
    state = _GradMode.state
    if not state.enabled:  # no_grad, and backward formulas
        return function.forward(ctx, a)
    if a._view is not None:
        refresh_if_stale(a)  # its base may have been changed in place since
    if not a.requires_grad:  # nothing to record
        return function.forward(ctx, a)
    ctx.needs_input_grad = _ONLY
    ctx._routes = ((0, a, a.grad_fn or a),)
    output = function.forward(ctx, a)
    ctx._arguments = (a,)
    if state.module_stack:
        ctx.module_stack = state.module_stack
    output.grad_fn = ctx
    output.requires_grad = True
    return output
