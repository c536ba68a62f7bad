"""`Tape`: a Value graph compiled once into flat arrays and run by Numba interpreters.

Building a graph of Python objects costs about a microsecond per node, every time. But a
training step builds *the same* graph again and again, only with new numbers. A Tape records
the graph's shape once:

* rows in topological order: the inputs, the parameters, the constants, then one row per
  operation;
* for each operation: an op code (``+ * ** ReLU tanh sigmoid exp log``), the rows of its
  operands, and the exponent for ``**``.

The Numba kernels in tape_kernels.py then replay these arrays on new numbers, for one sample
or for a whole batch at once, with no Python objects involved. Subtraction, division and
negation need no op codes of their own: Value already builds them from ``+ * **``.

Which leaves are which:

* ``inputs``: change with every sample (the features ``x``, the target ``y``); a batch is a
  2-D array with one column per input;
* ``params``: shared by all samples (weights and biases); their gradients are reduced
  (averaged or summed) over the batch; their current numbers live in ``tape.params``;
* any other leaf is a constant: its number is frozen into the tape when it is compiled.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

import numpy as np

from minigrad.backend.cpu.threads import KERNEL_LAUNCH_LOCK
from minigrad.scalar.value import Value, topological_order

__all__ = ["Tape", "TapeResult"]

# Op names (Value._op) -> op codes of tape_kernels.py. "**<n>" is handled separately.
OP_CODES = {"+": 0, "*": 1, "ReLU": 3, "tanh": 4, "sigmoid": 5, "exp": 6, "log": 7}
POW_CODE = 2

DEFAULT_BLOCK_SIZE = 128
# Threads only for big batches. Measured on 2 cores with the moons MLP (644 operations):
# at 100 samples, 2 threads cut the median step from ~75 to ~45 us on an idle machine, but on
# a busy one a thread waiting for a core stalls the whole step for milliseconds (the total
# time of 100 steps went up 5-10x). With 512+ samples per thread the work per call is large
# enough that such a stall costs little in proportion.
MIN_SAMPLES_PER_THREAD = 512


class TapeResult(NamedTuple):
    """What `Tape.value_and_grad` and `Tape.value_and_grad_batch` return.

    value: the output (for a batch, the mean or sum over samples).
    param_grads: (n_params,) gradient of ``value`` with respect to each parameter.
    input_grads: (n_inputs,) for one sample; (batch, n_inputs) for a batch, row s being the
        gradient of ``value`` with respect to sample s's inputs.
    """

    value: float
    param_grads: np.ndarray
    input_grads: np.ndarray


class Tape:
    """A Value graph compiled for fast, repeated forward and backward passes.

    Args:
        output: the Value to compute (a loss, a score), or a list of Values (forward only).
        inputs: leaf Values whose numbers change per sample, in the column order of ``X``.
        params: leaf Values shared across samples; their numbers start as ``p.data`` and are
            held in ``tape.params`` (a float64 array you may update in place, e.g. by SGD).
        block_size: samples processed together by the kernels (a cache-size trade-off).
        parallel: split batches of at least 1024 samples among Numba's threads.

    Methods: `forward`, `forward_batch`, `value_and_grad`, `value_and_grad_batch`;
    `read_params` / `write_params` / `write_grads` move numbers between the tape and the
    original Value objects. Results equal those of the Value graph to rounding (float64).

    >>> x, w = Value(2.0), Value(3.0)
    >>> tape = Tape((x * w).tanh(), inputs=[x], params=[w])
    >>> round(tape.forward([0.1]), 6)
    0.291313
    """

    def __init__(self, output: Value | Sequence[Value], inputs: Sequence[Value] = (),
                 params: Sequence[Value] = (), *, block_size: int = DEFAULT_BLOCK_SIZE,
                 parallel: bool = True) -> None:
        self.outputs = _as_value_list(output, "output")
        self.single_output = isinstance(output, Value)
        if not self.outputs:
            raise ValueError("a Tape needs at least one output Value")
        self.inputs = _as_value_list(inputs, "inputs")
        self.param_values = _as_value_list(params, "params")
        if block_size < 1:
            raise ValueError(f"block_size must be at least 1, got {block_size}")
        self.block_size = int(block_size)
        self.parallel = parallel
        self._compile()
        self.params = np.array([p.data for p in self.param_values], dtype=np.float64)
        # Work arrays (workers, n_rows, block) for the kernels, grown on demand by `_work`.
        self._values = np.empty((0, self.n_rows, 0))
        self._adjoints = np.empty((0, self.n_rows, 0))

    # ---- compilation -------------------------------------------------------------------

    def _compile(self) -> None:
        rows: dict[Value, int] = {}
        for role, leaves, first in (("inputs", self.inputs, 0),
                                    ("params", self.param_values, len(self.inputs))):
            for i, leaf in enumerate(leaves):
                if leaf._prev:
                    raise ValueError(f"{role}[{i}] must be a leaf Value (one you created), but "
                                     f"it was made by the operation {leaf._op!r}")
                if leaf in rows:
                    raise ValueError(f"{role}[{i}] ({leaf!r}) is listed twice in inputs/params")
                rows[leaf] = first + i
        order = topological_order(self.outputs)
        constants = [node for node in order if not node._prev and node not in rows]
        for node in constants:
            rows[node] = len(rows)
        self.first_op_row = len(rows)
        self.constant_values = np.array([node.data for node in constants], dtype=np.float64)

        operations = [node for node in order if node._prev]
        n_ops = len(operations)
        self.op_code = np.empty(n_ops, dtype=np.int64)
        self.left = np.empty(n_ops, dtype=np.int64)
        self.right = np.full(n_ops, -1, dtype=np.int64)
        self.exponent = np.zeros(n_ops, dtype=np.float64)
        for k, node in enumerate(operations):
            rows[node] = self.first_op_row + k
            op = node._op
            if op.startswith("**"):
                self.op_code[k] = POW_CODE
                self.exponent[k] = float(op[2:])
            elif op in OP_CODES:
                self.op_code[k] = OP_CODES[op]
            else:
                raise ValueError(f"cannot compile the operation {op!r}: a Tape knows "
                                 f"{sorted(OP_CODES)} and '**<number>'")
            self.left[k] = rows[node._prev[0]]
            if len(node._prev) == 2:
                self.right[k] = rows[node._prev[1]]
        self.n_rows = len(rows)
        self.output_rows = np.array([rows[node] for node in self.outputs], dtype=np.int64)
        self._operation_names = [node._op for node in operations]

    @property
    def n_inputs(self) -> int:
        return len(self.inputs)

    @property
    def n_params(self) -> int:
        return len(self.param_values)

    def __len__(self) -> int:
        """Number of operations on the tape."""
        return len(self.op_code)

    def __repr__(self) -> str:
        return (f"Tape({len(self)} operations, {self.n_inputs} inputs, {self.n_params} params, "
                f"{len(self.constant_values)} constants, {len(self.outputs)} outputs)")

    # ---- moving numbers between the tape and the Values --------------------------------

    def read_params(self) -> None:
        """Copy the parameters' current ``.data`` into ``tape.params``."""
        self.params[:] = [p.data for p in self.param_values]

    def write_params(self) -> None:
        """Copy ``tape.params`` into the parameters' ``.data``."""
        for p, v in zip(self.param_values, self.params.tolist(), strict=True):
            p.data = v

    def write_grads(self, param_grads: np.ndarray) -> None:
        """Set each parameter's ``.grad`` from a ``param_grads`` array (e.g. a TapeResult's)."""
        grads = self._check_params(param_grads, "param_grads")
        for p, g in zip(self.param_values, grads.tolist(), strict=True):
            p.grad = g

    # ---- running ------------------------------------------------------------------------

    def forward(self, x: Sequence[float] = (), params: np.ndarray | None = None):
        """The output(s) for one sample ``x`` (n_inputs numbers): a float, or an array of
        n_outputs floats when the tape was built from a list of outputs."""
        out = self.forward_batch(self._one_sample(x), params)[0]
        return float(out) if self.single_output else out

    def forward_batch(self, X, params: np.ndarray | None = None) -> np.ndarray:
        """Outputs for every row of ``X`` (shape (batch, n_inputs)): shape (batch,) for a
        single output, (batch, n_outputs) for a list of outputs."""
        from minigrad.scalar import tape_kernels as kernels

        X = self._check_batch(X)
        workers = self._workers(X.shape[0])
        values = self._work(workers, X.shape[0])
        outputs = np.empty((X.shape[0], len(self.outputs)))
        errors = np.zeros((workers, 3), dtype=np.int64)
        args = (self.op_code, self.left, self.right, self.exponent, self.first_op_row, X,
                self._check_params(params), self.output_rows, values, outputs, errors)
        if workers == 1:
            kernels.tape_forward(*args)
        else:
            with KERNEL_LAUNCH_LOCK:  # Numba's thread pool serves one caller at a time
                kernels.tape_forward_parallel(*args, workers)
        self._raise_domain_error(errors)
        return outputs[:, 0] if self.single_output else outputs

    def value_and_grad(self, x: Sequence[float] = (),
                       params: np.ndarray | None = None) -> TapeResult:
        """Output and gradients for one sample ``x``: the tape's version of
        ``out.backward()``, returning d out / d params and d out / d inputs."""
        result = self.value_and_grad_batch(self._one_sample(x), params, reduction="sum")
        return TapeResult(result.value, result.param_grads, result.input_grads[0])

    def value_and_grad_batch(self, X, params: np.ndarray | None = None,
                             reduction: str = "mean") -> TapeResult:
        """Reduced output over a batch and its gradients, in one kernel call.

        ``value = mean_s out(X[s])`` (or the sum with ``reduction="sum"``);
        ``param_grads = d value / d params`` (the per-sample gradients averaged or summed).
        """
        from minigrad.scalar import tape_kernels as kernels

        if not self.single_output:
            raise ValueError(f"gradients need a single output, but this tape has "
                             f"{len(self.outputs)}; build one Value from them (e.g. a sum)")
        if reduction not in ("mean", "sum"):
            raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
        X = self._check_batch(X)
        batch = X.shape[0]
        weight = 1.0 / batch if reduction == "mean" else 1.0
        workers = self._workers(batch)
        values = self._work(workers, batch)
        adjoints = self._work(workers, batch, adjoints=True)
        outputs = np.empty(batch)
        param_grads = np.empty((workers, self.n_params))
        input_grads = np.empty((batch, self.n_inputs))
        errors = np.zeros((workers, 3), dtype=np.int64)
        args = (self.op_code, self.left, self.right, self.exponent, self.first_op_row, X,
                self._check_params(params), self.output_rows[0], weight, values, adjoints,
                outputs, param_grads, input_grads, errors)
        if workers == 1:
            kernels.tape_value_and_grad(*args)
        else:
            with KERNEL_LAUNCH_LOCK:  # Numba's thread pool serves one caller at a time
                kernels.tape_value_and_grad_parallel(*args, workers)
        self._raise_domain_error(errors)
        # each thread summed its share of samples; add the shares in a fixed order
        total_grads = param_grads[0] if workers == 1 else param_grads.sum(axis=0)
        return TapeResult(float(outputs.sum()) * weight, total_grads, input_grads)

    # ---- helpers ------------------------------------------------------------------------

    def _workers(self, batch: int) -> int:
        """How many threads to split a batch among (1 for small batches)."""
        if not self.parallel or batch < 2 * MIN_SAMPLES_PER_THREAD:
            return 1
        from minigrad.scalar import tape_kernels as kernels

        return max(1, min(kernels.thread_count(), batch // MIN_SAMPLES_PER_THREAD))

    def _work(self, workers: int, batch: int, adjoints: bool = False) -> np.ndarray:
        """The (workers, n_rows, block) array of node values (or of adjoints) for a batch.

        The kernels process each worker's share of samples in blocks of ``values.shape[2]``
        samples, so a block needs to be no wider than that share: one sample takes
        n_rows numbers, not n_rows * block_size. The arrays are kept and reused while they
        are large enough, and grown (to the larger of old and new sizes) when not; only a
        gradient computation needs the adjoints. The constant rows of ``values`` are filled
        whenever it is made.
        """
        share = -(-batch // workers)  # ceil: the largest share of samples of one worker
        block = min(self.block_size, share)
        array = self._adjoints if adjoints else self._values
        if array.shape[0] >= workers and block <= array.shape[2] <= self.block_size:
            return array
        shape = (max(workers, array.shape[0]), self.n_rows,
                 min(max(block, array.shape[2]), self.block_size))
        array = np.zeros(shape)
        if adjoints:
            self._adjoints = array
        else:
            first_constant = self.n_inputs + self.n_params
            array[:, first_constant:self.first_op_row] = self.constant_values[None, :, None]
            self._values = array
        return array

    def _one_sample(self, x: Sequence[float]) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if x.shape != (self.n_inputs,):
            raise ValueError(f"expected {self.n_inputs} input numbers (shape "
                             f"({self.n_inputs},)), got shape {x.shape}")
        return x[None, :]

    def _check_batch(self, X) -> np.ndarray:
        X = np.ascontiguousarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_inputs or X.shape[0] == 0:
            raise ValueError(f"X must have shape (batch, {self.n_inputs}) with batch >= 1 "
                             f"(one column per tape input), got shape {X.shape}")
        return X

    def _check_params(self, params: np.ndarray | None, name: str = "params") -> np.ndarray:
        if params is None:
            return self.params
        params = np.ascontiguousarray(params, dtype=np.float64)
        if params.shape != (self.n_params,):
            raise ValueError(f"{name} must have shape ({self.n_params},), got {params.shape}")
        return params

    def _raise_domain_error(self, errors: np.ndarray) -> None:
        """Raise for the first sample whose forward sweep hit log(<= 0) or a bad power."""
        if not errors[:, 0].any():
            return
        failed = errors[errors[:, 0] != 0]
        kind, row, sample = failed[np.argmin(failed[:, 2])].tolist()
        op = self._operation_names[row - self.first_op_row]
        where = f"(operation {op!r} at tape row {row}, sample {sample})"
        if kind == 1:
            raise ValueError(f"log of a non-positive number {where}")
        if kind == 2:
            raise ValueError(f"a negative number to a non-integer power {where}")
        raise ZeroDivisionError(f"0.0 to a negative power is a division by zero {where}")


def _as_value_list(values: Value | Sequence[Value], name: str) -> list[Value]:
    if isinstance(values, Value):
        return [values]
    if not isinstance(values, Iterable) or isinstance(values, str):
        raise TypeError(f"{name} must be a Value or a list of Values, got "
                        f"{type(values).__name__}; build the graph from Values, e.g. "
                        "Tape(Value(3.0) * x, inputs=[x])")
    values = list(values)
    for i, v in enumerate(values):
        if not isinstance(v, Value):
            raise TypeError(f"{name}[{i}] must be a Value, got {type(v).__name__}")
    return values
