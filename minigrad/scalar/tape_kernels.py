"""Numba interpreters for a compiled `Tape` (see tape.py for the layout they read).

A tape is a Value graph flattened into rows. Row ``r`` of ``values`` holds one node's number
for a *block of samples* (``values[r, s]`` is the node's value in sample ``s``). Rows are in
topological order: inputs, parameters, constants, then one row per operation, whose
operation ``k`` (row ``first_op_row + k``) is described by ``op_code[k]``, its operand rows
``left[k]`` and ``right[k]`` (-1 when unary) and ``exponent[k]`` (for ``**``).

Why this is fast:

* the interpreter dispatches on the op code once per operation and then runs a tight loop
  over the samples of the block, so the cost of interpretation is paid once per node, not
  once per node and sample; the sample loops are plain array arithmetic that LLVM turns into
  SIMD instructions;
* nothing is allocated inside the loops (the work arrays are made once by the Tape and
  reused); a block is small enough (a few hundred samples) to stay in the CPU cache between
  the forward and the backward sweep;
* no Python objects are touched at all.

The derivative formulas are exactly those of `Value` (same products, same order of
accumulation), so the tape reproduces the Python engine's numbers to rounding.

Threads: a batch is split into one contiguous share of samples per thread
(``parallel=True`` over those shares, `tape.py` decides how many), each thread with its own
work arrays and its own row of parameter gradients, summed afterwards in a fixed order. Not
``fastmath``, except ``reassoc`` for the one reduction (summing parameter gradients over a
block): the forward and backward formulas must keep IEEE inf handling (exp overflow) intact.
"""

import math

from numba import get_num_threads, njit, prange

from minigrad.backend import compile_notice

compile_notice.install()

# Op codes. Keep in sync with OP_CODES in tape.py.
ADD = 0
MUL = 1
POW = 2
RELU = 3
TANH = 4
SIGMOID = 5
EXP = 6
LOG = 7

# Error kinds a forward sweep can report (0: none).
NO_ERROR = 0
LOG_OF_NON_POSITIVE = 1
NEGATIVE_TO_FRACTIONAL_POWER = 2
ZERO_TO_NEGATIVE_POWER = 3


@njit(cache=True)
def _load_leaves(X, start, n, params, values):
    """Copy samples start..start+n of X into the input rows and broadcast the parameters."""
    n_inputs = X.shape[1]
    for i in range(n_inputs):
        for s in range(n):
            values[i, s] = X[start + s, i]
    for p in range(params.shape[0]):
        v = params[p]
        for s in range(n):
            values[n_inputs + p, s] = v


@njit(cache=True)
def _forward_block(op_code, left, right, exponent, first_op_row, values, n):
    """Evaluate every operation row on the first n samples; report the first domain error.

    Returns (error_kind, row, sample); error_kind is 0 when every operation was defined.
    Rows are indexed as values[row, s] (not through row views, whose reference counting
    would cost more than the arithmetic for small blocks).
    """
    error_kind, error_row, error_sample = NO_ERROR, -1, -1
    for k in range(op_code.shape[0]):
        out = first_op_row + k
        code = op_code[k]
        a = left[k]
        b = right[k]
        if code == ADD:
            for s in range(n):
                values[out, s] = values[a, s] + values[b, s]
        elif code == MUL:
            for s in range(n):
                values[out, s] = values[a, s] * values[b, s]
        elif code == POW:
            e = exponent[k]
            fractional = e != math.floor(e)
            for s in range(n):
                v = values[a, s]
                if error_kind == NO_ERROR:
                    if fractional and v < 0.0:
                        error_kind, error_row, error_sample = NEGATIVE_TO_FRACTIONAL_POWER, out, s
                    elif e < 0.0 and v == 0.0:
                        error_kind, error_row, error_sample = ZERO_TO_NEGATIVE_POWER, out, s
                values[out, s] = v ** e
        elif code == RELU:
            for s in range(n):
                v = values[a, s]
                values[out, s] = v if v > 0.0 else 0.0
        elif code == TANH:
            for s in range(n):
                values[out, s] = math.tanh(values[a, s])
        elif code == SIGMOID:
            # the overflow-free form, as in Value.sigmoid
            for s in range(n):
                v = values[a, s]
                if v >= 0.0:
                    values[out, s] = 1.0 / (1.0 + math.exp(-v))
                else:
                    ev = math.exp(v)
                    values[out, s] = ev / (1.0 + ev)
        elif code == EXP:
            for s in range(n):
                values[out, s] = math.exp(values[a, s])  # overflows to inf, as Value.exp does
        elif code == LOG:
            for s in range(n):
                v = values[a, s]
                if v <= 0.0 and error_kind == NO_ERROR:
                    error_kind, error_row, error_sample = LOG_OF_NON_POSITIVE, out, s
                values[out, s] = math.log(v) if v > 0.0 else math.nan
    return error_kind, error_row, error_sample


