"""Neuron / Layer / MLP: micrograd compatibility and training through the tape."""

import random

import numpy as np
import pytest

from minigrad.scalar import MLP, Layer, Neuron, Value

ALPHA = 1e-4


def svm_loss(score, target):
    return (1 + -target * score).relu()


def l2(params):
    return ALPHA * sum(p * p for p in params)


def python_loss(model, X, y):
    """micrograd's demo loss on a batch, built as one Value graph."""
    scores = [model(list(map(Value, row))) for row in X.tolist()]
    losses = [svm_loss(score, target) for score, target in zip(scores, y.tolist())]
    return sum(losses) * (1.0 / len(losses)) + l2(model.parameters())


def test_shapes_parameters_and_zero_grad():
    model = MLP(2, [16, 16, 1], seed=0)
    assert len(model.parameters()) == 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1
    assert isinstance(model([1.0, -1.0]), Value)
    assert len(MLP(3, [4, 2], seed=0)([1.0, 2.0, 3.0])) == 2
    assert repr(Neuron(2, nonlin=False)) == "LinearNeuron(2)"
    assert len(Layer(3, 5).parameters()) == 20
    out = model([0.3, 0.4])
    out.backward()
    assert any(p.grad != 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0 for p in model.parameters())
    with pytest.raises(ValueError, match="takes 2 inputs"):
        model([1.0, 2.0, 3.0])


def test_same_weights_values_and_gradients_as_micrograd():
    micrograd_nn = pytest.importorskip("micrograd.nn")
    random.seed(1337)
    ours = MLP(2, [4, 4, 1])
    random.seed(1337)
    theirs = micrograd_nn.MLP(2, [4, 4, 1])
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
    out_ours, out_theirs = ours([0.5, -1.5]), theirs([0.5, -1.5])
    out_ours.backward()
    out_theirs.backward()
    assert out_ours.data == pytest.approx(out_theirs.data, rel=1e-15)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        assert p.grad == pytest.approx(q.grad, rel=1e-12, abs=1e-300)


def test_compiled_loss_matches_python_graph():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = np.where(rng.uniform(size=40) > 0.5, 1.0, -1.0)
    model = MLP(2, [8, 8, 1], seed=3)
    compiled = model.compile(svm_loss, regularization=l2)
    loss, grads = compiled.loss_and_grad(X, y)
    total = python_loss(model, X, y)
    total.backward()
    expected = np.array([p.grad for p in model.parameters()])
    assert loss == pytest.approx(total.data, rel=1e-12)
    np.testing.assert_allclose(grads, expected, rtol=1e-12, atol=1e-14 * np.abs(expected).max())
    scores = compiled.predict(X)
    np.testing.assert_allclose(scores, [model(list(row)).data for row in X], rtol=1e-12)


def test_sgd_steps_match_python_training_and_write_back():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(20, 2))
    y = np.sign(X[:, 0] * X[:, 1]) + (X[:, 0] * X[:, 1] == 0)
    python_model = MLP(2, [6, 1], seed=5)
    tape_model = MLP(2, [6, 1], seed=5)
    compiled = tape_model.compile(svm_loss, regularization=l2)
    for _ in range(5):
        compiled.sgd_step(X, y, lr=0.3)
        python_model.zero_grad()
        total = python_loss(python_model, X, y)
        total.backward()
        for p in python_model.parameters():
            p.data -= 0.3 * p.grad
    compiled.write_to_model()
    np.testing.assert_allclose([p.data for p in tape_model.parameters()],
                               [p.data for p in python_model.parameters()], rtol=1e-10)


def test_multi_output_mlp_compiles_with_list_targets():
    model = MLP(3, [5, 2], seed=0)

    def squared_error(scores, targets):
        return sum((s - t) ** 2 for s, t in zip(scores, targets))

    compiled = model.compile(squared_error)
    X = np.random.default_rng(2).normal(size=(7, 3))
    Y = np.random.default_rng(3).normal(size=(7, 2))
    assert compiled.predict(X).shape == (7, 2)
    loss, grads = compiled.loss_and_grad(X, Y)
    expected = np.mean([squared_error(model(list(x)), list(t)).data for x, t in zip(X, Y)])
    assert loss == pytest.approx(expected, rel=1e-12)
    assert grads.shape == (len(model.parameters()),)
    with pytest.raises(ValueError, match="same batch size"):
        compiled.loss_and_grad(X, Y[:3])
