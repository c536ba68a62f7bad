"""First- and second-order finite-difference checks for every differentiable op, and tests
that minigrad.testing itself catches wrong gradients and reports them clearly."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minigrad
from minigrad.testing import GradcheckError, compare_with_torch, gradcheck, gradgradcheck


def check(name, shapes, fn, low=-1.0, high=1.0, vals=None):
    return pytest.param(shapes, fn, low, high, vals, id=name)


AWAY_FROM_KINKS = [np.array([[-0.9, -0.4, 0.35], [0.8, -0.15, 0.6]])]

OPS = [
    check("add", [(2, 3), (3,)], lambda x, y: x + y),
    check("radd", [(2, 3)], lambda x: 1.5 + x),
    check("sub", [(2, 3), (2, 1)], lambda x, y: x - y),
    check("rsub", [(2, 3)], lambda x: 1.5 - x),
    check("mul", [(2, 3), (3,)], lambda x, y: x * y),
    check("div", [(2, 3), (2, 3)], lambda x, y: x / y, low=0.5, high=1.5),
    check("rdiv", [(2, 3)], lambda x: 2.0 / x, low=0.5, high=1.5),
    check("pow_scalar", [(2, 3)], lambda x: x**3),
    check("pow_tensor", [(2, 3), (2, 3)], lambda x, y: x**y, low=0.5, high=1.5),
    check("rpow", [(2, 3)], lambda x: 3.0**x),
    check("neg", [(2, 3)], lambda x: -x),
    check("exp", [(2, 3)], lambda x: x.exp()),
    check("log", [(2, 3)], lambda x: x.log(), low=0.5, high=2.0),
    check("sqrt", [(2, 3)], lambda x: x.sqrt(), low=0.5, high=2.0),
    check("abs", None, lambda x: x.abs(), vals=AWAY_FROM_KINKS),
    check("relu", None, lambda x: x.relu(), vals=AWAY_FROM_KINKS),
    check("sigmoid", [(2, 3)], lambda x: x.sigmoid()),
    check("tanh", [(2, 3)], lambda x: x.tanh()),
    check("clamp", None, lambda x: x.clamp(-0.5, 0.5), vals=AWAY_FROM_KINKS),
    check("maximum", [(2, 3), (3,)], lambda x, y: x.maximum(y)),
    check("minimum", [(2, 3), (2, 3)], lambda x, y: x.minimum(y)),
    check("where", [(2, 3), (2, 3)], lambda x, y: minigrad.where(x > 0, x * y, y.exp())),
    check("sum", [(2, 3)], lambda x: x.sum()),
    check("sum_dim_keepdim", [(2, 3, 2)], lambda x: x.sum(dim=(0, 2), keepdim=True)),
    check("mean", [(2, 3)], lambda x: x.mean(dim=1)),
    check("max", [(2, 3)], lambda x: x.max()),
    check("max_dim", [(2, 3)], lambda x: x.max(dim=1)[0]),
    check("min_dim_keepdim", [(2, 3)], lambda x: x.min(dim=0, keepdim=True)[0]),
    check("var", [(2, 3)], lambda x: x.var(dim=1)),
    check("std", [(2, 3)], lambda x: x.std()),
    check("reshape", [(2, 3)], lambda x: x.reshape(3, 2) * x.reshape(3, 2)),
    check("view_flatten", [(2, 3)], lambda x: x.view(6).exp() + x.flatten()),
    check("transpose", [(2, 3)], lambda x: x.transpose(0, 1) ** 2),
    check("permute", [(2, 3, 2)], lambda x: x.permute(2, 0, 1) ** 2),
    check("T", [(2, 3)], lambda x: x.T * x.T),
    check("squeeze_unsqueeze", [(1, 3)], lambda x: x.squeeze(0).unsqueeze(1) ** 2),
    check("expand", [(3, 1)], lambda x: x.expand(3, 2) ** 2),
    check("cat", [(2, 3), (1, 3)], lambda x, y: minigrad.cat([x, y * y]) ** 2),
    check("stack", [(2, 3), (2, 3)], lambda x, y: minigrad.stack([x, y * x], dim=1) ** 2),
    check("getitem_slice", [(3, 4)], lambda x: x[1:, ::2] ** 2),
    check("getitem_repeated", [(3, 2)], lambda x: x[[0, 2, 0]] ** 2),
    check("matmul", [(2, 3), (3, 2)], lambda x, y: x @ y),
    check("matmul_batched_vector", [(2, 2, 3), (3,)], lambda x, y: (x @ y) ** 2),
]


def inputs_for(shapes, low, high, vals):
    if vals is not None:
        return tuple(vals)
    rng = np.random.default_rng(0)
    return tuple(rng.uniform(low, high, size=shape) for shape in shapes)


@pytest.mark.parametrize("shapes, fn, low, high, vals", OPS)
def test_gradcheck(shapes, fn, low, high, vals):
    assert gradcheck(fn, inputs_for(shapes, low, high, vals))


@pytest.mark.parametrize("shapes, fn, low, high, vals", OPS)
def test_gradgradcheck(shapes, fn, low, high, vals):
    assert gradgradcheck(fn, inputs_for(shapes, low, high, vals))


def test_directional_mode_on_a_large_input():
    x = np.random.default_rng(1).standard_normal((40, 30))
    w = np.random.default_rng(2).standard_normal((30, 20))
    fn = lambda x, w: (x @ w).tanh().mean(dim=0)  # noqa: E731
    assert gradcheck(fn, (x, w), mode="auto")  # 1,800 input elements: directional
    assert gradgradcheck(fn, (x, w), mode="directional", num_directions=2)


# --- the checkers catch mistakes ---------------------------------------------------------------


class WrongSquare(minigrad.autograd.Function):
    """x^2 with a deliberately wrong derivative: x instead of 2x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * x


