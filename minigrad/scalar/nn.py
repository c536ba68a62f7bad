"""Neural nets of scalar Values, as in micrograd: `Neuron`, `Layer`, `MLP`.

``MLP(2, [16, 16, 1])`` is micrograd's network: ReLU neurons, a linear last layer, weights
drawn uniformly from [-1, 1], biases 0. Calling it on a list of numbers builds a Value graph
you can ``backward()`` through. For training on a batch, `MLP.compile` traces the network and
a loss once into Tapes (see tape.py) and then runs each step in a Numba kernel.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from minigrad.scalar.value import Value

if TYPE_CHECKING:
    from minigrad.scalar.tape import Tape

__all__ = ["Module", "Neuron", "Layer", "MLP", "CompiledMLP"]


class Module:
    """Base class: something with parameters (leaf Values) that training updates."""

    def parameters(self) -> list[Value]:
        return []

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0 (leaf gradients accumulate in backward())."""
        for p in self.parameters():
            p.grad = 0.0


class Neuron(Module):
    """``act(w . x + b)`` with ``act`` = ReLU, or the identity when ``nonlin=False``."""

    def __init__(self, nin: int, nonlin: bool = True, rng: random.Random | None = None) -> None:
        rng = rng if rng is not None else random
        self.w = [Value(rng.uniform(-1, 1), label=f"w{i}") for i in range(nin)]
        self.b = Value(0.0, label="b")
        self.nonlin = nonlin

    def __call__(self, x: Sequence[Value | float]) -> Value:
        if len(x) != len(self.w):
            raise ValueError(f"this neuron takes {len(self.w)} inputs, got {len(x)}")
        # b + w0*x0 + w1*x1 + ...: the same graph micrograd builds
        act = sum((wi * xi for wi, xi in zip(self.w, x, strict=True)), self.b)
        return act.relu() if self.nonlin else act

    def parameters(self) -> list[Value]:
        return self.w + [self.b]

    def __repr__(self) -> str:
        return f"{'ReLU' if self.nonlin else 'Linear'}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons reading the same inputs."""

    def __init__(self, nin: int, nout: int, **kwargs) -> None:
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def __call__(self, x: Sequence[Value | float]) -> Value | list[Value]:
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """Multi-layer perceptron: ReLU hidden layers, linear output layer (micrograd's MLP).

    Args:
        nin: number of inputs.
        nouts: sizes of the layers, the last one being the number of outputs.
        seed: seed for the weights; None draws from Python's global ``random`` (like
            micrograd, so ``random.seed(1337)`` reproduces its networks).
    """

    def __init__(self, nin: int, nouts: Sequence[int], seed: int | None = None) -> None:
        rng = random.Random(seed) if seed is not None else None
        sizes = [nin] + list(nouts)
        self.nin = nin
        self.nout = sizes[-1]
        self.layers = [Layer(sizes[i], sizes[i + 1], nonlin=i != len(nouts) - 1, rng=rng)
                       for i in range(len(nouts))]

    def __call__(self, x: Sequence[Value | float]) -> Value | list[Value]:
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"

    def compile(self, loss: Callable, regularization: Callable | None = None) -> CompiledMLP:
        """Trace this network and a loss into Tapes for fast batched training.

        ``loss(score, target)`` builds one sample's loss from the network's output and the
        target (Values, or lists of Values when there are several outputs);
        ``regularization(parameters)`` optionally builds a penalty from the parameters. The
        training loss is ``mean over samples of loss + regularization``.
        """
        return CompiledMLP(self, loss, regularization)


class CompiledMLP:
    """An MLP traced once into three Tapes: scores, per-sample loss, regularization.

    All three read one parameter array, ``self.params`` (in the order of
    ``model.parameters()``); `sgd_step` updates it in place. The Value objects of the model
    are not touched until `write_to_model` copies the numbers back.
    """

    def __init__(self, model: MLP, loss: Callable,
                 regularization: Callable | None = None) -> None:
        from minigrad.scalar.tape import Tape

        self.model = model
        parameters = model.parameters()
        x = [Value(0.0, label=f"x{i}") for i in range(model.nin)]
        y = [Value(0.0, label=f"y{j}") for j in range(model.nout)]
        score = model(x)
        self.score_tape: Tape = Tape(score, inputs=x, params=parameters)
        sample_loss = loss(score, y[0] if model.nout == 1 else y)
        self.loss_tape: Tape = Tape(sample_loss, inputs=x + y, params=parameters)
        self.regularization_tape: Tape | None = None
        if regularization is not None:
            self.regularization_tape = Tape(regularization(parameters), params=parameters)
        self.params = self.loss_tape.params

    def predict(self, X) -> np.ndarray:
        """Network outputs for the rows of X: shape (batch,) for one output, else
        (batch, nout)."""
        return self.score_tape.forward_batch(X, self.params)

    def loss_and_grad(self, X, y) -> tuple[float, np.ndarray]:
        """``(loss, d loss / d params)`` on the batch (X: (batch, nin), y: (batch,) or
        (batch, nout))."""
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        if X.ndim != 2 or y.shape[0] != X.shape[0]:
            raise ValueError(f"X must be (batch, {self.model.nin}) and y have the same batch "
                             f"size; got X {X.shape} and y {y.shape}")
        inputs = np.concatenate([X, y.reshape(X.shape[0], -1)], axis=1)
        result = self.loss_tape.value_and_grad_batch(inputs, self.params)
        loss, grads = result.value, result.param_grads
        if self.regularization_tape is not None:
            penalty = self.regularization_tape.value_and_grad(params=self.params)
            loss += penalty.value
            grads += penalty.param_grads
        return loss, grads

    def sgd_step(self, X, y, lr: float) -> float:
        """One step of gradient descent on the batch, ``params -= lr * grad``; returns the
        loss before the step."""
        loss, grads = self.loss_and_grad(X, y)
        self.params -= lr * grads
        return loss

    def write_to_model(self, grads: np.ndarray | None = None) -> None:
        """Copy the trained parameters (and optionally gradients) into the model's Values."""
        self.loss_tape.write_params()
        if grads is not None:
            self.loss_tape.write_grads(grads)
