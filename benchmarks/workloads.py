"""The work that ``versus_torch.py`` times, written once for both libraries.

minigrad follows PyTorch's names (``nn.Linear``, ``optim.SGD``, ``tensor``, ``no_grad``), so
each workload is one function that takes the library's top-level module and returns a
``step()`` callable; the very same lines run on minigrad and on PyTorch.

A workload only builds its model and data: it never touches threads, environment variables
or any other setting, so each library runs at its own defaults.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def load(library_name: str):
    """Import ``minigrad`` or ``torch`` with its ``nn`` and ``optim`` packages."""
    if library_name == "minigrad":
        import minigrad
        import minigrad.nn
        import minigrad.optim

        return minigrad
    import torch
    import torch.nn
    import torch.optim

    return torch


def scalar_ops(library, pairs: int = 500) -> Callable[[], None]:
    """Per-op overhead: ``pairs`` multiply/add pairs (1000 ops) on 0-d tensors + backward.

    The arithmetic on one number is nothing, so the time is what each op costs the engine:
    creating the output tensor and the graph node, and in backward visiting the node."""
    x = library.tensor(0.5, requires_grad=True)
    scale, shift = library.tensor(0.999), library.tensor(0.001)

    def step():
        x.grad = None
        y = x
        for _ in range(pairs):
            y = y * scale
            y = y + shift
        y.backward()

    return step


def training_step(library, model, inputs: np.ndarray, targets: np.ndarray):
    """zero_grad, forward, cross-entropy, backward and an SGD update, as a callable."""
    loss_fn = library.nn.CrossEntropyLoss()
    optimizer = library.optim.SGD(model.parameters(), lr=0.01)
    x, y = library.tensor(inputs), library.tensor(targets)

    def step():
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()

    return step


def mlp(library, batch: int) -> Callable[[], None]:
    """One SGD step of an MLP 784 -> 128 -> 64 -> 10 with ReLU, float32."""
    nn = library.nn
    library.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
                          nn.Linear(64, 10))
    rng = np.random.default_rng(0)
    inputs = rng.standard_normal((batch, 784), dtype=np.float32)
    return training_step(library, model, inputs, rng.integers(0, 10, batch))


def lenet(library, batch: int = 64) -> Callable[[], None]:
    """One SGD step of LeNet-5 on 28x28 single-channel images, float32."""
    nn = library.nn
    library.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )
    rng = np.random.default_rng(0)
    inputs = rng.standard_normal((batch, 1, 28, 28), dtype=np.float32)
    return training_step(library, model, inputs, rng.integers(0, 10, batch))


# LeNet-5's two convolutions at batch 64: input shape, weight shape, padding.
CONV_LAYERS = {
    "conv1": ((64, 1, 28, 28), (6, 1, 5, 5), 2),
    "conv2": ((64, 6, 14, 14), (16, 6, 5, 5), 0),
}


def conv(library, layer: str, backward: bool) -> Callable[[], None]:
    """conv2d forward (under no_grad) or forward + backward of one LeNet-5 convolution."""
    input_shape, weight_shape, padding = CONV_LAYERS[layer]
    rng = np.random.default_rng(0)
    # conv1 sees the images, which need no gradient; conv2 sees activations, which do
    x = library.tensor(rng.standard_normal(input_shape, dtype=np.float32),
                       requires_grad=backward and layer != "conv1")
    weight = library.tensor(rng.standard_normal(weight_shape, dtype=np.float32),
                            requires_grad=backward)
    bias = library.tensor(rng.standard_normal(weight_shape[0], dtype=np.float32),
                          requires_grad=backward)
    conv2d = library.nn.functional.conv2d

    if backward:
        def step():
            conv2d(x, weight, bias, padding=padding).sum().backward()
    else:
        def step():
            with library.no_grad():
                conv2d(x, weight, bias, padding=padding)

    return step


#: name -> (description, factory taking the library module)
WORKLOADS: dict[str, tuple[str, Callable]] = {
    "ops": ("per-op overhead: 1000 scalar mul/add + backward", scalar_ops),
    "mlp64": ("MLP 784-128-64-10 SGD step, batch 64", lambda lib: mlp(lib, 64)),
    "mlp256": ("MLP 784-128-64-10 SGD step, batch 256", lambda lib: mlp(lib, 256)),
    "lenet": ("LeNet-5 SGD step, batch 64, 28x28", lenet),
    "conv1": ("LeNet conv1 1->6 5x5 pad 2, forward", lambda lib: conv(lib, "conv1", False)),
    "conv1b": ("LeNet conv1, forward + backward", lambda lib: conv(lib, "conv1", True)),
    "conv2": ("LeNet conv2 6->16 5x5, forward", lambda lib: conv(lib, "conv2", False)),
    "conv2b": ("LeNet conv2, forward + backward", lambda lib: conv(lib, "conv2", True)),
}
