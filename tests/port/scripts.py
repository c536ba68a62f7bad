"""Small training scripts written the way PyTorch code is written.

Each script takes the library as its ``torch`` argument and returns the numbers it
produced, so the same source runs once with PyTorch and once with ``minigrad`` standing in
for it (``import minigrad as torch``). Initial weights come from a seeded numpy generator
and are copied into both libraries' parameters, so both runs start from the same point.
"""

from __future__ import annotations

import numpy as np


def data(seed: int, *shape: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def set_weights(torch, model, seed: int = 0) -> None:
    """Overwrite every parameter, in registration order, with seeded normal numbers."""
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for _, parameter in model.named_parameters():
            scale = 1.0 / np.sqrt(max(1, parameter[0].numel()))
            values = rng.normal(0.0, scale, size=tuple(parameter.shape))
            parameter.copy_(torch.tensor(values, dtype=torch.float32))


def polynomial_fit_with_in_place_update(torch) -> dict:
    """Fit y = sin(x) with a cubic, updating the weights by hand with ``-=``."""
    x = torch.linspace(-3.0, 3.0, 200)
    y = torch.sin(x)
    a, b, c, d = (torch.tensor(v, requires_grad=True) for v in (0.1, -0.2, 0.3, 0.05))
    learning_rate = 2e-5
    losses = []
    for _ in range(30):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            for weight in (a, b, c, d):
                weight -= learning_rate * weight.grad
                weight.grad = None
    return {"losses": losses, "weights": [w.item() for w in (a, b, c, d)]}


def polynomial_fit_with_sub_(torch) -> dict:
    """The same fit, written with the explicit in-place methods ``sub_`` and ``zero_``."""
    x = torch.linspace(-3.0, 3.0, 200)
    y = torch.sin(x)
    weights = torch.tensor([0.1, -0.2, 0.3, 0.05], requires_grad=True)
    powers = torch.stack([x ** 0, x, x ** 2, x ** 3], dim=1)
    losses = []
    for _ in range(30):
        loss = (powers.mv(weights) - y).square().sum()
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            weights.sub_(weights.grad, alpha=2e-5)
        weights.grad.zero_()
    return {"losses": losses, "weights": weights.tolist()}


def custom_function(torch) -> dict:
    """A custom autograd Function (a cube with its own backward) inside a small fit."""

    class Cube(torch.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return input ** 3

        @staticmethod
        def backward(ctx, grad_output):
            (input,) = ctx.saved_tensors
            return grad_output * 3 * input ** 2

    x = torch.tensor(data(1, 16))
    target = torch.tensor(data(2, 16))
    scale = torch.tensor([0.5], requires_grad=True)
    shift = torch.tensor([0.1], requires_grad=True)
    losses = []
    for _ in range(10):
        prediction = Cube.apply(scale * x + shift)
        loss = torch.nn.functional.mse_loss(prediction, target)
        losses.append(loss.item())
        scale.grad = shift.grad = None
        loss.backward()
        with torch.no_grad():
            scale.sub_(0.05 * scale.grad)
            shift.sub_(0.05 * shift.grad)
    return {"losses": losses, "scale": scale.item(), "shift": shift.item()}


def module_subclass_with_sgd(torch) -> dict:
    """An nn.Module subclass trained with SGD (momentum, weight decay) on MSELoss."""
    nn = torch.nn

    class TwoLayerNet(nn.Module):
        def __init__(self, d_in, hidden, d_out):
            super().__init__()
            self.linear1 = nn.Linear(d_in, hidden)
            self.linear2 = nn.Linear(hidden, d_out)

        def forward(self, x):
            return self.linear2(torch.tanh(self.linear1(x)))

    model = TwoLayerNet(5, 8, 2)
    set_weights(torch, model, seed=3)
    x, y = torch.tensor(data(4, 32, 5)), torch.tensor(data(5, 32, 2))
    criterion = nn.MSELoss(reduction="sum")
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9, weight_decay=1e-3)
    losses = []
    for _ in range(15):
        loss = criterion(model(x), y)
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return {"losses": losses, "weight": model.linear1.weight.detach().numpy().tolist()}


def classifier_with_adam(torch) -> dict:
    """A Sequential MLP classifier with Adam, CrossEntropyLoss and accuracy bookkeeping."""
    nn = torch.nn
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
    set_weights(torch, model, seed=6)
    features = torch.tensor(data(7, 60, 4))
    labels = torch.argmax(features[:, :3], dim=1)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    losses, accuracies = [], []
    for epoch in range(12):
        model.train()
        logits = model(features)
        loss = loss_fn(logits, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        model.eval()
        with torch.no_grad():
            correct = (model(features).argmax(dim=1) == labels).sum().item()
        accuracies.append(correct / len(labels))
    return {"losses": losses, "accuracy": accuracies}


def lenet(torch) -> dict:
    """LeNet-5 on 28x28 images: two conv/pool stages and three linear layers, SGD."""
    nn, F = torch.nn, torch.nn.functional

    class LeNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 6, 5)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 4 * 4, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            x = torch.flatten(x, 1)
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            return self.fc3(x)

    net = LeNet()
    set_weights(torch, net, seed=8)
    images = torch.tensor(data(9, 8, 1, 28, 28))
    labels = torch.tensor(np.arange(8) % 10)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    losses = []
    for _ in range(3):
        optimizer.zero_grad()
        outputs = net(images)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    parameter_count = sum(p.numel() for p in net.parameters())
    return {"losses": losses, "parameters": parameter_count,
            "fc3": net.fc3.bias.detach().numpy().tolist()}