@njit(cache=True)
def _backward_block(op_code, left, right, exponent, first_op_row, values, adjoints, n):
    """Push adjoints (d output / d row) from every operation row down to its operand rows.

    Rows are visited in reverse order, so a row's adjoint is complete before it is used.
    Each branch is the chain rule ``adjoints[operand] += local_derivative * adjoints[row]``
    with the local derivative written exactly as in Value (so the numbers agree to the bit
    in most cases). Operands a and b may be the same row (x * x): the two loops then add
    both contributions, one after the other.
    """
    for k in range(op_code.shape[0] - 1, -1, -1):
        out = first_op_row + k
        code = op_code[k]
        a = left[k]
        b = right[k]
        if code == ADD:
            for s in range(n):
                adjoints[a, s] += 1.0 * adjoints[out, s]
            for s in range(n):
                adjoints[b, s] += 1.0 * adjoints[out, s]
        elif code == MUL:
            for s in range(n):
                adjoints[a, s] += values[b, s] * adjoints[out, s]
            for s in range(n):
                adjoints[b, s] += values[a, s] * adjoints[out, s]
        elif code == POW:
            e = exponent[k]
            for s in range(n):
                adjoints[a, s] += (e * _power(values[a, s], e - 1.0)) * adjoints[out, s]
        elif code == RELU:
            for s in range(n):
                local = 1.0 if values[a, s] > 0.0 else 0.0
                adjoints[a, s] += local * adjoints[out, s]
        elif code == TANH:
            for s in range(n):
                t = values[out, s]
                adjoints[a, s] += (1.0 - t * t) * adjoints[out, s]
        elif code == SIGMOID:
            for s in range(n):
                sig = values[out, s]
                adjoints[a, s] += (sig * (1.0 - sig)) * adjoints[out, s]
        elif code == EXP:
            for s in range(n):
                adjoints[a, s] += values[out, s] * adjoints[out, s]
        elif code == LOG:
            for s in range(n):
                adjoints[a, s] += (1.0 / values[a, s]) * adjoints[out, s]


@njit(cache=True)
def _power(v, e):
    """v ** e with 0 ** negative = inf (the derivative of a root at 0), as in Value."""
    if v == 0.0 and e < 0.0:
        return math.inf
    return v ** e


@njit(cache=True, fastmath={"reassoc"})
def _sum_row(array, row, n):
    # Reassociation only: lets LLVM use several partial sums (SIMD) for this reduction.
    total = 0.0
    for s in range(n):
        total += array[row, s]
    return total


@njit(cache=True)
def _forward_range(op_code, left, right, exponent, first_op_row, X, lo, hi, params,
                   output_rows, values, outputs, error):
    """Forward sweep over samples lo..hi-1 in blocks of values.shape[1] samples."""
    block = values.shape[1]
    for start in range(lo, hi, block):
        n = min(block, hi - start)
        _load_leaves(X, start, n, params, values)
        kind, row, sample = _forward_block(op_code, left, right, exponent, first_op_row,
                                           values, n)
        if kind != NO_ERROR:
            error[0], error[1], error[2] = kind, row, start + sample
            return
        for j in range(output_rows.shape[0]):
            for s in range(n):
                outputs[start + s, j] = values[output_rows[j], s]


