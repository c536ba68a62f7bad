"""Matrix multiplication, the heart of every dense layer.

For C = A @ B the chain rule gives dL/dA = dL/dC @ B^T and dL/dB = A^T @ dL/dC: each input's
gradient is the upstream gradient multiplied by the *other* input, transposed so the shapes
fit. Batch dimensions broadcast like elementwise ops and are summed back the same way.
"""

from __future__ import annotations

from minigrad.autograd.function import Function
from minigrad.autograd.grad_mode import is_grad_enabled, no_grad
from minigrad.ops.common import broadcast_shape, promote_pair, sum_to_shape


class MatMul(Function):
    """C = A @ B for operands with at least two dimensions."""

    @staticmethod
    def forward(ctx, a, b):
        # dL/dA reads only B and dL/dB only A: save just what the wanted gradients read.
        needs_a, needs_b = ctx.needs_input_grad or (False, False)
        ctx.shapes = (a._data.shape, b._data.shape)
        ctx.save_for_backward(a if needs_b else None, b if needs_a else None)
        return a._from_array(a.backend.matmul(a._data, b._data), a.device)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        shape_a, shape_b = ctx.shapes
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_a = sum_to_shape(grad @ b.transpose(-1, -2), shape_a)
        if ctx.needs_input_grad[1]:
            grad_b = sum_to_shape(a.transpose(-1, -2) @ grad, shape_b)
        return grad_a, grad_b


def matmul(a, b):
    """``a @ b`` with numpy/PyTorch semantics: a 1-D first operand is a row vector, a 1-D
    second operand a column vector (the added dimension is removed from the result), and
    batch dimensions broadcast."""
    from minigrad.tensor import Tensor

    if not isinstance(b, Tensor):
        raise TypeError(f"matmul: expected a Tensor as the second operand, got {type(b).__name__}")
    if a.device != b.device:
        raise RuntimeError(
            f"matmul: expected both tensors on the same device, got {a.device} (shape "
            f"{a.shape}) and {b.device} (shape {b.shape})"
        )
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(
            f"matmul: both operands need at least one dimension, got shapes {a.shape} and "
            f"{b.shape}"
        )
    a, b = promote_pair(a, b, "matmul", mix_floats=False)
    inner_a = a.shape[-1]
    inner_b = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if inner_a != inner_b:
        raise ValueError(
            f"matmul: shapes {a.shape} and {b.shape} are not aligned: {inner_a} (last dim of "
            f"the first) != {inner_b} ({'first' if b.ndim == 1 else 'second-to-last'} dim of "
            "the second)"
        )
    if a.ndim > 2 or b.ndim > 2:
        broadcast_shape(a.shape[:-2], b.shape[:-2], "matmul (batch dimensions)")
    a_vector, b_vector = a.ndim == 1, b.ndim == 1
    if a_vector:
        a = a.unsqueeze(0)
    if b_vector:
        b = b.unsqueeze(-1)
    result = MatMul.apply(a, b)
    if a_vector:
        result = result.squeeze(-2)
    if b_vector:
        result = result.squeeze(-1)
    return result


# --- ``out=``: PyTorch's way of writing a result into an existing tensor --------------------


def write_out(name: str, result, out):
    """``result`` written into ``out``, which is returned (``result`` when ``out`` is None).

    ``out=`` cannot take part in autograd: the written tensor would have no graph node
    linking it to the inputs. As PyTorch, minigrad refuses it (with PyTorch's message) while
    gradients are recorded and the result or ``out`` requires them. ``out`` must have the
    result's dtype and device. An empty ``out`` takes the result's shape, as in PyTorch; a
    non-empty one of another shape is an error here (PyTorch resizes it with a warning, which
    would leave any view of it pointing at the old storage)."""
    from minigrad.tensor import Tensor

    if out is None:
        return result
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): out must be a Tensor, got {type(out).__name__}")
    if is_grad_enabled() and (result.requires_grad or out.requires_grad):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support "
                           "automatic differentiation, but one of the arguments requires grad.")
    if out.dtype is not result.dtype:
        raise TypeError(f"{name}(): expected out tensor to have dtype {result.dtype.name}, "
                        f"but got {out.dtype.name} instead")
    if out.device != result.device:
        raise ValueError(f"{name}(): expected out tensor on {result.device}, but it is on "
                         f"{out.device}")
    if out.numel() == 0 and out.shape != result.shape:
        out.data = result  # an empty out is resized: it takes the result's storage
        return out
    if out.shape != result.shape:
        raise ValueError(f"{name}(): out has shape {out.shape} but the result has shape "
                         f"{result.shape}; pass an out of that shape (or an empty one)")
    with no_grad():
        out.copy_(result)
    return out


# --- PyTorch's named forms of the product, each checking the shapes it promises ------------


def _require_tensor(value, name: str, position: str):
    from minigrad.tensor import Tensor

    if not isinstance(value, Tensor):
        raise TypeError(f"{name}: expected a Tensor as the {position} argument, got "
                        f"{type(value).__name__}")


