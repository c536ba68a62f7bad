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


def gradient_identities_with_all(torch) -> dict:
    """Check gradients against their formulas with ``torch.all`` and walk ``grad_fn`` down
    the graph with ``next_functions``, printing node names."""
    a = torch.tensor([2.0, 3.0, -1.0], requires_grad=True)
    b = torch.tensor([6.0, 4.0, 0.5], requires_grad=True)
    q = 3 * a ** 3 - b ** 2
    q.backward(gradient=torch.ones(3))
    checks = [torch.all(9 * a ** 2 == a.grad), (-2 * b == b.grad).all(), (a.grad > 30).any(),
              (a.grad > 30).any(dim=0)]
    x = torch.tensor([[1.0, -2.5], [3.25, 4.0]], requires_grad=True)
    node = (x * 2).relu().mean().grad_fn
    names = []
    while node is not None:
        names.append(str(node).split()[0].lstrip("<"))
        parents = [fn for fn, _ in node.next_functions if fn is not None]
        node = parents[0] if parents else None
    return {"checks": [bool(check) for check in checks],
            "bool_results": float(all(check.dtype == torch.bool for check in checks)),
            "names": " ".join(names), "grad": a.grad.tolist()}


def ranking_scores(torch) -> dict:
    """Rank class scores (sort, topk), keep running totals (cumsum), take products and a
    bilinear form (einsum, diag), and train the scores through all of them."""
    scores = torch.tensor(data(5, 4, 6), requires_grad=True)
    optimizer = torch.optim.SGD([scores], lr=0.05)
    history = []
    for _ in range(5):
        best, best_index = scores.topk(2, dim=1)
        ordered, order = torch.sort(scores, dim=0, descending=True)
        running = torch.cumsum(scores, dim=1)
        gram = torch.einsum("ik,jk->ij", scores, scores)
        loss = (best.sum() - ordered[0].sum() + running[:, -1].pow(2).mean()
                + (scores[:, :3] * 0.5 + 1).prod(dim=1).sum() + torch.diag(gram).mean() * 0.1)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        history.append(loss.item())
    return {"losses": history, "top": best_index.tolist(), "order": order.tolist(),
            "argsort": scores.argsort(dim=1).tolist(), "scores": scores.tolist(),
            "labels": torch.unique(best_index).tolist()}


def split_train_and_evaluate(torch) -> dict:
    """Split a data set with ``random_split``, train on one part from a ``DataLoader`` and
    evaluate the other under ``no_grad``; the legacy ``torch.Tensor(list)`` constructor
    makes the float targets."""
    from_data = torch.utils.data
    features = torch.tensor(data(6, 40, 3))
    targets = torch.Tensor([[float(i % 2)] for i in range(40)])
    train_part, test_part = from_data.random_split(from_data.TensorDataset(features, targets),
                                                   [0.75, 0.25])
    model = torch.nn.Linear(3, 1)
    set_weights(torch, model, seed=3)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for xb, yb in from_data.DataLoader(train_part, batch_size=30):
        optimizer.zero_grad()
        torch.nn.functional.binary_cross_entropy_with_logits(model(xb), yb).backward()
        optimizer.step()
    with torch.no_grad():
        every = torch.stack([features[i] for i in train_part.indices + test_part.indices])
        evaluated = model(every)
    return {"sizes": [len(train_part), len(test_part)],
            "float32": float(targets.dtype == torch.float32),
            "all_samples_once": sorted(train_part.indices + test_part.indices),
            "requires_grad": float(evaluated.requires_grad)}


def compiled_training_step(torch, compile_step: bool = True) -> dict:
    """The step of a training loop wrapped in ``torch.compile``, the way a PyTorch 2 script
    writes it. (``compile_step=False`` runs the same step eagerly.)"""
    nn = torch.nn
    model = nn.Sequential(nn.Linear(6, 12), nn.ReLU(), nn.Linear(12, 3))
    set_weights(torch, model, seed=8)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()

    def train_step(x, y):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    step = torch.compile(train_step) if compile_step else train_step
    features = torch.tensor(data(9, 40, 6))
    labels = torch.argmax(features[:, :3], dim=1)
    losses = [step(features, labels).item() for _ in range(10)]
    return {"losses": losses, "weight": model[0].weight.detach().numpy().tolist()}


def cnn_classifier_with_loader_options(torch) -> dict:
    """The image-classifier tutorial's loop: a ``DataLoader`` with ``num_workers``, in-place
    ReLUs, gradient clipping, ``MultiStepLR``, and accuracy counted with
    ``torch.max(outputs.data, 1)``."""
    nn = torch.nn
    images = torch.tensor(data(12, 24, 3, 8, 8))
    labels = torch.tensor(np.arange(24) % 4)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(images, labels),
                                         batch_size=8, shuffle=False, num_workers=2)
    net = nn.Sequential(nn.Conv2d(3, 6, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2),
                        nn.Dropout2d(0.0), nn.Flatten(), nn.Linear(6 * 4 * 4, 16),
                        nn.LeakyReLU(0.1, inplace=True), nn.Linear(16, 4))
    set_weights(torch, net, seed=13)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[1, 2], gamma=0.5)
    norms, losses = [], []
    for _ in range(3):
        running_loss = 0.0
        for inputs, targets in loader:
            optimizer.zero_grad()
            loss = criterion(net(inputs), targets)
            loss.backward()
            norms.append(nn.utils.clip_grad_norm_(net.parameters(), max_norm=1.0).item())
            optimizer.step()
            running_loss += loss.item()
        losses.append(running_loss / len(loader))
        scheduler.step()
    correct = total = 0
    with torch.no_grad():
        for inputs, targets in loader:
            _, predicted = torch.max(net(inputs).data, 1)
            total += targets.size(0)
            correct += (predicted == targets).sum().item()
    return {"losses": losses, "norms": norms, "accuracy": correct / total,
            "lr": scheduler.get_last_lr()}


def regression_with_plateau_schedule(torch) -> dict:
    """A regression MLP with LayerNorm, GELU and SiLU, the smooth L1 loss, Adam, and
    ``ReduceLROnPlateau`` watching the loss."""
    nn = torch.nn
    features = torch.tensor(data(14, 32, 5))
    targets = (features[:, :1] * 2.0 - features[:, 1:2]).sin()
    model = nn.Sequential(nn.Linear(5, 16), nn.LayerNorm(16), nn.GELU(), nn.Linear(16, 8),
                          nn.SiLU(), nn.Linear(8, 1))
    set_weights(torch, model, seed=15)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=1,
                                                           threshold=0.05)
    loss_fn = nn.SmoothL1Loss(beta=0.5)
    losses, rates = [], []
    for _ in range(12):
        optimizer.zero_grad()
        loss = loss_fn(model(features), targets)
        loss.backward()
        optimizer.step()
        scheduler.step(loss.item())
        losses.append(loss.item())
        rates.append(optimizer.param_groups[0]["lr"])
    return {"losses": losses, "rates": rates,
            "norm_weight": model[1].weight.detach().numpy().tolist()}