@njit(cache=True)
def _value_and_grad_range(op_code, left, right, exponent, first_op_row, X, lo, hi, params,
                          output_row, sample_weight, values, adjoints, outputs, param_grads,
                          input_grads, error):
    """Forward and backward sweeps over samples lo..hi-1, block by block.

    The seed of each sample is ``sample_weight`` (1/batch for a mean, 1 for a sum), so
    ``param_grads[p]`` gets ``sum_s sample_weight * d output_s / d param_p`` (it is zeroed
    first), ``input_grads[s, i] = sample_weight * d output_s / d input_i`` and
    ``outputs[s]`` each sample's (unweighted) output.
    """
    n_inputs = X.shape[1]
    n_rows = values.shape[0]
    block = values.shape[1]
    param_grads[:] = 0.0
    for start in range(lo, hi, block):
        n = min(block, hi - start)
        _load_leaves(X, start, n, params, values)
        kind, row, sample = _forward_block(op_code, left, right, exponent, first_op_row,
                                           values, n)
        if kind != NO_ERROR:
            error[0], error[1], error[2] = kind, row, start + sample
            return
        for s in range(n):
            outputs[start + s] = values[output_row, s]
        for r in range(n_rows):
            for s in range(n):
                adjoints[r, s] = 0.0
        for s in range(n):
            adjoints[output_row, s] += sample_weight
        _backward_block(op_code, left, right, exponent, first_op_row, values, adjoints, n)
        for p in range(param_grads.shape[0]):
            param_grads[p] += _sum_row(adjoints, n_inputs + p, n)
        for i in range(n_inputs):
            for s in range(n):
                input_grads[start + s, i] = adjoints[i, s]


# The entry points. Each worker w owns the work arrays values[w], adjoints[w], its own row of
# param_grads and of errors, and a contiguous share of the samples, so workers never write
# to the same memory. The caller sums param_grads over workers in a fixed order, so results
# do not depend on thread scheduling.


@njit(cache=True)
def tape_forward(op_code, left, right, exponent, first_op_row, X, params, output_rows,
                 values, outputs, errors):
    """outputs[s, j] = value of output row j for sample X[s]; one thread (worker 0)."""
    _forward_range(op_code, left, right, exponent, first_op_row, X, 0, X.shape[0], params,
                   output_rows, values[0], outputs, errors[0])


@njit(cache=True, parallel=True)
def tape_forward_parallel(op_code, left, right, exponent, first_op_row, X, params,
                          output_rows, values, outputs, errors, n_workers):
    """tape_forward with the samples split among n_workers threads."""
    batch = X.shape[0]
    for w in prange(n_workers):
        _forward_range(op_code, left, right, exponent, first_op_row, X,
                       w * batch // n_workers, (w + 1) * batch // n_workers, params,
                       output_rows, values[w], outputs, errors[w])


@njit(cache=True)
def tape_value_and_grad(op_code, left, right, exponent, first_op_row, X, params, output_row,
                        sample_weight, values, adjoints, outputs, param_grads, input_grads,
                        errors):
    """Forward and backward over the whole batch on one thread (worker 0)."""
    _value_and_grad_range(op_code, left, right, exponent, first_op_row, X, 0, X.shape[0],
                          params, output_row, sample_weight, values[0], adjoints[0], outputs,
                          param_grads[0], input_grads, errors[0])


@njit(cache=True, parallel=True)
def tape_value_and_grad_parallel(op_code, left, right, exponent, first_op_row, X, params,
                                 output_row, sample_weight, values, adjoints, outputs,
                                 param_grads, input_grads, errors, n_workers):
    """tape_value_and_grad with the samples split among n_workers threads; worker w leaves
    its share of the parameter gradient in param_grads[w]."""
    batch = X.shape[0]
    for w in prange(n_workers):
        _value_and_grad_range(op_code, left, right, exponent, first_op_row, X,
                              w * batch // n_workers, (w + 1) * batch // n_workers, params,
                              output_row, sample_weight, values[w], adjoints[w], outputs,
                              param_grads[w], input_grads, errors[w])


def thread_count() -> int:
    """Threads Numba's parallel kernels may use (numba.set_num_threads changes it)."""
    return get_num_threads()
