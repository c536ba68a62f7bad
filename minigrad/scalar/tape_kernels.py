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

Not ``parallel=True``: a training batch of ~100 samples is one block, so the work is a few
tens of microseconds and starting threads would cost more than it saves. Not ``fastmath``
either, except ``reassoc`` for the one reduction (summing parameter gradients over a block),
because the forward and backward formulas must keep IEEE inf handling (exp overflow) intact.
"""

import math

import numpy as np
from numba import njit

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
        row = values[i]
        for s in range(n):
            row[s] = X[start + s, i]
    for p in range(params.shape[0]):
        row = values[n_inputs + p]
        v = params[p]
        for s in range(n):
            row[s] = v


@njit(cache=True)
def _forward_block(op_code, left, right, exponent, first_op_row, values, n):
    """Evaluate every operation row on the first n samples; report the first domain error.

    Returns (error_kind, row, sample); error_kind is 0 when every operation was defined.
    """
    error_kind, error_row, error_sample = NO_ERROR, -1, -1
    for k in range(op_code.shape[0]):
        row = first_op_row + k
        code = op_code[k]
        out = values[row]
        x = values[left[k]]
        if code == ADD:
            y = values[right[k]]
            for s in range(n):
                out[s] = x[s] + y[s]
        elif code == MUL:
            y = values[right[k]]
            for s in range(n):
                out[s] = x[s] * y[s]
        elif code == POW:
            e = exponent[k]
            fractional = e != math.floor(e)
            for s in range(n):
                v = x[s]
                if error_kind == NO_ERROR:
                    if fractional and v < 0.0:
                        error_kind, error_row, error_sample = NEGATIVE_TO_FRACTIONAL_POWER, row, s
                    elif e < 0.0 and v == 0.0:
                        error_kind, error_row, error_sample = ZERO_TO_NEGATIVE_POWER, row, s
                out[s] = v ** e
        elif code == RELU:
            for s in range(n):
                out[s] = x[s] if x[s] > 0.0 else 0.0
        elif code == TANH:
            for s in range(n):
                out[s] = math.tanh(x[s])
        elif code == SIGMOID:
            # the overflow-free form, as in Value.sigmoid
            for s in range(n):
                v = x[s]
                if v >= 0.0:
                    out[s] = 1.0 / (1.0 + math.exp(-v))
                else:
                    ev = math.exp(v)
                    out[s] = ev / (1.0 + ev)
        elif code == EXP:
            for s in range(n):
                out[s] = math.exp(x[s])  # overflows to inf, as Value.exp does
        elif code == LOG:
            for s in range(n):
                v = x[s]
                if v <= 0.0 and error_kind == NO_ERROR:
                    error_kind, error_row, error_sample = LOG_OF_NON_POSITIVE, row, s
                out[s] = math.log(v) if v > 0.0 else math.nan
    return error_kind, error_row, error_sample


@njit(cache=True)
def _backward_block(op_code, left, right, exponent, first_op_row, values, adjoints, n):
    """Push adjoints (d output / d row) from every operation row down to its operand rows.

    Rows are visited in reverse order, so a row's adjoint is complete before it is used.
    Each branch is the chain rule ``adjoint[operand] += local_derivative * adjoint[row]``
    with the local derivative written exactly as in Value.
    """
    for k in range(op_code.shape[0] - 1, -1, -1):
        row = first_op_row + k
        code = op_code[k]
        g = adjoints[row]
        a = left[k]
        x = values[a]
        ga = adjoints[a]
        if code == ADD:
            gb = adjoints[right[k]]
            for s in range(n):
                ga[s] += 1.0 * g[s]
            for s in range(n):
                gb[s] += 1.0 * g[s]
        elif code == MUL:
            b = right[k]
            y = values[b]
            gb = adjoints[b]
            for s in range(n):
                ga[s] += y[s] * g[s]
            for s in range(n):
                gb[s] += x[s] * g[s]
        elif code == POW:
            e = exponent[k]
            for s in range(n):
                ga[s] += (e * _power(x[s], e - 1.0)) * g[s]
        elif code == RELU:
            for s in range(n):
                ga[s] += (1.0 if x[s] > 0.0 else 0.0) * g[s]
        elif code == TANH:
            out = values[row]
            for s in range(n):
                ga[s] += (1.0 - out[s] * out[s]) * g[s]
        elif code == SIGMOID:
            out = values[row]
            for s in range(n):
                ga[s] += (out[s] * (1.0 - out[s])) * g[s]
        elif code == EXP:
            out = values[row]
            for s in range(n):
                ga[s] += out[s] * g[s]
        elif code == LOG:
            for s in range(n):
                ga[s] += (1.0 / x[s]) * g[s]


@njit(cache=True)
def _power(v, e):
    """v ** e with 0 ** negative = inf (the derivative of a root at 0), as in Value."""
    if v == 0.0 and e < 0.0:
        return math.inf
    return v ** e


@njit(cache=True, fastmath={"reassoc"})
def _sum_row(row, n):
    # Reassociation only: lets LLVM use several partial sums (SIMD) for this reduction.
    total = 0.0
    for s in range(n):
        total += row[s]
    return total


@njit(cache=True)
def tape_forward(op_code, left, right, exponent, first_op_row, X, params, output_rows,
                 values, outputs):
    """outputs[s, j] = value of output row j for sample X[s]; processed in blocks of
    ``values.shape[1]`` samples. Returns (error_kind, row, sample) of the first domain error."""
    batch = X.shape[0]
    block = values.shape[1]
    for start in range(0, batch, block):
        n = min(block, batch - start)
        _load_leaves(X, start, n, params, values)
        kind, row, sample = _forward_block(op_code, left, right, exponent, first_op_row,
                                           values, n)
        if kind != NO_ERROR:
            return kind, row, start + sample
        for j in range(output_rows.shape[0]):
            out_row = values[output_rows[j]]
            for s in range(n):
                outputs[start + s, j] = out_row[s]
    return NO_ERROR, -1, -1


@njit(cache=True)
def tape_value_and_grad(op_code, left, right, exponent, first_op_row, X, params, output_row,
                        sample_weight, values, adjoints, outputs, param_grads, input_grads):
    """Forward and backward sweeps over a batch.

    The seed of sample s is ``sample_weight`` (1/batch for a mean, 1 for a sum), so
    ``param_grads[p] = sum_s sample_weight * d output_s / d param_p`` and
    ``input_grads[s, i] = sample_weight * d output_s / d input_i``; ``outputs[s]`` gets each
    sample's (unweighted) output. Returns (error_kind, row, sample) like tape_forward.
    """
    batch = X.shape[0]
    n_inputs = X.shape[1]
    block = values.shape[1]
    n_rows = values.shape[0]
    param_grads[:] = 0.0
    for start in range(0, batch, block):
        n = min(block, batch - start)
        _load_leaves(X, start, n, params, values)
        kind, row, sample = _forward_block(op_code, left, right, exponent, first_op_row,
                                           values, n)
        if kind != NO_ERROR:
            return kind, row, start + sample
        out_row = values[output_row]
        for s in range(n):
            outputs[start + s] = out_row[s]
        for r in range(n_rows):
            adjoint_row = adjoints[r]
            for s in range(n):
                adjoint_row[s] = 0.0
        seed = adjoints[output_row]
        for s in range(n):
            seed[s] += sample_weight
        _backward_block(op_code, left, right, exponent, first_op_row, values, adjoints, n)
        for p in range(param_grads.shape[0]):
            param_grads[p] += _sum_row(adjoints[n_inputs + p], n)
        for i in range(n_inputs):
            adjoint_row = adjoints[i]
            for s in range(n):
                input_grads[start + s, i] = adjoint_row[s]
    return NO_ERROR, -1, -1


def empty_work_arrays(n_rows, block):
    """The two (n_rows, block) work arrays the kernels reuse between calls."""
    return np.zeros((n_rows, block)), np.zeros((n_rows, block))