class FirstOrderOnlyAbsCube(minigrad.autograd.Function):
    """|x|^3 whose backward is right but detached: second derivatives come out zero."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.abs() ** 3

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return (grad_output * 3 * x * x.abs()).detach()


def test_gradcheck_reports_the_worst_element():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    with pytest.raises(GradcheckError) as info:
        gradcheck(WrongSquare.apply, x)
    message = str(info.value)
    # The worst entry is d out(1, 1) / d x(1, 1): numerical 6, analytic 3.
    assert "(1, 1)" in message
    assert "6.0" in message and "3.0" in message
    assert "abs error" in message and "rel error" in message
    assert gradcheck(WrongSquare.apply, x, raise_exception=False) is False


def test_directional_gradcheck_catches_a_wrong_gradient():
    x = np.random.default_rng(0).uniform(0.5, 1.0, size=(30, 30))
    with pytest.raises(GradcheckError, match="random direction"):
        gradcheck(WrongSquare.apply, x, mode="directional")


def test_gradgradcheck_catches_a_detached_backward():
    x = np.array([0.7, -1.3, 0.4])
    assert gradcheck(FirstOrderOnlyAbsCube.apply, x)
    with pytest.raises(GradcheckError):
        gradgradcheck(FirstOrderOnlyAbsCube.apply, x)


def test_gradcheck_inputs_in_float32_are_checked_in_float64():
    x = minigrad.tensor([0.3, 0.7], requires_grad=True)  # float32
    constant = minigrad.tensor([2.0, 3.0])  # float32 constant, not differentiated
    assert gradcheck(lambda x, c: (x * c).exp(), (x, constant))


def test_gradcheck_needs_something_to_differentiate():
    with pytest.raises(ValueError, match="requires_grad"):
        gradcheck(lambda x: x * 2, minigrad.tensor([1.0]))


def test_gradcheck_rejects_non_floating_outputs():
    with pytest.raises(TypeError, match="floating"):
        gradcheck(lambda x: x.argmax(), np.array([1.0, 2.0]))


def test_compare_with_torch_passes_for_matching_functions():
    a, b = np.random.default_rng(0).standard_normal((2, 3, 4))
    compare_with_torch(lambda x, y: (x * y).tanh().sum(dim=0),
                       lambda x, y: (x * y).tanh().sum(dim=0), a, b)


def test_compare_with_torch_reports_the_worst_output_element():
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(GradcheckError) as info:
        compare_with_torch(lambda x: x * 2, lambda x: x * 2 + (x > 3.5) * 0.5, a)
    message = str(info.value)
    assert "output 0 values" in message and "index (1, 1)" in message
    assert "minigrad 8.0" in message and "PyTorch 8.5" in message


def test_compare_with_torch_reports_a_wrong_gradient():
    a = np.array([1.0, -2.0, 0.5])
    with pytest.raises(GradcheckError, match=r"gradient of input 0 \(shape \(3,\)\)"):
        compare_with_torch(WrongSquare.apply, lambda x: x * x, a)


def test_compare_with_torch_reports_dtype_and_shape_mismatches():
    a = np.ones((2, 3), dtype=np.float32)
    with pytest.raises(GradcheckError, match="minigrad dtype float64, PyTorch dtype float32"):
        compare_with_torch(lambda x: x.double(), lambda x: x, a)
    with pytest.raises(GradcheckError, match=r"minigrad shape \(3, 2\), PyTorch shape \(2, 3\)"):
        compare_with_torch(lambda x: x.T, lambda x: x, a)


def test_compare_with_torch_without_torch_raises_a_clear_import_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` fail
    with pytest.raises(ImportError, match="pip install torch"):
        compare_with_torch(lambda x: x, lambda x: x, np.ones(2))


def test_importing_minigrad_testing_does_not_import_torch():
    code = "import sys, minigrad.testing; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=Path(__file__).resolve().parents[1])
    assert result.stdout.strip() == "False"


def test_gradcheck_with_several_outputs_and_an_unused_input():
    x, unused = np.array([0.2, -0.4, 0.9]), np.array([1.0, 2.0])
    fn = lambda x, unused: (x.exp(), (x * x).sum())  # noqa: E731
    assert gradcheck(fn, (x, unused))
    assert gradgradcheck(fn, (x, unused))