def _require_ndim(name: str, a, b, ndim_a: int, ndim_b: int) -> None:
    _require_tensor(a, name, "first")
    _require_tensor(b, name, "second")
    if a.ndim != ndim_a or b.ndim != ndim_b:
        raise ValueError(
            f"{name}: expected a {ndim_a}-D and a {ndim_b}-D tensor, got shapes {a.shape} and "
            f"{b.shape}"
        )


def mm(input, mat2, *, out=None):  # noqa: A002 - PyTorch's argument names
    """Matrix times matrix: (n, m) @ (m, p) -> (n, p)."""
    _require_ndim("mm", input, mat2, 2, 2)
    return write_out("mm", matmul(input, mat2), out)


def mv(input, vec, *, out=None):  # noqa: A002
    """Matrix times vector: (n, m) @ (m,) -> (n,)."""
    _require_ndim("mv", input, vec, 2, 1)
    return write_out("mv", matmul(input, vec), out)


def bmm(input, mat2, *, out=None):  # noqa: A002
    """A batch of matrix products: (b, n, m) @ (b, m, p) -> (b, n, p), no broadcasting."""
    _require_ndim("bmm", input, mat2, 3, 3)
    if input.shape[0] != mat2.shape[0]:
        raise ValueError(f"bmm: batch sizes differ: shapes {input.shape} and {mat2.shape}")
    return write_out("bmm", matmul(input, mat2), out)


def dot(input, tensor, *, out=None):  # noqa: A002
    """Inner product of two vectors of the same length: a 0-d tensor."""
    _require_ndim("dot", input, tensor, 1, 1)
    return write_out("dot", matmul(input, tensor), out)


def outer(input, vec2, *, out=None):  # noqa: A002
    """Outer product: (n,) and (m,) -> (n, m), z[i, j] = a[i] b[j]."""
    _require_ndim("outer", input, vec2, 1, 1)
    return write_out("outer", input.unsqueeze(1) * vec2.unsqueeze(0), out)


def norm(input, p="fro", dim=None, keepdim: bool = False, out=None):  # noqa: A002
    """The p-norm (sum |x|^p)^(1/p) over ``dim`` (all elements by default).

    ``p`` is a number, ``inf``/``-inf`` (max/min of |x|) or ``"fro"`` (the 2-norm of all
    elements, which for a matrix is the Frobenius norm).
    """
    return write_out("norm", _p_norm(input, p, dim, keepdim), out)


def _p_norm(input, p, dim, keepdim: bool):  # noqa: A002
    if p == "fro" or p is None:
        p = 2
    if isinstance(p, str):
        raise ValueError(f"norm: p must be a number, inf or 'fro', got {p!r} (nuclear norms "
                         "need an SVD, which minigrad does not have)")
    magnitude = input.abs()
    if p == float("inf"):
        return magnitude.amax(dim=dim, keepdim=keepdim)
    if p == float("-inf"):
        return magnitude.amin(dim=dim, keepdim=keepdim)
    if p == 0:
        return (magnitude != 0).to(dtype=input.dtype).sum(dim=dim, keepdim=keepdim)
    if p == 1:
        return magnitude.sum(dim=dim, keepdim=keepdim)
    if p == 2:
        # sqrt(sum x^2) rather than |x|^2: the same numbers, and d/dx = x / norm directly
        return (input * input).sum(dim=dim, keepdim=keepdim).sqrt()
    return (magnitude ** p).sum(dim=dim, keepdim=keepdim) ** (1.0 / p)


def _triangle(input, diagonal: int, lower: bool, name: str):
    """``input`` with the entries on one side of a diagonal set to zero: a multiplication by
    a constant 0/1 mask, so the gradient is the upstream gradient times the same mask."""
    import numpy as np

    _require_tensor(input, name, "first")
    if input.ndim < 2:
        raise ValueError(f"{name}: expected a tensor with at least 2 dimensions, got shape "
                         f"{input.shape}")
    rows, columns = input.shape[-2:]
    keep = np.ones((rows, columns), dtype=bool)
    keep = np.tril(keep, diagonal) if lower else np.triu(keep, diagonal)
    from minigrad.tensor import Tensor

    mask = Tensor(keep, device=input.device)
    return input * mask if input.dtype.is_floating_point else (input * mask.long())


def tril(input, diagonal: int = 0, *, out=None):  # noqa: A002
    """The lower triangle (on and below ``diagonal``) of the last two dimensions."""
    return write_out("tril", _triangle(input, diagonal, True, "tril"), out)


def triu(input, diagonal: int = 0, *, out=None):  # noqa: A002
    """The upper triangle (on and above ``diagonal``) of the last two dimensions."""
    return write_out("triu", _triangle(input, diagonal, False, "triu"), out)


def _matmul(input, other, *, out=None):  # noqa: A002
    """``input @ other`` (``torch.matmul``'s argument names; ``out=`` writes the product into
    an existing tensor)."""
    _require_tensor(input, "matmul", "first")
    return write_out("matmul", matmul(input, other), out)


FUNCTIONS = {"matmul": _matmul, "mm": mm, "mv": mv, "bmm": bmm, "dot": dot, "outer": outer,
             "norm": norm, "tril": tril, "triu": triu}
